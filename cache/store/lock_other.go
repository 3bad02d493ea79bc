//go:build !linux

package store

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Elsewhere the per-key locks are flock(2) files, <root>/store/v1/locks/
// <key>.lock, opened anew for every lock: each lock is its own open file
// description, so lockers in one process exclude each other too. Lock files
// are never deleted, so every process locks the same inode.

// lockFileName names the Linux lock file (unused here; Scan skips it).
const lockFileName = "locks.ofd"

// locker is the Store's lock state.
type locker struct{}

func (s *Store) locksDir() string { return filepath.Join(s.base, "locks") }

// initLocks creates the lock directory at Open.
func (s *Store) initLocks() error {
	if err := os.MkdirAll(s.locksDir(), 0o755); err != nil {
		return fmt.Errorf("failed to create store directory %q: %w", s.locksDir(), err)
	}
	return nil
}

// lock takes the per-key lock. With wait false it fails at once (unix.
// EWOULDBLOCK) when anyone else holds it.
func (s *Store) lock(key string, wait bool) (unlock func(), err error) {
	p := filepath.Join(s.locksDir(), key+".lock")
	fd, err := unix.Open(p, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("failed to open lock %q: %w", p, err)
	}
	how := unix.LOCK_EX
	if !wait {
		how |= unix.LOCK_NB
	}
	for {
		err = unix.Flock(fd, how)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("failed to lock %q: %w", p, err)
	}
	return func() { unix.Flock(fd, unix.LOCK_UN); unix.Close(fd) }, nil
}
