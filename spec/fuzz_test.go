package spec

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, that every refusal is a
// positioned ErrorList, and that every spec Parse accepts survives a
// round trip through Marshal.
func FuzzParse(f *testing.F) {
	for _, src := range specFiles(f) {
		f.Add(src)
		text := string(src)
		// Broken variants: cut short, a tab in the indentation, a second
		// document, a key doubled, a value of the wrong type.
		f.Add([]byte(text[:len(text)/2]))
		f.Add([]byte(text[:len(text)/3]))
		f.Add([]byte(strings.Replace(text, "\n  ", "\n\t", 1)))
		f.Add([]byte(text + "---\n" + text))
		f.Add([]byte(strings.Replace(text, "name:", "name: x\nname:", 1)))
		f.Add([]byte(strings.Replace(text, "batch: ", "batch: -", 1)))
		f.Add([]byte(strings.ReplaceAll(text, "type: ", "type: x")))
	}
	f.Add([]byte(""))
	f.Add([]byte("a: &a [*a]"))
	f.Add([]byte("{"))
	f.Add([]byte("name: [[[[[[[[[[[[[[[[[[[["))
	f.Add([]byte("? [a]\n: b\n"))

	f.Fuzz(func(t *testing.T, src []byte) {
		s, err := Parse("f.yaml", src)
		if err != nil {
			if s != nil {
				t.Fatal("Parse returned a Spec with an error")
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %T %v is not a non-empty ErrorList", err, err)
			}
			for _, e := range list {
				if e.File != "f.yaml" || e.Message == "" || e.Kind == nil || e.Line < 0 ||
					e.Column < 0 {
					t.Fatalf("malformed problem %#v", e)
				}
			}
			return
		}
		out, err := Marshal(s)
		if err != nil {
			t.Fatalf("Marshal of an accepted spec: %v\ninput:\n%s", err, src)
		}
		back, err := Parse("again.yaml", out)
		if err != nil {
			t.Fatalf("Parse of Marshal's output: %v\n%s", err, out)
		}
		if !equalSpecs(back, s) {
			t.Fatalf("round trip changed the spec\ninput:\n%s\noutput:\n%s", src, out)
		}
	})
}
