package fsx

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FileTick splits file changes in two: a file written before it has an
// earlier mtime, one written after it has no earlier mtime. time.Now fails
// the second half at once (the kernel stamps files with its coarse
// clock), the coarse clock's current value the first.
func TestFileTickSplitsWrites(t *testing.T) {
	dir := t.TempDir()
	before, after := filepath.Join(dir, "before"), filepath.Join(dir, "after")
	mtime := func(p string) time.Time {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return st.ModTime()
	}
	for i := 0; i < 200; i++ {
		if err := os.WriteFile(before, []byte{byte(i)}, 0o644); err != nil {
			t.Fatal(err)
		}
		split := FileTick()
		if err := os.WriteFile(after, []byte{byte(i)}, 0o644); err != nil {
			t.Fatal(err)
		}
		if m := mtime(before); !m.Before(split) {
			t.Fatalf("round %d: a file written before has mtime %v, not before %v", i, m, split)
		}
		if m := mtime(after); m.Before(split) {
			t.Fatalf("round %d: a file written after has mtime %v, before %v", i, m, split)
		}
	}
}
