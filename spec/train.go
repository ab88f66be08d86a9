package spec

import "gopkg.in/yaml.v3"

// trainKeys are the keys of the train section, in the order Marshal writes
// them.
var trainKeys = []string{"batch", "epochs", "iterations", "test_batch", "eval_every_steps",
	"display_every_steps", "checkpoint_every_steps", "checkpoint_dir", "keep_checkpoints",
	"threads"}

// The defaults of the train section.
const (
	defaultDisplayEvery    = 100
	defaultKeepCheckpoints = 3
	defaultCheckpointRoot  = "runs/"
)

// train decodes the train section into out; name is the job's, for the
// default checkpoint folder.
func (d *decoder) train(key, n *yaml.Node, out *Train, name string) {
	o := d.object("train", key, n, "a mapping with batch, epochs, ...")
	o.known(trainKeys, nil)
	o.need("batch")
	out.Batch = int(o.integer("batch", 0, positiveInt))

	switch {
	case o.has("epochs") && o.has("iterations"):
		o.drop("iterations", ErrConflict, "give epochs or iterations, not both")
	case !o.has("epochs") && !o.has("iterations"):
		o.missing("epochs", "required field is missing (or give iterations)")
	}
	out.Epochs = int(o.integer("epochs", 0, positiveInt))
	out.Iterations = o.integer("iterations", 0, positive64)

	out.TestBatch = int(o.integer("test_batch", int64(out.Batch), positiveInt))
	out.EvalEverySteps = o.integer("eval_every_steps", 0, natural64)
	out.DisplayEverySteps = o.integer("display_every_steps", defaultDisplayEvery, natural64)
	out.CheckpointEverySteps = o.integer("checkpoint_every_steps", 0, natural64)
	out.CheckpointDir = o.str("checkpoint_dir", defaultCheckpointRoot+name, "a folder")
	out.KeepCheckpoints = int(o.integer("keep_checkpoints", defaultKeepCheckpoints, naturalInt))
	out.Threads = int(o.integer("threads", 0, naturalInt))
}
