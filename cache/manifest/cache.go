package manifest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lockstep-dev/lockstep/install/packument"
)

// Validators are the HTTP validators a registry sent with a document.
type Validators struct {
	ETag         string
	LastModified string
}

// IsZero reports whether there is nothing to revalidate with.
func (v Validators) IsZero() bool { return v.ETag == "" && v.LastModified == "" }

// Entry is a cached packument.
type Entry struct {
	Packument  *packument.Packument
	Validators Validators
	// Fetched is when the entry was last known fresh: written, or
	// revalidated by a 304 (the file's modification time).
	Fetched time.Time
}

// ErrMiss is returned by Load when there is no usable entry.
var ErrMiss = errors.New("not in the manifest cache")

// Cache is a directory of slimmed packuments:
//
//	<dir>/v<FormatVersion>/<sha256(registry)[:16]>/<escaped name>
//
// Safe for concurrent use by goroutines and by processes: entries are
// written to a temporary file and renamed into place.
type Cache struct {
	dir  string
	regs sync.Map // canonical registry → *regDir
}

// regDir is one registry's directory, looked at once per Cache: when it
// did not exist, every Load is a miss without a system call (a cold run
// asks for thousands of names), except for entries this Cache stored.
type regDir struct {
	path   string
	once   sync.Once
	absent bool
	stored sync.Map // names stored while absent
	made   atomic.Bool

	mu   sync.Mutex
	dirf atomic.Pointer[os.File] // the directory, open once it exists
}

// open returns the directory, opened once: entries are opened relative to
// it. A failure is not remembered (the directory may be made later).
func (r *regDir) open() (*os.File, error) {
	if f := r.dirf.Load(); f != nil {
		return f, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if f := r.dirf.Load(); f != nil {
		return f, nil
	}
	f, err := os.Open(r.path)
	if err != nil {
		return nil, err
	}
	r.dirf.Store(f)
	return f, nil
}

// look reports whether the directory was absent when first looked at.
func (r *regDir) look() bool {
	r.once.Do(func() {
		_, err := os.Stat(r.path)
		r.absent = errors.Is(err, fs.ErrNotExist)
	})
	return r.absent
}

func (c *Cache) reg(registry string) *regDir {
	canon := canonRegistry(registry)
	if r, ok := c.regs.Load(canon); ok {
		return r.(*regDir)
	}
	r, _ := c.regs.LoadOrStore(canon, &regDir{path: filepath.Join(c.dir, fmt.Sprintf("v%d", FormatVersion), RegistryKey(registry))})
	return r.(*regDir)
}

// Open returns the cache rooted at dir (created on first write).
func Open(dir string) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("failed to open the manifest cache: empty directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("failed to open the manifest cache %q: %w", dir, err)
	}
	return &Cache{dir: abs}, nil
}

// Dir is the cache's root directory.
func (c *Cache) Dir() string { return c.dir }

// RegistryKey is the directory name of a registry's entries.
func RegistryKey(registry string) string {
	sum := sha256.Sum256([]byte(canonRegistry(registry)))
	return hex.EncodeToString(sum[:8])
}

// canonRegistry is registry with one trailing slash and without
// credentials: entries are keyed and labelled by it, so a password in a
// registry URL never reaches the cache (which CI uploads and restores).
func canonRegistry(registry string) string {
	if strings.Contains(registry, "@") {
		if u, err := url.Parse(registry); err == nil && u.User != nil {
			u.User = nil
			registry = u.String()
		}
	}
	return strings.TrimRight(registry, "/") + "/"
}

// path is the entry file of name.
func (c *Cache) path(registry, name string) (string, error) {
	file, err := entryFile(name)
	if err != nil {
		return "", err
	}
	return filepath.Join(c.reg(registry).path, file), nil
}

// entryFile is the file name of name's entry. Names are URL-safe in the
// registry; a scoped name's "/" is escaped, and anything that could escape
// the directory is refused.
func entryFile(name string) (string, error) {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "\\\x00") ||
		strings.HasPrefix(name, ".") || strings.Count(name, "/") > 1 {
		return "", fmt.Errorf("failed to use the manifest cache: invalid package name %q", name)
	}
	file := strings.Replace(name, "/", "%2f", 1)
	if strings.Contains(file, "/") {
		return "", fmt.Errorf("failed to use the manifest cache: invalid package name %q", name)
	}
	return file, nil
}

