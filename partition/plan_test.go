package partition

import (
	"errors"
	"strings"
	"testing"

	"github.com/mariana-dl/mariana/model"
	"github.com/mariana-dl/mariana/spec"
)

// tinyNet is small enough to work its plan out by hand; see
// TestPlanFigures.
const tinyNet = `name: tiny
data:
  format: random
  random: {train: 8, shape: [2, 4, 4], classes: 6}
model:
  layers:
    - {name: conv1, type: conv, filters: 4, kernel: 3, pad: 1}
    - {name: relu1, type: relu}
    - {name: fc1, type: fc, outputs: 6}
    - {name: loss, type: softmax_loss}
solver: {lr: 0.1}
train: {batch: 4, epochs: 1}
`

func plan(t *testing.T, src string, cfg Config) (*Plan, error) {
	t.Helper()
	s := parse(t, src)
	g, err := model.FromSpec(s)
	if err != nil {
		t.Fatal(err)
	}
	return NewPlan(s, g, cfg)
}

// TestPlanFigures checks the plan of a two-column tiny network against
// figures worked out by hand.
//
// conv1 (4 filters 3×3 over 2 channels, 4×4 output) becomes two columns of
// 2 filters: 2·2·9 weights and 2 biases, 38 values or 152 bytes each, and
// 2·(2·18·16) + 2·16 = 1,184 FLOPs per sample. relu1 follows each column.
// fc1 (6 outputs over 64 inputs) becomes two columns of 3 outputs reading
// the whole of relu1: 3·64 + 3 = 195 values (780 bytes), 2·64·3 = 384
// FLOPs. Partition 0 also holds the loss, reading the whole of fc1.
//
// Activations per sample, in bytes: partition 0 holds conv1[0] and
// relu1[0] (2·16 values, 128 bytes each), the concat of relu1 (256), fc1[0]
// (12), the concat of fc1 (24) and the loss (4): 552; it receives relu1[1]
// (128) and fc1[1] (12). Partition 1 holds conv1[1], relu1[1], the concat
// of relu1 and fc1[1]: 524, and receives relu1[0] (128).
func TestPlanFigures(t *testing.T) {
	p, err := plan(t, tinyNet, Config{Groups: 1, Workers: 2, Split: spec.SplitColumns})
	if err != nil {
		t.Fatal(err)
	}
	want := []PartitionPlan{
		{Layers: []string{"conv1[0]", "relu1[0]", "fc1[0]", "loss"}, ParamBytes: 152 + 780,
			ActivationBytes: 552, TransferBytes: 140, FLOPs: 1184 + 384},
		{Layers: []string{"conv1[1]", "relu1[1]", "fc1[1]"}, ParamBytes: 152 + 780,
			ActivationBytes: 524, TransferBytes: 128, FLOPs: 1184 + 384},
	}
	for k, w := range want {
		got := p.Partitions[k]
		if strings.Join(got.Layers, " ") != strings.Join(w.Layers, " ") ||
			got.ParamBytes != w.ParamBytes || got.ActivationBytes != w.ActivationBytes ||
			got.TransferBytes != w.TransferBytes || got.FLOPs != w.FLOPs {
			t.Errorf("partition %d:\n got %+v\nwant %+v", k, got, w)
		}
	}
	wantT := []TransferPlan{
		{Name: "relu1[1]>0", From: 1, To: 0, Source: "relu1[1]", Lo: 0, Hi: 2,
			SourceChannels: 2, Reader: "fc1[0]", Bytes: 128, Backward: true},
		{Name: "relu1[0]>1", From: 0, To: 1, Source: "relu1[0]", Lo: 0, Hi: 2,
			SourceChannels: 2, Reader: "fc1[1]", Bytes: 128, Backward: true},
		{Name: "fc1[1]>0", From: 1, To: 0, Source: "fc1[1]", Lo: 0, Hi: 3,
			SourceChannels: 3, Reader: "loss", Bytes: 12, Backward: true},
	}
	if len(p.Transfers) != len(wantT) {
		t.Fatalf("transfers %+v, want %+v", p.Transfers, wantT)
	}
	for i, w := range wantT {
		if p.Transfers[i] != w {
			t.Errorf("transfer %d:\n got %+v\nwant %+v", i, p.Transfers[i], w)
		}
	}
	if p.LossPartition != 0 {
		t.Errorf("loss on partition %d", p.LossPartition)
	}

	text := p.String()
	for _, line := range []string{
		"plan: 1 group(s) of 2 worker(s), split columns; the loss on partition 0",
		"0               4       932 B         552 B            140 B         1.6 k",
		"partition 1: conv1[1] relu1[1] fc1[1]",
		"  1 -> 0  fc1[1] channels 0:3 of 3  12 B  for loss",
	} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("the table lacks the line %q:\n%s", line, text)
		}
	}
}

