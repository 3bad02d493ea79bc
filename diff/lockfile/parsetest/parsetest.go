// Package parsetest is the fuzz check every lockfile reader under
// diff/lockfile shares; only their tests import it.
package parsetest

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/diff"
)

// FuzzParse checks that parse never panics, is deterministic, and that its
// errors are "failed to …" lines naming the file (path). The seed corpus is
// testdata/fuzz/FuzzParse plus every file in the package's testdata.
func FuzzParse(f *testing.F, path string, parse func(data []byte, path string) (*diff.Lockfile, error)) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lf, err := parse(data, path)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "failed to ") || !strings.Contains(msg, path) || strings.HasSuffix(msg, "\n") || len(msg) > 8*len(data)+512 {
				t.Errorf("malformed error: %q", msg)
			}
			return
		}
		again, err := parse(data, path)
		if err != nil || !reflect.DeepEqual(lf, again) {
			t.Errorf("Parse is not deterministic (second error %v)", err)
		}
	})
}
