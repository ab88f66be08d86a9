package spec

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder walks the YAML node tree of one spec and collects every problem it
// finds; it never stops at the first, so the user sees them all at once.
type decoder struct {
	file string
	errs ErrorList

	// pos records where each field's value was written, by path.
	pos map[string]position

	// reported holds the paths already reported, so that a later check of
	// the same field (a cross-check, the solver's own validation) does not
	// pile a second message onto the first.
	reported map[string]bool

	// par is the parallel section, decoded before the layers, whose
	// partition keys depend on it.
	par *Parallel
}

func newDecoder(file string) *decoder {
	p := defaultParallel()
	return &decoder{file: file, pos: map[string]position{}, reported: map[string]bool{},
		par: &p}
}

// report records a problem at node n (nil: no position).
func (d *decoder) report(n *yaml.Node, field string, kind error, format string, args ...any) {
	e := &Error{File: d.file, Field: field, Message: fmt.Sprintf(format, args...), Kind: kind}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
	d.reported[field] = true
}

// reportAt records a problem with a field at the position recorded for it
// or, when the file did not write it, for the nearest field enclosing it.
func (d *decoder) reportAt(field string, kind error, format string, args ...any) {
	at := nearest(d.pos, field)
	d.errs = append(d.errs, &Error{File: d.file, Line: at.line, Column: at.column,
		Field: field, Message: fmt.Sprintf(format, args...), Kind: kind})
	d.reported[field] = true
}

// nearest returns the position recorded for field or, failing that, for the
// nearest field that encloses it; the zero position when there is none.
func nearest(pos map[string]position, field string) position {
	for p := field; p != ""; p = parentPath(p) {
		if at, ok := pos[p]; ok {
			return at
		}
	}
	return position{}
}

// touched reports whether a problem was reported at field, at a field
// enclosing it, or at one inside it.
func (d *decoder) touched(field string) bool {
	for p := field; p != ""; p = parentPath(p) {
		if d.reported[p] {
			return true
		}
	}
	for p := range d.reported {
		if strings.HasPrefix(p, field+".") || strings.HasPrefix(p, field+"[") {
			return true
		}
	}
	return false
}

// record notes where the value of field was written: at the value for a
// scalar or a flow collection, at the key for a block collection, whose
// first line is the key's.
func (d *decoder) record(field string, key, val *yaml.Node) {
	at := val
	if key != nil && val.Kind != yaml.ScalarNode && val.Style&yaml.FlowStyle == 0 {
		at = key
	}
	d.pos[field] = position{at.Line, at.Column}
}

// object is a YAML mapping being decoded into a struct.
type object struct {
	d    *decoder
	path string

	// at is where a missing field is reported: the key that names the
	// mapping, or the mapping itself when nothing names it.
	at *yaml.Node

	// ok is false when the node was not a mapping; that has been reported,
	// and missing fields are not reported on top of it.
	ok bool

	keys []string              // in file order, without duplicates
	key  map[string]*yaml.Node // key node by name
	val  map[string]*yaml.Node // value node by name
}

// object starts decoding n as a mapping; want describes the mapping for a
// type error, such as "a mapping of layer fields". Duplicate keys are
// reported here, unknown keys by [object.known].
func (d *decoder) object(path string, at, n *yaml.Node, want string) *object {
	o := &object{d: d, path: path, at: at, key: map[string]*yaml.Node{},
		val: map[string]*yaml.Node{}}
	if n.Kind != yaml.MappingNode {
		d.report(n, path, ErrType, "want %s, got %s", want, describe(n))
		return o
	}
	o.ok = true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.report(k, path, ErrType, "want a key name, got %s", describe(k))
			continue
		}
		field := o.sub(k.Value)
		if k.ShortTag() == "!!merge" {
			d.report(k, field, ErrUnknownKey,
				"merge keys (<<) are not supported; write the fields out")
			continue
		}
		if first, dup := o.key[k.Value]; dup {
			d.report(k, field, ErrDuplicateKey, "duplicate key; first given at line %d",
				first.Line)
			continue
		}
		o.keys = append(o.keys, k.Value)
		o.key[k.Value] = k
		o.val[k.Value] = v
		d.record(field, k, v)
	}
	return o
}