// TestPlanOfOneWorker checks that without a split the plan is the whole
// network on one partition, with no transfers and the whole network's
// figures.
func TestPlanOfOneWorker(t *testing.T) {
	p, err := plan(t, tinyNet, Config{Groups: 2, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	pp := p.Partitions[0]
	if len(p.Partitions) != 1 || len(p.Transfers) != 0 || pp.ParamBytes != 304+1560 ||
		pp.FLOPs != 2368+768 || pp.ActivationBytes != 256+256+24+4 {
		t.Errorf("plan %+v", p)
	}
	if !strings.Contains(p.String(), "no transfers\n") {
		t.Errorf("table:\n%s", p)
	}
}

func TestImpossibleSplitsNameTheLayer(t *testing.T) {
	for _, tc := range []struct {
		name    string
		edit    [2]string
		workers int
		assign  map[string]int
		want    string
	}{
		{"odd filters", [2]string{"filters: 4", "filters: 5"}, 2, nil,
			"spec: test.yaml:7:7: model.layers[0]: partition: conv1: 2 columns do not " +
				"divide filters 5; give the layer a partition key to keep it whole"},
		{"fc outputs", [2]string{"filters: 4", "filters: 8"}, 4, nil,
			"spec: test.yaml:9:7: model.layers[2]: partition: fc1: 4 columns do not " +
				"divide outputs 6; give the layer a partition key to keep it whole"},
		{"groups", [2]string{"pad: 1}", "pad: 1, groups: 2}"}, 4, map[string]int{"fc1": 0},
			""},
		{"groups that do not fit", [2]string{"filters: 4, kernel: 3, pad: 1}",
			"filters: 6, kernel: 3, pad: 1, groups: 2}"}, 3, map[string]int{"fc1": 0},
			"spec: test.yaml:7:7: model.layers[0]: partition: conv1: groups 2 and 3 " +
				"columns: one must divide the other"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(tinyNet, tc.edit[0], tc.edit[1], 1)
			_, err := plan(t, src, Config{Groups: 1, Workers: tc.workers,
				Split: spec.SplitColumns, Assign: tc.assign})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("got %v, want %s", err, tc.want)
			}
			if !errors.Is(err, ErrSplit) {
				t.Errorf("%v is not ErrSplit", err)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Groups: 0, Workers: 1}, "0 groups of 1 workers"},
		{Config{Groups: 1, Workers: 2}, "2 workers need split columns or explicit"},
		{Config{Groups: 1, Workers: 2, Split: "rows"}, `unknown split "rows"`},
		{Config{Groups: 1, Workers: 2, Split: spec.SplitExplicit,
			Assign: map[string]int{"fc9": 1}}, `assignment of "fc9", which is no layer`},
		{Config{Groups: 1, Workers: 2, Split: spec.SplitExplicit,
			Assign: map[string]int{"fc1": 2}}, "fc1 assigned to partition 2 of 2"},
		{Config{Groups: 1, Workers: 3, Split: spec.SplitExplicit,
			Assign: map[string]int{"fc1": 2}}, "no layer is in partition 1 of 3"},
	} {
		_, err := plan(t, tinyNet, tc.cfg)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want ErrConfig saying %q", tc.cfg, err, tc.want)
		}
	}
}

// TestExplicitPlanFollowsTheSpec checks that FromSpec reads the spec's
// partitions, and that a layer without a key follows the layer above it.
func TestExplicitPlanFollowsTheSpec(t *testing.T) {
	s := parse(t, explicitNet)
	cfg := FromSpec(s)
	if cfg.Groups != 1 || cfg.Workers != 2 || cfg.Split != spec.SplitExplicit {
		t.Fatalf("config %+v", cfg)
	}
	p, err := plan(t, explicitNet, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"conv1 relu1 right fc1 drop loss", "left mid cat lrn pool fc2"}
	for k, w := range want {
		if got := strings.Join(p.Partitions[k].Layers, " "); got != w {
			t.Errorf("partition %d: %s, want %s", k, got, w)
		}
	}
	// relu1 travels once per reader on partition 1, so that its gradient
	// sums its readers in the whole network's order.
	var names []string
	for _, tr := range p.Transfers {
		names = append(names, tr.Name)
	}
	if got := strings.Join(names, " "); got != "relu1>1 relu1>1 right>1 pool>0 drop>1 fc2>0" {
		t.Errorf("transfers %s", got)
	}
}
