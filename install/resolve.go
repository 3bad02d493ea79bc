package install

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/lockstep-dev/lockstep/cache/manifest"
	"github.com/lockstep-dev/lockstep/install/arborist"
	"github.com/lockstep-dev/lockstep/install/lockfile"
	"github.com/lockstep-dev/lockstep/install/npmrc"
	"github.com/lockstep-dev/lockstep/install/packument"
	"github.com/lockstep-dev/lockstep/install/platform"
	"github.com/lockstep-dev/lockstep/install/preload"
	"github.com/lockstep-dev/lockstep/install/registry"
	"github.com/lockstep-dev/lockstep/install/semver"
	"github.com/lockstep-dev/lockstep/internal/fsx"
	"github.com/lockstep-dev/lockstep/internal/timing"
)

// ResolveOptions configure Resolve.
type ResolveOptions struct {
	Dir         string
	CacheDir    string
	Concurrency int
	// Flags are npm config keys from the command line ("registry",
	// "legacy-peer-deps", "force", "strict-peer-deps", "os", "cpu", "libc",
	// "lockfile-version", "omit-lockfile-registry-resolved", ...).
	Flags  map[string]string
	Getenv func(string) string
	Stderr io.Writer
	Timing *timing.Recorder
	// NodeVersion steers picks through engines; "" asks `node -v`.
	NodeVersion string
	// Mode is the manifest cache mode (normal, prefer-offline, offline).
	Mode manifest.Mode
	// Write writes the lockfile (false: only return it).
	Write bool
	// MinRetryDelay and MaxRetryDelay shorten the registry client's
	// backoff (tests).
	MinRetryDelay, MaxRetryDelay time.Duration
}

// ResolveResult is what Resolve produced.
type ResolveResult struct {
	Lockfile *lockfile.Lockfile
	Path     string // the lockfile written (or that would be)
	Changed  bool   // the file's bytes changed
	Packages int
}

