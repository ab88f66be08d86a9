// Package optim holds Mariana's solvers: the rules that turn a parameter's
// gradient into an update, and the learning-rate schedules.
//
// # Update rules
//
// Every rule first adds L2 weight decay to the gradient,
// g = grad + weight_decay·DecayMult·w, and uses the rate lr(step)·LRMult,
// both multipliers being the parameter's own ([layer.Param]). Then:
//
//	sgd       v = μ·v − rate·g;  w += v            (Caffe's form; μ may be 0)
//	nesterov  v' = μ·v − rate·g; w += (1+μ)·v' − μ·v;  v = v'
//	adagrad   h += g²;  w −= rate·g / (√h + ε)
//
// lr(step) is a pure function of the step (see [Policy]), so resuming needs
// only the step number. The arithmetic follows Caffe's solvers operation
// for operation and is pinned against fused multiply-adds (Note [Rounding]
// in kernels.go), so the same inputs give bit-identical outputs everywhere.
//
// # Use
//
//	s, err := optim.New(cfg)   // validates cfg; errors name the spec field
//	err = s.Prepare(params)    // optional: checks params, allocates history
//	for step := int64(0); ; step++ {
//		// forward, backward, exchange: p.Grad is final
//		s.Update(step, params)
//	}
//
// A [Solver] keeps each parameter's history under the parameter's name and
// updates whatever parameters it is handed, so data-parallel training can
// give every device a solver for the partition of parameters the device
// owns: the owner applies the update and holds that partition's momentum or
// AdaGrad sum, and updating partitions separately is bit-identical to
// updating the whole network at once.
//
// # Checkpoints
//
// [Solver.State] returns the history as named tensors,
// "solver.momentum/fc1.weight" or "solver.adagrad_h/fc1.weight" ([StateName]),
// for the checkpoint writer; [Solver.LoadState] takes them back and checks
// them. A run resumed from a checkpoint of step k continues exactly as the
// uninterrupted run would have.
package optim
