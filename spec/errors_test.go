package spec

import (
	"errors"
	"strings"
	"testing"
)

// base is a small valid spec that the error cases edit. Its lines:
//
//	1 name   2 data   3 format   4 model   5 layers   6 fc1   7 loss
//	8 solver   9 lr   10 train   11 batch   12 epochs
const base = `name: t
data:
  format: mnist
model:
  layers:
    - {name: fc1, type: fc, outputs: 10}
    - {name: loss, type: softmax_loss}
solver:
  lr: 0.1
train:
  batch: 8
  epochs: 1
`

// edit returns base with each pair of old, new replaced once; it fails the
// test when an old text is not there, so a case cannot silently test base.
func edit(t *testing.T, pairs ...string) string {
	t.Helper()
	src := base
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(src, pairs[i]) {
			t.Fatalf("edit: %q is not in the base spec", pairs[i])
		}
		src = strings.Replace(src, pairs[i], pairs[i+1], 1)
	}
	return src
}

func TestBaseParses(t *testing.T) {
	if _, err := Parse("t.yaml", []byte(base)); err != nil {
		t.Fatal(err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		edits []string // old, new, ...; or the whole file when src is set
		src   string
		want  string  // the error text, one problem per line
		kinds []error // the Kind of each problem, in order
	}{
		// Syntax and documents.
		{
			name:  "yaml syntax",
			edits: []string{"  lr: 0.1", "  lr: [0.1"},
			want:  "spec: t.yaml:9: did not find expected ',' or ']'",
			kinds: []error{ErrSyntax},
		},
		{
			name:  "tab indentation",
			edits: []string{"  batch: 8", "\tbatch: 8"},
			want: "spec: t.yaml:11: found character that cannot start any token " +
				"(the line is indented with a tab; YAML indents with spaces)",
			kinds: []error{ErrSyntax},
		},
		{
			name: "empty file",
			src:  "",
			want: "spec: t.yaml: the file is empty; want a mapping with the sections name, data, " +
				"model, solver and train",
			kinds: []error{ErrSyntax},
		},
		{
			name: "comments only",
			src:  "# nothing here\n",
			want: "spec: t.yaml: the file is empty; want a mapping with the sections name, data, " +
				"model, solver and train",
			kinds: []error{ErrSyntax},
		},
		{
			name:  "two documents",
			src:   base + "---\nname: u\n",
			want:  "spec: t.yaml:13:1: a second YAML document starts here; a spec is one document",
			kinds: []error{ErrDocuments},
		},
		{
			name: "root is a list",
			src:  "- name: t\n",
			want: "spec: t.yaml:1:1: want a mapping with the sections name, data, model, solver " +
				"and train, got a list",
			kinds: []error{ErrType},
		},
		{
			name:  "alias cycle",
			edits: []string{"name: t\n", "name: t\nx: &a [*a]\n"},
			want:  "spec: t.yaml:2:8: alias *a refers to a node that contains it",
			kinds: []error{ErrSyntax},
		},

		// Unknown keys.
		{
			name:  "unknown top-level key suggests the closest",
			edits: []string{"name: t\n", "name: t\nseeed: 3\n"},
			want:  "spec: t.yaml:2:1: seeed: unknown key; did you mean seed?",
			kinds: []error{ErrUnknownKey},
		},
		{
			name:  "unknown key far from any lists the keys",
			edits: []string{"  lr: 0.1", "  lr: 0.1\n  zzz: 1"},
			want: "spec: t.yaml:10:3: solver.zzz: unknown key; want one of method, lr, " +
				"momentum, weight_decay, lr_policy",
			kinds: []error{ErrUnknownKey},
		},
		{
			name:  "layer key suggestion",
			edits: []string{"outputs: 10}", "outputs: 10, wieght_fill: he}"},
			want: "spec: t.yaml:6:42: model.layers[0].wieght_fill: unknown key; did you mean " +
				"weight_fill?",
			kinds: []error{ErrUnknownKey},
		},
		{
			name:  "augment crop larger than the padded image",
			edits: []string{"  format: mnist", "  format: mnist\n  augment: {crop: 33, pad: 2}"},
			want: "spec: t.yaml:4:19: data.augment.crop: crop 33 is larger than the 28×28 " +
				"image padded by 2",
			kinds: []error{ErrValue},
		},
		{
			name:  "augment key misspelt",
			edits: []string{"  format: mnist", "  format: mnist\n  augment: {mirorr: true}"},
			want:  "spec: t.yaml:4:13: data.augment.mirorr: unknown key; did you mean mirror?",
			kinds: []error{ErrUnknownKey},
		},
		{
			name:  "pipeline threads out of range",
			edits: []string{"  format: mnist", "  format: mnist\n  pipeline: {threads: 0}"},
			want: "spec: t.yaml:4:23: data.pipeline.threads: want an integer from 1 to 256, " +
				"got 0",
			kinds: []error{ErrValue},
		},
		{
			name: "augment on random data",
			src: strings.Replace(base, "  format: mnist",
				"  format: random\n  random: {train: 10, shape: [4], classes: 10}\n"+
					"  augment: {mirror: true}", 1),
			want:  "spec: t.yaml:5:3: data.augment: format random has no images to augment",
			kinds: []error{ErrUnknownKey},
		},
		{
			name:  "field of another layer type",
			edits: []string{"outputs: 10}", "outputs: 10, kernel_h: 3}"},
			want:  "spec: t.yaml:6:42: model.layers[0].kernel_h: not a field of layer type fc",
			kinds: []error{ErrUnknownKey},
		},
		{
			name:  "typo of another layer type's field",
			edits: []string{"outputs: 10}", "outputs: 10, kernal: 3}"},
			want: "spec: t.yaml:6:42: model.layers[0].kernal: unknown key; did you mean " +
				"kernel? (not a field of layer type fc either)",
			kinds: []error{ErrUnknownKey},
		},
		{
			name:  "fill field its type does not use",
			edits: []string{"outputs: 10}", "outputs: 10, weight_fill: {type: xavier, std: 1}}"},
			want: "spec: t.yaml:6:70: model.layers[0].weight_fill.std: not used by fill type " +
				"xavier",
			kinds: []error{ErrUnknownKey},
		},
		{
			name:  "solver field its method does not use",
			edits: []string{"  lr: 0.1", "  method: adagrad\n  lr: 0.1\n  momentum: 0.9"},
			want:  "spec: t.yaml:11:3: solver.momentum: not used by method adagrad",
			kinds: []error{ErrUnknownKey},
		},
		{
			name: "policy field its type does not use",
			edits: []string{
				"  lr: 0.1",
				"  lr: 0.1\n  lr_policy: {type: exp, gamma: 0.9, power: 1}",
			},
			want:  "spec: t.yaml:10:38: solver.lr_policy.power: not used by policy exp",
			kinds: []error{ErrUnknownKey},
		},
		{
			name:  "data field its format does not use",
			edits: []string{"  format: mnist", "  format: mnist\n  random: {train: 1, classes: 2}"},
			want:  "spec: t.yaml:4:3: data.random: used only by format random",
			kinds: []error{ErrUnknownKey},
		},
		{
			name: "merge key",
			edits: []string{
				"{name: loss, type: softmax_loss}",
				"{<<: {a: 1}, name: loss, type: softmax_loss}",
			},
			want: "spec: t.yaml:7:8: model.layers[1].<<: merge keys (<<) are not supported; " +
				"write the fields out",
			kinds: []error{ErrUnknownKey},
		},

		// Duplicates.
		{
			name:  "duplicate key",
			edits: []string{"  epochs: 1", "  epochs: 1\n  batch: 9"},
			want:  "spec: t.yaml:13:3: train.batch: duplicate key; first given at line 11",
			kinds: []error{ErrDuplicateKey},
		},
		{
			name:  "duplicate layer name",
			edits: []string{"{name: loss, type: softmax_loss}", "{name: fc1, type: softmax_loss}"},
			want: "spec: t.yaml:7:14: model.layers[1].name: layer name \"fc1\" is already taken " +
				"by model.layers[0] (line 6)",
			kinds: []error{ErrDuplicateName},
		},

		// Types.
		{
			name:  "word for an integer",
			edits: []string{"outputs: 10", "outputs: ten"},
			want: "spec: t.yaml:6:38: model.layers[0].outputs: want a positive integer, got " +
				"\"ten\"",
			kinds: []error{ErrType},
		},
		{
			name:  "fraction for an integer",
			edits: []string{"  batch: 8", "  batch: 8.5"},
			want:  "spec: t.yaml:11:10: train.batch: want a positive integer, got 8.5",
			kinds: []error{ErrType},
		},
		{
			name:  "list for a mapping",
			edits: []string{"solver:\n  lr: 0.1", "solver: [0.1]"},
			want: "spec: t.yaml:8:9: solver: want a mapping with method, lr, momentum, ..., got " +
				"a list",
			kinds: []error{ErrType},
		},
		{
			name:  "number for a name",
			edits: []string{"name: t", "name: 12"},
			want: "spec: t.yaml:1:7: name: want a job name, got 12 (quote it to mean the text: " +
				"\"12\")",
			kinds: []error{ErrType},
		},
		{
			name:  "word for a boolean",
			edits: []string{"outputs: 10}", "outputs: 10, bias: yes}"},
			want:  "spec: t.yaml:6:48: model.layers[0].bias: want true or false, got \"yes\"",
			kinds: []error{ErrType},
		},
		{
			name:  "null for a number",
			edits: []string{"  lr: 0.1", "  lr:"},
			want:  "spec: t.yaml:9:6: solver.lr: want a number, got nothing (null)",
			kinds: []error{ErrType},
		},
		{
			name:  "scalar for inputs",
			edits: []string{"type: softmax_loss}", "type: softmax_loss, inputs: fc1}"},
			want: "spec: t.yaml:7:48: model.layers[1].inputs: want a list of layer names such as " +
				"[conv1, conv2], got \"fc1\"",
			kinds: []error{ErrType},
		},

		// Values.
		{
			name:  "negative size",
			edits: []string{"outputs: 10", "outputs: -10"},
			want:  "spec: t.yaml:6:38: model.layers[0].outputs: want a positive integer, got -10",
			kinds: []error{ErrValue},
		},
		{
			name:  "lr not positive",
			edits: []string{"  lr: 0.1", "  lr: 0"},
			want:  "spec: t.yaml:9:7: solver.lr: must be a finite number > 0, got 0",
			kinds: []error{ErrValue},
		},
		{
			name:  "momentum outside [0, 1)",
			edits: []string{"  lr: 0.1", "  lr: 0.1\n  momentum: 1"},
			want:  "spec: t.yaml:10:13: solver.momentum: must be in [0, 1), got 1",
			kinds: []error{ErrValue},
		},
		{
			name:  "unknown enum word",
			edits: []string{"format: mnist", "format: minst"},
			want: "spec: t.yaml:3:11: data.format: want one of mnist, cifar10, random, got " +
				"\"minst\"; did you mean mnist?",
			kinds: []error{ErrValue},
		},
		{
			name:  "infinite number",
			edits: []string{"  lr: 0.1", "  lr: .inf"},
			want: "spec: t.yaml:9:7: solver.lr: want a number, got .inf, which is not a finite " +
				"number",
			kinds: []error{ErrValue},
		},
		{
			name:  "number beyond float32",
			edits: []string{"  lr: 0.1", "  lr: 1e39"},
			want: "spec: t.yaml:9:7: solver.lr: want a number, got 1e39, beyond the range of " +
				"float32",
			kinds: []error{ErrValue},
		},
		{
			name:  "integer beyond its range",
			edits: []string{"  batch: 8", "  batch: 99999999999"},
			want: "spec: t.yaml:11:10: train.batch: want a positive integer no larger than " +
				"2147483647, got 99999999999",
			kinds: []error{ErrValue},
		},
		{
			name:  "bad job name",
			edits: []string{"name: t", "name: my job"},
			want: "spec: t.yaml:1:7: name: want up to 100 letters, digits, '.', '_' or '-' (it " +
				"names folders), got \"my job\"",
			kinds: []error{ErrValue},
		},
		{
			name: "reserved layer name",
			edits: []string{
				"name: fc1, type: fc",
				"name: data, type: fc",
				"    - {name: loss",
				"    - {name: loss, inputs: [data, label]",
			},
			want: "spec: t.yaml:6:14: model.layers[0].name: \"data\" is reserved for the input " +
				"samples; choose another name",
			kinds: []error{ErrValue},
		},
		{
			name: "groups must divide filters",
			edits: []string{
				"{name: fc1, type: fc, outputs: 10}",
				"{name: fc1, type: conv, filters: 10, kernel: 3, groups: 3}",
			},
			want:  "spec: t.yaml:6:63: model.layers[0].groups: 3 groups do not divide filters 10",
			kinds: []error{ErrValue},
		},
		{
			name: "pool padding as large as the kernel",
			edits: []string{
				"{name: fc1, type: fc, outputs: 10}",
				"{name: fc1, type: pool, kernel: 2, pad: 2}",
			},
			want:  "spec: t.yaml:6:47: model.layers[0].pad: pad 2 must be smaller than kernel 2",
			kinds: []error{ErrValue},
		},
		{
			name: "even lrn size",
			edits: []string{
				"{name: fc1, type: fc, outputs: 10}",
				"{name: fc1, type: lrn, size: 4}",
			},
			want: "spec: t.yaml:6:36: model.layers[0].size: want an odd size (the window is " +
				"centred on a channel), got 4",
			kinds: []error{ErrValue},
		},
		{
			name: "uniform fill upside down",
			edits: []string{
				"outputs: 10}",
				"outputs: 10, weight_fill: {type: uniform, min: 1, max: -1}}",
			},
			want:  "spec: t.yaml:6:84: model.layers[0].weight_fill.max: max -1 is below min 1",
			kinds: []error{ErrValue},
		},
		{
			name:  "normalize values per channel",
			edits: []string{"  format: mnist", "  format: mnist\n  normalize: {mean: [0.1, 0.2]}"},
			want: "spec: t.yaml:4:21: data.normalize.mean: want 1 value or 1 (one per channel), " +
				"got 2",
			kinds: []error{ErrValue},
		},
		{
			name:  "input shape does not match the data",
			edits: []string{"  layers:", "  input: [1, 28, 27]\n  layers:"},
			want: "spec: t.yaml:5:10: model.input: [1, 28, 27] holds 756 values per sample, " +
				"but the data delivers [1, 28, 28], 784 values",
			kinds: []error{ErrValue},
		},
		{
			name: "decreasing multistep steps",
			edits: []string{
				"  lr: 0.1",
				"  lr: 0.1\n  lr_policy: {type: multistep, gamma: 0.1, steps: [20, 10]}",
			},
			want: "spec: t.yaml:10:56: solver.lr_policy.steps[1]: 10 does not come after 20; " +
				"steps must ascend",
			kinds: []error{ErrValue},
		},
		{
			name:  "wrong number of inputs",
			edits: []string{"type: softmax_loss}", "type: softmax_loss, inputs: [fc1]}"},
			want: "spec: t.yaml:7:48: model.layers[1].inputs: softmax_loss reads 2 inputs, " +
				"[logits, label], got 1",
			kinds: []error{ErrValue},
		},

		// Missing fields.
		{
			name:  "missing section",
			edits: []string{"solver:\n  lr: 0.1\n", ""},
			want:  "spec: t.yaml:1:1: solver: required field is missing",
			kinds: []error{ErrMissing},
		},
		{
			name:  "missing layer field",
			edits: []string{", outputs: 10", ""},
			want:  "spec: t.yaml:6:7: model.layers[0].outputs: required field is missing",
			kinds: []error{ErrMissing},
		},
		{
			name: "missing half of a pair",
			edits: []string{
				"{name: fc1, type: fc, outputs: 10}",
				"{name: fc1, type: conv, filters: 4, kernel_h: 3}",
			},
			want:  "spec: t.yaml:6:7: model.layers[0].kernel_w: required with kernel_h",
			kinds: []error{ErrMissing},
		},
		{
			name:  "neither epochs nor iterations",
			edits: []string{"  epochs: 1\n", ""},
			want: "spec: t.yaml:10:1: train.epochs: required field is missing (or give " +
				"iterations)",
			kinds: []error{ErrMissing},
		},
		{
			name:  "policy word without its parameters",
			edits: []string{"  lr: 0.1", "  lr: 0.1\n  lr_policy: step"},
			want: "spec: t.yaml:10:14: solver.lr_policy: policy step needs gamma and step_size: " +
				"write {type: step, ...}",
			kinds: []error{ErrMissing},
		},
		{
			name:  "no loss",
			edits: []string{"    - {name: loss, type: softmax_loss}\n", ""},
			want:  "spec: t.yaml:5:3: model.layers: no softmax_loss layer; training needs a loss",
			kinds: []error{ErrMissing},
		},
		{
			name: "random data without a shape",
			edits: []string{
				"  format: mnist",
				"  format: random\n  random: {train: 10, classes: 10}",
			},
			want: "spec: t.yaml:4:11: data.random.shape: required when model.input is not given: " +
				"format random needs a sample shape",
			kinds: []error{ErrMissing},
		},

		// Conflicts.
		{
			name:  "epochs and iterations",
			edits: []string{"  epochs: 1", "  epochs: 1\n  iterations: 100"},
			want:  "spec: t.yaml:13:3: train.iterations: give epochs or iterations, not both",
			kinds: []error{ErrConflict},
		},
		{
			name: "kernel and kernel_h",
			edits: []string{
				"{name: fc1, type: fc, outputs: 10}",
				"{name: fc1, type: conv, filters: 4, kernel: 3, kernel_h: 3}",
			},
			want: "spec: t.yaml:6:54: model.layers[0].kernel_h: give kernel, or kernel_h and " +
				"kernel_w, not both",
			kinds: []error{ErrConflict},
		},
		{
			name:  "bias field without a bias",
			edits: []string{"outputs: 10}", "outputs: 10, bias: false, bias_lr_mult: 2}"},
			want: "spec: t.yaml:6:55: model.layers[0].bias_lr_mult: the layer has no bias (bias: " +
				"false)",
			kinds: []error{ErrConflict},
		},

		// References.
		{
			name:  "unknown input",
			edits: []string{"type: softmax_loss}", "type: softmax_loss, inputs: [fc2, label]}"},
			want: "spec: t.yaml:7:49: model.layers[1].inputs[0]: unknown layer \"fc2\"; did you " +
				"mean fc1?",
			kinds: []error{ErrReference},
		},
		{
			name:  "input from a later layer",
			edits: []string{"outputs: 10}", "outputs: 10, inputs: [loss]}"},
			want: "spec: t.yaml:6:51: model.layers[0].inputs[0]: layer \"loss\" comes later, " +
				"at model.layers[1]; a layer reads only data, label or layers above it",
			kinds: []error{ErrReference},
		},
		{
			name:  "input from itself",
			edits: []string{"outputs: 10}", "outputs: 10, inputs: [fc1]}"},
			want: "spec: t.yaml:6:51: model.layers[0].inputs[0]: a layer cannot read its own " +
				"output",
			kinds: []error{ErrReference},
		},
		{
			name:  "label read by a layer that is not a loss",
			edits: []string{"outputs: 10}", "outputs: 10, inputs: [label]}"},
			want: "spec: t.yaml:6:51: model.layers[0].inputs[0]: only a softmax_loss reads " +
				"label, as its second input",
			kinds: []error{ErrReference},
		},

		// Versions.
		{
			name:  "future version",
			edits: []string{"name: t\n", "version: 2\nname: t\n"},
			want:  "spec: t.yaml:1:10: version: this build reads spec version 1, got 2",
			kinds: []error{ErrUnsupported},
		},

		// Several problems at once, in file order.
		{
			name: "all problems together",
			edits: []string{
				"  epochs: 1", "  epochs: 1\n  iterations: 5",
				"name: t\n", "name: t\nsed: 1\n",
				"outputs: 10", "outputs: 0",
			},
			want: "spec: t.yaml:2:1: sed: unknown key; did you mean seed?\n" +
				"spec: t.yaml:7:38: model.layers[0].outputs: want a positive integer, got 0\n" +
				"spec: t.yaml:14:3: train.iterations: give epochs or iterations, not both",
			kinds: []error{ErrUnknownKey, ErrValue, ErrConflict},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.src
			if tt.edits != nil {
				src = edit(t, tt.edits...)
			}
			s, err := Parse("t.yaml", []byte(src))
			if err == nil {
				t.Fatalf("Parse succeeded, want\n%s\nspec:\n%s", tt.want, src)
			}
			if s != nil {
				t.Errorf("Parse returned a Spec with an error")
			}
			if got := err.Error(); got != tt.want {
				t.Fatalf("error\n%s\nwant\n%s\nspec:\n%s", got, tt.want, src)
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, want an ErrorList", err)
			}
			if len(list) != len(tt.kinds) {
				t.Fatalf("%d problems, want %d", len(list), len(tt.kinds))
			}
			for i, e := range list {
				if !errors.Is(e, tt.kinds[i]) {
					t.Errorf("problem %d is %v, want kind %v", i, e.Kind, tt.kinds[i])
				}
				if e.File != "t.yaml" || e.Message == "" {
					t.Errorf("problem %d: File %q, Message %q", i, e.File, e.Message)
				}
			}
			if !errors.Is(err, tt.kinds[0]) {
				t.Errorf("errors.Is(list, %v) = false", tt.kinds[0])
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		err  Error
		want string
	}{
		{Error{File: "a.yaml", Line: 3, Column: 5, Field: "x.y", Message: "bad"},
			"spec: a.yaml:3:5: x.y: bad"},
		{Error{File: "a.yaml", Line: 3, Message: "bad"}, "spec: a.yaml:3: bad"},
		{Error{File: "a.yaml", Message: "bad"}, "spec: a.yaml: bad"},
		{Error{Field: "x", Message: "bad"}, "spec: x: bad"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