// Resolve builds the dependency tree of package.json like npm install
// --package-lock-only and writes package-lock.json (npm-shrinkwrap.json
// when the project has one) byte for byte as npm would. The existing
// lockfile is replaced only once the new one is complete.
func Resolve(ctx context.Context, o ResolveOptions) (*ResolveResult, error) {
	if o.Concurrency <= 0 {
		o.Concurrency = 128
	}
	start := time.Now()
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	stderr := o.Stderr
	if stderr == nil {
		stderr = io.Discard
	}
	cfg, err := npmrc.Load(npmrc.LoadOptions{Dir: o.Dir, Getenv: getenv, Flags: o.Flags, Home: getenv("HOME")})
	if err != nil {
		return nil, &InputError{err}
	}
	rec := o.Timing
	ph := rec.Start("resolve")
	defer ph.End()

	// `node -v` takes tens of milliseconds: it runs while the first
	// documents download, and the first pick waits for it.
	nodeVersion := func() string { return o.NodeVersion }
	if o.NodeVersion == "" {
		done := make(chan struct{})
		var v string
		go func() { defer close(done); v = detectNodeVersion(o.CacheDir) }()
		nodeVersion = func() string { <-done; return v }
		defer func() { <-done }() // it may write its memo in the cache
	}

	plat := platform.Current()
	if v := cfg.OS(); v != "" {
		plat.OS = v
	}
	if v := cfg.CPU(); v != "" {
		plat.CPU = v
	}
	if v := cfg.Libc(); v != "" {
		plat.Libc = v
	}

	stats := &registry.Stats{}
	client, err := registry.New(cfg, registry.Options{Concurrency: o.Concurrency, Stats: stats,
		MinRetryDelay: o.MinRetryDelay, MaxRetryDelay: o.MaxRetryDelay})
	if err != nil {
		return nil, &InputError{err}
	}
	defer client.CloseIdleConnections()
	var fetcher preload.Fetcher = &preload.NetFetcher{Client: client}
	if o.CacheDir != "" {
		mf, err := preload.NewCachedFetcher(preload.ManifestDir(o.CacheDir), cfg, client, o.Mode, &manifest.Stats{})
		if err != nil {
			return nil, err
		}
		fetcher = mf
	}

	strategy, err := installStrategy(cfg, stderr)
	if err != nil {
		return nil, &InputError{err}
	}
	tag, _ := cfg.Get("tag") // npm's default dist-tag
	before, err := beforeDate(cfg)
	if err != nil {
		return nil, &InputError{err}
	}
	legacy := cfg.LegacyPeerDeps()
	roots, err := preload.ProjectRequests(o.Dir, false, !legacy)
	if err != nil {
		return nil, &InputError{err}
	}
	// An existing lockfile is the starting point, as for npm install: only
	// what it lacks is resolved, so only that needs preloading.
	var existing *lockfile.Lockfile
	if lf, _, err := lockfile.Read(o.Dir); err == nil {
		existing = lf
		roots = missingRoots(roots, lf)
	} else if errors.Is(err, lockfile.ErrVersion1) {
		// npm 6's lockfile: npm migrates it, keeping its versions, and
		// fetches every manifest for the metadata it lacks.
		if lf, _, cerr := lockfile.ReadV1(o.Dir); cerr == nil {
			existing = lf
			roots = missingRoots(roots, lf)
		} else {
			fmt.Fprintf(stderr, "lockstep: warning: ignoring the old lockfile (%v); resolving from package.json\n", cerr)
		}
	} else if !errors.Is(err, lockfile.ErrNotFound) {
		return nil, &InputError{err}
	}
	overrides, err := preload.ProjectOverrides(o.Dir)
	if err != nil {
		return nil, &InputError{err}
	}
	// Fetch the whole closure in parallel while the tree is placed in
	// sequence: placement asks for documents in much the order the preload
	// fetches them and waits on the same in-flight requests, so its work
	// overlaps the downloads. A package that failed is not asked for
	// again: the resolver reports it where npm would (who required it),
	// from the same error. Once the tree is built, whatever the preload
	// still has in flight is not needed and is cancelled.
	pctx, cancelPrefetch := context.WithCancel(ctx)
	defer cancelPrefetch()
	memo := &memoFetcher{inner: fetcher, ctx: pctx, sem: make(chan struct{}, o.Concurrency),
		docs: map[string]*packument.Packument{}, errs: map[string]error{}, calls: map[string]chan struct{}{}}
	debug := getenv("LOCKSTEP_DEBUG") != ""
	preDone := make(chan struct{})
	go func() {
		defer close(preDone)
		_, err := preload.Preload(pctx, roots, preload.Options{
			Concurrency: o.Concurrency, Fetcher: memo, NodeVersionFunc: nodeVersion,
			SkipPeers: legacy, OptionalPeers: !legacy, Overrides: overrides,
		})
		if debug {
			fmt.Fprintf(stderr, "resolve: %v: preload done, error: %v\n", time.Since(start), err)
		}
	}()
	defer func() { cancelPrefetch(); <-preDone }()
	fetch := memo.Packument
	tree, err := arborist.Build(ctx, arborist.Options{
		Dir: o.Dir, Fetch: fetch, Refetch: memo.Refetch, Prefetch: memo.Prefetch, NodeVersionFunc: nodeVersion,
		LegacyPeerDeps: legacy, StrictPeerDeps: cfg.StrictPeerDeps(), Force: cfg.Force(),
		PreferDedupe: cfg.Bool("prefer-dedupe", false), InstallStrategy: strategy,
		DefaultTag: tag, Before: before, // Build takes "" as "latest"
		Platform: plat, Lockfile: existing, Tarball: tarballReader(client, o.Dir),
		Warn: func(s string) { fmt.Fprintf(stderr, "lockstep: warning: %s\n", cfg.Redact(s)) },
	})
	if err != nil {
		if errors.Is(err, arborist.ErrResolve) {
			return nil, &InputError{fmt.Errorf("failed to resolve the dependencies of %q: %w", filepath.Join(o.Dir, "package.json"), err)}
		}
		var pe *os.PathError
		if errors.As(err, &pe) || strings.Contains(err.Error(), "package.json") {
			return nil, &InputError{err}
		}
		return nil, fmt.Errorf("failed to resolve the dependencies of %q: %w", filepath.Join(o.Dir, "package.json"), err)
	}
	if debug {
		fmt.Fprintf(stderr, "resolve: %v: tree built\n", time.Since(start))
	}
	lockVersion := cfg.Int("lockfile-version", 3)
	if existing != nil && existing.LockfileVersion == 2 && o.Flags["lockfile-version"] == "" {
		lockVersion = 2
	}
	lf := tree.Lockfile(arborist.LockOptions{
		LockfileVersion:      lockVersion,
		OmitRegistryResolved: cfg.OmitLockfileRegistryResolved(),
	})
	path := filepath.Join(o.Dir, lockfile.PackageLock)
	if _, err := os.Stat(filepath.Join(o.Dir, lockfile.ShrinkwrapFile)); err == nil {
		path = filepath.Join(o.Dir, lockfile.ShrinkwrapFile)
	}
	res := &ResolveResult{Lockfile: lf, Path: path, Packages: len(lf.Packages) - 1}
	data := lf.Marshal()
	old, _ := os.ReadFile(path)
	res.Changed = string(old) != string(data)
	if o.Write && res.Changed {
		if err := fsx.WriteFileAtomic(path, data); err != nil {
			return nil, fmt.Errorf("failed to write %q: %w", path, err)
		}
	}
	return res, nil
}