// sub returns the path of the field key of o.
func (o *object) sub(key string) string {
	if o.path == "" {
		return key
	}
	return o.path + "." + key
}

// known reports every key of o not in allowed and drops it, so that no
// getter reads it. explain may give a better message for a key (one that
// belongs to another type, a reserved section) with its kind; when it
// returns "", the message suggests the closest allowed key or lists them.
func (o *object) known(allowed []string, explain func(key string) (error, string)) {
	kept := o.keys[:0]
	for _, k := range o.keys {
		if slices.Contains(allowed, k) {
			kept = append(kept, k)
			continue
		}
		kind, msg := ErrUnknownKey, ""
		if explain != nil {
			if ek, em := explain(k); em != "" {
				kind, msg = ek, em
			}
		}
		if msg == "" {
			msg = "unknown key; " + hint(k, allowed)
		}
		o.d.report(o.key[k], o.sub(k), kind, "%s", msg)
		delete(o.val, k)
	}
	o.keys = kept
}

// hint suggests the allowed word closest to word, or lists them all.
func hint(word string, allowed []string) string {
	if c := closest(word, allowed); c != "" {
		return "did you mean " + c + "?"
	}
	return "want one of " + strings.Join(allowed, ", ")
}

// has reports whether o has the key (and it was not dropped as unknown).
func (o *object) has(key string) bool { return o.val[key] != nil }

// need reports each of keys that o lacks as missing and returns whether all
// were there.
func (o *object) need(keys ...string) bool {
	all := true
	for _, k := range keys {
		if o.has(k) {
			continue
		}
		all = false
		if o.ok {
			o.d.report(o.at, o.sub(k), ErrMissing, "required field is missing")
		}
	}
	return all
}

// missing reports key as missing with a message that says what to write.
func (o *object) missing(key, format string, args ...any) {
	if o.ok {
		o.d.report(o.at, o.sub(key), ErrMissing, format, args...)
	}
}

// drop reports a key that the chosen variant of o does not use, with why,
// and forgets it.
func (o *object) drop(key string, kind error, format string, args ...any) {
	if !o.has(key) {
		return
	}
	o.d.report(o.key[key], o.sub(key), kind, format, args...)
	delete(o.val, key)
}

// str returns the string at key, or def when it is absent or bad.
func (o *object) str(key, def, want string) string {
	n := o.val[key]
	if n == nil {
		return def
	}
	v, ok := o.d.str(n, o.sub(key), want)
	if !ok {
		return def
	}
	return v
}

// boolean returns the boolean at key, or def.
func (o *object) boolean(key string, def bool) bool {
	n := o.val[key]
	if n == nil {
		return def
	}
	// YAML's booleans (true, True, TRUE and the falses) all parse with
	// ParseBool; "!!bool yes" does not, and is refused like "yes".
	v, err := strconv.ParseBool(n.Value)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || err != nil {
		o.d.report(n, o.sub(key), ErrType, "want true or false, got %s", describe(n))
		return def
	}
	return v
}

// integer returns the integer at key, or def.
func (o *object) integer(key string, def int64, r intRange) int64 {
	n := o.val[key]
	if n == nil {
		return def
	}
	v, ok := o.d.integer(n, o.sub(key), r)
	if !ok {
		return def
	}
	return v
}

// number returns the number at key, or def.
func (o *object) number(key string, def float32, r numRange) float32 {
	n := o.val[key]
	if n == nil {
		return def
	}
	v, ok := o.d.number(n, o.sub(key), r)
	if !ok {
		return def
	}
	return v
}

// enum returns the word at key, which must be one of words, or def.
func (o *object) enum(key, def string, words []string) string {
	n := o.val[key]
	if n == nil {
		return def
	}
	v, ok := o.d.enum(n, o.sub(key), words)
	if !ok {
		return def
	}
	return v
}

