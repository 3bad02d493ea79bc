// Package install is lockstep's installer: `lockstep ci` (install exactly
// what package-lock.json pins) built from the sub-packages that fetch,
// verify, extract, store and link packages.
//
// The order of work is npm ci's, arranged so that an interrupted run leaves
// the old node_modules or the new one, never a half one:
//
//  1. read package.json and the lockfile; refuse a lockfile out of sync;
//  2. decide what to install (omit, os/cpu/libc: failing optional subtrees
//     are inert, a failing required package is an error);
//  3. make sure every package is in the content store (download, verify
//     while streaming, extract to a temporary dir, rename);
//  4. build the new tree next to the old one (node_modules.lockstep-new),
//     with .bin links and node_modules/.package-lock.json;
//  5. swap it into place, delete the old tree;
//  6. run lifecycle scripts in npm's order, unless --ignore-scripts.
//
// `lockstep install` runs the same steps with Options.Reuse, as npm install
// changes node_modules in place: in step 4 the folders of unchanged
// packages (and node_modules' dot entries such as .cache) move from the old
// tree into the new one instead of being linked from the store, so only
// added and replaced packages are fetched, linked and have their scripts
// run.
package install

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bytedance/sonic"
	"golang.org/x/sync/errgroup"

	"github.com/lockstep-dev/lockstep/cache/store"
	"github.com/lockstep-dev/lockstep/install/extract"
	"github.com/lockstep-dev/lockstep/install/integrity"
	"github.com/lockstep-dev/lockstep/install/link"
	"github.com/lockstep-dev/lockstep/install/lockfile"
	"github.com/lockstep-dev/lockstep/install/npmrc"
	"github.com/lockstep-dev/lockstep/install/pkgjson"
	"github.com/lockstep-dev/lockstep/install/platform"
	"github.com/lockstep-dev/lockstep/install/registry"
	"github.com/lockstep-dev/lockstep/install/scripts"
	"github.com/lockstep-dev/lockstep/install/semver"
	"github.com/lockstep-dev/lockstep/internal/fsx"
	"github.com/lockstep-dev/lockstep/internal/memlimit"
	"github.com/lockstep-dev/lockstep/internal/progress"
	"github.com/lockstep-dev/lockstep/internal/timing"
)

// Options configure one install. Flags holds npm config keys given on the
// command line ("registry", "omit", "include", "ignore-scripts", ...); they
// win over npm_config_* variables and .npmrc files.
type Options struct {
	Dir         string
	CacheDir    string
	Concurrency int
	Flags       map[string]string
	Getenv      func(string) string
	Stdout      io.Writer
	Stderr      io.Writer
	Timing      *timing.Recorder
	Progress    *progress.Reporter // nil: no progress display
	Platform    *platform.Platform // nil: this machine
	NodeVersion string             // "" : `node -v` (remembered in the cache directory), asked as the install starts
	// Reuse keeps what the existing node_modules already holds, like npm
	// install (arborist's diff): a package folder whose version and
	// integrity the lockfile still pins, and whose bins exist, moves into
	// the new tree as it is (files added to it stay; its scripts do not run
	// again), and the dot entries of each node_modules (.cache, ...) stay.
	// Without it the new tree is built from the store alone, like npm ci.
	Reuse bool
	// RetryDelay shortens the registry client's backoff (tests).
	MinRetryDelay, MaxRetryDelay time.Duration
}

// extractConcurrency is how many tarballs are extracted at once. An
// extraction streams from the network, so a slot also waits for bytes:
// enough slots keep every core busy while some wait on the network or the
// filesystem, few enough that they do not contend for the filesystem's
// locks (64 raised the system time of a cold medium install by a tenth).
func extractConcurrency(getenv func(string) string) int {
	if v, err := strconv.Atoi(getenv("LOCKSTEP_EXTRACT_CONCURRENCY")); err == nil && v > 0 {
		return v
	}
	return 8 * runtime.GOMAXPROCS(0)
}

// Result summarizes an install.
type Result struct {
	Packages timing.Packages
	Lockfile string // path of the lockfile used
}

const stagingName = "node_modules.lockstep-new"

type installer struct {
	o      Options
	dir    string
	cfg    *npmrc.Config
	client *registry.Client
	store  *store.Store
	plat   platform.Platform
	stats  registry.Stats

	fromCache, downloaded int
	extractSlots          chan struct{} // bounds concurrent extractions

	// extracted holds, by store directory, what this run extracted into
	// the store: linking lists those entries from memory instead of
	// reading back the indexes just written. fetchAll fills it (under
	// extractedMu); list reads it once fetchAll has returned.
	extractedMu sync.Mutex
	extracted   map[string][]store.IndexEntry

	// gyp holds the lock keys of packages with a binding.gyp and no
	// install script: npm gives them "node-gyp rebuild" (buildTree).
	gyp map[string]bool
	// linkBinsClaimed holds, by link key, the bins the link claimed when
	// the tree was built (runScripts links them again after "prepare").
	linkBinsClaimed map[string][]link.Bin
	// bundled are the bundled packages (inBundle) of the packages to
	// install: they arrive inside their bundler's tarball, but like
	// arborist (rebuildBundle) their bins are linked and their scripts run.
	bundled   []*node
	bundlerOf map[string]string // bundled key -> bundler key
	// kept holds the lock keys of the packages whose existing folder
	// moves into the new tree (Options.Reuse); changed says whether the
	// tree changed at all (anything added, replaced or removed).
	kept    map[string]bool
	changed bool
	// foreign are the roots ("local/bar/") of file: folders that are not
	// workspaces: npm ci clears only the root's and the workspaces'
	// node_modules, so in theirs only the locked packages are replaced.
	foreign map[string]bool
	// orphans are the packages (lock keys) the old tree held in the
	// node_modules of link targets the new tree no longer has; swap
	// removes them (Options.Reuse).
	orphans []string
	moved   [][2]string // renames from the old trees into the staged ones (from, to)
	// containers are the folders of the old trees that npm install would
	// leave in place even if emptied (a node_modules, its .bin and @scope
	// folders): staged paths, made after the tree is linked.
	containers []string
	// shared are the store entries hardlinked into node_modules while
	// scripts are to run: a script writing into one of their files in
	// place (patch-package, a root postinstall...) writes into the store.
	shared []sharedEntry
}

// sharedEntry is a store entry whose files node_modules shares.
type sharedEntry struct{ key, dir, label string }