// Load reads name's entry for registry. It returns an error wrapping
// ErrMiss when there is none (or it has another format version), and one
// wrapping ErrCorrupt when the file fails its checksum or does not decode.
func (c *Cache) Load(registry, name string) (*Entry, error) {
	file, err := entryFile(name)
	if err != nil {
		return nil, err
	}
	r := c.reg(registry)
	if r.look() {
		if _, ok := r.stored.Load(name); !ok {
			return nil, fmt.Errorf("failed to load %q: %w", name, ErrMiss)
		}
	}
	dir, err := r.open()
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("failed to load %q: %w", name, ErrMiss)
		}
		return nil, fmt.Errorf("failed to load %q from the manifest cache: %w", name, err)
	}
	data, mtime, err := readEntry(dir, file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("failed to load %q: %w", name, ErrMiss)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to load %q from the manifest cache: %w", name, err)
	}
	m, p, err := decode(data)
	if errors.Is(err, errVersion) {
		return nil, fmt.Errorf("failed to load %q: %w (%v)", name, ErrMiss, err)
	}
	path := filepath.Join(r.path, file)
	if err != nil {
		return nil, fmt.Errorf("failed to load %q from the manifest cache %q: %w", name, path, err)
	}
	if m.Name != name || canonRegistry(m.Registry) != canonRegistry(registry) {
		return nil, fmt.Errorf("failed to load %q from the manifest cache %q: %w: entry is for %q from %q", name, path, ErrCorrupt, m.Name, m.Registry)
	}
	return &Entry{Packument: p, Validators: m.Validators, Fetched: mtime}, nil
}

var (
	tmpSeq atomic.Uint64
	pid    = os.Getpid()
)

// Store writes name's entry atomically (temporary file, then rename).
func (c *Cache) Store(registry, name string, p *packument.Packument, v Validators) error {
	_, err := c.put(registry, name, p, v)
	return err
}

// put stores name's entry and returns the packument loaded back from the
// entry's bytes: it holds one buffer without pointers in place of
// per-version structures (a resolve keeps thousands of packuments live), and
// materializes only the versions it is asked for. The packument is nil when
// p could not be encoded; it is set even when writing the file failed.
func (c *Cache) put(registry, name string, p *packument.Packument, v Validators) (*packument.Packument, error) {
	path, err := c.path(registry, name)
	if err != nil {
		return nil, err
	}
	data, err := encode(meta{Registry: canonRegistry(registry), Name: name, Validators: v}, p)
	if err != nil {
		return nil, fmt.Errorf("failed to store %q in the manifest cache: %w", name, err)
	}
	_, lp, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("failed to store %q in the manifest cache: %w", name, err)
	}
	return lp, c.write(registry, name, path, data)
}

// write puts data at path atomically.
func (c *Cache) write(registry, name, path string, data []byte) error {
	r := c.reg(registry)
	absent := r.look()
	if !r.made.Load() {
		if err := os.MkdirAll(r.path, 0o755); err != nil {
			return fmt.Errorf("failed to store %q in the manifest cache: %w", name, err)
		}
		r.made.Store(true)
	}
	tmp := fmt.Sprintf("%s.tmp-%d-%d", path, pid, tmpSeq.Add(1))
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("failed to store %q in the manifest cache: %w", name, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("failed to store %q in the manifest cache: %w", name, err)
	}
	if absent {
		r.stored.Store(name, true)
	}
	return nil
}

// Touch marks name's entry fresh now (after a 304 Not Modified).
func (c *Cache) Touch(registry, name string, now time.Time) error {
	path, err := c.path(registry, name)
	if err != nil {
		return err
	}
	if err := os.Chtimes(path, now, now); err != nil {
		return fmt.Errorf("failed to refresh %q in the manifest cache: %w", name, err)
	}
	return nil
}

// Mode is how the cache and the network are combined, after npm's cache
// modes.
type Mode int

const (
	// Normal uses entries younger than MaxAge, revalidates older ones
	// (conditionally when the registry sent validators, else refetches).
	Normal Mode = iota
	// PreferOnline revalidates every entry (npm --prefer-online).
	PreferOnline
	// PreferOffline uses any cached entry, fetching only misses (npm
	// --prefer-offline).
	PreferOffline
	// Offline never touches the network; a miss is an error (npm
	// --offline).
	Offline
)

func (m Mode) String() string {
	return [...]string{"normal", "prefer-online", "prefer-offline", "offline"}[m]
}

// ErrOffline is wrapped by Fetcher.Packument for a miss in Offline mode.
var ErrOffline = errors.New("offline and not in the manifest cache")

// Origin fetches packument documents from a registry.
type Origin interface {
	// FetchPackument GETs name's document. When cond is not zero it is
	// sent as If-None-Match / If-Modified-Since; if the registry answers
	// 304, notModified is true and fn is not called. Otherwise fn gets the
	// body (which it must not keep) and the response's validators.
	FetchPackument(ctx context.Context, name string, cond Validators, fn func(body []byte, v Validators) error) (notModified bool, err error)
}

