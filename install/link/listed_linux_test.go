package link

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/cache/store"
)

// The listing, not the directory, decides what is linked.
func TestMaterializeListedUsesListing(t *testing.T) {
	root := t.TempDir()
	src, dst := filepath.Join(root, "store", "a"), filepath.Join(root, "nm", "a")
	writeTree(t, src, pkgA)
	if err := os.Symlink("index.js", filepath.Join(src, "alias.js")); err != nil {
		t.Fatal(err)
	}
	l := &walkLister{skip: "lib/deep/x/z.txt"}
	for _, m := range []Method{Hardlink, Copy} {
		t.Run(m.String(), func(t *testing.T) {
			d := dst + m.String()
			res, err := Materialize(context.Background(), []Job{{Src: src, Dst: d}}, Options{Method: m, Concurrency: 2, List: l.list})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Lstat(filepath.Join(d, "lib/deep/x/z.txt")); !os.IsNotExist(err) {
				t.Errorf("a file the listing leaves out was linked (%v)", err)
			}
			if target, err := os.Readlink(filepath.Join(d, "alias.js")); err != nil || target != "index.js" {
				t.Errorf("symlink = %q, %v", target, err)
			}
			if res.Files != 5 { // package.json, index.js, bin/cli.js, lib/deep/x/y.js, alias.js
				t.Errorf("result = %+v, want 5 files", res)
			}
		})
	}
}

// A listed file that the store entry lacks is an error naming it, with
// what to do about it.
func TestMaterializeListedMissingFile(t *testing.T) {
	root := t.TempDir()
	src := filepath.Join(root, "store", "a")
	writeTree(t, src, pkgB)
	l := &walkLister{extra: "gone.js"}
	_, err := Materialize(context.Background(), []Job{{Src: src, Dst: filepath.Join(root, "nm", "a")}},
		Options{Method: Hardlink, List: l.list})
	if err == nil {
		t.Fatal("no error")
	}
	if want := fmt.Sprintf("%q", filepath.Join(src, "gone.js")); !strings.HasPrefix(err.Error(), "failed to link ") ||
		!strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "cache verify") {
		t.Errorf("error %q does not name %s and the fix", err, want)
	}
}

// Without a usable listing the directories are read.
func TestMaterializeListedFallback(t *testing.T) {
	root := t.TempDir()
	src, dst := filepath.Join(root, "store", "a"), filepath.Join(root, "nm", "a")
	writeTree(t, src, pkgA)
	var calls atomic.Int32
	failing := func(src string, buf []byte, fn func(byte, []byte) error) ([]byte, error) {
		calls.Add(1)
		fn('f', []byte("package.json")) // a partial listing must not count
		return buf, os.ErrNotExist
	}
	if _, err := Materialize(context.Background(), []Job{{Src: src, Dst: dst}}, Options{Method: Hardlink, List: failing}); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 {
		t.Errorf("List called %d times", calls.Load())
	}
	if d := diffTrees(full(pkgA), readTree(t, dst)); d != "" {
		t.Error(d)
	}
}

// Idle workers take shares of a large listed package, and every file is
// linked once.
func TestMaterializeListedSharing(t *testing.T) {
	root := t.TempDir()
	src, dst := filepath.Join(root, "store", "big"), filepath.Join(root, "nm", "big")
	tr := tree{}
	for i := range 3000 {
		tr[fmt.Sprintf("d%d/f%d.js", i%7, i)] = fmt.Sprint(i)
	}
	writeTree(t, src, tr)
	var shares atomic.Int32
	testHookTask = func(t task) {
		if t.pkg != nil {
			shares.Add(1)
		}
	}
	defer func() { testHookTask = nil }()
	var l walkLister
	res, err := Materialize(context.Background(), []Job{{Src: src, Dst: dst}}, Options{Method: Hardlink, Concurrency: 4, List: l.list})
	if err != nil {
		t.Fatal(err)
	}
	if d := diffTrees(full(tr), readTree(t, dst)); d != "" {
		t.Error(d)
	}
	if res.Files != 3000 || res.Dirs != 8 {
		t.Errorf("result = %+v, want 3000 files, 8 dirs", res)
	}
	if shares.Load() == 0 {
		t.Error("no share of the package went to another worker")
	}
}

// The content store's List works as Options.List: an entry is laid out
// from its index.
func TestMaterializeFromStoreIndex(t *testing.T) {
	root := t.TempDir()
	s, err := store.Open(filepath.Join(root, "cache"))
	if err != nil {
		t.Fatal(err)
	}
	key := "sha512-" + strings.Repeat("ab", 64)
	dir, err := s.Put(key, func(tmp string) error {
		writeTree(t, tmp, pkgA)
		return os.Symlink("../index.js", filepath.Join(tmp, "bin", "link with space"))
	})
	if err != nil {
		t.Fatal(err)
	}
	// Not in the index: a listed layout leaves it out.
	if err := os.WriteFile(filepath.Join(dir, "late.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(root, "nm", "a")
	if _, err := Materialize(context.Background(), []Job{{Src: dir, Dst: dst}}, Options{Method: Hardlink, List: store.List}); err != nil {
		t.Fatal(err)
	}
	want := full(pkgA)
	got := readTree(t, dst)
	if target, err := os.Readlink(filepath.Join(dst, "bin", "link with space")); err != nil || target != "../index.js" {
		t.Errorf("symlink = %q, %v", target, err)
	}
	delete(got, "bin/link with space")
	if d := diffTrees(want, got); d != "" {
		t.Error(d)
	}
}

// A run whose linking is slow (slowCall forced down to zero here; a store
// on a cold disk in real life) switches to blocking system calls once and
// starts the held-back workers; a fast one stays raw. Either way every file
// is linked.
func TestMaterializeSwitchesToBlocking(t *testing.T) {
	tests := []struct {
		name     string
		slowCall time.Duration
		want     int32 // switches
	}{
		{"slow", 0, 1},
		{"fast", time.Hour, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			tr := tree{}
			for i := range 300 {
				tr[fmt.Sprintf("lib/f%d.js", i)] = fmt.Sprint(i)
			}
			var jobs []Job
			for j := range 2*runtime.GOMAXPROCS(0) + 2 {
				src := filepath.Join(root, "store", fmt.Sprint(j))
				writeTree(t, src, tr)
				jobs = append(jobs, Job{Src: src, Dst: filepath.Join(root, "nm", fmt.Sprint(j))})
			}
			old := slowCall
			slowCall = tc.slowCall
			defer func() { slowCall = old }()
			var switches atomic.Int32
			testHookBlocking = func() { switches.Add(1) }
			defer func() { testHookBlocking = nil }()
			var l walkLister
			res, err := Materialize(context.Background(), jobs, Options{Method: Hardlink, List: l.list})
			if err != nil {
				t.Fatal(err)
			}
			if got := switches.Load(); got != tc.want {
				t.Errorf("switched to blocking system calls %d times, want %d", got, tc.want)
			}
			if res.Files != 300*len(jobs) {
				t.Errorf("linked %d files, want %d", res.Files, 300*len(jobs))
			}
			for _, j := range jobs {
				if d := diffTrees(full(tr), readTree(t, j.Dst)); d != "" {
					t.Fatal(d)
				}
			}
		})
	}
}
