package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxSize is the largest spec file accepted, in bytes. A spec of a few
// hundred layers is a few tens of kilobytes; anything near this limit is
// not a spec.
const MaxSize = 1 << 20

// maxNodes bounds the nodes visited while expanding aliases, so that a
// "billion laughs" of nested aliases fails fast instead of eating memory.
const maxNodes = 1 << 16

// Load reads and parses the spec file at path; see [Parse].
func Load(path string) (*Spec, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	return Parse(path, src)
}

// Parse parses a spec. name is the file's name: errors carry it, and a
// relative data.dir resolves against its folder ([Spec.DataDir]).
//
// Parse checks everything it can without reading data: structure, types,
// ranges, references between layers. It reports every problem at once as
// an [ErrorList], in file order, and returns no Spec then. On success every
// default is filled in.
func Parse(name string, src []byte) (*Spec, error) {
	d := newDecoder(name)
	root := d.document(src)
	if root == nil {
		return nil, d.errs
	}

	s := &Spec{File: name, pos: d.pos}
	d.spec(root, s)
	if len(d.errs) > 0 {
		d.errs.sort()
		return nil, d.errs
	}
	return s, nil
}

// document parses src as exactly one YAML document and returns its root
// node with every alias expanded, or nil after reporting why not.
func (d *decoder) document(src []byte) *yaml.Node {
	if len(src) > MaxSize {
		d.report(nil, "", ErrSyntax, "the file is %d bytes; a spec is at most %d", len(src),
			MaxSize)
		return nil
	}

	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	err := decodeSafely(dec, &doc)
	if errors.Is(err, io.EOF) {
		d.report(nil, "", ErrSyntax, "the file is empty; want a mapping with the sections "+
			"name, data, model, solver and train")
		return nil
	}
	if err != nil {
		d.syntax(src, err)
		return nil
	}
	var next yaml.Node
	switch err := decodeSafely(dec, &next); {
	case err == nil:
		d.report(&next, "", ErrDocuments,
			"a second YAML document starts here; a spec is one document")
		return nil
	case !errors.Is(err, io.EOF):
		d.syntax(src, err)
		return nil
	}

	if len(doc.Content) == 0 {
		d.report(&doc, "", ErrType, "want a mapping of sections, got an empty document")
		return nil
	}
	x := expander{d: d, active: map[*yaml.Node]bool{}, seen: map[*yaml.Node]bool{}}
	root := x.expand(doc.Content[0])
	if x.failed {
		return nil
	}
	return root
}

// decodeSafely runs the YAML decoder, turning a panic inside it into an
// error: the spec is user input, and no input may crash the program.
func decodeSafely(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the YAML parser failed: %v", r)
		}
	}()
	return dec.Decode(n)
}

// yamlLine picks the line out of a yaml.v3 syntax error, which knows the
// line but not the column.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parserProblems are the messages of yaml.v3's parser errors (parserc.go).
var parserProblems = []string{
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected '-' indicator",
	"did not find expected <document start>",
	"did not find expected <stream-start>",
	"did not find expected key",
	"did not find expected node content",
	"found duplicate %TAG directive",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// syntax reports a YAML syntax error, positioned at its line when the
// parser said which.
//
// TODO: a syntax error has a line but no column: yaml.v3 formats its error
// from a mark whose column it keeps private. A YAML parser that exposes the
// mark would let the message point at the very character.
func (d *decoder) syntax(src []byte, err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		// yaml.v3 counts the lines of its parser's errors from 0 and
		// those of its scanner's from 1; the parser's say "did not find
		// expected ..." or "found ... directive/document/tag handle".
		if slices.Contains(parserProblems, msg) {
			line++
		}
	}
	// The commonest cause of a baffling YAML error is a tab in the
	// indentation, which YAML forbids.
	lines := bytes.Split(src, []byte("\n"))
	if line > 0 && line <= len(lines) {
		indent := lines[line-1][:len(lines[line-1])-len(bytes.TrimLeft(lines[line-1], " \t"))]
		if bytes.IndexByte(indent, '\t') >= 0 {
			msg += " (the line is indented with a tab; YAML indents with spaces)"
		}
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Message: msg, Kind: ErrSyntax})
}

