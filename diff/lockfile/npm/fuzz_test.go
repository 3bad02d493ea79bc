package npm

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse: Parse never panics, is deterministic, and its errors are
// "failed to …" lines naming the file. Seed corpus: testdata/fuzz/FuzzParse,
// plus the fixtures in testdata.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const path = "package-lock.json"
		lf, err := Parse(data, path)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "failed to ") || !strings.Contains(msg, path) || strings.HasSuffix(msg, "\n") || len(msg) > 8*len(data)+512 {
				t.Errorf("malformed error: %q", msg)
			}
			return
		}
		again, err := Parse(data, path)
		if err != nil || !reflect.DeepEqual(lf, again) {
			t.Errorf("Parse is not deterministic (second error %v)", err)
		}
	})
}
