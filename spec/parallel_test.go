package spec

import (
	"errors"
	"strings"
	"testing"
)

// twoColumns is a small spec for the model-parallel framework: two groups of
// two workers, split explicitly. Its lines:
//
//	1 name   2 parallel   3 data   4 format   5 model   6 layers   7 fc1
//	8 relu   9 fc2   10 loss   11 solver   12 lr   13 train   14 batch
//	15 epochs
const twoColumns = `name: t
parallel: {groups: 2, workers: 2, split: explicit}
data:
  format: mnist
model:
  layers:
    - {name: fc1, type: fc, outputs: 10}
    - {name: relu, type: relu}
    - {name: fc2, type: fc, outputs: 10, partition: 1}
    - {name: loss, type: softmax_loss}
solver:
  lr: 0.1
train:
  batch: 8
  epochs: 1
`

func TestParallelDefaultsAndExplicitPartitions(t *testing.T) {
	s := mustParse(t, "t.yaml", twoColumns)
	want := Parallel{Devices: 1, Exchange: ExchangeAuto, Groups: 2, Workers: 2,
		Split: SplitExplicit}
	if s.Parallel != want {
		t.Errorf("parallel %+v, want %+v", s.Parallel, want)
	}
	if s.Parallel.Replicas() != 2 {
		t.Errorf("Replicas() = %d, want 2", s.Parallel.Replicas())
	}

	// A layer without a key follows the layer above it.
	for i, p := range []int{0, 0, 1, 1} {
		l := s.Model.Layers[i]
		if !l.HasPartition || l.Partition != p {
			t.Errorf("%s: partition %d (set %v), want %d", l.Name, l.Partition,
				l.HasPartition, p)
		}
	}
	roundTrip(t, s)

	// Columns keep the keys that were written, and only those.
	src := replaceOnce(t, twoColumns, "split: explicit", "split: columns, exchange: tree")
	s = mustParse(t, "t.yaml", src)
	if s.Parallel.Exchange != ExchangeTree || s.Parallel.Split != SplitColumns {
		t.Errorf("parallel %+v", s.Parallel)
	}
	for i, l := range s.Model.Layers {
		if l.HasPartition != (i == 2) || l.Partition != map[bool]int{true: 1}[i == 2] {
			t.Errorf("%s: partition %d (set %v)", l.Name, l.Partition, l.HasPartition)
		}
	}
	roundTrip(t, s)

	// The data-parallel framework's form.
	src = edit(t, "name: t\n", "name: t\nparallel: {devices: 4, exchange: chain}\n")
	s = mustParse(t, "t.yaml", src)
	want = Parallel{Devices: 4, Exchange: ExchangeChain, Groups: 1, Workers: 1,
		Split: SplitNone}
	if s.Parallel != want || s.Parallel.Replicas() != 4 {
		t.Errorf("parallel %+v, want %+v", s.Parallel, want)
	}
	roundTrip(t, s)
}

