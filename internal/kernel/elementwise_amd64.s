//go:build amd64 && !purego

#include "textflag.h"

// func addAVX(dst, src *float32, n int)
//
// 32 elements an iteration in four registers, then 8 at a time.
TEXT ·addAVX(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

add32:
	CMPQ    CX, $32
	JLT     add8
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VADDPS  (SI), Y0, Y0
	VADDPS  32(SI), Y1, Y1
	VADDPS  64(SI), Y2, Y2
	VADDPS  96(SI), Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, DI
	ADDQ    $128, SI
	SUBQ    $32, CX
	JMP     add32

add8:
	CMPQ    CX, $8
	JLT     addDone
	VMOVUPS (DI), Y0
	VADDPS  (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	SUBQ    $8, CX
	JMP     add8

addDone:
	VZEROUPPER
	RET

// func momentumAVX(w, grad, v *float32, n int, rate, decay, mu float32)
//
// Y13, Y14, Y15 hold rate, decay and mu in every lane. For 8 elements:
// Y0 = w, Y1 = grad + decay·w (g), Y2 = mu·v − rate·g (the new v), and w
// + Y2 is stored; each product is rounded before the sum, as in the Go.
// Two blocks of 8 an iteration, then one.
TEXT ·momentumAVX(SB), NOSPLIT, $0-44
	MOVQ         w+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         v+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS rate+32(FP), Y13
	VBROADCASTSS decay+36(FP), Y14
	VBROADCASTSS mu+40(FP), Y15

mom16:
	CMPQ    CX, $16
	JLT     mom8
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y4
	VMULPS  Y14, Y0, Y1
	VMULPS  Y14, Y4, Y5
	VADDPS  (SI), Y1, Y1
	VADDPS  32(SI), Y5, Y5
	VMULPS  Y13, Y1, Y1
	VMULPS  Y13, Y5, Y5
	VMULPS  (DX), Y15, Y2
	VMULPS  32(DX), Y15, Y6
	VSUBPS  Y1, Y2, Y2
	VSUBPS  Y5, Y6, Y6
	VMOVUPS Y2, (DX)
	VMOVUPS Y6, 32(DX)
	VADDPS  Y2, Y0, Y0
	VADDPS  Y6, Y4, Y4
	VMOVUPS Y0, (DI)
	VMOVUPS Y4, 32(DI)
	ADDQ    $64, DI
	ADDQ    $64, SI
	ADDQ    $64, DX
	SUBQ    $16, CX
	JMP     mom16

mom8:
	CMPQ    CX, $8
	JLT     momDone
	VMOVUPS (DI), Y0
	VMULPS  Y14, Y0, Y1
	VADDPS  (SI), Y1, Y1
	VMULPS  Y13, Y1, Y1
	VMULPS  (DX), Y15, Y2
	VSUBPS  Y1, Y2, Y2
	VMOVUPS Y2, (DX)
	VADDPS  Y2, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	SUBQ    $8, CX
	JMP     mom8

momDone:
	VZEROUPPER
	RET

// func sgdAVX(w, grad *float32, n int, rate, decay float32)
//
// Y13 and Y14 hold rate and decay. For 8 elements: Y1 = grad + decay·w
// (g), and w − rate·g is stored.
TEXT ·sgdAVX(SB), NOSPLIT, $0-32
	MOVQ         w+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS rate+24(FP), Y13
	VBROADCASTSS decay+28(FP), Y14

sgd8:
	CMPQ    CX, $8
	JLT     sgdDone
	VMOVUPS (DI), Y0
	VMULPS  Y14, Y0, Y1
	VADDPS  (SI), Y1, Y1
	VMULPS  Y13, Y1, Y1
	VSUBPS  Y1, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	SUBQ    $8, CX
	JMP     sgd8

sgdDone:
	VZEROUPPER
	RET

// func nesterovAVX(w, grad, v *float32, n int, rate, decay, mu, onePlusMu float32)
//
// Y12, Y13, Y14, Y15 hold 1+mu, rate, decay and mu. For 8 elements: Y1 =
// grad + decay·w (g), Y3 = mu·v (the old history times mu), Y2 = Y3 −
// rate·g (the new history, stored), and w + ((1+mu)·Y2 − Y3) is stored.
TEXT ·nesterovAVX(SB), NOSPLIT, $0-48
	MOVQ         w+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         v+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS rate+32(FP), Y13
	VBROADCASTSS decay+36(FP), Y14
	VBROADCASTSS mu+40(FP), Y15
	VBROADCASTSS onePlusMu+44(FP), Y12

nes8:
	CMPQ    CX, $8
	JLT     nesDone
	VMOVUPS (DI), Y0
	VMULPS  Y14, Y0, Y1
	VADDPS  (SI), Y1, Y1
	VMULPS  Y13, Y1, Y1
	VMULPS  (DX), Y15, Y3
	VSUBPS  Y1, Y3, Y2
	VMOVUPS Y2, (DX)
	VMULPS  Y12, Y2, Y2
	VSUBPS  Y3, Y2, Y2
	VADDPS  Y2, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	SUBQ    $8, CX
	JMP     nes8

nesDone:
	VZEROUPPER
	RET

// func adaGradAVX(w, grad, h *float32, n int, rate, decay, eps float32)
//
// Y13, Y14, Y15 hold rate, decay and eps. For 8 elements: Y1 = grad +
// decay·w (g), Y2 = h + g·g (stored), Y3 = √Y2 + eps, and w − rate·(g/Y3)
// is stored. VSQRTPS rounds the root correctly, as the Go does.
TEXT ·adaGradAVX(SB), NOSPLIT, $0-44
	MOVQ         w+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         h+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS rate+32(FP), Y13
	VBROADCASTSS decay+36(FP), Y14
	VBROADCASTSS eps+40(FP), Y15

ada8:
	CMPQ    CX, $8
	JLT     adaDone
	VMOVUPS (DI), Y0
	VMULPS  Y14, Y0, Y1
	VADDPS  (SI), Y1, Y1
	VMULPS  Y1, Y1, Y2
	VADDPS  (DX), Y2, Y2
	VMOVUPS Y2, (DX)
	VSQRTPS Y2, Y3
	VADDPS  Y15, Y3, Y3
	VDIVPS  Y3, Y1, Y4
	VMULPS  Y13, Y4, Y4
	VSUBPS  Y4, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	SUBQ    $8, CX
	JMP     ada8

adaDone:
	VZEROUPPER
	RET
