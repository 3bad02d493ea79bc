package extract

import (
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Creating, writing and closing a package's files are calls that return in
// microseconds while the page cache takes the writes. Made raw, they skip
// the scheduler's system-call bookkeeping: a goroutine in a normal call
// gives up its P to another thread when the call outlasts 20 µs, and a cold
// install makes ~40,000 of each on the medium fixture. Measured on
// p3_cold_install in alternating pairs (noisy: the network and the disk
// move run to run): medium, 9 pairs, median 2.50 -> 2.35 s wall and
// 2.38 -> 2.09 s system time; small, 6 pairs, 0.835 -> 0.775 s.
//
// A raw call holds its P (and stops a garbage collection from starting)
// for as long as it lasts, so the first one that takes longer than
// slowFSCall — the kernel throttling dirty pages, a disk that has fallen
// behind — switches every extraction in the process to normal calls for
// good.

var fsBlocking atomic.Bool

const slowFSCall = time.Millisecond

func fsSyscall6(trap, a1, a2, a3, a4 uintptr) (uintptr, unix.Errno) {
	if fsBlocking.Load() {
		r, _, e := unix.Syscall6(trap, a1, a2, a3, a4, 0, 0)
		return r, e
	}
	start := time.Now()
	r, _, e := unix.RawSyscall6(trap, a1, a2, a3, a4, 0, 0)
	if time.Since(start) > slowFSCall {
		fsBlocking.Store(true)
	}
	return r, e
}

func sysOpenat(dfd int, p string, flags int, perm uint32) (int, error) {
	b, err := unix.BytePtrFromString(p)
	if err != nil {
		return -1, err
	}
	fd, e := fsSyscall6(unix.SYS_OPENAT, uintptr(dfd), uintptr(unsafe.Pointer(b)), uintptr(flags), uintptr(perm))
	// fsSyscall6 is Go, not assembly: a pointer passed to it as a uintptr
	// does not keep its object alive, so without this a garbage collection
	// during the call could free the path and another allocation reuse it
	// before the kernel reads it.
	runtime.KeepAlive(b)
	if e != 0 {
		return -1, e
	}
	return int(fd), nil
}

func sysWrite(fd int, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, e := fsSyscall6(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), 0)
	runtime.KeepAlive(b) // as in sysOpenat
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

func sysClose(fd int) error {
	if _, e := fsSyscall6(unix.SYS_CLOSE, uintptr(fd), 0, 0, 0); e != 0 {
		return e
	}
	return nil
}