func TestParallelErrors(t *testing.T) {
	tests := []struct {
		name  string
		edits []string // old, new, ... applied to twoColumns
		want  string
		kind  error
	}{
		{
			name:  "devices and workers",
			edits: []string{"{groups: 2, workers: 2, split: explicit}", "{devices: 2, workers: 2}"},
			want: "spec: t.yaml:2:33: parallel.workers: devices 2 asks for the data-parallel " +
				"framework and workers 2 for the model-parallel one; give devices, or groups " +
				"and workers (groups: 2, workers: 1 is data parallelism too)",
			kind: ErrConflict,
		},
		{
			name:  "workers without a split",
			edits: []string{", split: explicit", "", ", partition: 1", ""},
			want: "spec: t.yaml:2:1: parallel.split: required with workers 2: columns (cut " +
				"conv and fc layers by channels) or explicit (each layer's partition key)",
			kind: ErrMissing,
		},
		{
			name: "split with one worker",
			edits: []string{"workers: 2, split: explicit", "workers: 1, split: columns",
				", partition: 1", ""},
			want: "spec: t.yaml:2:42: parallel.split: split columns cuts the network among a " +
				"group's workers, but workers is 1; set workers, or split none",
			kind: ErrConflict,
		},
		{
			name:  "split none with workers",
			edits: []string{"split: explicit", "split: none", ", partition: 1", ""},
			want:  "spec: t.yaml:2:42: parallel.split: workers 2 need a split: columns or explicit",
			kind:  ErrValue,
		},
		{
			name:  "unknown split",
			edits: []string{"split: explicit", "split: column"},
			want: "spec: t.yaml:2:42: parallel.split: want one of none, columns, explicit, " +
				"got \"column\"; did you mean columns?",
			kind: ErrValue,
		},
		{
			name:  "unknown exchange",
			edits: []string{"split: explicit", "split: explicit, exchange: rings"},
			want: "spec: t.yaml:2:62: parallel.exchange: want one of auto, chain, ring, tree, " +
				"central, got \"rings\"; did you mean ring?",
			kind: ErrValue,
		},
		{
			name:  "typo of a key",
			edits: []string{"workers: 2", "worker: 2", ", partition: 1", ""},
			want:  "spec: t.yaml:2:23: parallel.worker: unknown key; did you mean workers?",
			kind:  ErrUnknownKey,
		},
		{
			name: "no devices",
			edits: []string{"{groups: 2, workers: 2, split: explicit}", "{devices: 0}",
				", partition: 1", ""},
			want: "spec: t.yaml:2:21: parallel.devices: want an integer from 1 to 1024, got 0",
			kind: ErrValue,
		},
		{
			name:  "partition without a split",
			edits: []string{"parallel: {groups: 2, workers: 2, split: explicit}\n", ""},
			want: "spec: t.yaml:8:53: model.layers[2].partition: a partition key needs " +
				"parallel.split explicit or columns",
			kind: ErrConflict,
		},
		{
			name:  "partition beyond the workers",
			edits: []string{"partition: 1", "partition: 2"},
			want: "spec: t.yaml:9:53: model.layers[2].partition: want a partition below " +
				"workers 2, got 2",
			kind: ErrValue,
		},
		{
			name:  "negative partition",
			edits: []string{"partition: 1", "partition: -1"},
			want: "spec: t.yaml:9:53: model.layers[2].partition: want a non-negative " +
				"integer, got -1",
			kind: ErrValue,
		},
		{
			name:  "an empty partition",
			edits: []string{"workers: 2", "workers: 3"},
			want: "spec: t.yaml:2:32: parallel.workers: 3 workers, but no layer is in " +
				"partition 2; give a layer partition: 2, or fewer workers",
			kind: ErrValue,
		},
		{
			name:  "batch that does not split",
			edits: []string{"groups: 2", "groups: 3"},
			want: "spec: t.yaml:2:20: parallel.groups: train.batch 8 does not split into 3 " +
				"equal shares, one per replica",
			kind: ErrValue,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := twoColumns
			for i := 0; i+1 < len(tt.edits); i += 2 {
				src = replaceOnce(t, src, tt.edits[i], tt.edits[i+1])
			}
			_, err := Parse("t.yaml", []byte(src))
			if err == nil {
				t.Fatalf("Parse succeeded, want %s\nspec:\n%s", tt.want, src)
			}
			if err.Error() != tt.want {
				t.Fatalf("error\n%s\nwant\n%s\nspec:\n%s", err, tt.want, src)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error is not %v", tt.kind)
			}
		})
	}
}

// replaceOnce replaces old by new once in src, failing the test when old is
// not there, so that a case cannot silently test the unedited spec.
func replaceOnce(t *testing.T, src, old, new string) string {
	t.Helper()
	if !strings.Contains(src, old) {
		t.Fatalf("%q is not in the spec", old)
	}
	return strings.Replace(src, old, new, 1)
}
