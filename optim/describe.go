package optim

import (
	"strconv"
	"strings"
)

// Describe returns a one-line summary of cfg for logs, with the defaults
// New would apply filled in, such as
//
//	sgd lr=0.01 momentum=0.9 wd=0.0005 policy=step(gamma=0.1, step_size=5000)
//
// It describes what it is given and does not validate it.
func Describe(cfg Config) string {
	c := cfg.withDefaults()
	var b strings.Builder
	b.WriteString(string(c.Method))
	b.WriteString(" lr=" + fmtFloat(c.BaseLR))
	switch c.Method {
	case AdaGrad:
		b.WriteString(" epsilon=" + fmtFloat(c.Epsilon))
	default:
		b.WriteString(" momentum=" + fmtFloat(c.Momentum))
	}
	b.WriteString(" wd=" + fmtFloat(c.WeightDecay))

	b.WriteString(" policy=" + string(c.Policy))
	switch c.Policy {
	case PolicyStep:
		b.WriteString("(gamma=" + fmtFloat(c.Gamma) +
			", step_size=" + strconv.FormatInt(c.StepSize, 10) + ")")
	case PolicyMultiStep:
		b.WriteString("(gamma=" + fmtFloat(c.Gamma) + ", steps=[")
		for i, s := range c.Steps {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.FormatInt(s, 10))
		}
		b.WriteString("])")
	case PolicyExp:
		b.WriteString("(gamma=" + fmtFloat(c.Gamma) + ")")
	case PolicyInv:
		b.WriteString("(gamma=" + fmtFloat(c.Gamma) + ", power=" + fmtFloat(c.Power) + ")")
	}
	return b.String()
}

// fmtFloat writes x in the shortest form that reads back as the same
// float32, so 0.01 prints as 0.01 rather than 0.009999999776.
func fmtFloat(x float32) string {
	return strconv.FormatFloat(float64(x), 'g', -1, 32)
}
