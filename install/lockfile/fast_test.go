package lockfile

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/lockstep-dev/lockstep/internal/nodetext"
)

// fastAndGeneric parses data both ways; fast is nil when parseFast
// declined it.
func fastAndGeneric(t testing.TB, data []byte) (fast, generic *Lockfile, genErr error) {
	t.Helper()
	data = nodetext.Decode(bytes.TrimPrefix(data, []byte("\uFEFF")))
	if fl := (&Lockfile{}); parseFast(data, fl) {
		fl.Indent, fl.Newline = DetectFormat(data)
		fast = fl
	}
	generic, genErr = parseGeneric(data, "package-lock.json", decoderNoCopy)
	return fast, generic, genErr
}

// TestParseFastMatches checks that the direct parse gives the model the
// generic one gives, on every lockfile in the repository's testdata and the
// shared fixtures, and that it takes the fixtures (real npm lockfiles).
func TestParseFastMatches(t *testing.T) {
	var files []string
	filepath.WalkDir("../..", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(p) == ".json" && filepath.Base(filepath.Dir(filepath.Dir(p))) != "fuzz" &&
			(d.Name() == "package-lock.json" || d.Name() == ".package-lock.json" || d.Name() == "npm-shrinkwrap.json" || filepath.Base(filepath.Dir(p)) == "roundtrip") {
			files = append(files, p)
		}
		return nil
	})
	var fixtures []string
	for _, fx := range []string{"small", "medium", "large"} {
		fixtures = append(fixtures, sharedFixture(t, fx, "package-lock.json"))
	}
	if len(files) < 10 {
		t.Fatalf("only %d lockfiles found", len(files))
	}
	taken := 0
	for _, f := range append(files, fixtures...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fast, generic, err := fastAndGeneric(t, data)
		if fast == nil {
			continue
		}
		taken++
		if err != nil {
			t.Errorf("%s: the direct parse took a document the generic one refuses: %v", f, err)
			continue
		}
		if !reflect.DeepEqual(fast, generic) {
			t.Errorf("%s: the direct parse differs from the generic one", f)
		}
	}
	for _, f := range fixtures {
		data, _ := os.ReadFile(f)
		if fast, _, _ := fastAndGeneric(t, data); fast == nil {
			t.Errorf("%s: the direct parse declined a real npm lockfile", f)
		}
	}
	t.Logf("%d of %d lockfiles parsed directly", taken, len(files)+len(fixtures))
}

// FuzzParseFast: whatever the direct parse takes, the generic parse takes
// too and reads the same.
func FuzzParseFast(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "roundtrip", "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"lockfileVersion":3,"packages":{"":{"name":"x","engines":["node"],"dependencies":null},"node_modules/a":{"version":"1.0.0","funding":{"url":"u"},"x":[true,null,{}]}}}`))
	f.Add([]byte(`{"lockfileVersion":2,"requires":true,"packages":{},"dependencies":{"a":{"version":"1","requires":{"b":"2"}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, generic, err := fastAndGeneric(t, data)
		if fast == nil {
			return
		}
		if err != nil {
			t.Fatalf("the direct parse took a document the generic one refuses: %v", err)
		}
		if !reflect.DeepEqual(fast, generic) {
			t.Fatalf("the direct parse differs from the generic one:\n%+v\n%+v", fast, generic)
		}
	})
}
