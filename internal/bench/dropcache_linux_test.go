//go:build linux

package bench

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// resident counts the pages of the file at p that are in the page cache.
func resident(t *testing.T, p string) int {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	m, err := unix.Mmap(int(f.Fd()), 0, int(st.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	vec := make([]byte, (len(m)+os.Getpagesize()-1)/os.Getpagesize())
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatal(errno)
	}
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return n
}

// TestSettleDropsDiscardedCaches: the pages of a discarded cache leave the
// page cache at the next settle; a discarded project's (hardlinks into a
// live cache) and a live cache's stay.
func TestSettleDropsDiscardedCaches(t *testing.T) {
	work := t.TempDir()
	b := &bencher{o: Options{WorkDir: work, Settle: time.Millisecond}}
	if err := os.MkdirAll(filepath.Join(work, "trash"), 0o755); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(i)
	}
	write := func(p string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	oldCache := filepath.Join(work, "cache", "fx", "tool")
	write(filepath.Join(oldCache, "store", "a", "index.js"))
	liveCache := filepath.Join(work, "cache", "fx", "other")
	write(filepath.Join(liveCache, "store", "b"))
	proj := filepath.Join(work, "proj", "fx", "other")
	if err := os.MkdirAll(filepath.Join(proj, "node_modules"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(liveCache, "store", "b"), filepath.Join(proj, "node_modules", "b")); err != nil {
		t.Fatal(err)
	}
	if err := b.discard(oldCache); err != nil {
		t.Fatal(err)
	}
	if err := b.discard(proj); err != nil {
		t.Fatal(err)
	}
	if len(b.drop) != 1 {
		t.Fatalf("drop = %q, want only the discarded cache", b.drop)
	}
	trashed := filepath.Join(b.drop[0], "store", "a", "index.js")
	if resident(t, trashed) == 0 {
		t.Skip("the page cache did not keep a file just written; nothing to check")
	}
	if err := b.settle(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := resident(t, trashed); n != 0 {
		t.Errorf("%d pages of the discarded cache still cached after settle", n)
	}
	if n := resident(t, filepath.Join(liveCache, "store", "b")); n == 0 {
		t.Errorf("the live cache was dropped from the page cache too")
	}
	if len(b.drop) != 0 {
		t.Errorf("drop = %q after settle, want empty", b.drop)
	}
}

func TestParseDentryState(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{
		{"17134246\t17013237\t45\t0\t395839\t0\n", 17134246},
		{"1261\t36\t45\t0\t11\t0\n", 1261},
		{"", -1},
		{"x 1 2", -1},
	} {
		if got := parseDentryState(c.in); got != c.want {
			t.Errorf("parseDentryState(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}
