package spec

import (
	"errors"
	"slices"

	"github.com/mariana-dl/mariana/optim"
	"gopkg.in/yaml.v3"
)

var (
	methods = []string{string(optim.SGD), string(optim.Nesterov), string(optim.AdaGrad)}
	// methodKeys are the solver keys of each method, in the order Marshal
	// writes them.
	methodKeys = map[optim.Method][]string{
		optim.SGD:      {"method", "lr", "momentum", "weight_decay", "lr_policy"},
		optim.Nesterov: {"method", "lr", "momentum", "weight_decay", "lr_policy"},
		optim.AdaGrad:  {"method", "lr", "weight_decay", "epsilon", "lr_policy"},
	}
	allSolverKeys = []string{"method", "lr", "momentum", "weight_decay", "epsilon",
		"lr_policy"}

	policies = []string{string(optim.PolicyFixed), string(optim.PolicyStep),
		string(optim.PolicyMultiStep), string(optim.PolicyExp), string(optim.PolicyInv)}
	// policyKeys are the lr_policy keys of each policy; each but type is
	// required.
	policyKeys = map[optim.Policy][]string{
		optim.PolicyFixed:     {"type"},
		optim.PolicyStep:      {"type", "gamma", "step_size"},
		optim.PolicyMultiStep: {"type", "gamma", "steps"},
		optim.PolicyExp:       {"type", "gamma"},
		optim.PolicyInv:       {"type", "gamma", "power"},
	}
	allPolicyKeys = []string{"type", "gamma", "power", "step_size", "steps"}
)

// solver decodes the solver section into out. This reads the fields and
// their types; the ranges and the rules between fields are optim's own
// (optim.Config.Validate), so the two cannot drift apart.
func (d *decoder) solver(key, n *yaml.Node, out *optim.Config) {
	o := d.object("solver", key, n, "a mapping with method, lr, momentum, ...")
	out.Method = optim.Method(o.enum("method", string(optim.SGD), methods))
	allowed, known := methodKeys[out.Method]
	if !known {
		allowed = allSolverKeys
	}
	o.known(allowed, func(k string) (error, string) {
		for _, m := range methods {
			if m != string(out.Method) && slices.Contains(methodKeys[optim.Method(m)], k) {
				return ErrUnknownKey, "not used by method " + string(out.Method)
			}
		}
		return nil, ""
	})
	o.need("lr")
	out.BaseLR = o.number("lr", 0, anyNumber)
	out.Momentum = o.number("momentum", 0, anyNumber)
	out.WeightDecay = o.number("weight_decay", 0, anyNumber)
	if out.Method == optim.AdaGrad {
		out.Epsilon = o.number("epsilon", optim.DefaultEpsilon, anyNumber)
	}
	out.Policy = optim.PolicyFixed
	if o.has("lr_policy") {
		d.policy(o, out)
	}

	if known && !d.reported["solver.method"] {
		d.validateSolver(*out)
	}
}

// policy decodes solver.lr_policy: a word (fixed) or a mapping with the
// schedule's parameters.
func (d *decoder) policy(parent *object, out *optim.Config) {
	n, field := parent.val["lr_policy"], "solver.lr_policy"
	if n.Kind == yaml.ScalarNode {
		out.Policy = optim.Policy(parent.enum("lr_policy", string(optim.PolicyFixed), policies))
		if keys := policyKeys[out.Policy]; len(keys) > 1 {
			d.report(n, field, ErrMissing, "policy %s needs %s: write {type: %s, ...}",
				out.Policy, listWords(keys[1:]), out.Policy)
		}
		return
	}

	o := d.object(field, parent.key["lr_policy"], n,
		"a word such as fixed or a mapping such as {type: step, gamma: 0.1, step_size: 1000}")
	o.need("type")
	out.Policy = optim.Policy(o.enum("type", string(optim.PolicyFixed), policies))
	allowed, known := policyKeys[out.Policy]
	if !known {
		allowed = allPolicyKeys
	}
	o.known(allowed, func(k string) (error, string) {
		if slices.Contains(allPolicyKeys, k) {
			return ErrUnknownKey, "not used by policy " + string(out.Policy)
		}
		return nil, ""
	})
	if known {
		o.need(allowed[1:]...)
	}
	out.Gamma = o.number("gamma", 0, anyNumber)
	out.Power = o.number("power", 0, anyNumber)
	out.StepSize = o.integer("step_size", 0, positive64)
	if sn := o.val["steps"]; sn != nil {
		items, ok := d.list(sn, o.sub("steps"), "a list of steps such as [5000, 8000]")
		for i, e := range items {
			v, good := d.integer(e, index(o.sub("steps"), i), positive64)
			out.Steps = append(out.Steps, v)
			ok = ok && good
		}
		if !ok {
			out.Steps = nil
		}
	}
}

// validateSolver reports the problems optim finds with the decoded config,
// at the fields the spec wrote, skipping fields already reported.
func (d *decoder) validateSolver(c optim.Config) {
	err := c.Validate()
	if err == nil {
		return
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var fe *optim.FieldError
		if !errors.As(e, &fe) {
			d.reportAt("solver", ErrValue, "%v", e)
			continue
		}
		field := "solver." + fe.Field
		if d.touched(field) {
			continue
		}
		d.reportAt(field, ErrValue, "%s", fe.Msg)
	}
}

// listWords joins words as "a", "a and b" or "a, b and c".
func listWords(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	out := words[0]
	for _, w := range words[1 : len(words)-1] {
		out += ", " + w
	}
	return out + " and " + words[len(words)-1]
}
