package optim

// Method names a solver's update rule.
type Method string

// The update rules.
const (
	// SGD: v = momentum*v - lr*g; w += v (Caffe's form, momentum may be 0).
	SGD Method = "sgd"
	// Nesterov: SGD with Nesterov's look-ahead momentum.
	Nesterov Method = "nesterov"
	// AdaGrad: h += g²; w -= lr*g/(sqrt(h)+Epsilon).
	AdaGrad Method = "adagrad"
)

// Policy names a learning-rate schedule; lr(step) for step counted from 0.
type Policy string

// The learning-rate schedules.
const (
	PolicyFixed     Policy = "fixed"     // base
	PolicyStep      Policy = "step"      // base * gamma^floor(step/StepSize)
	PolicyMultiStep Policy = "multistep" // base * gamma^(number of Steps <= step)
	PolicyExp       Policy = "exp"       // base * gamma^step
	PolicyInv       Policy = "inv"       // base * (1 + gamma*step)^(-power)
)

// Config configures a solver. The gradient the update rules use includes
// weight decay, g = grad + WeightDecay*DecayMult*w; the solver forms that
// sum itself, so callers hand it the gradient of the loss alone.
//
// [Config.Validate] states the ranges; a field the chosen method or policy
// does not use must be left zero.
type Config struct {
	// Method is the update rule; empty means sgd.
	Method Method

	// BaseLR (spec: lr) is the learning rate the policy starts from, > 0.
	// Each parameter's rate is lr(step) times its LRMult. Typical values
	// are 0.01 to 0.1 for sgd and nesterov, and 0.01 to 1 for adagrad.
	BaseLR float32

	// Momentum (spec: momentum) is μ in [0, 1) for sgd and nesterov; 0
	// gives plain SGD, which keeps no history. 0.9 is the usual choice.
	Momentum float32

	// WeightDecay (spec: weight_decay) is the L2 coefficient λ >= 0, times
	// each Param's DecayMult (1 for weights, 0 for biases by default).
	// 0.0005 is Caffe's usual value for image networks.
	WeightDecay float32

	// Epsilon (spec: epsilon) keeps adagrad's division finite while a
	// weight's gradients have all been 0; it is added to √h, not under the
	// root. 0 means [DefaultEpsilon].
	Epsilon float32

	// Policy (spec: lr_policy.type) is the schedule; empty means fixed.
	Policy Policy

	// Gamma (spec: lr_policy.gamma) is the decay factor: in (0, 1] for
	// step, multistep and exp, > 0 for inv.
	Gamma float32

	// Power (spec: lr_policy.power) is inv's exponent, > 0.
	Power float32

	// StepSize (spec: lr_policy.step_size) is step's period in steps, > 0.
	StepSize int64

	// Steps (spec: lr_policy.steps) are multistep's drop points: strictly
	// ascending steps > 0; the rate is multiplied by gamma at each.
	Steps []int64

	// Threads is how many goroutines Update may split one large parameter
	// over. It is the thread budget of the device that owns the solver, not
	// a property of the model, so specs leave it 0; 0 or 1 updates on the
	// calling goroutine. The result is bit-identical for any value.
	Threads int
}
