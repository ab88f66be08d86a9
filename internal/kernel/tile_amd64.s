//go:build amd64 && !purego

#include "textflag.h"

// ZERO12 clears the accumulators Y0..Y11.
#define ZERO12 \
	VXORPS Y0, Y0, Y0 \
	VXORPS Y1, Y1, Y1 \
	VXORPS Y2, Y2, Y2 \
	VXORPS Y3, Y3, Y3 \
	VXORPS Y4, Y4, Y4 \
	VXORPS Y5, Y5, Y5 \
	VXORPS Y6, Y6, Y6 \
	VXORPS Y7, Y7, Y7 \
	VXORPS Y8, Y8, Y8 \
	VXORPS Y9, Y9, Y9 \
	VXORPS Y10, Y10, Y10 \
	VXORPS Y11, Y11, Y11

// func tile6x16(k int, a *float32, off *int32, b *float32, half int, c *float32, ldc int)
//
// Y0..Y11 hold the 6×16 tile, two registers a row. Each step loads the
// 16 inputs at b[off[t]] and b[off[t]+half] into Y12, Y13 and, for each
// of the 6 weights of a[6t:6t+6], broadcasts it into Y14 or Y15 and adds
// its products to the row's two registers.
TEXT ·tile6x16(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ off+16(FP), DX
	MOVQ b+24(FP), DI
	MOVQ half+32(FP), R10
	LEAQ (DI)(R10*4), R10
	MOVQ c+40(FP), R8
	MOVQ ldc+48(FP), R9
	SHLQ $2, R9

	ZERO12

loop:
	MOVLQSX (DX), AX
	VMOVUPS (DI)(AX*4), Y12
	VMOVUPS (R10)(AX*4), Y13

	VBROADCASTSS 0(SI), Y14
	VBROADCASTSS 4(SI), Y15
	VFMADD231PS Y12, Y14, Y0
	VFMADD231PS Y13, Y14, Y1
	VFMADD231PS Y12, Y15, Y2
	VFMADD231PS Y13, Y15, Y3

	VBROADCASTSS 8(SI), Y14
	VBROADCASTSS 12(SI), Y15
	VFMADD231PS Y12, Y14, Y4
	VFMADD231PS Y13, Y14, Y5
	VFMADD231PS Y12, Y15, Y6
	VFMADD231PS Y13, Y15, Y7

	VBROADCASTSS 16(SI), Y14
	VBROADCASTSS 20(SI), Y15
	VFMADD231PS Y12, Y14, Y8
	VFMADD231PS Y13, Y14, Y9
	VFMADD231PS Y12, Y15, Y10
	VFMADD231PS Y13, Y15, Y11

	ADDQ $4, DX
	ADDQ $24, SI
	DECQ CX
	JNZ  loop

	VMOVUPS Y0, (R8)
	VMOVUPS Y1, 32(R8)
	ADDQ    R9, R8
	VMOVUPS Y2, (R8)
	VMOVUPS Y3, 32(R8)
	ADDQ    R9, R8
	VMOVUPS Y4, (R8)
	VMOVUPS Y5, 32(R8)
	ADDQ    R9, R8
	VMOVUPS Y6, (R8)
	VMOVUPS Y7, 32(R8)
	ADDQ    R9, R8
	VMOVUPS Y8, (R8)
	VMOVUPS Y9, 32(R8)
	ADDQ    R9, R8
	VMOVUPS Y10, (R8)
	VMOVUPS Y11, 32(R8)
	VZEROUPPER
	RET

// func tile12x8(k int, a *float32, off *int32, b *float32, c *float32, ldc int)
//
// Y0..Y11 hold the 12×8 tile, one register a row. Each step loads the 8
// inputs at b[off[t]] into Y12 and, for each of the 12 weights of
// a[12t:12t+12], broadcasts it into Y13 or Y14 and adds its products to
// the row's register.
TEXT ·tile12x8(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ off+16(FP), DX
	MOVQ b+24(FP), DI
	MOVQ c+32(FP), R8
	MOVQ ldc+40(FP), R9
	SHLQ $2, R9

	ZERO12

loop12:
	MOVLQSX (DX), AX
	VMOVUPS (DI)(AX*4), Y12

	VBROADCASTSS 0(SI), Y13
	VBROADCASTSS 4(SI), Y14
	VFMADD231PS  Y12, Y13, Y0
	VFMADD231PS  Y12, Y14, Y1
	VBROADCASTSS 8(SI), Y13
	VBROADCASTSS 12(SI), Y14
	VFMADD231PS  Y12, Y13, Y2
	VFMADD231PS  Y12, Y14, Y3
	VBROADCASTSS 16(SI), Y13
	VBROADCASTSS 20(SI), Y14
	VFMADD231PS  Y12, Y13, Y4
	VFMADD231PS  Y12, Y14, Y5
	VBROADCASTSS 24(SI), Y13
	VBROADCASTSS 28(SI), Y14
	VFMADD231PS  Y12, Y13, Y6
	VFMADD231PS  Y12, Y14, Y7
	VBROADCASTSS 32(SI), Y13
	VBROADCASTSS 36(SI), Y14
	VFMADD231PS  Y12, Y13, Y8
	VFMADD231PS  Y12, Y14, Y9
	VBROADCASTSS 40(SI), Y13
	VBROADCASTSS 44(SI), Y14
	VFMADD231PS  Y12, Y13, Y10
	VFMADD231PS  Y12, Y14, Y11

	ADDQ $4, DX
	ADDQ $48, SI
	DECQ CX
	JNZ  loop12

	VMOVUPS Y0, (R8)
	ADDQ    R9, R8
	VMOVUPS Y1, (R8)
	ADDQ    R9, R8
	VMOVUPS Y2, (R8)
	ADDQ    R9, R8
	VMOVUPS Y3, (R8)
	ADDQ    R9, R8
	VMOVUPS Y4, (R8)
	ADDQ    R9, R8
	VMOVUPS Y5, (R8)
	ADDQ    R9, R8
	VMOVUPS Y6, (R8)
	ADDQ    R9, R8
	VMOVUPS Y7, (R8)
	ADDQ    R9, R8
	VMOVUPS Y8, (R8)
	ADDQ    R9, R8
	VMOVUPS Y9, (R8)
	ADDQ    R9, R8
	VMOVUPS Y10, (R8)
	ADDQ    R9, R8
	VMOVUPS Y11, (R8)
	VZEROUPPER
	RET

// func dot3(n int, x *float32, ldx int, y *float32, ldy int, f int, c *float32, ldc int, run int, skip int)
//
// For each group of four rows j..j+3 of y, Y0..Y11 hold the eight lanes of
// the dot products of the three rows of x (in Y12..Y14 at each step) with
// the four of y (each in turn in Y15), over n values (a multiple of 8):
// Y(4i+j) for row i of x and row j of y. A row of y is contiguous; a row
// of x is n/run runs of run values (a multiple of 8), each skip values
// after the end of the one before. The lanes are then summed in a fixed
// tree (pairs, pairs of pairs, the two halves) and added to c's three
// rows at j..j+3.
TEXT ·dot3(SB), NOSPLIT, $0-80
	MOVQ n+0(FP), CX
	SHLQ $2, CX
	MOVQ y+24(FP), DI
	MOVQ ldy+32(FP), R12
	SHLQ $2, R12
	MOVQ f+40(FP), DX
	SHRQ $2, DX
	MOVQ c+48(FP), R13
	MOVQ ldc+56(FP), AX
	SHLQ $2, AX
	MOVQ run+64(FP), R14
	SHLQ $2, R14
	MOVQ skip+72(FP), R15
	SHLQ $2, R15

group:
	// x's rows start again for each group of y's (SI, R9, R10 move by
	// skip after each run); BX walks x and y alike, R8 is the end of the
	// current run.
	ZERO12
	MOVQ x+8(FP), SI
	MOVQ ldx+16(FP), R9
	SHLQ $2, R9
	MOVQ R9, R10
	ADDQ SI, R9
	ADDQ R9, R10
	LEAQ (DI)(R12*2), R11
	XORQ BX, BX
	MOVQ R14, R8

inner:
	VMOVUPS     (SI)(BX*1), Y12
	VMOVUPS     (R9)(BX*1), Y13
	VMOVUPS     (R10)(BX*1), Y14
	VMOVUPS     (DI)(BX*1), Y15
	VFMADD231PS Y15, Y12, Y0
	VFMADD231PS Y15, Y13, Y4
	VFMADD231PS Y15, Y14, Y8
	ADDQ        R12, DI
	VMOVUPS     (DI)(BX*1), Y15
	VFMADD231PS Y15, Y12, Y1
	VFMADD231PS Y15, Y13, Y5
	VFMADD231PS Y15, Y14, Y9
	VMOVUPS     (R11)(BX*1), Y15
	VFMADD231PS Y15, Y12, Y2
	VFMADD231PS Y15, Y13, Y6
	VFMADD231PS Y15, Y14, Y10
	ADDQ        R12, R11
	VMOVUPS     (R11)(BX*1), Y15
	VFMADD231PS Y15, Y12, Y3
	VFMADD231PS Y15, Y13, Y7
	VFMADD231PS Y15, Y14, Y11
	SUBQ        R12, DI
	SUBQ        R12, R11
	ADDQ        $32, BX
	CMPQ        BX, R8
	JLT         inner
	ADDQ        R15, SI
	ADDQ        R15, R9
	ADDQ        R15, R10
	ADDQ        R14, R8
	CMPQ        BX, CX
	JLT         inner

	// Rows 0 and 1 of x: eight products, c's row 0 then row 1.
	VHADDPS    Y1, Y0, Y0
	VHADDPS    Y3, Y2, Y2
	VHADDPS    Y5, Y4, Y4
	VHADDPS    Y7, Y6, Y6
	VHADDPS    Y2, Y0, Y0
	VHADDPS    Y6, Y4, Y4
	VPERM2F128 $0x20, Y4, Y0, Y1
	VPERM2F128 $0x31, Y4, Y0, Y2
	VADDPS     Y2, Y1, Y1
	VMOVUPS    (R13), X3
	VADDPS     X1, X3, X3
	VMOVUPS    X3, (R13)
	VEXTRACTF128 $1, Y1, X1
	VMOVUPS    (R13)(AX*1), X3
	VADDPS     X1, X3, X3
	VMOVUPS    X3, (R13)(AX*1)

	// Row 2 of x: four products.
	VHADDPS      Y9, Y8, Y8
	VHADDPS      Y11, Y10, Y10
	VHADDPS      Y10, Y8, Y8
	VEXTRACTF128 $1, Y8, X9
	VADDPS       X9, X8, X8
	VMOVUPS      (R13)(AX*2), X3
	VADDPS       X8, X3, X3
	VMOVUPS      X3, (R13)(AX*2)

	ADDQ $16, R13
	LEAQ (DI)(R12*4), DI
	DECQ DX
	JNZ  group

	VZEROUPPER
	RET
