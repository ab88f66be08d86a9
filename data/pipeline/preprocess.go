package pipeline

// preprocessor turns the bytes of a source image into the float32 values
// a network reads: crop, mirror, mean subtraction and scaling in one pass.
type preprocessor struct {
	g geometry

	// Without a mean image, tables[c][b] is the value of byte b in
	// channel c: a lookup is cheaper than the arithmetic.
	tables [][256]float32

	// With a mean image: meanImage (C×H×W) and one scale per channel.
	meanImage []float32
	scale     []float32
}

// newPreprocessor prepares the per-channel tables of a checked config.
func newPreprocessor(g geometry, cfg Config) *preprocessor {
	p := &preprocessor{g: g, scale: perChannel(cfg.Scale, g.c, 1)}
	if cfg.MeanImage != nil {
		p.meanImage = append([]float32(nil), cfg.MeanImage...)
		return p
	}

	mean := perChannel(cfg.Mean, g.c, 0)
	p.tables = make([][256]float32, g.c)
	for c := range p.tables {
		for b := range 256 {
			p.tables[c][b] = float32((float64(b) - float64(mean[c])) * float64(p.scale[c]))
		}
	}
	return p
}

// sample writes image pix (C×H×W bytes) into dst (C×ch×cw), preprocessed:
// the crop whose top-left corner is (oy, ox) in the padded image, mirrored
// left to right when mirror is set.
func (p *preprocessor) sample(dst []float32, pix []byte, oy, ox int, mirror bool) {
	g := p.g
	plane, out := g.h*g.w, g.ch*g.cw

	// Crop columns [x0, x1) come from the image, from image column
	// start+x0 on; the others are padding. Mirrored, they land on output
	// columns [cw-x1, cw-x0), in reverse.
	start := ox - g.pad
	x0 := max(0, -start)
	x1 := min(g.cw, g.w-start)
	lo, hi := x0, x1
	if mirror {
		lo, hi = g.cw-x1, g.cw-x0
	}

	for c := range g.c {
		src := pix[c*plane : (c+1)*plane]
		dstC := dst[c*out : (c+1)*out]
		for y := range g.ch {
			row := dstC[y*g.cw : (y+1)*g.cw]
			sy := oy - g.pad + y
			if sy < 0 || sy >= g.h || x1 <= x0 {
				clear(row)
				continue
			}
			clear(row[:lo])
			clear(row[hi:])
			first := sy*g.w + start + x0
			seg := src[first : first+x1-x0]
			if p.meanImage != nil {
				mean := p.meanImage[c*plane+first : c*plane+first+len(seg)]
				subtract(row[lo:hi], seg, mean, p.scale[c], mirror)
			} else {
				lookup(row[lo:hi], seg, &p.tables[c], mirror)
			}
		}
	}
}

// lookup sets dst[i] to t[src[i]], or to t[src[n-1-i]] when reverse is set.
func lookup(dst []float32, src []byte, t *[256]float32, reverse bool) {
	src = src[:len(dst)]
	if !reverse {
		for i, b := range src {
			dst[i] = t[b]
		}
		return
	}
	n := len(src)
	for i := range dst {
		dst[i] = t[src[n-1-i]]
	}
}

// subtract sets dst[i] to (src[i] - mean[i]) × scale, taking src and mean
// from the other end when reverse is set.
func subtract(dst []float32, src []byte, mean []float32, scale float32, reverse bool) {
	src = src[:len(dst)]
	mean = mean[:len(dst)]
	if !reverse {
		for i, b := range src {
			dst[i] = (float32(b) - mean[i]) * scale
		}
		return
	}
	n := len(src)
	for i := range dst {
		dst[i] = (float32(src[n-1-i]) - mean[n-1-i]) * scale
	}
}