// missingRoots keeps the root requests the lockfile does not already
// satisfy (no entry for the name, or a version outside a semver range).
func missingRoots(roots []preload.Request, lf *lockfile.Lockfile) []preload.Request {
	var out []preload.Request
	for _, r := range roots {
		e := lf.Packages["node_modules/"+r.Name]
		if e == nil {
			out = append(out, r)
			continue
		}
		name, spec, ok := preload.RegistrySpec(r.Name, r.Spec)
		if !ok {
			continue
		}
		if e.Name != "" && e.Name != name || e.Name == "" && name != r.Name {
			out = append(out, r)
			continue
		}
		if rng := semver.ValidRange(spec, semver.Options{Loose: true}); rng != "" && !semver.Satisfies(e.Version, spec, semver.Options{Loose: true}) {
			out = append(out, r)
		}
	}
	return out
}

// memoFetcher remembers every packument and every failure (but a
// cancellation) by name, so that preloading and placement fetch each
// package once; concurrent requests for a name share one fetch, and
// Prefetch starts fetches in the background.
type memoFetcher struct {
	inner preload.Fetcher
	ctx   context.Context // for prefetches
	sem   chan struct{}
	mu    sync.Mutex
	docs  map[string]*packument.Packument
	errs  map[string]error
	calls map[string]chan struct{}
	// refetches are the fresh fetches asked for (Refetch), one per name.
	refetches map[string]*refetchCall
}

type refetchCall struct {
	done chan struct{}
	doc  *packument.Packument
	err  error
}