// expander replaces every alias (*name) by the node its anchor (&name)
// marks, so that the rest of the decoder never meets one. A spec may use
// anchors to repeat a fill or a layer's settings; errors inside a repeated
// part point at the anchored original.
type expander struct {
	d      *decoder
	active map[*yaml.Node]bool // anchored nodes being expanded, to catch cycles
	seen   map[*yaml.Node]bool // aliases already reported
	nodes  int
	failed bool
}

func (x *expander) expand(n *yaml.Node) *yaml.Node {
	x.nodes++
	if x.nodes > maxNodes {
		if !x.failed {
			x.d.report(n, "", ErrSyntax, "aliases expand to over %d nodes", maxNodes)
		}
		x.failed = true
		return n
	}
	if n.Kind == yaml.AliasNode {
		if x.active[n.Alias] || n.Alias == nil {
			if !x.seen[n] {
				x.d.report(n, "", ErrSyntax, "alias *%s refers to a node that contains it",
					n.Value)
			}
			x.seen[n] = true
			x.failed = true
			return n
		}
		x.active[n.Alias] = true
		out := x.expand(n.Alias)
		delete(x.active, n.Alias)
		return out
	}
	if len(n.Content) == 0 {
		return n
	}

	// Copy rather than rewrite in place: an anchored node is shared by
	// every alias of it.
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, child := range n.Content {
		c.Content[i] = x.expand(child)
	}
	return &c
}

// The top-level sections, in the order Marshal writes them.
var topKeys = []string{"version", "name", "seed", "data", "model", "solver", "train",
	"parallel"}

// namePattern is what job and layer names may hold: they become folder
// names and parameter names.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]*$`)

// spec decodes the root mapping into s.
func (d *decoder) spec(root *yaml.Node, s *Spec) {
	o := d.object("", root, root, "a mapping with the sections name, data, model, solver "+
		"and train")
	o.known(topKeys, nil)
	o.need("name", "data", "model", "solver", "train")

	if n := o.val["version"]; n != nil {
		if v, ok := d.integer(n, "version", positive64); ok && v != FormatVersion {
			d.report(n, "version", ErrUnsupported, "this build reads spec version %d, got %d",
				FormatVersion, v)
		}
	}
	if n := o.val["name"]; n != nil {
		s.Name, _ = d.str(n, "name", "a job name")
		if s.Name != "" && (!namePattern.MatchString(s.Name) || len(s.Name) > 100) {
			d.report(n, "name", ErrValue, "want up to 100 letters, digits, '.', '_' or '-' "+
				"(it names folders), got %q", s.Name)
		}
	}
	s.Seed = 1
	if n := o.val["seed"]; n != nil {
		s.Seed = d.seed(n, "seed")
	}

	// The parallel section comes first: the layers' partition keys are
	// checked against it.
	s.Parallel = defaultParallel()
	if o.has("parallel") {
		d.parallel(o.key["parallel"], o.val["parallel"], &s.Parallel)
	}
	d.par = &s.Parallel

	var sample []int
	if o.has("data") {
		sample = d.data(o.key["data"], o.val["data"], &s.Data)
	}
	if o.has("model") {
		d.model(o.key["model"], o.val["model"], &s.Model, &s.Data, sample)
	}
	if o.has("solver") {
		d.solver(o.key["solver"], o.val["solver"], &s.Solver)
	}
	if o.has("train") {
		d.train(o.key["train"], o.val["train"], &s.Train, s.Name)
	}
	d.partitions(s)
	d.replicaBatch(s)
}

// seed decodes a seed: any integer from 0 to 2⁶⁴-1.
func (d *decoder) seed(n *yaml.Node, field string) uint64 {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		v, err := strconv.ParseUint(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
		if err == nil {
			return v
		}
	}
	kind := ErrType
	if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float") {
		kind = ErrValue
	}
	d.report(n, field, kind, "want an integer from 0 to %d, got %s", uint64(1<<64-1),
		describe(n))
	return 1
}
