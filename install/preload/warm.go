package preload

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/lockstep-dev/lockstep/cache/manifest"
	"github.com/lockstep-dev/lockstep/install/lockfile"
	"github.com/lockstep-dev/lockstep/install/npmrc"
	"github.com/lockstep-dev/lockstep/install/packument"
	"github.com/lockstep-dev/lockstep/install/pkgjson"
	"github.com/lockstep-dev/lockstep/install/registry"
	"github.com/lockstep-dev/lockstep/install/semver"
	"github.com/lockstep-dev/lockstep/internal/progress"
)

// WarmOptions configure Warm.
type WarmOptions struct {
	// Config is the npm configuration; loaded from dir and the process
	// environment when nil.
	Config *npmrc.Config
	// CacheDir is lockstep's cache directory; manifests go to
	// CacheDir/manifests. Required.
	CacheDir string
	// Concurrency is the number of workers and the connection pool size.
	Concurrency int
	// Mode is the cache mode (manifest.Normal by default).
	Mode manifest.Mode
	// NodeVersion and NPMVersion steer version picks through engines,
	// as they do in npm; empty skips the checks.
	NodeVersion, NPMVersion string
	// NoLockfile ignores package-lock.json.
	NoLockfile bool
	// Client overrides the registry client (tests); built from Config
	// when nil.
	Client *registry.Client
	// Progress, when set, counts packuments resolved and bytes downloaded.
	Progress *progress.Reporter
}

// WarmResult reports what Warm did.
type WarmResult struct {
	Roots      int // requests from package.json and the lockfile
	Packuments int // packuments in the closure
	Picked     int // name@spec picks
	Skipped    int // non-registry dependencies
	SoftErrors []error
	Cache      *manifest.Stats
	HTTP       *registry.Stats
	Elapsed    time.Duration
}

// ManifestDir is where the manifest cache lives under a cache directory.
func ManifestDir(cacheDir string) string { return filepath.Join(cacheDir, "manifests") }

// Warm fills the manifest cache with the dependency closure of the project
// in dir: its package.json dependencies of every kind, and every registry
// package pinned in its package-lock.json (npm-shrinkwrap.json) unless
// NoLockfile. After it, a preload of the same project succeeds with
// manifest.Offline.
func Warm(ctx context.Context, dir string, o WarmOptions) (*WarmResult, error) {
	start := time.Now()
	if o.CacheDir == "" {
		return nil, errors.New("failed to warm the manifest cache: no cache directory")
	}
	cfg := o.Config
	if cfg == nil {
		var err error
		if cfg, err = npmrc.Load(npmrc.LoadOptions{Dir: dir}); err != nil {
			return nil, err
		}
	}
	// The lockfile's entries join the package.json roots while the pool
	// works on those.
	roots, err := ProjectRequests(dir, false, !cfg.LegacyPeerDeps())
	if err != nil {
		return nil, err
	}
	overrides, err := ProjectOverrides(dir)
	if err != nil {
		return nil, err
	}
	res := &WarmResult{Roots: len(roots), Cache: &manifest.Stats{}, HTTP: &registry.Stats{}}
	var late func() ([]Request, error)
	if !o.NoLockfile {
		late = func() ([]Request, error) {
			reqs, err := lockReqs(dir)
			res.Roots += len(reqs) // read after Preload returns
			return reqs, err
		}
	}
	client := o.Client
	if client == nil {
		if client, err = registry.New(cfg, registry.Options{Concurrency: o.Concurrency, Stats: res.HTTP}); err != nil {
			return nil, err
		}
		defer client.CloseIdleConnections()
	}
	f, err := NewCachedFetcher(ManifestDir(o.CacheDir), cfg, client, o.Mode, res.Cache)
	if err != nil {
		return nil, err
	}
	var fetcher Fetcher = f
	if o.Progress != nil {
		o.Progress.SetBytesSource(res.HTTP.Bytes.Load)
		fetcher = FetcherFunc(func(ctx context.Context, name string) (*packument.Packument, error) {
			p, err := f.Packument(ctx, name)
			if err == nil {
				o.Progress.Resolved(1)
			}
			return p, err
		})
	}
	r, err := Preload(ctx, roots, Options{
		Concurrency: o.Concurrency, Fetcher: fetcher,
		NodeVersion: o.NodeVersion, NPMVersion: o.NPMVersion,
		SkipPeers: cfg.LegacyPeerDeps(), Overrides: overrides, Late: late,
	})
	res.Elapsed = time.Since(start)
	if err != nil {
		return res, err
	}
	res.Packuments, res.Picked, res.Skipped, res.SoftErrors = len(r.Packuments), len(r.Picked), len(r.Skipped), r.SoftErrors
	return res, nil
}

