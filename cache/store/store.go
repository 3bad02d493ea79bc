// Package store is the content-addressed store of extracted packages, keyed
// by integrity.SRI.Key() ("sha512-<lowercase hex>").
//
// Layout under the cache root:
//
//	<root>/store/v1/<algo>/<2 hex>/<rest of hex>/   complete entries
//	<root>/store/v1/<algo>/<2 hex>/<rest of hex>.idx  each entry's index (see Verify)
//	<root>/store/v1/tmp/<key>.<random>/             entries being filled or removed
//	<root>/store/v1/locks.ofd                       per-key locks: one byte each (Linux)
//	<root>/store/v1/locks/<key>.lock                per-key flock files (elsewhere)
//
// Invariant: an entry directory that exists is complete. Put fills a fresh
// temporary directory on the same filesystem and renames it into place only
// after fill succeeded; Remove renames the entry away before deleting it.
// Both renames are atomic, so a killed process leaves either no entry or a
// complete one, plus perhaps a stale temporary directory that a later Open
// deletes once it is older than StaleAge and nobody holds its key's lock.
// The index is renamed into place just before its entry, so an entry that
// exists always has one (an index may briefly exist without its entry).
// Nothing is fsynced: the invariant holds against killed processes, not
// against power loss (a CI cache is disposable).
//
// Put is safe for concurrent use: within a process one fill runs per key
// (single flight), and across processes a per-key lock serializes fills;
// after taking the lock Put checks again, so a key is filled once. On Linux
// the per-key lock is an open-file-description lock on one byte of the
// lock file (see lock_linux.go); each Store opens that file once, so two
// Stores exclude each other like two processes do.
package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/lockstep-dev/lockstep/internal/fsx"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// StaleAge is how old a temporary directory must be before Open may delete it.
const StaleAge = time.Hour

// Store is a content-addressed package store. It is safe for concurrent use.
type Store struct {
	base string // <root>/store/v1
	tmp  string

	locker locker // per-key cross-process locks (lock_linux.go, lock_other.go)

	mu       sync.Mutex
	inflight map[string]*call
}

type call struct {
	done chan struct{}
	dir  string
	err  error
}

// Open prepares the store under root (the cache directory), creating its
// directories, and deletes stale temporary directories left by killed
// processes.
func Open(root string) (*Store, error) {
	base := filepath.Join(root, "store", "v1")
	s := &Store{
		base:     base,
		tmp:      filepath.Join(base, "tmp"),
		inflight: make(map[string]*call),
	}
	if err := os.MkdirAll(s.tmp, 0o755); err != nil {
		return nil, fmt.Errorf("failed to create store directory %q: %w", s.tmp, err)
	}
	if err := s.initLocks(); err != nil {
		return nil, err
	}
	fsx.PackChildren(s.tmp) // an older lockstep spread it (see PackChildren)
	s.cleanStale(time.Now().Add(-StaleAge))
	return s, nil
}

// parseKey splits "<algo>-<hex>" and validates it.
func parseKey(key string) (algo, hexsum string, err error) {
	algo, hexsum, ok := strings.Cut(key, "-")
	if !ok || algo == "" || len(hexsum) < 3 {
		return "", "", fmt.Errorf("failed to use store key %q: want <algo>-<hex>", key)
	}
	for _, c := range algo {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return "", "", fmt.Errorf("failed to use store key %q: bad algorithm", key)
		}
	}
	for _, c := range hexsum {
		if !(c >= 'a' && c <= 'f' || c >= '0' && c <= '9') {
			return "", "", fmt.Errorf("failed to use store key %q: digest is not lowercase hex", key)
		}
	}
	return algo, hexsum, nil
}

// Dir returns where the complete entry for key lives (whether or not it
// exists yet). It returns "" for a malformed key.
func (s *Store) Dir(key string) string {
	algo, h, err := parseKey(key)
	if err != nil {
		return ""
	}
	// filepath.Join without its Clean: base is clean and a valid key has
	// no separators or dots. Every install calls this per package.
	return s.base + string(filepath.Separator) + algo + string(filepath.Separator) + h[:2] + string(filepath.Separator) + h[2:]
}

// Root returns the directory that holds the entries (and the store's
// temporary directory): where to probe what the filesystem can do.
func (s *Store) Root() string { return s.base }

// Has reports whether a complete entry exists for key.
func (s *Store) Has(key string) bool {
	dir := s.Dir(key)
	if dir == "" {
		return false
	}
	// unix.Lstat rather than os.Lstat: no FileInfo to allocate, and a
	// warm install asks once per package.
	var st unix.Stat_t
	for {
		err := unix.Lstat(dir, &st)
		if err == unix.EINTR {
			continue
		}
		return err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR
	}
}

