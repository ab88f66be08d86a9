package data

import (
	"fmt"
	"strconv"
	"strings"
)

// Position is where a [Loader] stands: the next mini-batch it delivers is
// batch Batch (counting from 0) of epoch Epoch (counting from 0). Batch is
// always below the loader's batches per epoch, so the end of one epoch and
// the start of the next are the same Position.
type Position struct {
	Epoch int
	Batch int
}

// String formats p for people, as "epoch 3 batch 17".
func (p Position) String() string {
	return fmt.Sprintf("epoch %d batch %d", p.Epoch, p.Batch)
}

// MarshalText formats p as "3:17", the form checkpoints store.
func (p Position) MarshalText() ([]byte, error) {
	return []byte(strconv.Itoa(p.Epoch) + ":" + strconv.Itoa(p.Batch)), nil
}

// UnmarshalText parses the form MarshalText writes.
func (p *Position) UnmarshalText(text []byte) error {
	epoch, batch, ok := strings.Cut(string(text), ":")
	e, err1 := strconv.Atoi(epoch)
	b, err2 := strconv.Atoi(batch)
	if !ok || err1 != nil || err2 != nil || e < 0 || b < 0 {
		return configErrorf("position %q: want EPOCH:BATCH, two non-negative integers", text)
	}
	*p = Position{Epoch: e, Batch: b}
	return nil
}
