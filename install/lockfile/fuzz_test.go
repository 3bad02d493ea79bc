package lockfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse: Parse never panics; errors are "failed to …" lines; a parsed
// lockfile marshals to bytes that parse again and marshal identically.
// Seed corpus: testdata/fuzz/FuzzParse, plus testdata/roundtrip.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "roundtrip", "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"name":"x","lockfileVersion":3,"packages":{"":{"name":"x"},"node_modules/a":{"version":"1.0.0","link":true,"resolved":"../a"}}}`))
	f.Add([]byte(`{"lockfileVersion":2,"packages":{"node_modules/a/node_modules/b":{"version":"1","bin":{"b":"x"},"dependencies":{"c":"*"}}},"dependencies":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		lf, err := Parse(data, "package-lock.json")
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "failed to ") || strings.HasSuffix(msg, "\n") || len(msg) > 8*len(data)+512 {
				t.Errorf("malformed error: %q", msg)
			}
			return
		}
		out := lf.Marshal()
		lf2, err := Parse(out, "package-lock.json")
		if err != nil {
			t.Fatalf("Marshal output does not parse: %v\n%s", err, out)
		}
		if out2 := lf2.Marshal(); !bytes.Equal(out, out2) {
			t.Errorf("Marshal is not stable:\n%s\n---\n%s", out, out2)
		}
		for k := range lf.Packages {
			_ = lf.RealName(k)
			_, _ = lf.LinkTarget(k)
			_, _ = lf.Resolve(k, "x")
		}
	})
}
