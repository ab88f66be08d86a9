package pipeline

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"
)

// The stages, in the order batches pass through them.
const (
	stageRead = iota
	stagePreprocess
	stageTrain
	stageCount
)

var stageNames = [stageCount]string{"read", "preprocess", "train"}

// StageCounters is what one stage has done since the pipeline was made.
type StageCounters struct {
	// Name is "read", "preprocess" or "train".
	Name string

	// Batches is the number of mini-batches the stage finished.
	Batches int64

	// Bytes is what the stage handled: record bytes read from the files
	// (read), float32 bytes made (preprocess) or taken (train).
	Bytes int64

	// Busy is the time the stage spent working: reading, preprocessing,
	// or, for train, the time between calls to Next.
	Busy time.Duration

	// WaitInput is the time the stage waited for a batch from the stage
	// before it (train: inside Next).
	WaitInput time.Duration

	// WaitOutput is the time the stage was blocked because the stage after
	// it had not taken its batches yet: the queue was full or no buffer
	// was free.
	WaitOutput time.Duration

	// Queued is the number of batches in the stage's output queue at the
	// moment the counters were read; always 0 for train.
	Queued int
}

// Utilisation returns the share of the stage's time it was busy, from 0 to
// 1, or 0 before it has done anything.
func (s StageCounters) Utilisation() float64 {
	total := s.Busy + s.WaitInput + s.WaitOutput
	if total <= 0 {
		return 0
	}
	return float64(s.Busy) / float64(total)
}

// Counters is a snapshot of the counters of every stage.
type Counters struct {
	Read, Preprocess, Train StageCounters
}

// Stages returns the three stages in pipeline order.
func (c Counters) Stages() [stageCount]StageCounters {
	return [stageCount]StageCounters{c.Read, c.Preprocess, c.Train}
}

// Bottleneck returns the name of the stage that limits the throughput: the
// one busy for the largest share of its time. When the pipeline keeps up,
// that is "train".
func (c Counters) Bottleneck() string {
	best := c.Train
	for _, s := range c.Stages() {
		if s.Utilisation() > best.Utilisation() {
			best = s
		}
	}
	return best.Name
}

// String formats the counters as a table, one line per stage.
func (c Counters) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-10s %8s %10s %10s %10s %10s %6s %6s\n", "stage", "batches", "MB",
		"busy", "wait-in", "wait-out", "busy%", "queued")
	for _, s := range c.Stages() {
		fmt.Fprintf(&b, "%-10s %8d %10.1f %9.3fs %9.3fs %9.3fs %5.1f%% %6d\n", s.Name,
			s.Batches, float64(s.Bytes)/1e6, s.Busy.Seconds(), s.WaitInput.Seconds(),
			s.WaitOutput.Seconds(), 100*s.Utilisation(), s.Queued)
	}
	fmt.Fprintf(&b, "bottleneck: %s", c.Bottleneck())
	return b.String()
}

// stageStats are the live counters of one stage, updated by its goroutine
// and read by anyone.
type stageStats struct {
	batches, bytes        atomic.Int64
	busy, waitIn, waitOut atomic.Int64 // nanoseconds
}

// snapshot reads the counters.
func (s *stageStats) snapshot(name string, queued int) StageCounters {
	return StageCounters{
		Name:       name,
		Batches:    s.batches.Load(),
		Bytes:      s.bytes.Load(),
		Busy:       time.Duration(s.busy.Load()),
		WaitInput:  time.Duration(s.waitIn.Load()),
		WaitOutput: time.Duration(s.waitOut.Load()),
		Queued:     queued,
	}
}

// clock measures consecutive intervals of a stage's time.
type clock struct{ last time.Time }

// lap adds the time since the last lap to *into.
func (c *clock) lap(into *atomic.Int64) {
	now := time.Now()
	into.Add(int64(now.Sub(c.last)))
	c.last = now
}
