package spec

import (
	"cmp"
	"errors"
	"slices"
	"strconv"
	"strings"
)

// Sentinels for errors.Is: every [*Error] the parser returns unwraps to one of
// them, so a caller can tell a typo from a bad value without reading text.
var (
	// ErrSyntax: the file is not well-formed YAML, is empty, or is too big.
	ErrSyntax = errors.New("spec: YAML syntax error")

	// ErrDocuments: the file holds more than one YAML document.
	ErrDocuments = errors.New("spec: more than one document")

	// ErrUnknownKey: a key the format does not have, or one that the chosen
	// type (of layer, fill, policy, method, data format) does not use.
	ErrUnknownKey = errors.New("spec: unknown key")

	// ErrDuplicateKey: a key appears twice in one mapping.
	ErrDuplicateKey = errors.New("spec: duplicate key")

	// ErrType: a value of the wrong kind, such as a word where a number is
	// wanted or a list where a mapping is wanted.
	ErrType = errors.New("spec: wrong type")

	// ErrValue: a value of the right kind out of its range, such as a
	// negative size or an unknown enum word.
	ErrValue = errors.New("spec: bad value")

	// ErrMissing: a required field is absent.
	ErrMissing = errors.New("spec: missing field")

	// ErrConflict: fields that exclude each other are both given, such as
	// epochs and iterations.
	ErrConflict = errors.New("spec: conflicting fields")

	// ErrDuplicateName: two layers share a name.
	ErrDuplicateName = errors.New("spec: duplicate layer name")

	// ErrReference: a layer's inputs name a layer that does not exist or
	// that comes after it.
	ErrReference = errors.New("spec: bad reference")

	// ErrUnsupported: a section or version the format reserves but this
	// build does not implement yet.
	ErrUnsupported = errors.New("spec: not supported")
)

// Error is one problem with a spec, positioned in the file.
type Error struct {
	// File is the spec's name as given to [Parse] or [Load].
	File string

	// Line and Column locate the offending key or value, counted from 1;
	// 0 when unknown (a spec built in code, or a YAML error without a
	// column).
	Line, Column int

	// Field is the path of the field at fault, such as
	// "model.layers[2].outputs" (list indices count from 0); empty for a
	// problem with the whole file.
	Field string

	// Message says what is wrong and, where it can, what to write instead.
	Message string

	// Kind is one of the sentinels above or, for errors made by
	// [Spec.LayerError] and [Spec.FieldError], the cause given to them.
	Kind error
}

// Error formats e as "spec: FILE:LINE:COLUMN: FIELD: MESSAGE", leaving out
// the parts that are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("spec: ")
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(":")
		if e.Column > 0 {
			b.WriteString(strconv.Itoa(e.Column))
			b.WriteString(":")
		}
	}
	if b.Len() > len("spec: ") {
		b.WriteString(" ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Unwrap returns e.Kind.
func (e *Error) Unwrap() error { return e.Kind }

// ErrorList is every problem found in one spec, in file order. [Parse]
// returns one whenever it refuses a spec, so a user fixes all problems in
// one pass.
type ErrorList []*Error

// Error prints one problem per line.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems, so errors.Is and errors.As look at each.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// sort orders the problems by position; problems found by cross-checks
// after the walk land where they belong in the file.
func (l ErrorList) sort() {
	slices.SortStableFunc(l, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}