// Put makes the entry for key exist and returns its directory. If it is
// missing, fill is called with an empty temporary directory in the store to
// populate; the directory is then renamed into place. If fill fails, the
// temporary directory is removed and the error is returned. Concurrent Puts
// of one key, in this process or others, run fill once; the others wait and
// return the same directory (or, in this process, the same error).
func (s *Store) Put(key string, fill func(tmp string) error) (string, error) {
	return s.PutIndexed(key, func(tmp string) ([]IndexEntry, error) { return nil, fill(tmp) })
}

// PutIndexed is Put for a filler that knows what it wrote: the entries it
// returns (non-nil) become the entry's index as they are, so the files are
// not read back to index them. Nil entries index the tree on disk.
func (s *Store) PutIndexed(key string, fill func(tmp string) ([]IndexEntry, error)) (string, error) {
	dir := s.Dir(key)
	if dir == "" {
		_, _, err := parseKey(key)
		return "", err
	}
	if s.Has(key) {
		return dir, nil
	}

	s.mu.Lock()
	if c, ok := s.inflight[key]; ok {
		s.mu.Unlock()
		<-c.done
		return c.dir, c.err
	}
	c := &call{done: make(chan struct{}), err: fmt.Errorf("failed to fill store entry %q: fill panicked", key)}
	s.inflight[key] = c
	s.mu.Unlock()
	defer func() { // also runs when fill panics, so waiters never hang
		s.mu.Lock()
		delete(s.inflight, key)
		s.mu.Unlock()
		close(c.done)
	}()

	c.dir, c.err = s.put(key, dir, fill)
	return c.dir, c.err
}

func (s *Store) put(key, dir string, fill func(string) ([]IndexEntry, error)) (string, error) {
	unlock, err := s.lock(key, true)
	if err != nil {
		return "", err
	}
	defer unlock()
	if s.Has(key) { // another process filled it while we waited
		return dir, nil
	}

	tmp, err := s.mkTemp(key)
	if err != nil {
		return "", err
	}
	moved := false
	defer func() { // on error or panic, leave nothing behind
		if !moved {
			os.RemoveAll(tmp)
		}
	}()
	entries, err := fill(tmp)
	if err != nil {
		return "", err
	}
	// The index goes first: an index without its entry is harmless, an
	// entry without its index would fail Verify. Its parent directory (one
	// of 256 per algorithm) is made when the index cannot be moved in for
	// want of it, rather than checked for every entry.
	err = writeIndex(tmp, dir+IndexSuffix, entries)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return "", fmt.Errorf("failed to create store directory %q: %w", filepath.Dir(dir), err)
		}
		err = writeIndex(tmp, dir+IndexSuffix, entries)
	}
	if err != nil {
		return "", fmt.Errorf("failed to index %q: %w", key, err)
	}
	if err := renameNoReplace(tmp, dir); err != nil {
		if errors.Is(err, unix.EEXIST) || errors.Is(err, unix.ENOTEMPTY) {
			// Someone not honouring the lock won the race; theirs is
			// complete by the invariant, so discard ours (deferred).
			return dir, nil
		}
		return "", fmt.Errorf("failed to move %q into the store: %w", key, err)
	}
	moved = true
	return dir, nil
}

// Remove deletes the entry for key, if any. The entry is renamed out of
// place first, so readers never see a half-deleted entry.
func (s *Store) Remove(key string) error {
	dir := s.Dir(key)
	if dir == "" {
		_, _, err := parseKey(key)
		return err
	}
	unlock, err := s.lock(key, true)
	if err != nil {
		return err
	}
	defer unlock()
	trash := filepath.Join(s.tmp, key+".removed."+randHex())
	if err := os.Rename(dir, trash); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			if err := os.Remove(dir + IndexSuffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("failed to remove store entry %q: %w", key, err)
			}
			return nil
		}
		return fmt.Errorf("failed to remove store entry %q: %w", key, err)
	}
	if err := os.Remove(dir + IndexSuffix); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("failed to remove store entry %q: %w", key, err)
	}
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("failed to remove store entry %q: %w", key, err)
	}
	return nil
}

func (s *Store) mkTemp(key string) (string, error) {
	for i := 0; i < 10; i++ {
		p := filepath.Join(s.tmp, key+"."+randHex())
		err := os.Mkdir(p, 0o755)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("failed to create temporary directory for %q: %w", key, err)
		}
	}
	return "", fmt.Errorf("failed to create temporary directory for %q: too many collisions", key)
}

func randHex() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// cleanStale deletes temporary directories older than cutoff whose key is
// not locked by anyone (a live fill holds its key's lock).
func (s *Store) cleanStale(cutoff time.Time) {
	entries, err := os.ReadDir(s.tmp)
	if err != nil {
		return
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || info.ModTime().After(cutoff) {
			continue
		}
		key, _, _ := strings.Cut(e.Name(), ".")
		if _, _, err := parseKey(key); err != nil {
			continue
		}
		unlock, err := s.lock(key, false)
		if err != nil {
			continue // someone is working on this key right now
		}
		os.RemoveAll(filepath.Join(s.tmp, e.Name()))
		unlock()
	}
}
