package extract

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

var sleepFor unix.Timespec

// TestSlowCallSwitchesToBlocking: a file system call that outlasts
// slowFSCall switches extraction to normal system calls, which still
// extract.
func TestSlowCallSwitchesToBlocking(t *testing.T) {
	was := fsBlocking.Load()
	t.Cleanup(func() { fsBlocking.Store(was) })
	fsBlocking.Store(false)
	ts := &sleepFor // not on the stack: fsSyscall6 is Go, and a stack can move
	*ts = unix.NsecToTimespec(int64(3 * slowFSCall))
	for {
		// A signal (the runtime preempts with SIGURG) can cut the sleep
		// short: sleep again, until one sleep runs its whole length.
		_, e := fsSyscall6(unix.SYS_NANOSLEEP, uintptr(unsafe.Pointer(ts)), 0, 0, 0)
		runtime.KeepAlive(ts)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			t.Fatal(e)
		}
		break
	}
	if !fsBlocking.Load() {
		t.Fatalf("a %v call left extraction on raw system calls", 3*slowFSCall)
	}
	dest := t.TempDir()
	if _, err := Extract(bytes.NewReader(mkTar(t, []ent{file("package/a.js", "a", 0o644)})), dest, Options{}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dest, "a.js")); err != nil || string(b) != "a" {
		t.Fatalf("a.js = %q, %v", b, err)
	}
}
