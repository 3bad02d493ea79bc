package store

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	key1 = "sha512-0123456789abcdef0123456789abcdef"
	key2 = "sha512-fedcba9876543210fedcba9876543210"
)

func open(t *testing.T) (*Store, string) {
	t.Helper()
	root := t.TempDir()
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	return s, root
}

func writeFill(content string) func(string) error {
	return func(tmp string) error {
		if err := os.MkdirAll(filepath.Join(tmp, "lib"), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(tmp, "lib", "index.js"), []byte(content), 0o644)
	}
}

func tmpEntries(t *testing.T, root string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(root, "store", "v1", "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestDirAndKeys(t *testing.T) {
	s, root := open(t)
	tests := []struct {
		key, dir string
	}{
		{key1, filepath.Join(root, "store/v1/sha512/01/23456789abcdef0123456789abcdef")},
		{"sha1-abc", filepath.Join(root, "store/v1/sha1/ab/c")},
		{"sha512-ABCDEF", ""},      // uppercase hex
		{"sha512-ab", ""},          // too short
		{"sha512", ""},             // no digest
		{"-abcdef", ""},            // no algorithm
		{"sha512-../../etc", ""},   // traversal
		{"sha/512-abcdef", ""},     // separator in algorithm
		{"sha512-abc/def", ""},     // separator in digest
		{"SHA512-abcdef", ""},      // uppercase algorithm
		{"sha512-abcdef.tmp", ""},  // dot
		{"sha512-abcdef\x00x", ""}, // NUL
	}
	for _, tc := range tests {
		if got := s.Dir(tc.key); got != tc.dir {
			t.Errorf("Dir(%q) = %q, want %q", tc.key, got, tc.dir)
		}
		if tc.dir == "" {
			if _, err := s.Put(tc.key, writeFill("x")); err == nil || !strings.HasPrefix(err.Error(), "failed to use store key") {
				t.Errorf("Put(%q) error = %v", tc.key, err)
			}
			if err := s.Remove(tc.key); err == nil {
				t.Errorf("Remove(%q) succeeded", tc.key)
			}
			if s.Has(tc.key) {
				t.Errorf("Has(%q) = true", tc.key)
			}
		}
	}
}

func TestPutHasRemove(t *testing.T) {
	s, root := open(t)
	if s.Has(key1) {
		t.Fatal("Has before Put")
	}
	dir, err := s.Put(key1, writeFill("one"))
	if err != nil {
		t.Fatal(err)
	}
	if dir != s.Dir(key1) || !s.Has(key1) {
		t.Fatalf("Put returned %q, Has=%v", dir, s.Has(key1))
	}
	if b, err := os.ReadFile(filepath.Join(dir, "lib", "index.js")); err != nil || string(b) != "one" {
		t.Fatalf("entry content = %q, %v", b, err)
	}
	// present: fill is not called again
	dir2, err := s.Put(key1, func(string) error { t.Error("fill called for a present entry"); return nil })
	if err != nil || dir2 != dir {
		t.Fatalf("second Put = %q, %v", dir2, err)
	}
	if err := s.Remove(key1); err != nil {
		t.Fatal(err)
	}
	if s.Has(key1) {
		t.Fatal("Has after Remove")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("entry dir still there: %v", err)
	}
	if err := s.Remove(key1); err != nil {
		t.Fatalf("Remove of a missing entry: %v", err)
	}
	if left := tmpEntries(t, root); len(left) != 0 {
		t.Fatalf("tmp not empty after Remove: %v", left)
	}
	// a removed entry can be filled again
	if _, err := s.Put(key1, writeFill("two")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "lib", "index.js")); string(b) != "two" {
		t.Fatalf("refilled entry = %q", b)
	}
}

func TestFillErrorLeavesNothing(t *testing.T) {
	s, root := open(t)
	boom := errors.New("boom")
	var sawTmp string
	_, err := s.Put(key1, func(tmp string) error {
		sawTmp = tmp
		writeFill("partial")(tmp)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Put error = %v, want boom", err)
	}
	if s.Has(key1) {
		t.Fatal("entry exists after failed fill")
	}
	if _, err := os.Stat(sawTmp); !os.IsNotExist(err) {
		t.Fatalf("temp dir %q left behind: %v", sawTmp, err)
	}
	if left := tmpEntries(t, root); len(left) != 0 {
		t.Fatalf("tmp not empty: %v", left)
	}
	if !strings.HasPrefix(sawTmp, filepath.Join(root, "store", "v1")) {
		t.Fatalf("temp dir %q is not inside the store", sawTmp)
	}
	// panicking fill: nothing left, and later Puts do not hang
	func() {
		defer func() { recover() }()
		s.Put(key1, func(tmp string) error { writeFill("p")(tmp); panic("fill panic") })
	}()
	if left := tmpEntries(t, root); len(left) != 0 || s.Has(key1) {
		t.Fatalf("after panic: tmp %v, Has %v", left, s.Has(key1))
	}
	if _, err := s.Put(key1, writeFill("ok")); err != nil {
		t.Fatalf("Put after failures: %v", err)
	}
}

func TestConcurrentPutFillsOnce(t *testing.T) {
	s, _ := open(t)
	var fills atomic.Int32
	const n = 64
	var wg sync.WaitGroup
	dirs := make([]string, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			dirs[i], errs[i] = s.Put(key1, func(tmp string) error {
				fills.Add(1)
				time.Sleep(50 * time.Millisecond) // keep the others waiting
				return writeFill("once")(tmp)
			})
		}(i)
	}
	close(start)
	wg.Wait()
	if got := fills.Load(); got != 1 {
		t.Fatalf("fill ran %d times, want 1", got)
	}
	for i := range dirs {
		if errs[i] != nil || dirs[i] != s.Dir(key1) {
			t.Fatalf("Put %d = %q, %v", i, dirs[i], errs[i])
		}
	}
}

