//go:build linux

package store

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// On Linux the per-key locks are open-file-description (OFD) byte-range
// locks on one file, <root>/store/v1/locks.ofd: key k is its byte
// lockOffset(k). Taking a lock is one fcntl(2) instead of creating,
// opening, flocking and closing a file per key. The file stays empty (locks
// may lie past its end) and is never deleted, so every process locks the
// same inode.
//
// OFD locks belong to an open file description, not to a process. Each
// Store opens the lock file once (lazily, on its first lock), so two Store
// values, in one process or in two, hold separate descriptions and their
// locks on one key exclude each other like locks of two processes would.
// Locks taken through one Store's description do not conflict with each
// other, so the Store also keeps an in-process lock per offset, taken first:
// it is what serializes lockers of one Store (Put's single flight already
// runs one fill per key; the table covers Remove and the cleaners racing a
// fill, and two keys whose offsets collide).

// lockFileName names the lock file in the store's base directory; the
// dot keeps it apart from algorithm directories.
const lockFileName = "locks.ofd"

// locker is the Store's lock state.
type locker struct {
	mu   sync.Mutex
	file *os.File // nil until the first lock; never closed while the Store lives
	fd   uintptr
	held map[int64]*localLock // offsets locked or waited for in this Store
}

// localLock is one offset's in-process lock; refs counts its holders and
// waiters, and the entry leaves the table when it drops to zero.
type localLock struct {
	mu   sync.Mutex
	refs int
}

// initLocks prepares the lock state at Open; the file is opened lazily.
func (s *Store) initLocks() error { return nil }

// lockOffset maps a key to a byte of the lock file: 62 bits of its FNV-1a
// hash, so the range [off, off+1) never overflows off_t. Two keys may share
// an offset; they then only wait for each other.
func lockOffset(key string) int64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= 1099511628211
	}
	return int64(h >> 2)
}

// lock takes the per-key lock, in this Store and across processes. With
// wait false it fails at once, with an error wrapping unix.EWOULDBLOCK,
// when anyone else holds it.
func (s *Store) lock(key string, wait bool) (unlock func(), err error) {
	off := lockOffset(key)
	l := &s.locker
	l.mu.Lock()
	if l.file == nil {
		p := filepath.Join(s.base, lockFileName)
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644) // O_CLOEXEC is implied
		if err != nil {
			l.mu.Unlock()
			return nil, fmt.Errorf("failed to open lock %q: %w", p, err)
		}
		l.file, l.fd = f, f.Fd()
		l.held = make(map[int64]*localLock)
	}
	ll := l.held[off]
	if ll == nil {
		ll = &localLock{}
		l.held[off] = ll
	}
	if wait {
		ll.refs++
		l.mu.Unlock()
		ll.mu.Lock()
	} else if ll.mu.TryLock() {
		ll.refs++
		l.mu.Unlock()
	} else { // held in this Store (so ll has refs and stays in the table)
		l.mu.Unlock()
		return nil, fmt.Errorf("failed to lock %q: %w", key, unix.EWOULDBLOCK)
	}
	release := func() {
		ll.mu.Unlock()
		l.mu.Lock()
		if ll.refs--; ll.refs == 0 {
			delete(l.held, off)
		}
		l.mu.Unlock()
	}

	fl := unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart, Start: off, Len: 1}
	cmd := unix.F_OFD_SETLK
	if wait {
		cmd = unix.F_OFD_SETLKW
	}
	for {
		err = unix.FcntlFlock(l.fd, cmd, &fl)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		release()
		if err == unix.EACCES { // POSIX allows either for a held lock
			err = unix.EWOULDBLOCK
		}
		return nil, fmt.Errorf("failed to lock %q: %w", key, err)
	}
	return func() {
		fl := unix.Flock_t{Type: unix.F_UNLCK, Whence: io.SeekStart, Start: off, Len: 1}
		for unix.FcntlFlock(l.fd, unix.F_OFD_SETLK, &fl) == unix.EINTR {
		}
		release()
	}, nil
}