// intRange is the set of integers a field accepts, with its description
// for messages.
type intRange struct {
	min, max int64
	want     string
}

var (
	positiveInt = intRange{1, math.MaxInt32, "a positive integer"}
	naturalInt  = intRange{0, math.MaxInt32, "a non-negative integer"}
	positive64  = intRange{1, math.MaxInt64, "a positive integer"}
	natural64   = intRange{0, math.MaxInt64, "a non-negative integer"}
)

// numRange is the set of numbers a field accepts, with its description for
// messages. Every range excludes NaN and the infinities.
type numRange struct {
	ok   func(float64) bool
	want string
}

var (
	anyNumber      = numRange{func(float64) bool { return true }, "a number"}
	positiveNumber = numRange{func(v float64) bool { return v > 0 }, "a positive number"}
	naturalNumber  = numRange{func(v float64) bool { return v >= 0 }, "a non-negative number"}
	unitNumber     = numRange{func(v float64) bool { return v >= 0 && v < 1 },
		"a number in [0, 1)"}
)

// str decodes a string scalar. Numbers and booleans are refused rather
// than converted: `name: 1e3` is more likely a slip than a name.
func (d *decoder) str(n *yaml.Node, field, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		msg := "want " + want + ", got " + describe(n)
		if n.Kind == yaml.ScalarNode && n.ShortTag() != "!!null" {
			msg += fmt.Sprintf(" (quote it to mean the text: %q)", n.Value)
		}
		d.report(n, field, ErrType, "%s", msg)
		return "", false
	}
	if n.Value == "" {
		d.report(n, field, ErrValue, "want %s, got an empty string", want)
		return "", false
	}
	return n.Value, true
}

// integer decodes an integer in r. A number written as a float with an
// integral value (1e4) is accepted; 1.5 is not.
func (d *decoder) integer(n *yaml.Node, field string, r intRange) (int64, bool) {
	bad := func(kind error, extra string) (int64, bool) {
		d.report(n, field, kind, "want %s%s, got %s", r.want, extra, describe(n))
		return 0, false
	}
	if n.Kind != yaml.ScalarNode {
		return bad(ErrType, "")
	}
	var v int64
	switch n.ShortTag() {
	case "!!int":
		var err error
		v, err = strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
		if err != nil {
			// Only overflow gets here: YAML resolved it as an integer.
			return bad(ErrValue, fmt.Sprintf(" no larger than %d", r.max))
		}
	case "!!float":
		f, ok := parseFloat(n.Value)
		if !ok || f != math.Trunc(f) {
			return bad(ErrType, "")
		}
		if f < math.MinInt64 || f >= math.MaxInt64 {
			return bad(ErrValue, fmt.Sprintf(" no larger than %d", r.max))
		}
		v = int64(f)
	default:
		return bad(ErrType, "")
	}
	if v < r.min {
		return bad(ErrValue, "")
	}
	if v > r.max {
		return bad(ErrValue, fmt.Sprintf(" no larger than %d", r.max))
	}
	return v, true
}

// number decodes a finite float32 in r.
func (d *decoder) number(n *yaml.Node, field string, r numRange) (float32, bool) {
	bad := func(kind error) (float32, bool) {
		d.report(n, field, kind, "want %s, got %s", r.want, describe(n))
		return 0, false
	}
	if n.Kind != yaml.ScalarNode {
		return bad(ErrType)
	}
	var f float64
	switch n.ShortTag() {
	case "!!int":
		v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
		if err != nil {
			return bad(ErrValue)
		}
		f = float64(v)
	case "!!float":
		v, ok := parseFloat(n.Value)
		if !ok {
			d.report(n, field, ErrValue, "want %s, got %s, which is not a finite number",
				r.want, describe(n))
			return 0, false
		}
		f = v
	default:
		return bad(ErrType)
	}
	if math.Abs(f) > math.MaxFloat32 {
		d.report(n, field, ErrValue, "want %s, got %s, beyond the range of float32",
			r.want, describe(n))
		return 0, false
	}
	if !r.ok(f) {
		return bad(ErrValue)
	}
	return float32(f), true
}