// CI installs exactly what the lockfile in o.Dir pins, like `npm ci`.
func CI(ctx context.Context, o Options) (*Result, error) {
	// Until something is downloaded, a lower GC target: a warm install
	// allocates little but peaks twice (the lockfile's tree, the links).
	memlimit.Lean()
	defer memlimit.Normal()
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("failed to resolve directory %q: %w", o.Dir, err)
	}
	in := &installer{o: o, dir: dir, extractSlots: make(chan struct{}, extractConcurrency(o.Getenv))}
	if o.Platform != nil {
		in.plat = *o.Platform
	} else {
		in.plat = platform.Current()
	}
	start := time.Now()
	if o.NodeVersion == "" {
		// `node -v` (about 20 ms on a cold cache) runs while the lockfile
		// is read and the tarballs download; enginesDiffer waits for it
		// only when an optional package has engines.node. CI does not
		// return before it ends: it may write its memo into the cache
		// directory.
		asked := make(chan struct{})
		go func() { defer close(asked); in.nodeVersion() }()
		defer func() { <-asked }()
	}

	cfg, err := npmrc.Load(npmrc.LoadOptions{Dir: dir, Getenv: o.Getenv, Flags: o.Flags, Home: o.Getenv("HOME")})
	if err != nil {
		return nil, inputErr(err)
	}
	in.cfg = cfg
	if v := cfg.OS(); v != "" {
		in.plat.OS = v
	}
	if v := cfg.CPU(); v != "" {
		in.plat.CPU = v
	}
	if v := cfg.Libc(); v != "" {
		in.plat.Libc = v
	}

	// Reading and checking the lockfile is ci's "resolve" step.
	span := o.Timing.Start("resolve")
	defer span.End()
	pj, err := pkgjson.Read(dir)
	if err != nil {
		return nil, inputErr(fmt.Errorf("failed to read package.json: %w", err))
	}
	lf, lockPath, err := lockfile.Read(dir)
	if err != nil {
		if errors.Is(err, lockfile.ErrNotFound) {
			return nil, inputErr(fmt.Errorf("failed to read lockfile: no package-lock.json or npm-shrinkwrap.json in %q; "+
				"`lockstep ci` installs exactly what a lockfile pins: run `npm install` (or `lockstep install`) and commit package-lock.json", dir))
		}
		return nil, inputErr(err)
	}

	legacyPeer := cfg.LegacyPeerDeps()
	g, err := buildGraph(dir, pj, lf, legacyPeer)
	if err != nil {
		return nil, inputErr(fmt.Errorf("failed to read %q: %w", lockPath, err))
	}
	problems, overridden := g.syncProblems(dir, overrideSpecs(pj.Overrides, pj.Dependencies), cfg.StrictPeerDeps(), cfg.Force())
	if len(problems) > 0 {
		const max = 20
		shown := problems
		more := ""
		if len(shown) > max {
			more = fmt.Sprintf("\n  ... and %d more", len(shown)-max)
			shown = shown[:max]
		}
		return nil, inputErr(fmt.Errorf("failed to install from %q: package.json and the lockfile are out of sync; "+
			"run `npm install` (or `lockstep install`) to update the lockfile, then commit it:\n  %s%s",
			lockPath, strings.Join(shown, "\n  "), more))
	}

	for _, w := range overridden {
		if o.Reuse {
			break // install: the resolver has warned about it already
		}
		fmt.Fprintf(o.Stderr, "lockstep: warning: ERESOLVE overriding peer dependency: %s\n", w)
	}

	// Map the workspaces now, not after the downloads: npm refuses a
	// project whose workspaces it cannot map (two with one name, a
	// malformed package.json) before it installs anything.
	if in.foreign, err = foreignRoots(dir, pj, g); err != nil {
		return nil, inputErr(err)
	}

	// The engines.node checks wait for `node -v`, but the downloads need
	// not: the first pass takes every engines range as satisfied, and
	// enginesDiffer below redoes the marking when one is not.
	engines := in.markInert(g, func() string { return "" })
	omit := map[string]bool{}
	for _, v := range cfg.Omit() {
		omit[v] = true
	}
	nodes, err := in.selectNodes(g, omit)
	if err != nil {
		return nil, err
	}
	span.End()
	o.Progress.Resolved(int64(len(nodes)))

	st, err := store.Open(o.CacheDir)
	if err != nil {
		return nil, fmt.Errorf("failed to open cache %q: %w", o.CacheDir, err)
	}
	in.store = st
	client, err := registry.New(cfg, registry.Options{
		Concurrency:   o.Concurrency,
		Stats:         &in.stats,
		MinRetryDelay: o.MinRetryDelay,
		MaxRetryDelay: o.MaxRetryDelay,
		Logf: func(format string, a ...any) {
			fmt.Fprintf(o.Stderr, "lockstep: "+format+"\n", a...)
		},
	})
	if err != nil {
		return nil, err
	}
	in.client = client
	o.Progress.SetBytesSource(in.stats.Bytes.Load)

	toFetch := nodes
	if o.Reuse {
		_, bundlerOf := bundledNodes(g, nodes)
		bundlers := map[string]bool{}
		for _, b := range bundlerOf {
			bundlers[b] = true
		}
		in.kept, in.changed = in.reusable(nodes, bundlers)
		toFetch = make([]*node, 0, len(nodes))
		for _, n := range nodes {
			if !in.kept[n.key] {
				toFetch = append(toFetch, n)
			}
		}
	}
	items, err := in.fetchItems(toFetch)
	if err != nil {
		return nil, err
	}
	o.Progress.SetTotal(int64(len(items)))
	span = o.Timing.Start("fetch")
	failed, err := in.fetchAll(ctx, items, span)
	span.AddRequests(in.stats.Requests.Load())
	span.AddBytes(in.stats.Bytes.Load())
	span.End()
	if err != nil {
		return nil, err
	}
	if len(engines) > 0 && in.enginesDiffer(engines) {
		// An optional package does not support this node: mark again with
		// its answer. What was downloaded for it stays in the store.
		for _, n := range g.order {
			n.inert = false
		}
		in.markInert(g, in.nodeVersion)
		if nodes, err = in.selectNodes(g, omit); err != nil {
			return nil, err
		}
		failed = stillWanted(failed)
	}
	nodes = dropFailed(nodes, failed)
	in.bundled, in.bundlerOf = bundledNodes(g, nodes)

	ignoreScripts := cfg.IgnoreScripts()
	span = o.Timing.Start("link")
	roots, err := in.buildTree(ctx, g, nodes, items, lf, ignoreScripts)
	if err != nil {
		in.unmove()
	} else {
		o.Progress.Linked(int64(len(nodes)))
		err = in.swap(roots)
	}
	span.End()
	if err != nil {
		return nil, err
	}

	if !ignoreScripts {
		span = o.Timing.Start("scripts")
		err = in.runScripts(ctx, pj, nodes, roots, lf)
		span.End()
		if err != nil {
			return nil, err
		}
	}

	installed := 0
	for _, n := range nodes {
		if n.linkTo == nil && !in.kept[n.key] {
			installed++
		}
	}
	res := &Result{Lockfile: lockPath, Packages: timing.Packages{
		Total: installed, Installed: installed, FromCache: in.fromCache, Downloaded: in.downloaded,
	}}
	fmt.Fprintf(o.Stdout, "added %d packages in %s (%d from cache, %d downloaded)\n",
		installed, time.Since(start).Round(10*time.Millisecond), in.fromCache, in.downloaded)
	return res, nil
}

// markInert marks optional packages this machine cannot use (os/cpu/libc
// or engines.node) and their optional sets as inert, like arborist's
// #checkEngineAndPlatform. nodeVersion "" takes every engines.node range as
// satisfied. It returns the packages whose engines.node it checked.
func (in *installer) markInert(g *graph, nodeVersion func() string) (engines []*node) {
	for _, n := range g.order {
		if n.isRoot || n.pkg == nil || !n.pkg.Optional || n.inert {
			continue
		}
		bad := in.plat.Check(n.pkg.OS, n.pkg.CPU, n.pkg.Libc) != nil
		if !bad {
			if rng := n.pkg.Engines["node"]; rng != "" {
				engines = append(engines, n)
				bad = nodeFails(nodeVersion(), rng)
			}
		}
		if bad {
			for m := range optionalSet(n) {
				m.inert = true
			}
		}
	}
	return engines
}

// enginesDiffer reports whether this machine's node fails the engines.node
// range of one of the packages.
func (in *installer) enginesDiffer(pkgs []*node) bool {
	nv := in.nodeVersion()
	return slices.ContainsFunc(pkgs, func(n *node) bool { return nodeFails(nv, n.pkg.Engines["node"]) })
}

// nodeFails reports whether node version nv fails an engines.node range;
// an unknown version ("") fails none, like npm without a node to ask.
func nodeFails(nv, rng string) bool {
	return nv != "" && !semver.Satisfies(nv, rng, semver.Options{IncludePrerelease: true})
}

// stillWanted keeps the failed downloads that a package still to install
// uses.
func stillWanted(failed []*fetchItem) []*fetchItem {
	var out []*fetchItem
	for _, it := range failed {
		if slices.ContainsFunc(it.nodes, func(n *node) bool { return !n.inert && !n.omitted }) {
			out = append(out, it)
		}
	}
	return out
}

