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

// Config configures a solver. The gradient a solver sees already includes
// weight decay: g = grad + WeightDecay*DecayMult*w.
type Config struct {
	Method      Method
	BaseLR      float32
	Momentum    float32 // SGD and Nesterov; 0 disables it
	WeightDecay float32 // L2, multiplied by each Param's DecayMult
	Epsilon     float32 // AdaGrad; default 1e-8

	Policy   Policy
	Gamma    float32 // step, multistep, exp, inv
	Power    float32 // inv
	StepSize int64   // step
	Steps    []int64 // multistep, ascending
}