func TestConcurrentFillErrorShared(t *testing.T) {
	s, _ := open(t)
	var fills atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = s.Put(key1, func(string) error {
				fills.Add(1)
				<-release
				return errors.New("fill failed")
			})
		}(i)
	}
	time.Sleep(100 * time.Millisecond)
	close(release)
	wg.Wait()
	for i, err := range errs {
		if err == nil {
			t.Errorf("Put %d succeeded", i)
		}
	}
	if fills.Load() < 1 || s.Has(key1) {
		t.Fatalf("fills=%d Has=%v", fills.Load(), s.Has(key1))
	}
}

func TestRenameRaceLoserDiscards(t *testing.T) {
	s, root := open(t)
	dir, err := s.Put(key1, func(tmp string) error {
		// a process ignoring the lock completes the entry first
		if err := os.MkdirAll(s.Dir(key1), 0o755); err != nil {
			return err
		}
		if err := writeFill("winner")(s.Dir(key1)); err != nil {
			return err
		}
		return writeFill("loser")(tmp)
	})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "lib", "index.js")); string(b) != "winner" {
		t.Fatalf("entry = %q, want the winner's", b)
	}
	if left := tmpEntries(t, root); len(left) != 0 {
		t.Fatalf("loser's copy left in tmp: %v", left)
	}
}

func TestOpenCleansStaleTemps(t *testing.T) {
	root := t.TempDir()
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(root, "store", "v1", "tmp")
	old := time.Now().Add(-2 * StaleAge)
	mk := func(name string, mtime time.Time) {
		p := filepath.Join(tmp, name)
		if err := os.MkdirAll(filepath.Join(p, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	mk(key1+".dead", old)
	mk("sha1-abcdef.fresh", time.Now())
	mk("sha256-abcdef.locked", old)
	mk("not-a-key!.x", old)
	unlock, err := s.lock("sha256-abcdef", true) // a live fill holds this key
	if err != nil {
		t.Fatal(err)
	}
	// Open holds separate file descriptions, so the flock conflicts even
	// within this process, just as it would from another process.
	if _, err := Open(root); err != nil {
		t.Fatal(err)
	}
	unlock()
	got := strings.Join(tmpEntries(t, root), ",")
	want := "not-a-key!.x,sha1-abcdef.fresh,sha256-abcdef.locked"
	if got != want {
		t.Fatalf("tmp after Open = %q, want %q", got, want)
	}
}

// TestCrossProcessPut starts several copies of this test binary that Put
// the same two keys at once into one store, in opposite orders; each key's
// fill must run exactly once.
func TestCrossProcessPut(t *testing.T) {
	if os.Getenv("STORE_HELPER_ROOT") != "" {
		t.Skip("helper mode")
	}
	root := t.TempDir()
	counter := filepath.Join(root, "fills.log")
	const procs = 4
	cmds := make([]*exec.Cmd, procs)
	outs := make([]strings.Builder, procs)
	for i := range cmds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), "STORE_HELPER_ROOT="+root, "STORE_HELPER_COUNTER="+counter,
			fmt.Sprintf("STORE_HELPER_START=%d", time.Now().Add(300*time.Millisecond).UnixNano()),
			fmt.Sprintf("STORE_HELPER_INDEX=%d", i))
		cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
		cmds[i] = cmd
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper %d: %v\n%s", i, err, outs[i].String())
		}
		if !strings.Contains(outs[i].String(), "PUT-OK") {
			t.Fatalf("helper %d did not run:\n%s", i, outs[i].String())
		}
	}
	b, err := os.ReadFile(counter)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{key1, key2} {
		if n := strings.Count(string(b), key+"\n"); n != 1 {
			t.Fatalf("fill of %q ran %d times across processes, want 1:\n%s", key, n, b)
		}
	}
	if lines := strings.Count(string(b), "\n"); lines != 2 {
		t.Fatalf("%d fills across processes, want 2:\n%s", lines, b)
	}
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{key1, key2} {
		if got, _ := os.ReadFile(filepath.Join(s.Dir(key), "lib", "index.js")); string(got) != "from a helper" {
			t.Fatalf("entry %q content = %q", key, got)
		}
	}
}

// TestHelperProcess is the child side of TestCrossProcessPut.
func TestHelperProcess(t *testing.T) {
	root := os.Getenv("STORE_HELPER_ROOT")
	if root == "" {
		t.Skip("only run as a helper subprocess")
	}
	var startNs int64
	fmt.Sscan(os.Getenv("STORE_HELPER_START"), &startNs)
	time.Sleep(time.Until(time.Unix(0, startNs))) // line the processes up
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{key1, key2}
	if os.Getenv("STORE_HELPER_INDEX") != "" && os.Getenv("STORE_HELPER_INDEX")[0]%2 == 1 {
		keys[0], keys[1] = keys[1], keys[0]
	}
	for _, key := range keys {
		_, err = s.Put(key, func(tmp string) error {
			f, err := os.OpenFile(os.Getenv("STORE_HELPER_COUNTER"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
			if err != nil {
				return err
			}
			fmt.Fprintf(f, "fill by pid %d of %s\n", os.Getpid(), key)
			f.Close()
			time.Sleep(300 * time.Millisecond) // hold the lock while others arrive
			return writeFill("from a helper")(tmp)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	fmt.Println("PUT-OK")
}