var nodeVersionOnce struct {
	sync.Once
	v string
}

func (in *installer) nodeVersion() string {
	if in.o.NodeVersion != "" {
		return in.o.NodeVersion
	}
	nodeVersionOnce.Do(func() { nodeVersionOnce.v = detectNodeVersion(in.o.CacheDir) })
	return nodeVersionOnce.v
}

// detectNodeVersion runs `node -v`, remembering the answer in the cache
// directory (when there is one) for the same node binary (path, size,
// mtime): starting node costs more than a warm install of a small project.
func detectNodeVersion(cacheDir string) string {
	bin, err := exec.LookPath("node")
	if err != nil {
		return ""
	}
	fi, err := os.Stat(bin)
	if err != nil {
		return ""
	}
	key := fmt.Sprintf("%s %d %d", bin, fi.Size(), fi.ModTime().UnixNano())
	memo := ""
	if cacheDir != "" {
		memo = filepath.Join(cacheDir, "node-version")
		if b, err := os.ReadFile(memo); err == nil {
			if k, v, ok := strings.Cut(strings.TrimSpace(string(b)), "\n"); ok && k == key && v != "" {
				return v
			}
		}
	}
	out, err := exec.Command(bin, "-v").Output()
	if err != nil {
		return ""
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	if memo != "" {
		// A cold install asks before the store has made the cache directory.
		_ = os.MkdirAll(cacheDir, 0o755)
		_ = fsx.WriteFileAtomic(memo, []byte(key+"\n"+v+"\n"))
	}
	return v
}

// selectNodes returns the entries to put on disk, sorted by key: not the
// root, not workspace folders (they are the project's own), not inert, not
// omitted, not extraneous, not bundled (they come inside their bundler's
// tarball). A required package this platform cannot use is an error.
func (in *installer) selectNodes(g *graph, omit map[string]bool) ([]*node, error) {
	var out []*node
	for _, n := range g.order {
		if n.isRoot || n.isWS || n.inert || n.pkg == nil || n.pkg.Extraneous || n.pkg.InBundle {
			continue
		}
		p := n.pkg
		if len(omit) > 0 && shouldOmit(p, omit) {
			n.omitted = true
			continue
		}
		if !p.Link && !p.Optional {
			if err := in.plat.Check(p.OS, p.CPU, p.Libc); err != nil {
				return nil, inputErr(fmt.Errorf("failed to install %q (%s@%s): %w; it is not optional, so npm refuses it too (EBADPLATFORM)",
					n.key, n.name, p.Version, err))
			}
		}
		out = append(out, n)
	}
	return out, nil
}

func shouldOmit(p *lockfile.Package, omit map[string]bool) bool {
	devOptional := p.DevOptional || p.Dev || p.Optional
	return p.Peer && omit["peer"] || p.Dev && omit["dev"] || p.Optional && omit["optional"] ||
		devOptional && omit["optional"] && omit["dev"]
}

// fetchItem is one store entry to make sure of; several lock entries may
// share it (same integrity).
type fetchItem struct {
	key       string
	label     string // name@version for messages
	name      string
	version   string
	resolved  string // the lock entry's "resolved" (registry or tarball URL)
	url       string // where to download it: set by in.url, when needed
	guessed   bool   // the URL is derived from name and version, not "resolved"
	localFile string // a file: tarball
	sri       *integrity.SRI
	bins      []string
	nodes     []*node
}

func (in *installer) fetchItems(nodes []*node) (map[string]*fetchItem, error) {
	items := map[string]*fetchItem{}
	for _, n := range nodes {
		p := n.pkg
		if p.Link {
			continue
		}
		it := &fetchItem{name: n.name, version: p.Version, label: n.name + "@" + p.Version}
		switch {
		case strings.HasPrefix(p.Resolved, "git+") || strings.HasPrefix(p.Resolved, "git:") || strings.HasPrefix(p.Resolved, "github:"):
			return nil, inputErr(fmt.Errorf("failed to install %q: git dependency %q: lockstep does not install git dependencies yet; use a registry version or a tarball URL", n.key, p.Resolved))
		case strings.HasPrefix(p.Resolved, "file:"):
			it.localFile = filepath.Join(in.dir, filepath.FromSlash(strings.TrimPrefix(p.Resolved, "file:")))
		case p.Resolved != "":
			// The URL (replace-registry-host applied) is worked out only
			// for what is downloaded: a warm install needs none.
			it.resolved = p.Resolved
		default:
			if p.Version == "" {
				return nil, inputErr(fmt.Errorf("failed to install %q: its lockfile entry has neither \"resolved\" nor \"version\"", n.key))
			}
			it.guessed = true
		}
		if p.Integrity != "" {
			sri, err := integrity.Parse(p.Integrity)
			if err != nil {
				return nil, inputErr(fmt.Errorf("failed to read integrity of %q: %w", n.key, err))
			}
			it.sri = &sri
			it.key = sri.Key()
		} else {
			sum := sha256.Sum256([]byte(in.source(it)))
			it.key = "url-" + hex.EncodeToString(sum[:])
		}
		for _, target := range p.Bin {
			it.bins = append(it.bins, target)
		}
		sort.Strings(it.bins)
		if prev, ok := items[it.key]; ok {
			prev.nodes = append(prev.nodes, n)
			continue
		}
		it.nodes = []*node{n}
		items[it.key] = it
	}
	return items, nil
}

// fetchAll makes sure every item is in the store. Like npm, a package that
// only optional dependencies lead to may fail: it is reported, and it and
// its optional set are left out (returned as failed); any other failure
// stops the install.
func (in *installer) fetchAll(ctx context.Context, items map[string]*fetchItem, span *timing.Span) (failed []*fetchItem, err error) {
	keys := make([]string, 0, len(items))
	for k := range items {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	in.extracted = map[string][]store.IndexEntry{}
	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(in.o.Concurrency)
	var mu sync.Mutex
	for _, k := range keys {
		it := items[k]
		if in.store.Has(it.key) {
			span.Hit()
			in.fromCache++
			in.o.Progress.Fetched(1)
			continue
		}
		span.Miss()
		in.downloaded++
		memlimit.Normal() // see Lean in CI
		eg.Go(func() error {
			var index []store.IndexEntry
			dir, err := in.store.PutIndexed(it.key, func(tmp string) ([]store.IndexEntry, error) {
				var err error
				index, err = in.download(ctx, it, tmp)
				return index, err
			})
			if err == nil && index != nil {
				in.extractedMu.Lock()
				in.extracted[dir] = index
				in.extractedMu.Unlock()
			}
			if err == nil {
				in.o.Progress.Fetched(1)
				return nil
			}
			err = fmt.Errorf("failed to fetch %q (%s): %w", it.label, in.cfg.Redact(in.source(it)), err)
			if it.optional() && ctx.Err() == nil {
				fmt.Fprintf(in.o.Stderr, "lockstep: warning: skipping optional %v\n", err)
				mu.Lock()
				failed = append(failed, it)
				mu.Unlock()
				return nil
			}
			return err
		})
	}
	return failed, eg.Wait()
}

// optional reports whether every lock entry using the item is optional.
func (it *fetchItem) optional() bool {
	for _, n := range it.nodes {
		if !n.pkg.Optional {
			return false
		}
	}
	return true
}

// dropFailed marks failed optional packages and their optional sets inert
// and returns the nodes still to install.
func dropFailed(nodes []*node, failed []*fetchItem) []*node {
	if len(failed) == 0 {
		return nodes
	}
	for _, it := range failed {
		for _, n := range it.nodes {
			for m := range optionalSet(n) {
				m.inert = true
			}
		}
	}
	out := nodes[:0]
	for _, n := range nodes {
		if !n.inert {
			out = append(out, n)
		}
	}
	return out
}

// source is where the item comes from: its file, or its URL.
func (in *installer) source(it *fetchItem) string {
	if it.localFile != "" {
		return it.localFile
	}
	return in.url(it)
}

// url is the item's download URL, worked out on first use: "resolved" with
// replace-registry-host applied, or the registry's conventional tarball URL.
// Only the goroutine fetching the item calls it after fetchItems.
func (in *installer) url(it *fetchItem) string {
	if it.url == "" {
		if it.guessed {
			it.url = in.client.TarballURL(it.name, it.version)
		} else {
			it.url = in.client.ResolveTarball(it.resolved)
		}
	}
	return it.url
}

func resetDir(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Mkdir(dir, 0o755)
}

// download fetches one tarball and extracts it into tmp as it arrives,
// hashing it on the way, and verifies its integrity at the end. The store
// only renames tmp into place after that check passed, so an unverified
// package is never installed; a failed check or a broken connection is
// retried into an emptied tmp. Requests go out from many downloads at
// once, and a response waits in the socket for one of the extraction slots
// (CPU and filesystem bound work). Streaming holds no tarball in memory:
// buffering them whole cost a zeroed buffer per tarball and most of a cold
// install's page faults.
// It returns what is on disk for the store's index (learned while
// extracting: nothing is read back).
func (in *installer) download(ctx context.Context, it *fetchItem, tmp string) ([]store.IndexEntry, error) {
	var index []store.IndexEntry
	attempts := 0
	attempt := func(body io.Reader) error {
		var v *integrity.Verifier
		r := body
		if it.sri != nil {
			v = it.sri.NewVerifier()
			r = io.TeeReader(body, v)
		}
		select {
		case in.extractSlots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { <-in.extractSlots }()
		// The store hands over an empty tmp; only a retry must clear it.
		if attempts++; attempts > 1 {
			if err := resetDir(tmp); err != nil {
				return err
			}
		}
		res, err := extract.Extract(r, tmp, extract.Options{Bins: it.bins, Index: true})
		if err != nil {
			if v != nil {
				// Damaged in transit (retry), or a bad tarball as
				// published (fail): the hash of the whole body tells.
				if _, cerr := io.Copy(io.Discard, r); cerr != nil {
					return cerr
				}
				if verr := v.Verify(); verr != nil {
					return registry.MarkRetryable(verr)
				}
			}
			return err
		}
		index = res.Index
		if v != nil {
			// Extract read the stream to its end. A body damaged in
			// transit is worth another download; a lockfile pinning the
			// wrong integrity fails after the retries all the same.
			return registry.MarkRetryable(v.Verify())
		}
		return nil
	}
	if it.localFile != "" {
		f, err := os.Open(it.localFile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := attempt(f); err != nil {
			return nil, err
		}
		return index, nil
	}
	err := in.client.Fetch(ctx, in.url(it), "", attempt)
	var he *registry.HTTPError
	if err != nil && it.guessed && errors.As(err, &he) && he.Status == 404 {
		// The conventional URL was a guess; the packument knows the truth.
		url, perr := in.tarballFromPackument(ctx, it.name, it.version)
		if perr != nil {
			return nil, perr
		}
		it.url = in.client.ResolveTarball(url)
		err = in.client.Fetch(ctx, it.url, "", attempt)
	}
	if err != nil {
		return nil, err
	}
	return index, nil
}

func (in *installer) tarballFromPackument(ctx context.Context, name, version string) (string, error) {
	var data []byte
	err := in.client.Fetch(ctx, in.client.PackumentURL(name), "application/json", func(body io.Reader) error {
		b, err := io.ReadAll(body)
		data = b
		return err
	})
	if err != nil {
		return "", err
	}
	node, err := sonic.Get(data, "versions", version, "dist", "tarball")
	if err != nil {
		return "", fmt.Errorf("failed to find %s@%s in the registry: the packument has no such version", name, version)
	}
	url, err := node.String()
	if err != nil || url == "" {
		return "", fmt.Errorf("failed to find the tarball of %s@%s in its packument", name, version)
	}
	return url, nil
}

// stagedPath maps a lock key to where it is built: the first node_modules
// segment of the key is replaced by the staging directory.
func (in *installer) stagedPath(key string) (root, staged string) {
	i := strings.Index(key, "node_modules/")
	if i < 0 {
		return "", filepath.Join(in.dir, filepath.FromSlash(key))
	}
	root = key[:i] // "" or "packages/w/"
	rest := key[i+len("node_modules/"):]
	if root == "" && filepath.Separator == '/' && in.dir != "/" {
		// buildGraph checked rest's segments (validKey) and in.dir is
		// clean: filepath.Join's Clean would change nothing. Every
		// package's path is worked out here, several times.
		return "", in.dir + "/" + stagingName + "/" + rest
	}
	return root, filepath.Join(in.dir, filepath.FromSlash(root), stagingName, filepath.FromSlash(rest))
}

// buildTree materializes the staged node_modules trees and returns their
// roots ("" and workspace folders, with trailing slash).
func (in *installer) buildTree(ctx context.Context, g *graph, nodes []*node, items map[string]*fetchItem, lf *lockfile.Lockfile, ignoreScripts bool) ([]string, error) {
	roots := map[string]bool{"": true}
	for _, n := range g.order {
		if n.isWS {
			roots[n.key+"/"] = true
		}
	}
	// Every root gets its old node_modules removed (npm ci clears the root's
	// and each workspace's), but only roots with packages get a new one.
	populated := map[string]bool{"": true}
	for _, n := range nodes {
		r, _ := in.stagedPath(n.key)
		populated[r] = true
	}
	keepDots := map[string][]string{} // root -> dot entries of its node_modules to keep
	if in.o.Reuse {
		for r := range roots {
			if dots := dotEntries(filepath.Join(in.dir, filepath.FromSlash(r), "node_modules")); len(dots) > 0 {
				keepDots[r] = dots
				populated[r] = true
			}
		}
	}
	for r := range roots {
		// A killed run may have left a half-removed old tree behind.
		if stale, _ := filepath.Glob(filepath.Join(in.dir, filepath.FromSlash(r), "node_modules.lockstep-old-*")); len(stale) > 0 {
			for _, s := range stale {
				_ = os.RemoveAll(s)
			}
		}
		if !populated[r] {
			continue
		}
		st := filepath.Join(in.dir, filepath.FromSlash(r), stagingName)
		if err := os.RemoveAll(st); err != nil {
			return nil, fmt.Errorf("failed to clear %q: %w", st, err)
		}
		if err := os.MkdirAll(st, 0o755); err != nil {
			return nil, fmt.Errorf("failed to create %q: %w", st, err)
		}
		if in.o.Reuse {
			in.containers = append(in.containers, containersOf(filepath.Join(in.dir, filepath.FromSlash(r), "node_modules"), st)...)
		}
		for _, name := range keepDots[r] {
			from := filepath.Join(in.dir, filepath.FromSlash(r), "node_modules", name)
			if err := in.move(from, filepath.Join(st, name)); err != nil {
				return nil, fmt.Errorf("failed to keep %q: %w", from, err)
			}
		}
	}
	if err := in.moveKept(); err != nil {
		return nil, err
	}
	if err := in.keepForeign(nodes); err != nil {
		return nil, err
	}
	keyOf := map[*node]string{}
	for k, it := range items {
		for _, n := range it.nodes {
			keyOf[n] = k
		}
	}
	// node_modules/.package-lock.json is CPU work that needs nothing on
	// disk: it is built while the tree is linked (system calls mostly).
	// The binding.gyp probe (a stat per package) decides which packages
	// are copied when scripts run; without scripts only the hidden
	// lockfile's hasInstallScript needs it, so it runs beside the linking.
	hiddenData := make(chan []byte, 1)
	if !ignoreScripts {
		in.findGyp(nodes, keyOf)
	}
	go func() {
		if ignoreScripts {
			in.findGyp(nodes, keyOf)
		}
		hiddenData <- in.hiddenLockfile(lf, nodes)
	}()
	// A bundled package's scripts change files inside its bundler's copy.
	bundledScripts := map[string]bool{}
	for _, n := range in.bundled {
		if !ignoreScripts && n.pkg.HasInstallScript {
			bundledScripts[in.bundlerOf[n.key]] = true
		}
	}
	var jobs []link.Job
	var linkJobNode []*node // the node of jobs[i]
	for _, n := range nodes {
		if n.linkTo != nil || in.kept[n.key] {
			continue
		}
		_, staged := in.stagedPath(n.key)
		linkJobNode = append(linkJobNode, n)
		jobs = append(jobs, link.Job{
			Src:  in.store.Dir(keyOf[n]),
			Dst:  staged,
			Copy: !ignoreScripts && (n.pkg.HasInstallScript || in.gyp[n.key] || bundledScripts[n.key]),
		})
	}
	probeDst := filepath.Join(in.dir, stagingName)
	method := link.Probe(in.store.Root(), probeDst)
	in.shared = nil
	if method == link.Hardlink && !ignoreScripts {
		seen := map[string]bool{}
		for i, j := range jobs {
			if k := keyOf[linkJobNode[i]]; !j.Copy && !seen[k] {
				seen[k] = true
				n := linkJobNode[i]
				in.shared = append(in.shared, sharedEntry{key: k, dir: j.Src, label: n.name + "@" + n.pkg.Version})
			}
		}
	}
	if _, err := link.Materialize(ctx, jobs, link.Options{Method: method, Concurrency: 0, List: in.list}); err != nil {
		return nil, fmt.Errorf("failed to build node_modules: %w", err)
	}
	// Links (workspaces, file: folders) are relative symlinks.
	for _, n := range nodes {
		if n.linkTo == nil {
			continue
		}
		_, staged := in.stagedPath(n.key)
		final := filepath.Join(in.dir, filepath.FromSlash(n.key))
		target := filepath.Join(in.dir, filepath.FromSlash(n.linkTo.key))
		rel, err := filepath.Rel(filepath.Dir(final), target)
		if err != nil {
			return nil, fmt.Errorf("failed to link %q: %w", n.key, err)
		}
		if err := os.MkdirAll(filepath.Dir(staged), 0o755); err != nil {
			return nil, fmt.Errorf("failed to link %q: %w", n.key, err)
		}
		if err := os.Symlink(rel, staged); err != nil {
			return nil, fmt.Errorf("failed to link %q: %w", n.key, err)
		}
	}
	if err := in.linkAllBins(append(slices.Clip(nodes), in.bundled...)); err != nil {
		return nil, err
	}
	for _, c := range in.containers {
		if err := os.MkdirAll(c, 0o755); err != nil {
			return nil, fmt.Errorf("failed to create %q: %w", c, err)
		}
	}
	hl := filepath.Join(in.dir, stagingName, ".package-lock.json")
	if err := os.WriteFile(hl, <-hiddenData, 0o644); err != nil {
		return nil, fmt.Errorf("failed to write %q: %w", hl, err)
	}
	out := make([]string, 0, len(roots))
	for r := range roots {
		out = append(out, r)
	}
	sort.Strings(out)
	return out, nil
}

// list lists a store entry for the linker: from memory when this run
// extracted it, else from its index (store.List).
func (in *installer) list(src string, buf []byte, fn func(kind byte, rel []byte) error) ([]byte, error) {
	entries, ok := in.extracted[src]
	if !ok {
		return store.List(src, buf, fn)
	}
	for _, e := range entries {
		kind := byte('f')
		if e.Dir {
			kind = 'd'
		}
		buf = append(buf[:0], e.Path...)
		if err := fn(kind, buf); err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// hiddenLockfile returns the contents of node_modules/.package-lock.json:
// the lockfile's entries for what is installed.
func (in *installer) hiddenLockfile(lf *lockfile.Lockfile, nodes []*node) []byte {
	included := map[string]bool{}
	for _, n := range nodes {
		included[n.key] = true
		if n.linkTo != nil {
			included[n.linkTo.key] = true
		}
	}
	for _, n := range in.bundled {
		if included[in.bundlerOf[n.key]] {
			included[n.key] = true
		}
	}
	pjData, _ := os.ReadFile(filepath.Join(in.dir, "package.json"))
	indent, newline := lockfile.DetectFormat(pjData)
	hidden := lf.Hidden(func(key string) bool { return included[key] }, lockfile.HiddenOptions{
		OmitLockfileRegistryResolved: in.cfg.OmitLockfileRegistryResolved(),
		LegacyPeerDeps:               in.cfg.LegacyPeerDeps(),
		Indent:                       indent,
		Newline:                      newline,
	})
	return hidden.Marshal()
}

// bundledNodes returns the bundled lock entries (inBundle) whose bundler
// is among nodes, sorted by key, and the bundler of each (by key).
func bundledNodes(g *graph, nodes []*node) ([]*node, map[string]string) {
	want := map[string]bool{}
	for _, n := range nodes {
		if n.linkTo == nil {
			want[n.key] = true
		}
	}
	var out []*node
	bundler := map[string]string{}
	for _, n := range g.order {
		if n.pkg == nil || !n.pkg.InBundle || n.pkg.Extraneous || n.isRoot {
			continue
		}
		// The nearest ancestor package that is not bundled itself.
		key := n.key
		for {
			i := strings.LastIndex(key, "/node_modules/")
			if i < 0 {
				key = ""
				break
			}
			key = key[:i]
			if a := g.nodes[key]; a == nil || a.pkg == nil || !a.pkg.InBundle {
				break
			}
		}
		if want[key] {
			out = append(out, n)
			bundler[n.key] = key
		}
	}
	return out, bundler
}

// findGyp finds the packages with a binding.gyp in their root, no install
// script and no `"gypfile": false`: arborist gives them the install script
// "node-gyp rebuild" (rebuild.js, with or without --ignore-scripts), so
// their hidden lockfile entries say hasInstallScript.
func (in *installer) findGyp(nodes []*node, keyOf map[*node]string) {
	in.gyp = map[string]bool{}
	for _, n := range nodes {
		if t := n.linkTo; t != nil {
			if t.pkg != nil && !t.pkg.HasInstallScript && scripts.NeedsGypBuild(filepath.Join(in.dir, filepath.FromSlash(t.key)), true) {
				t.pkg.HasInstallScript = true
			}
			continue
		}
		if n.pkg.HasInstallScript {
			continue
		}
		dir := in.store.Dir(keyOf[n])
		if in.kept[n.key] {
			_, dir = in.stagedPath(n.key) // moveKept put it there
		}
		if scripts.NeedsGypBuild(dir, false) {
			in.gyp[n.key] = true
			n.pkg.HasInstallScript = true
		}
	}
}

// binDirOf is the node_modules folder whose .bin holds the bins of the
// package at lock key key, installed at dir.
func binDirOf(key, dir string) string {
	nm := filepath.Dir(dir)
	if strings.HasPrefix(path.Base(path.Dir(key)), "@") {
		nm = filepath.Dir(nm)
	}
	return nm
}

// linkAllBins creates .bin links like arborist: the dependencies' first,
// then the links' (workspaces, file: folders), each in (depth, path) order;
// like bin-links, the first package to claim a bin name in a folder keeps
// it.
func (in *installer) linkAllBins(nodes []*node) error {
	ordered := append([]*node(nil), nodes...)
	sort.SliceStable(ordered, func(i, j int) bool {
		li, lj := ordered[i].linkTo != nil, ordered[j].linkTo != nil
		if li != lj {
			return lj
		}
		di, dj := strings.Count(ordered[i].key, "node_modules/"), strings.Count(ordered[j].key, "node_modules/")
		if di != dj {
			return di < dj
		}
		return ordered[i].key < ordered[j].key
	})
	in.linkBinsClaimed = map[string][]link.Bin{}
	var linker link.BinLinker // the first package to claim a bin keeps it
	for _, n := range ordered {
		binMap := n.pkg.Bin
		if n.linkTo != nil && n.linkTo.pkg != nil {
			binMap = n.linkTo.pkg.Bin
		}
		if len(binMap) == 0 {
			continue
		}
		_, staged := in.stagedPath(n.key)
		bins := make([]link.Bin, 0, len(binMap))
		for _, name := range sortedKeys(binMap) {
			bins = append(bins, link.Bin{Name: name, Target: binMap[name]})
		}
		claimed, err := linker.LinkBinsClaimed(binDirOf(n.key, staged), staged, bins)
		if err != nil {
			return fmt.Errorf("failed to link bins of %q: %w", n.key, err)
		}
		if n.linkTo != nil {
			in.linkBinsClaimed[n.key] = claimed
		}
	}
	return nil
}

// swap puts each staged tree in place of the old one, then removes the old.
func (in *installer) swap(roots []string) error {
	var old []string
	for _, r := range roots {
		base := filepath.Join(in.dir, filepath.FromSlash(r))
		cur := filepath.Join(base, "node_modules")
		staged := filepath.Join(base, stagingName)
		var curMode os.FileMode
		if st, err := os.Lstat(cur); err == nil {
			curMode = st.Mode()
			trash := filepath.Join(base, fmt.Sprintf("node_modules.lockstep-old-%d", os.Getpid()))
			if err := os.Rename(cur, trash); err != nil {
				return fmt.Errorf("failed to move the old %q aside: %w", cur, err)
			}
			old = append(old, trash)
		}
		if _, err := os.Lstat(staged); err != nil {
			// Nothing installed under this workspace. npm empties an
			// existing node_modules but leaves the folder.
			if curMode.IsDir() {
				if err := os.Mkdir(cur, curMode.Perm()); err != nil {
					return fmt.Errorf("failed to empty %q: %w", cur, err)
				}
				_ = os.Chmod(cur, curMode.Perm())
			}
			continue
		}
		if err := os.Rename(staged, cur); err != nil {
			return fmt.Errorf("failed to move the new tree into %q: %w", cur, err)
		}
	}
	for _, r := range roots {
		// The nested node_modules moveKept held aside.
		held, _ := filepath.Glob(filepath.Join(in.dir, filepath.FromSlash(r), fmt.Sprintf("node_modules.lockstep-old-%d-held-*", os.Getpid())))
		old = append(old, held...)
	}
	for _, k := range in.orphans {
		old = append(old, filepath.Join(in.dir, filepath.FromSlash(k)))
	}
	var wg sync.WaitGroup
	for _, o := range old {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = os.RemoveAll(o)
		}()
	}
	wg.Wait()
	return nil
}

// runScripts runs the lifecycle scripts the way npm ci does (see
// scripts.Build): dependencies, then links (workspaces and file: folders,
// whose bins are linked after their prepare), then the root project. A
// failing required dependency or link script removes the new node_modules
// trees, as arborist's rollback does; a failing optional package is removed
// with its optional set and left out of node_modules/.package-lock.json.
func (in *installer) runScripts(ctx context.Context, pj *pkgjson.PackageJSON, nodes []*node, roots []string, lf *lockfile.Lockfile) error {
	byKey := map[string]*node{}
	var deps, links []scripts.Package
	var linkNodes []*node
	for _, n := range append(slices.Clip(nodes), in.bundled...) {
		byKey[n.key] = n
		if n.linkTo != nil {
			t := n.linkTo
			if t.pkg == nil {
				continue
			}
			linkNodes = append(linkNodes, n)
			links = append(links, scripts.Package{
				Path: n.key, Dir: filepath.Join(in.dir, filepath.FromSlash(t.key)), Link: true,
				Optional: t.pkg.Optional, Dev: t.pkg.Dev, Peer: t.pkg.Peer, DevOptional: t.pkg.DevOptional,
				Resolved: in.scriptResolved(t.pkg.Resolved), Integrity: t.pkg.Integrity,
			})
			continue
		}
		p := n.pkg
		if in.kept[n.key] {
			continue // npm install runs the scripts of what it added or replaced
		}
		sp := scripts.Package{
			Path: n.key, Dir: filepath.Join(in.dir, filepath.FromSlash(n.key)), Name: n.name, Version: p.Version,
			Optional: p.Optional, Dev: p.Dev, Peer: p.Peer, DevOptional: p.DevOptional,
			Resolved: in.scriptResolved(p.Resolved), Integrity: p.Integrity, Engines: p.Engines, Bin: p.Bin,
		}
		if !p.HasInstallScript {
			if !in.gyp[n.key] {
				continue
			}
			// A binding.gyp and no install script: "node-gyp rebuild"
			// (the runner adds it on seeing the file).
			sp.Scripts = map[string]string{}
		}
		deps = append(deps, sp)
	}
	root := &scripts.Package{Path: "", Dir: in.dir, Name: pj.Name, Version: pj.Version}
	r := &scripts.Runner{
		ProjectDir: in.dir, Getenv: in.o.Getenv, Stdout: in.o.Stdout, Stderr: in.o.Stderr,
		Foreground: in.cfg.Bool("foreground-scripts", false),
		Env:        in.configEnv(),
		OptionalFailed: func(p scripts.Package, _ *scripts.ScriptError) []string {
			var more []string
			if n := byKey[p.Path]; n != nil {
				for m := range optionalSet(n) {
					more = append(more, m.key)
				}
			}
			return more
		},
	}
	if sh, _ := in.cfg.Get("script-shell"); sh != "" {
		r.ScriptShell = sh
	}
	var linker link.BinLinker
	// The filesystem's clock, not time.Now (see fsx.FileTick): what the
	// scripts write is stamped no earlier than started, what was
	// extracted before them earlier.
	started := fsx.FileTick()
	defer in.dropModified(started)
	_, err := r.RunBuild(ctx, scripts.Build{
		Deps: deps, Links: links, Root: root,
		// arborist runs them when reify changed the tree: ci always does,
		// unless there was nothing to install.
		RootDependencies: len(nodes) > 0 && (!in.o.Reuse || in.changed),
		LinkLinkBins: func() error {
			// The links' bins were linked with the tree, before their
			// scripts ran: a target their prepare script built is linked
			// (and made executable) now, as npm links them only here.
			for _, n := range linkNodes {
				if err := in.relinkBins(&linker, n); err != nil {
					return err
				}
			}
			return nil
		},
		AfterBuild: func(res scripts.Result) error {
			if len(res.FailedOptional) == 0 {
				return nil
			}
			gone := map[string]bool{}
			for _, p := range res.FailedOptional {
				fmt.Fprintf(in.o.Stderr, "lockstep: warning: removing optional %q: its install script failed\n", p)
				if n := byKey[p]; n != nil {
					for m := range optionalSet(n) {
						gone[m.key] = true
					}
				}
				gone[p] = true
			}
			for k := range gone {
				if byKey[k] != nil {
					_ = os.RemoveAll(filepath.Join(in.dir, filepath.FromSlash(k)))
				}
			}
			kept := make([]*node, 0, len(nodes))
			for _, n := range nodes {
				if !gone[n.key] {
					kept = append(kept, n)
				}
			}
			hl := filepath.Join(in.dir, "node_modules", ".package-lock.json")
			if err := fsx.WriteFileAtomic(hl, in.hiddenLockfile(lf, kept)); err != nil {
				return fmt.Errorf("failed to write %q: %w", hl, err)
			}
			return nil
		},
	})
	var se *scripts.ScriptError
	if err != nil && errors.As(err, &se) && se.Path != "" {
		// A dependency's or link's script failed: like arborist's
		// rollback, the new trees go (npm ci had removed the old ones).
		if in.o.Reuse {
			in.dropNew(lf, nodes)
			return err
		}
		for _, r := range roots {
			_ = os.RemoveAll(filepath.Join(in.dir, filepath.FromSlash(r), "node_modules"))
		}
	}
	return err
}

// dropModified removes from the store the hardlinked entries a script
// modified in place since the scripts started (a file's mtime, shared with
// node_modules, moved): node_modules keeps what the script made, as with
// npm, and the next install downloads a clean copy. A script that replaces
// a file (write and rename) breaks the link and leaves the store alone.
func (in *installer) dropModified(since time.Time) {
	var mu sync.Mutex
	var eg errgroup.Group
	eg.SetLimit(8)
	for _, e := range in.shared {
		eg.Go(func() error {
			modified := errors.New("modified")
			_, err := in.list(e.dir, nil, func(kind byte, rel []byte) error {
				if kind != 'f' {
					return nil
				}
				st, err := os.Lstat(filepath.Join(e.dir, filepath.FromSlash(string(rel))))
				if err == nil && !st.ModTime().Before(since) {
					return modified
				}
				return nil
			})
			if !errors.Is(err, modified) {
				return nil
			}
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(in.o.Stderr, "lockstep: warning: a lifecycle script modified files of %s in place, through hardlinks into the cache; removing it from the cache\n", e.label)
			if err := in.store.Remove(e.key); err != nil {
				fmt.Fprintf(in.o.Stderr, "lockstep: warning: %v\n", err)
			}
			return nil
		})
	}
	_ = eg.Wait()
}

// scriptResolved is a lock entry's "resolved" as arborist's node.resolved
// gives it to scripts (npm_package_resolved): file: paths are absolute.
func (in *installer) scriptResolved(resolved string) string {
	if rel, ok := strings.CutPrefix(resolved, "file:"); ok && !filepath.IsAbs(rel) {
		return "file:" + filepath.Join(in.dir, filepath.FromSlash(rel))
	}
	return resolved
}

// relinkBins links, in the final tree, the bins link node n claimed while
// the tree was built, and fixes their targets (mode, CRLF shebang).
func (in *installer) relinkBins(linker *link.BinLinker, n *node) error {
	t := n.linkTo
	if t == nil || t.pkg == nil || len(t.pkg.Bin) == 0 {
		return nil
	}
	claimed := in.linkBinsClaimed[n.key]
	if len(claimed) == 0 {
		return nil
	}
	final := filepath.Join(in.dir, filepath.FromSlash(n.key))
	if err := link.RelinkBins(binDirOf(n.key, final), final, claimed); err != nil {
		return fmt.Errorf("failed to link bins of %q: %w", n.key, err)
	}
	return nil
}

// configEnv is the npm_config_* variables npm exports to scripts for the
// configuration set on the command line or in .npmrc files (set-envs.js):
// keys starting with "/", "@" or "_" (auth, scoped registries) are not
// exported; false and null become "". Settings from the environment are
// inherited as they are.
func (in *installer) configEnv() map[string]string {
	keys := map[string]bool{}
	for k := range in.o.Flags {
		keys[k] = true
	}
	for _, src := range in.cfg.Sources() {
		for _, k := range npmrcKeys(src) {
			keys[k] = true
		}
	}
	env := map[string]string{}
	for k := range keys {
		if k == "" || strings.ContainsAny(k[:1], "/@_") || strings.Contains(k, "${") {
			continue
		}
		if where, _ := in.cfg.Where(k); where == "env" || where == "" || where == "default" {
			continue
		}
		vals := in.cfg.List(k)
		for i, v := range vals {
			if v == "false" || v == "null" {
				vals[i] = ""
			}
		}
		env["npm_config_"+strings.ToLower(strings.ReplaceAll(k, "-", "_"))] = strings.Join(vals, "\n\n")
	}
	for _, k := range []string{"userconfig", "globalconfig"} {
		if v, ok := in.cfg.Get(k); ok && v != "" {
			env["npm_config_"+k] = v
		}
	}
	return env
}

// npmrcKeys lists the keys an .npmrc file sets outside [sections] (the
// values are the config's; only the names are read here).
func npmrcKeys(file string) []string {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	var keys []string
	inSection := false
	for line := range strings.SplitSeq(strings.ReplaceAll(string(data), "\r", "\n"), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || t[0] == ';' || t[0] == '#' {
			continue
		}
		if t[0] == '[' && strings.HasSuffix(t, "]") {
			inSection = true
			continue
		}
		if inSection {
			continue
		}
		k, _, _ := strings.Cut(t, "=")
		k = strings.TrimSuffix(strings.TrimSpace(k), "[]")
		if k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

// reusable returns the lock keys of the packages among nodes whose folder
// in the existing node_modules can stay (Options.Reuse), and whether the
// tree changes at all. Like arborist's diff (getAction), a folder stays
// when the lockfile pins the version it holds, the integrity it was
// installed with (or, with no integrity on either side, the same resolved
// or none) and its bins exist. What it was installed with is read from
// node_modules/.package-lock.json; its package.json must agree on name and
// version (a folder replaced or removed by hand is installed again).
// Packages that bundle dependencies, or have a shrinkwrap, are installed
// again: their folders hold more than their own files.
func (in *installer) reusable(nodes []*node, bundlers map[string]bool) (kept map[string]bool, changed bool) {
	kept = map[string]bool{}
	old, err := lockfile.ReadFile(filepath.Join(in.dir, "node_modules", ".package-lock.json"))
	if err != nil {
		return kept, true
	}
	wanted := map[string]bool{}
	for _, n := range nodes {
		wanted[n.key] = true
		p, o := n.pkg, old.Packages[n.key]
		if o == nil {
			changed = true
			continue
		}
		if p.Link {
			if !o.Link || o.Resolved != p.Resolved {
				changed = true
			}
			continue
		}
		if !sameInstall(p, o) || bundlers[n.key] || len(p.BundleDependencies) > 0 || p.HasShrinkwrap || p.InBundle || !in.onDisk(n) {
			changed = true
			continue
		}
		kept[n.key] = true
	}
	roots := map[string]bool{}
	for _, n := range nodes {
		if n.linkTo != nil {
			roots[n.linkTo.key+"/"] = true
		}
	}
	in.orphans = nil
	for k, o := range old.Packages {
		if k != "" && !wanted[k] && !o.InBundle {
			changed = true
			// A package in the node_modules of a link target that is
			// gone (a file: folder or workspace no longer depended on):
			// npm's diff removes it, the folder itself stays.
			if root, _, ok := folderChild(k); ok && root != "" && !roots[root] && validKey(k) && !strings.HasPrefix(k, "../") {
				in.orphans = append(in.orphans, k)
			}
		}
	}
	return kept, changed
}

// sameInstall reports whether the package the lockfile pins (p) is the one
// installed (o): arborist's diff without the bins (onDisk checks them).
func sameInstall(p, o *lockfile.Package) bool {
	if o.Link || p.Version != o.Version || p.Name != o.Name {
		return false
	}
	if p.Integrity == "" && o.Integrity == "" {
		return p.Resolved == o.Resolved
	}
	if p.Integrity == "" || o.Integrity == "" {
		return false
	}
	pi, err1 := integrity.Parse(p.Integrity)
	oi, err2 := integrity.Parse(o.Integrity)
	return err1 == nil && err2 == nil && pi.Key() == oi.Key()
}

// onDisk reports whether the existing folder of n is the package the
// lockfile pins: a real folder whose package.json names it, at its
// version, with every bin target present.
func (in *installer) onDisk(n *node) bool {
	dir := filepath.Join(in.dir, filepath.FromSlash(n.key))
	if st, err := os.Lstat(dir); err != nil || !st.IsDir() {
		return false
	}
	data, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return false
	}
	var m struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	if sonic.Unmarshal(data, &m) != nil || m.Name != n.name || m.Version != n.pkg.Version {
		return false
	}
	for _, target := range n.pkg.Bin {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(target))); err != nil {
			return false
		}
	}
	return true
}

// dotEntries lists the entries of a node_modules folder whose names start
// with a dot, but for what the install writes (.bin, .package-lock.json)
// and what lockstep stages: arborist does not read them as packages and
// npm install leaves them alone (tools keep caches there: .cache, .vite).
func dotEntries(nm string) []string {
	ents, err := os.ReadDir(nm)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") && name != ".bin" && name != ".package-lock.json" {
			out = append(out, name)
		}
	}
	return out
}

// moveKept moves the kept package folders from the existing node_modules
// trees into the staged ones, shallowest first. A kept folder's own
// node_modules (its nested dependencies as they were) is moved aside into
// a holding folder that the old tree's removal deletes: the nested
// packages kept are taken from there, the new tree's are linked anew.
func (in *installer) moveKept() error {
	keys := make([]string, 0, len(in.kept))
	for k := range in.kept {
		keys = append(keys, k)
	}
	depth := func(k string) int { return strings.Count(k, "node_modules/") }
	sort.Slice(keys, func(i, j int) bool {
		if di, dj := depth(keys[i]), depth(keys[j]); di != dj {
			return di < dj
		}
		return keys[i] < keys[j]
	})
	held := map[string]string{} // kept key -> where its old node_modules went
	for i, k := range keys {
		from := filepath.Join(in.dir, filepath.FromSlash(k))
		// The nearest kept ancestor whose node_modules was moved aside.
		for a := k; ; {
			j := strings.LastIndex(a, "/node_modules/")
			if j < 0 {
				break
			}
			rest := k[j+len("/node_modules/"):]
			a = a[:j]
			if h, ok := held[a]; ok {
				from = filepath.Join(h, filepath.FromSlash(rest))
				break
			}
		}
		root, staged := in.stagedPath(k)
		if err := os.MkdirAll(filepath.Dir(staged), 0o755); err != nil {
			return fmt.Errorf("failed to keep %q: %w", k, err)
		}
		if err := in.move(from, staged); err != nil {
			return fmt.Errorf("failed to keep %q: %w", k, err)
		}
		nested := filepath.Join(staged, "node_modules")
		if _, err := os.Lstat(nested); err == nil {
			h := filepath.Join(in.dir, filepath.FromSlash(root), fmt.Sprintf("node_modules.lockstep-old-%d-held-%d", os.Getpid(), i))
			if err := in.move(nested, h); err != nil {
				return fmt.Errorf("failed to keep %q: %w", k, err)
			}
			in.containers = append(in.containers, nested)
			in.containers = append(in.containers, containersOf(h, nested)...)
			held[k] = h
		}
	}
	return nil
}

// foreignRoots returns the link-target roots of g that are not workspaces
// (file: folders inside the project). Workspaces are the folders the
// root's "workspaces" globs match, as npm's map-workspaces finds them.
func foreignRoots(dir string, pj *pkgjson.PackageJSON, g *graph) (map[string]bool, error) {
	ws := map[string]bool{}
	folders, err := pj.Workspaces.Folders(dir)
	if err != nil {
		return nil, err
	}
	for _, rel := range folders {
		ws[rel] = true
	}
	out := map[string]bool{}
	for _, n := range g.order {
		if n.isWS && !ws[n.key] {
			out[n.key+"/"] = true
		}
	}
	return out, nil
}

// folderChild splits a lock key naming a package directly in a folder's
// node_modules ("local/bar/node_modules/@s/x") into that folder ("local/bar/",
// "" for the project) and the package's name ("@s/x"). ok is false for a
// key with no node_modules, or one nested in another package's.
func folderChild(key string) (root, name string, ok bool) {
	i := strings.Index(key, "node_modules/")
	if i < 0 {
		return "", "", false
	}
	name = key[i+len("node_modules/"):]
	return key[:i], name, !strings.Contains(name, "/node_modules/")
}

// keepForeign moves into the staged trees of the foreign roots (see
// installer.foreign) every entry of their existing node_modules that no
// locked package or bin claims: npm does not clear those folders, it only
// puts the locked packages (and their bins) in place.
func (in *installer) keepForeign(nodes []*node) error {
	if len(in.foreign) == 0 {
		return nil
	}
	claimed := map[string]bool{} // root-relative: "debug", "@s/x", ".bin/foo"
	for _, n := range nodes {
		root, name, ok := folderChild(n.key)
		if !ok || !in.foreign[root] {
			continue
		}
		claimed[root+name] = true
		for b := range n.pkg.Bin {
			claimed[root+".bin/"+path.Base(b)] = true
		}
	}
	roots := make([]string, 0, len(in.foreign))
	for r := range in.foreign {
		roots = append(roots, r)
	}
	sort.Strings(roots)
	for _, r := range roots {
		base := filepath.Join(in.dir, filepath.FromSlash(r))
		nm := filepath.Join(base, "node_modules")
		st := filepath.Join(base, stagingName)
		ents, err := os.ReadDir(nm)
		if err != nil {
			continue
		}
		var keep []string
		for _, e := range ents {
			name := e.Name()
			if e.IsDir() && (name == ".bin" || strings.HasPrefix(name, "@")) {
				inner, _ := os.ReadDir(filepath.Join(nm, name))
				for _, f := range inner {
					if !claimed[r+name+"/"+f.Name()] {
						keep = append(keep, name+"/"+f.Name())
					}
				}
				continue
			}
			switch {
			case strings.HasPrefix(name, "."):
				// buildTree keeps the dot entries itself under Reuse
				if !in.o.Reuse && name != ".package-lock.json" {
					keep = append(keep, name)
				}
			case !claimed[r+name]:
				keep = append(keep, name)
			}
		}
		for _, k := range keep {
			to := filepath.Join(st, filepath.FromSlash(k))
			if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
				return fmt.Errorf("failed to keep %q: %w", filepath.Join(nm, k), err)
			}
			if err := in.move(filepath.Join(nm, filepath.FromSlash(k)), to); err != nil {
				return fmt.Errorf("failed to keep %q: %w", filepath.Join(nm, k), err)
			}
		}
	}
	return nil
}

// move renames from to to and remembers it for unmove.
func (in *installer) move(from, to string) error {
	if err := os.Rename(from, to); err != nil {
		return err
	}
	in.moved = append(in.moved, [2]string{from, to})
	return nil
}

// unmove puts what moveKept and the dot entries' move took from the old
// trees back, last first, when the new tree could not be built: the old
// node_modules stays as it was.
func (in *installer) unmove() {
	for i := len(in.moved) - 1; i >= 0; i-- {
		m := in.moved[i]
		_ = os.MkdirAll(filepath.Dir(m[0]), 0o755)
		_ = os.Rename(m[1], m[0])
	}
	in.moved = nil
}

// dropNew undoes what an install over an existing tree (Options.Reuse)
// added or replaced, after a dependency's or link's script failed: their
// folders go, and node_modules/.package-lock.json lists only the kept
// packages, so the next install adds them again and runs their scripts.
// The kept packages and the dot entries stay (npm install's rollback
// restores the old tree; this one no longer exists).
func (in *installer) dropNew(lf *lockfile.Lockfile, nodes []*node) {
	var kept []*node
	for _, n := range nodes {
		switch {
		case in.kept[n.key]:
			kept = append(kept, n)
		case n.linkTo == nil:
			_ = os.RemoveAll(filepath.Join(in.dir, filepath.FromSlash(n.key)))
		}
	}
	_ = fsx.WriteFileAtomic(filepath.Join(in.dir, "node_modules", ".package-lock.json"), in.hiddenLockfile(lf, kept))
}

// containersOf returns, under staged, the .bin and @scope folders of the
// old node_modules folder nm: npm install removes packages from them but
// leaves the folders, empty or not.
func containersOf(nm, staged string) []string {
	ents, err := os.ReadDir(nm)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if name := e.Name(); e.IsDir() && (name == ".bin" || strings.HasPrefix(name, "@")) {
			out = append(out, filepath.Join(staged, name))
		}
	}
	return out
}
