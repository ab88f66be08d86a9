package checkpoint

import (
	"encoding/json"
	"math"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// python is the interpreter the interop tests use: the system one, which
// has NumPy on our machines. The safetensors package itself is usually
// missing, so the scripts parse the format with json and NumPy.
const python = "/usr/bin/python3"

// needNumPy skips the test unless python can import numpy.
func needNumPy(t *testing.T) {
	t.Helper()
	if err := exec.Command(python, "-c", "import numpy").Run(); err != nil {
		t.Skipf("%s with numpy is not available: %v", python, err)
	}
}

// readScript prints, as JSON, the metadata, the header order, and each
// tensor's shape and float32 bit patterns, checking the layout rules on
// the way.
const readScript = `
import json, struct, sys
import numpy as np
b = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
assert (8 + n) % 8 == 0, 'header not padded'
h = json.loads(b[8:8 + n])
meta = h.pop('__metadata__', {})
out = {'metadata': meta, 'order': list(h), 'tensors': {}}
end = 0
for name, e in h.items():
    assert e['dtype'] == 'F32'
    s, t = e['data_offsets']
    assert s == end, 'not contiguous'
    end = t
    a = np.frombuffer(b[8 + n + s:8 + n + t], dtype='<f4').reshape(e['shape'])
    out['tensors'][name] = {'shape': list(a.shape), 'bits': a.view('<u4').ravel().tolist()}
assert 8 + n + end == len(b), 'trailing bytes'
print(json.dumps(out))
`

func TestNumPyReadsOurFiles(t *testing.T) {
	needNumPy(t)
	path := filepath.Join(t.TempDir(), "ours.safetensors")
	want := sample(t)
	if err := Write(path, want); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(python, "-c", readScript, path).Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, exitStderr(err))
	}

	var got struct {
		Metadata map[string]string
		Order    []string
		Tensors  map[string]struct {
			Shape []int
			Bits  []uint32
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("python printed %s: %v", out, err)
	}
	if !slices.Equal(got.Order, want.Names) {
		t.Errorf("python sees order %q, want %q", got.Order, want.Names)
	}
	for k, v := range want.Metadata {
		if got.Metadata[k] != v {
			t.Errorf("python sees metadata %q = %q, want %q", k, got.Metadata[k], v)
		}
	}
	for _, name := range want.Names {
		w, g := want.Tensors[name], got.Tensors[name]
		if !slices.Equal(g.Shape, []int(w.Shape)) || len(g.Bits) != len(w.Data) {
			t.Fatalf("tensor %q: python sees shape %v with %d values, want %v", name, g.Shape,
				len(g.Bits), w.Shape)
		}
		for i, v := range w.Data {
			if g.Bits[i] != math.Float32bits(v) {
				t.Errorf("tensor %q value %d: python sees bits %08x, want %08x", name, i,
					g.Bits[i], math.Float32bits(v))
			}
		}
	}
}

// writeScript writes a file the way other tools do: data in sorted name
// order, header keys in another order, compact JSON.
const writeScript = `
import json, struct, sys
import numpy as np
tensors = {
    'b': np.arange(6, dtype='<f4').reshape(2, 3) / 4,
    'a': np.array(3.5, dtype='<f4'),
    'c': np.array([-1, 1e-3, np.inf], dtype='<f4'),
}
header, data, off = {}, b'', 0
for name in sorted(tensors):
    raw = tensors[name].tobytes()
    header[name] = {'dtype': 'F32', 'shape': list(tensors[name].shape),
                    'data_offsets': [off, off + len(raw)]}
    off += len(raw)
    data += raw
ordered = {'__metadata__': {'format': 'pt'}}
for name in ['c', 'b', 'a']:
    ordered[name] = header[name]
hb = json.dumps(ordered, separators=(',', ':')).encode()
hb += b' ' * ((8 - len(hb) % 8) % 8)
open(sys.argv[1], 'wb').write(struct.pack('<Q', len(hb)) + hb + data)
`

func TestReadNumPyFiles(t *testing.T) {
	needNumPy(t)
	path := filepath.Join(t.TempDir(), "theirs.safetensors")
	if err := exec.Command(python, "-c", writeScript, path).Run(); err != nil {
		t.Fatalf("python: %v\n%s", err, exitStderr(err))
	}
	c, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Names, []string{"c", "b", "a"}) || c.Metadata["format"] != "pt" {
		t.Fatalf("names %q metadata %v", c.Names, c.Metadata)
	}
	want := map[string][]float32{
		"a": {3.5},
		"b": {0, 0.25, 0.5, 0.75, 1, 1.25},
		"c": {-1, 1e-3, float32(math.Inf(1))},
	}
	shapes := map[string][]int{"a": {}, "b": {2, 3}, "c": {3}}
	for name, values := range want {
		got := c.Tensors[name]
		if !slices.Equal(got.Data, values) || !slices.Equal([]int(got.Shape), shapes[name]) {
			t.Errorf("tensor %q: %v %v, want %v %v", name, got.Shape, got.Data, shapes[name],
				values)
		}
	}
}

// exitStderr returns what a failed command wrote to stderr, if known.
func exitStderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