// Stats count what a Fetcher did. Safe for concurrent use.
type Stats struct {
	Hits        atomic.Int64 // served from the cache without a request
	Revalidated atomic.Int64 // 304 Not Modified
	Fetched     atomic.Int64 // downloaded (miss, stale, or changed)
	Corrupt     atomic.Int64 // entries that failed their checksum and were refetched
	StoreErrors atomic.Int64 // entries that could not be written (not fatal)
}

// DefaultMaxAge is how long an entry is used without revalidation (npm and
// bun use 300 s for packuments).
const DefaultMaxAge = 5 * time.Minute

// Fetcher serves packuments from the cache and the network. It implements
// the preload pool's Fetcher.
type Fetcher struct {
	Cache *Cache
	// Registry keys the entries (the registry's base URL).
	Registry string
	// RegistryFor, when set, gives the registry of each package instead
	// (scoped registries: npmrc.Config.RegistryFor).
	RegistryFor func(name string) string
	Origin      Origin
	Mode        Mode
	// MaxAge is the freshness lifetime; DefaultMaxAge when zero.
	MaxAge time.Duration
	Stats  *Stats
	// Now is the clock (tests); time.Now when nil.
	Now func() time.Time
}

func (f *Fetcher) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// Packument returns name's packument from the cache or the registry,
// according to Mode.
func (f *Fetcher) Packument(ctx context.Context, name string) (*packument.Packument, error) {
	stats := f.Stats
	if stats == nil {
		stats = &Stats{}
	}
	maxAge := f.MaxAge
	if maxAge == 0 {
		maxAge = DefaultMaxAge
	}
	reg := f.registryOf(name)
	e, err := f.Cache.Load(reg, name)
	switch {
	case err == nil:
	case errors.Is(err, ErrCorrupt):
		stats.Corrupt.Add(1)
		e = nil
	case errors.Is(err, ErrMiss):
		e = nil
	default:
		return nil, err
	}
	if e != nil {
		fresh := f.now().Sub(e.Fetched) < maxAge
		if f.Mode == Offline || f.Mode == PreferOffline || (f.Mode == Normal && fresh) {
			stats.Hits.Add(1)
			return e.Packument, nil
		}
	}
	if f.Mode == Offline {
		return nil, offlineErr(name)
	}
	var cond Validators
	if e != nil {
		cond = e.Validators
	}
	p, notModified, err := f.fetch(ctx, reg, name, cond, stats)
	if err != nil {
		return nil, err
	}
	if notModified { // only asked with e's validators
		stats.Revalidated.Add(1)
		if err := f.Cache.Touch(reg, name, f.now()); err != nil {
			stats.StoreErrors.Add(1)
		}
		return e.Packument, nil
	}
	return p, nil
}

// registryOf is the registry that serves name, which keys its entry.
func (f *Fetcher) registryOf(name string) string {
	if f.RegistryFor != nil {
		return f.RegistryFor(name)
	}
	return f.Registry
}

func offlineErr(name string) error {
	return fmt.Errorf("failed to load the packument of %q: %w (run without --offline, or warm the cache first)", name, ErrOffline)
}

// Refetch fetches name's packument from the registry unconditionally,
// whatever the cache holds, and stores it (see preload.Refetcher). In
// Offline mode it fails.
func (f *Fetcher) Refetch(ctx context.Context, name string) (*packument.Packument, error) {
	if f.Mode == Offline {
		return nil, offlineErr(name)
	}
	stats := f.Stats
	if stats == nil {
		stats = &Stats{}
	}
	p, _, err := f.fetch(ctx, f.registryOf(name), name, Validators{}, stats)
	return p, err
}

// fetch GETs name's document (conditionally when cond is set) and stores
// a new one in the cache, counting it in stats. notModified is the
// registry's 304, which is an error for an unconditional request.
func (f *Fetcher) fetch(ctx context.Context, reg, name string, cond Validators, stats *Stats) (p *packument.Packument, notModified bool, err error) {
	if f.Origin == nil {
		return nil, false, fmt.Errorf("failed to fetch the packument of %q: no registry origin", name)
	}
	notModified, err = f.Origin.FetchPackument(ctx, name, cond, func(body []byte, v Validators) error {
		var err error
		if p, err = packument.Decode(body); err != nil {
			return err
		}
		lp, err := f.Cache.put(reg, name, p, v)
		if err != nil {
			stats.StoreErrors.Add(1)
		}
		if lp != nil {
			p = lp
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, false, err
	case notModified && cond.IsZero():
		return nil, false, fmt.Errorf("failed to fetch the packument of %q: 304 Not Modified for an unconditional request", name)
	case !notModified:
		stats.Fetched.Add(1)
	}
	return p, notModified, nil
}