// parseFloat parses a YAML float at float32 precision. It refuses NaN and
// the infinities (.nan, .inf), which no field accepts, but lets a literal
// too large for float32 through as an infinity, so that the caller can say
// it is out of range.
func parseFloat(s string) (float64, bool) {
	s = strings.ReplaceAll(s, "_", "")
	if strings.ContainsAny(s, "nN") {
		return 0, false // inf, nan, in any case; decimal floats have no n
	}
	f, err := strconv.ParseFloat(s, 32)
	if err != nil && !math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// enum decodes a word that must be one of words.
func (d *decoder) enum(n *yaml.Node, field string, words []string) (string, bool) {
	want := "one of " + strings.Join(words, ", ")
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		d.report(n, field, ErrType, "want %s, got %s", want, describe(n))
		return "", false
	}
	if !slices.Contains(words, n.Value) {
		msg := fmt.Sprintf("want %s, got %q", want, n.Value)
		if c := closest(n.Value, words); c != "" {
			msg += "; did you mean " + c + "?"
		}
		d.report(n, field, ErrValue, "%s", msg)
		return "", false
	}
	return n.Value, true
}

// list decodes a sequence, recording where each element was written.
func (d *decoder) list(n *yaml.Node, field, want string) ([]*yaml.Node, bool) {
	if n.Kind != yaml.SequenceNode {
		d.report(n, field, ErrType, "want %s, got %s", want, describe(n))
		return nil, false
	}
	for i, e := range n.Content {
		d.record(index(field, i), nil, e)
	}
	return n.Content, true
}

// numbers decodes a list of numbers in r; a single number stands for a
// list of one.
func (d *decoder) numbers(n *yaml.Node, field string, r numRange) ([]float32, bool) {
	if n.Kind == yaml.ScalarNode {
		v, ok := d.number(n, field, r)
		return []float32{v}, ok
	}
	items, ok := d.list(n, field, "a list of numbers such as [0.5]")
	if !ok {
		return nil, false
	}
	if len(items) == 0 {
		d.report(n, field, ErrValue, "want at least one number, got an empty list")
		return nil, false
	}
	out := make([]float32, len(items))
	for i, e := range items {
		v, good := d.number(e, index(field, i), r)
		out[i], ok = v, ok && good
	}
	return out, ok
}

// shape decodes a per-sample shape: C (a vector) or C, H, W (an image).
func (d *decoder) shape(n *yaml.Node, field string) ([]int, bool) {
	const want = "a shape: [C] for vectors or [C, H, W] for images"
	items, ok := d.list(n, field, want)
	if !ok {
		return nil, false
	}
	if len(items) != 1 && len(items) != 3 {
		d.report(n, field, ErrValue, "want %s, got %d dimensions", want, len(items))
		return nil, false
	}
	out := make([]int, len(items))
	size := int64(1)
	for i, e := range items {
		v, good := d.integer(e, index(field, i), positiveInt)
		out[i], ok = int(v), ok && good
		size *= max(v, 1)
		if size > math.MaxInt32 {
			d.report(n, field, ErrValue, "the shape holds over %d values per sample",
				math.MaxInt32)
			return nil, false
		}
	}
	return out, ok
}

// index returns the path of element i of the list at field.
func index(field string, i int) string {
	return field + "[" + itoa(i) + "]"
}

func itoa(i int) string { return strconv.Itoa(i) }

// parentPath returns the path enclosing a field path: "a.b[2].c" → "a.b[2]"
// → "a.b" → "a" → "".
func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i >= 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return ""
}

// describe says what a node holds, for "want X, got Y" messages: a quoted
// string, a number or word as written, or the kind of collection.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
	default:
		return "nothing"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:37] + "..."
	}
	switch n.ShortTag() {
	case "!!null":
		return "nothing (null)"
	case "!!str":
		return strconv.Quote(v)
	}
	return v
}
