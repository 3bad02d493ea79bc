package pkgjson

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse: Parse never panics; errors are "failed to …", name the file
// and, for JSON syntax errors, a line; Position never panics.
// Seed corpus: testdata/fuzz/FuzzParse, plus the repository's examples.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"name":"a","version":"1.0.0","dependencies":{"b":"^1"},"bin":"cli.js","workspaces":["p/*"]}`))
	f.Add([]byte(`{"name":"a","bin":{"x":"./x"},"overrides":{"b":{"c":"1"}},"peerDependenciesMeta":{"p":{"optional":true}}}`))
	f.Add([]byte("{\n  \"name\": \"a\",\n}"))
	f.Add([]byte(`{"dependencies":["not","a","map"]}`))
	if files, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*", "package.json")); len(files) > 0 {
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const path = "/proj/package.json"
		pj, err := Parse(data, path)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "failed to ") || !strings.Contains(msg, "package.json") || len(msg) > 8*len(data)+512 {
				t.Errorf("malformed error: %q", msg)
			}
			_ = Position(path, data, err)
			return
		}
		if pj == nil {
			t.Fatal("nil PackageJSON without an error")
		}
	})
}
