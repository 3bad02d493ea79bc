package actionscache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
)

// Key is lockstep's cache key for one kind of cache directory:
// "<prefix>-<kind>-<os>-<arch>-<hash(registry)>-<hash(lockfile)>", each
// hash the first 16 hex digits of a sha256. prefix "" means "lockstep";
// a registry URL's trailing slash does not matter.
func Key(prefix, kind, registry string, lockfile []byte) string {
	if prefix == "" {
		prefix = "lockstep"
	}
	return fmt.Sprintf("%s-%s-%s-%s-%s-%s", prefix, kind, runtime.GOOS, runtime.GOARCH,
		shortHash([]byte(strings.TrimRight(registry, "/"))), shortHash(lockfile))
}

func shortHash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:8])
}

// RestoreKeys are the prefixes tried when key (from Key) has no exact
// entry: entries saved for the same lockfile under a suffix (warm runs
// save "<key>-<run>"), then any entry for the same registry, newest
// first.
func RestoreKeys(key string) []string {
	i := strings.LastIndexByte(key, '-')
	if i < 0 {
		return []string{key + "-"}
	}
	return []string{key + "-", key[:i+1]}
}

// Restored describes a restored entry.
type Restored struct {
	Key   string // the entry's key
	Exact bool   // it is the primary key itself: saving again is pointless
	Size  int64  // archive bytes downloaded
}

// RestoreDir looks up key (then restoreKeys) and replaces dir with the
// entry's content. A miss is (nil, nil). On an error dir is unchanged.
func (c *Client) RestoreDir(ctx context.Context, dir, key string, restoreKeys []string) (*Restored, error) {
	e, err := c.Lookup(ctx, key, restoreKeys)
	if err != nil || e == nil {
		return nil, err
	}
	f, err := os.CreateTemp("", "lockstep-cache-*.tar.zst")
	if err != nil {
		return nil, fmt.Errorf("failed to restore cache entry %q: %w", e.Key, err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	n, err := c.Download(ctx, e, f)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, 0); err != nil {
		return nil, fmt.Errorf("failed to restore cache entry %q: %w", e.Key, err)
	}
	if err := Extract(f, dir); err != nil {
		return nil, fmt.Errorf("failed to restore cache entry %q: %w", e.Key, err)
	}
	return &Restored{Key: e.Key, Exact: e.Key == key, Size: n}, nil
}

// SaveDir archives dir (less what skip leaves out) and saves it under key.
// It returns the archive's size; ErrExists (wrapped) when key is taken.
func (c *Client) SaveDir(ctx context.Context, dir, key string, skip func(rel string, d fs.DirEntry) bool) (int64, error) {
	if err := CheckKey(key); err != nil {
		return 0, err
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return 0, fmt.Errorf("failed to save %q: not a directory", dir)
	}
	f, err := os.CreateTemp("", "lockstep-cache-*.tar.zst")
	if err != nil {
		return 0, fmt.Errorf("failed to save %q: %w", dir, err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := WriteArchive(f, dir, skip); err != nil {
		return 0, err
	}
	size, err := f.Seek(0, 2)
	if err != nil {
		return 0, fmt.Errorf("failed to save %q: %w", dir, err)
	}
	if err := c.Save(ctx, key, f, size); err != nil {
		return 0, err
	}
	return size, nil
}
