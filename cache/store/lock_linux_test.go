//go:build linux

package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestLockOffset(t *testing.T) {
	keys := []string{key1, key2, "sha1-abc", "sha512-abc", "sha512-abd", "sha256-abc"}
	seen := map[int64]string{}
	for _, k := range keys {
		off := lockOffset(k)
		if off < 0 || off >= 1<<62 {
			t.Errorf("lockOffset(%q) = %d, outside [0, 2^62)", k, off)
		}
		if other, ok := seen[off]; ok {
			t.Errorf("lockOffset(%q) = lockOffset(%q) = %d", k, other, off)
		}
		seen[off] = k
		if lockOffset(k) != off {
			t.Errorf("lockOffset(%q) is not stable", k)
		}
	}
}

func TestLockLayout(t *testing.T) {
	s, root := open(t)
	if _, err := s.Put(key1, writeFill("x")); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(root, "store", "v1")
	if fi, err := os.Stat(filepath.Join(base, lockFileName)); err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("lock file: %v, %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(base, "locks")); !os.IsNotExist(err) {
		t.Fatalf("locks directory exists on Linux: %v", err)
	}
	entries, _, strays, err := s.Scan()
	if err != nil || len(entries) != 1 || len(strays) != 0 {
		t.Fatalf("Scan = %v, strays %v, %v", entries, strays, err)
	}
}

// TestLockExcludes checks that a held key lock makes a non-blocking lock of
// the same key busy, through the same Store (the in-process table) and
// through another Store (its own open file description), and that a
// blocking lock waits until the holder unlocks.
func TestLockExcludes(t *testing.T) {
	tests := []struct {
		name      string
		sameStore bool
		key       string
		busy      bool
	}{
		{"same store, same key", true, key1, true},
		{"other store, same key", false, key1, true},
		{"same store, other key", true, key2, false},
		{"other store, other key", false, key2, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s1, root := open(t)
			s2 := s1
			if !tc.sameStore {
				var err error
				if s2, err = Open(root); err != nil {
					t.Fatal(err)
				}
			}
			unlock, err := s1.lock(key1, true)
			if err != nil {
				t.Fatal(err)
			}
			u2, err := s2.lock(tc.key, false)
			if tc.busy {
				if !errors.Is(err, unix.EWOULDBLOCK) {
					t.Fatalf("non-blocking lock of a held key = %v, want EWOULDBLOCK", err)
				}
			} else {
				if err != nil {
					t.Fatalf("non-blocking lock of a free key: %v", err)
				}
				u2()
			}

			got := make(chan error, 1)
			go func() {
				u, err := s2.lock(tc.key, true)
				if err == nil {
					u()
				}
				got <- err
			}()
			if tc.busy {
				select {
				case err := <-got:
					t.Fatalf("blocking lock returned (%v) while the key was held", err)
				case <-time.After(100 * time.Millisecond):
				}
			}
			unlock()
			select {
			case err := <-got:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("blocking lock did not return after unlock")
			}
			// everything is free again, and the table is empty
			u, err := s1.lock(key1, false)
			if err != nil {
				t.Fatalf("lock after unlock: %v", err)
			}
			u()
			for _, s := range []*Store{s1, s2} {
				s.locker.mu.Lock()
				n := len(s.locker.held)
				s.locker.mu.Unlock()
				if n != 0 {
					t.Fatalf("%d offsets left in the lock table", n)
				}
			}
		})
	}
}

// TestRemoveWaitsForFill: Remove of a key whose fill runs in the same Store
// waits for the fill (the shared open file description alone would not).
func TestRemoveWaitsForFill(t *testing.T) {
	s, _ := open(t)
	filling, release := make(chan struct{}), make(chan struct{})
	putDone := make(chan error, 1)
	go func() {
		_, err := s.Put(key1, func(tmp string) error {
			close(filling)
			<-release
			return writeFill("x")(tmp)
		})
		putDone <- err
	}()
	<-filling
	removed := make(chan error, 1)
	go func() { removed <- s.Remove(key1) }()
	select {
	case err := <-removed:
		t.Fatalf("Remove returned (%v) during the fill", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-putDone; err != nil {
		t.Fatal(err)
	}
	if err := <-removed; err != nil {
		t.Fatal(err)
	}
	if s.Has(key1) {
		t.Fatal("entry exists after Remove that followed the fill")
	}
}

// TestCrossProcessLock: while another process holds a key's lock, a
// non-blocking lock here is busy and a blocking one waits; CleanTemps
// leaves that key's temporary directory alone.
func TestCrossProcessLock(t *testing.T) {
	if os.Getenv("STORE_HELPER_ROOT") != "" {
		t.Skip("helper mode")
	}
	s, root := open(t)
	temp := filepath.Join(root, "store", "v1", "tmp", key1+".inflight")
	if err := os.Mkdir(temp, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldLock$", "-test.count=1")
	cmd.Env = append(os.Environ(), "STORE_HELPER_ROOT="+root)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	buf := make([]byte, 64)
	var out strings.Builder
	for !strings.Contains(out.String(), "LOCKED") {
		n, err := stdout.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			t.Fatalf("helper: %v\n%s", err, out.String())
		}
	}
	if _, err := s.lock(key1, false); !errors.Is(err, unix.EWOULDBLOCK) {
		t.Fatalf("non-blocking lock held by another process = %v, want EWOULDBLOCK", err)
	}
	if n := s.CleanTemps(); n != 0 {
		t.Fatalf("CleanTemps removed %d directories of a locked key", n)
	}
	u, err := s.lock(key2, false)
	if err != nil {
		t.Fatalf("other key: %v", err)
	}
	u()
	got := make(chan error, 1)
	go func() {
		u, err := s.lock(key1, true)
		if err == nil {
			u()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("blocking lock returned (%v) while another process held it", err)
	case <-time.After(100 * time.Millisecond):
	}
	stdin.Close() // the helper unlocks and exits
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("blocking lock did not return after the other process unlocked")
	}
	if n := s.CleanTemps(); n != 1 {
		t.Fatalf("CleanTemps removed %d directories after unlock, want 1", n)
	}
}

// TestHelperHoldLock is the child side of TestCrossProcessLock: it locks
// key1, says so, and unlocks when its stdin closes.
func TestHelperHoldLock(t *testing.T) {
	root := os.Getenv("STORE_HELPER_ROOT")
	if root == "" {
		t.Skip("only run as a helper subprocess")
	}
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := s.lock(key1, true)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("LOCKED")
	io.Copy(io.Discard, os.Stdin)
	unlock()
}
