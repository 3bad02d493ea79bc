package fsx

import (
	"os"
	"path/filepath"
	"testing"
)

// A file written after FileClock was read never has an earlier mtime
// (time.Now fails this now and then: the kernel stamps files with its
// coarse clock).
func TestFileClockBeforeWrites(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	for i := 0; i < 2000; i++ {
		since := FileClock()
		if err := os.WriteFile(p, []byte{byte(i)}, 0o644); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.ModTime().Before(since) {
			t.Fatalf("write %d: mtime %v is before FileClock's %v", i, st.ModTime(), since)
		}
	}
}
