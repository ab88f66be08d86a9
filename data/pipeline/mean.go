package pipeline

import "fmt"

// meanChunk is how many records Means reads at a time.
const meanChunk = 256

// Means reads every image of src once, in order, and returns their mean,
// C×H×W in byte units, for [Config.MeanImage], and the mean of each
// channel, for [Config.Mean].
func Means(src Source) (image, channels []float32, err error) {
	shape := src.ImageShape()
	size, rec, n := shape.Size(), src.RecordSize(), src.Len()
	if n < 1 {
		return nil, nil, configErrorf("means: the source is empty")
	}

	// Sums of bytes are exact in float64 up to 2^53 / 255 images.
	sum := make([]float64, size)
	buf := make([]byte, meanChunk*rec)
	for first := 0; first < n; first += meanChunk {
		count := min(meanChunk, n-first)
		if err := src.ReadRecords(first, count, buf[:count*rec]); err != nil {
			return nil, nil, fmt.Errorf("pipeline: means: %w", err)
		}
		for i := range count {
			pix, _, err := src.Decode(first+i, buf[i*rec:(i+1)*rec])
			if err == nil && len(pix) != size {
				err = fmt.Errorf("sample %d has %d pixel bytes, want %d", first+i, len(pix),
					size)
			}
			if err != nil {
				return nil, nil, fmt.Errorf("pipeline: means: %w", err)
			}
			for j, b := range pix {
				sum[j] += float64(b)
			}
		}
	}

	image = make([]float32, size)
	channels = make([]float32, shape[0])
	plane := size / shape[0]
	for j, s := range sum {
		image[j] = float32(s / float64(n))
	}
	for c := range channels {
		var s float64
		for _, v := range sum[c*plane : (c+1)*plane] {
			s += v
		}
		channels[c] = float32(s / float64(n) / float64(plane))
	}
	return image, channels, nil
}
