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
	if err := settle(context.Background(), 30*time.Millisecond, nil); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("settled for %v, want at least 30ms", d)
	}
	if err := settle(context.Background(), 0, nil); err != nil {
		t.Errorf("zero settle: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start = time.Now()
	if err := settle(ctx, time.Hour, nil); err == nil || time.Since(start) > time.Second {
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
	// The last purge does not wait, whatever Settle says (a wait would
	// end with the context's deadline, as an error).
	b.o.Settle = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.purge(ctx, false); err != nil {
		t.Fatalf("the last purge: %v", err)
	}
	if got, err := os.ReadDir(filepath.Join(work, "trash")); err != nil || len(got) != 0 {
		t.Errorf("trash after purge: %d entries, %v", len(got), err)
	}
}
