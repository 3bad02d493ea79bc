package bench

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSettle(t *testing.T) {
	start := time.Now()
	if err := settle(context.Background(), 30*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("settled for %v, want at least 30ms", d)
	}
	if err := settle(context.Background(), 0); err != nil {
		t.Errorf("zero settle: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start = time.Now()
	if err := settle(ctx, time.Hour); err == nil || time.Since(start) > time.Second {
		t.Errorf("canceled settle: err %v after %v", err, time.Since(start))
	}
}

// TestDiscardAndPurge: a run's leftovers move to the trash (nothing is
// deleted between timed runs) and purge deletes them.
func TestDiscardAndPurge(t *testing.T) {
	work := t.TempDir()
	b := &bencher{o: Options{WorkDir: work}}
	if err := os.MkdirAll(filepath.Join(work, "trash"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(work, "proj", "x")
	for range 2 {
		if err := os.MkdirAll(filepath.Join(dir, "node_modules", "a"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := b.discard(dir); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Fatalf("%s still there after discard: %v", dir, err)
		}
	}
	if err := b.discard(filepath.Join(work, "absent")); err != nil {
		t.Errorf("discard of a missing path: %v", err)
	}
	if got, _ := os.ReadDir(filepath.Join(work, "trash")); len(got) != 2 {
		t.Fatalf("trash holds %d entries, want 2", len(got))
	}
	if err := b.purge(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadDir(filepath.Join(work, "trash")); err != nil || len(got) != 0 {
		t.Errorf("trash after purge: %d entries, %v", len(got), err)
	}
}