// NewCachedFetcher is the preload Fetcher backed by the manifest cache in
// dir, keyed by each package's registry from cfg, fetching through client.
func NewCachedFetcher(dir string, cfg *npmrc.Config, client *registry.Client, mode manifest.Mode, stats *manifest.Stats) (*manifest.Fetcher, error) {
	c, err := manifest.Open(dir)
	if err != nil {
		return nil, err
	}
	return &manifest.Fetcher{
		Cache: c, RegistryFor: cfg.RegistryFor, Origin: &RegistryOrigin{Client: client},
		Mode: mode, Stats: stats,
	}, nil
}

// ProjectRequests lists the preload roots of the project in dir: the
// dependencies, devDependencies, optionalDependencies (optional) and,
// when peers is set, non-optional peerDependencies of package.json; and
// when lockfile is set and one exists, every registry package the
// lockfile pins (as name@version, marked Optional so that a version gone
// from the registry does not fail the warm-up).
func ProjectRequests(dir string, lockfile bool, peers bool) ([]Request, error) {
	pj, err := pkgjson.Read(dir)
	if err != nil {
		return nil, err
	}
	var out []Request
	add := func(m map[string]string, optional bool, skip func(string) bool) {
		names := make([]string, 0, len(m))
		for n := range m {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if skip == nil || !skip(n) {
				out = append(out, Request{Name: n, Spec: m[n], Optional: optional})
			}
		}
	}
	add(pj.Dependencies, false, nil)
	add(pj.DevDependencies, false, nil)
	add(pj.OptionalDependencies, true, nil)
	if peers {
		add(pj.PeerDependencies, false, func(n string) bool { return pj.PeerDependenciesMeta[n].Optional })
	}
	if lockfile {
		lf, err := lockReqs(dir)
		if err != nil {
			return nil, err
		}
		out = append(out, lf...)
	}
	return out, nil
}

// ProjectOverrides reads the flattened overrides of the project in dir
// (see FlatOverrides).
func ProjectOverrides(dir string) (map[string]string, error) {
	pj, err := pkgjson.Read(dir)
	if err != nil {
		return nil, err
	}
	return FlatOverrides(pj.Overrides, pj.Dependencies, pj.DevDependencies, pj.OptionalDependencies, pj.PeerDependencies)
}

func lockReqs(dir string) ([]Request, error) {
	pins, _, err := lockfile.ReadPins(dir)
	if errors.Is(err, lockfile.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read the lockfile of %q: %w", dir, err)
	}
	// A version pinned at several places is asked for once.
	seen := make(map[string]bool, len(pins))
	var out []Request
	for _, p := range pins {
		i := strings.LastIndex(p.Loc, "node_modules/")
		if i < 0 || p.Link || p.InBundle || p.Version == "" {
			continue
		}
		if p.Resolved != "" && !strings.HasPrefix(p.Resolved, "http://") && !strings.HasPrefix(p.Resolved, "https://") {
			continue // git, file
		}
		name := p.Name
		if name == "" {
			name = p.Loc[i+len("node_modules/"):]
		}
		key := name + "@" + p.Version
		if seen[key] || semver.Valid(p.Version, false) == "" {
			continue
		}
		seen[key] = true
		// Lockfile pins are best effort (a pinned version may be gone from
		// the registry): their failures are soft.
		out = append(out, Request{Name: name, Spec: p.Version, Optional: true})
	}
	return out, nil
}