// Refetch fetches a fresh copy of name's packument through the inner
// fetcher (when it is a preload.Refetcher), once per name whoever asks
// (the preload and the resolver both may), and remembers it in place of
// the old one.
func (m *memoFetcher) Refetch(ctx context.Context, name string) (*packument.Packument, error) {
	r, ok := m.inner.(preload.Refetcher)
	if !ok {
		return nil, fmt.Errorf("failed to refetch the packument of %q: the fetcher cannot", name)
	}
	m.mu.Lock()
	c, ok := m.refetches[name]
	if !ok {
		c = &refetchCall{done: make(chan struct{})}
		if m.refetches == nil {
			m.refetches = map[string]*refetchCall{}
		}
		m.refetches[name] = c
	}
	m.mu.Unlock()
	if ok {
		select {
		case <-c.done:
			return c.doc, c.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	c.doc, c.err = r.Refetch(ctx, name)
	if c.err == nil {
		m.mu.Lock()
		m.docs[name] = c.doc
		delete(m.errs, name)
		m.mu.Unlock()
	}
	close(c.done)
	return c.doc, c.err
}

func (m *memoFetcher) Packument(ctx context.Context, name string) (*packument.Packument, error) {
	for {
		m.mu.Lock()
		d, err := m.docs[name], m.errs[name]
		if d != nil || err != nil {
			m.mu.Unlock()
			return d, err
		}
		if ch, busy := m.calls[name]; busy {
			m.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		ch := make(chan struct{})
		m.calls[name] = ch
		m.mu.Unlock()
		d, err = m.inner.Packument(ctx, name)
		m.mu.Lock()
		delete(m.calls, name)
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			m.mu.Unlock()
			close(ch)
			return nil, err
		}
		if err != nil {
			m.errs[name] = err
		} else {
			m.docs[name] = d
		}
		m.mu.Unlock()
		close(ch)
		return d, err
	}
}

// Prefetch fetches the names not yet known in the background, bounded by
// the fetcher's semaphore.
func (m *memoFetcher) Prefetch(names []string) {
	for _, name := range names {
		m.mu.Lock()
		_, have := m.docs[name]
		_, failed := m.errs[name]
		_, busy := m.calls[name]
		m.mu.Unlock()
		if have || failed || busy {
			continue
		}
		go func() {
			select {
			case m.sem <- struct{}{}:
			case <-m.ctx.Done():
				return
			}
			defer func() { <-m.sem }()
			m.Packument(m.ctx, name)
		}()
	}
}

// settingRank orders the layer that set key, highest precedence first (0
// command line ... 5 npm's default, 6 unset or null).
func settingRank(cfg *npmrc.Config, key string) int {
	if _, ok := cfg.Get(key); !ok {
		return 6
	}
	where, _ := cfg.Where(key)
	switch where {
	case "cli":
		return 0
	case "env":
		return 1
	case "project":
		return 2
	case "user":
		return 3
	case "global":
		return 4
	}
	return 5
}

// installStrategy is npm's install-strategy with its deprecated aliases:
// legacy-bundling=true means nested and global-style=true shallow, and the
// setting from the highest-precedence layer wins (npm flattens the layers
// from lowest to highest). Within one layer an explicit install-strategy
// is taken over an alias. npm drops an invalid value with a warning; linked
// is valid for npm but not built here.
func installStrategy(cfg *npmrc.Config, stderr io.Writer) (string, error) {
	strategy, _ := cfg.Get("install-strategy")
	rank := settingRank(cfg, "install-strategy")
	switch strategy {
	case "", arborist.StrategyHoisted, arborist.StrategyNested, arborist.StrategyShallow:
	case "linked":
		return "", errors.New("failed to resolve: install-strategy=linked is not supported; use hoisted, nested or shallow")
	default:
		fmt.Fprintf(stderr, "lockstep: warning: invalid config install-strategy=%q; must be one of hoisted, nested, shallow, linked\n", strategy)
		strategy, rank = "", 6
	}
	for _, alias := range []struct{ key, strategy string }{
		{"legacy-bundling", arborist.StrategyNested}, {"global-style", arborist.StrategyShallow},
	} {
		if r := settingRank(cfg, alias.key); r < rank && cfg.Bool(alias.key, false) {
			strategy, rank = alias.strategy, r
		}
	}
	if strategy == "" {
		strategy = arborist.StrategyHoisted
	}
	return strategy, nil
}

// beforeDate is npm's before setting: only versions published on or before
// it are picked (the registry's full documents carry the publish times).
// npm reads it with JavaScript's Date; lockstep takes the ISO 8601 forms
// of that syntax (a date alone is UTC midnight, a time without a zone is
// local time) and refuses others rather than resolve with another cutoff.
func beforeDate(cfg *npmrc.Config) (time.Time, error) {
	v, _ := cfg.Get("before")
	v = strings.TrimSpace(v)
	if v == "" || v == "null" {
		return time.Time{}, nil
	}
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(l, v); err == nil {
			return t, nil
		}
	}
	for _, l := range []string{"2006-01-02", "2006-01", "2006"} {
		if t, err := time.Parse(l, v); err == nil {
			return t, nil
		}
	}
	for _, l := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(l, v, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("failed to read the before setting: %q is not an ISO 8601 date such as 2024-01-31 or 2024-01-31T12:00:00Z", v)
}
