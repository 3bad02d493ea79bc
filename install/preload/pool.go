package preload

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/lockstep-dev/lockstep/install/packument"
)

// Request is one dependency to preload: a name and the spec it is
// required with, as written in a package.json ("^1.2.0", "latest",
// "npm:other@^2", "file:../x"...).
type Request struct {
	Name string
	Spec string
	// Optional marks an optionalDependency (or a dependency reached only
	// through one): failures below it are recorded in Result.SoftErrors
	// instead of failing the pool, as npm skips failed optional deps.
	Optional bool
}

// Fetcher returns the decoded packument of a package. It is called at most
// once per name per Preload, from the pool's goroutines, concurrently.
type Fetcher interface {
	Packument(ctx context.Context, name string) (*packument.Packument, error)
}

// FetcherFunc adapts a function to Fetcher.
type FetcherFunc func(ctx context.Context, name string) (*packument.Packument, error)

// Refetcher is a Fetcher that can also fetch a fresh copy of a document,
// bypassing any cache: the pool (and the resolver) ask for one, once per
// package, when no version of a document matches a spec, since a
// registry's caches may lag behind a publish for a while.
type Refetcher interface {
	Refetch(ctx context.Context, name string) (*packument.Packument, error)
}

// Packument calls f.
func (f FetcherFunc) Packument(ctx context.Context, name string) (*packument.Packument, error) {
	return f(ctx, name)
}

// Options configure Preload.
type Options struct {
	// Concurrency is the number of workers (each does at most one fetch at
	// a time). Default 64.
	Concurrency int
	Fetcher     Fetcher
	// NodeVersion, NPMVersion, Before and DefaultTag are passed to
	// packument.Pick (see PickOptions).
	NodeVersion string
	// NodeVersionFunc, when set, gives the node version in place of
	// NodeVersion; it is called at each pick, so it must remember its
	// answer. It lets `node -v` run while the first documents download.
	NodeVersionFunc func() string
	NPMVersion      string
	Before          time.Time
	DefaultTag      string
	// SkipPeers does not follow peerDependencies (legacy-peer-deps).
	SkipPeers bool
	// OptionalPeers also fetches optional peer dependencies, and their
	// peers, without following their other dependencies: arborist loads
	// them into a peer set (one document each) although it installs them
	// only when something else requires them.
	OptionalPeers bool
	// Overrides replaces the spec of every edge to a name (npm's
	// top-level "overrides"; see FlatOverrides).
	Overrides map[string]string
	// Late, when set, gives more roots while the pool already works on the
	// first ones (a warm run's lockfile entries: parsing a large lockfile
	// takes as long as loading the first documents). Its error fails
	// Preload.
	Late func() ([]Request, error)

	// afterPush, when set (tests), runs right after an item is queued: it
	// widens the window in which a pool that counted work after queuing it
	// could see zero pending items and stop early.
	afterPush func()
	// countAfterPush (tests only) reproduces the bug this pool is built to
	// make impossible: counting an item after queuing it. The stress test
	// uses it to show that it detects early termination.
	countAfterPush bool
}

// Result is what Preload found.
type Result struct {
	// Packuments holds every fetched packument by package name.
	Packuments map[string]*packument.Packument
	// Picked maps "name@spec" (the registry name and spec after alias
	// resolution) to the version Pick chose.
	Picked map[string]*packument.Version
	// Skipped lists the distinct dependencies (name and spec) with a
	// non-registry spec (file:, git, URLs, links), which Preload does not
	// follow.
	Skipped []Request
	// SoftErrors are failures under optional dependencies.
	SoftErrors []error
}

// item is one unit of work: fetch name's packument (once per name) and
// pick a version for spec.
type item struct {
	name, spec string // the registry name and spec (aliases resolved)
	dep        string // the name the dependent used (differs for aliases)
	optional   bool   // some edge on the chain is optional
	peerOnly   bool   // reached through an optional peer: follow peers only
	parent     *item  // the dependent, nil for a root
	version    string // set once picked, for chains
}

func (it *item) key() string { return it.name + "@" + it.spec }

// chain renders "root dep → a@1.0.0 → b@^2" for errors.
func (it *item) chain() string {
	var parts []string
	for p := it.parent; p != nil; p = p.parent {
		label := p.dep + "@" + p.spec
		if p.version != "" {
			label = p.dep + "@" + p.version
		}
		parts = append(parts, label)
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, " → ")
}

// Error is a preload failure with the package, the spec and the chain of
// dependents that required it.
type Error struct {
	Name  string // the dependency name as written
	Spec  string
	Chain string // "a@1.0.0 → b@2.1.0", empty for a direct dependency
	Err   error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("failed to resolve %q", e.Name+"@"+e.Spec)
	if e.Chain != "" {
		msg += fmt.Sprintf(" (required by %s)", e.Chain)
	} else {
		msg += " (a direct dependency)"
	}
	return msg + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// pkgState is the single-flight state of one package name.
type pkgState struct {
	fetching bool
	done     bool
	p        *packument.Packument
	err      error
	parked   []*item // items waiting for the fetch in flight
	// refetch runs the one fresh fetch a no-match may ask for (see
	// Refetcher); fresh is its document, nil if it failed.
	refetch sync.Once
	fresh   *packument.Packument
}

// seenEntry is the dedup record of one name@spec.
type seenEntry struct {
	required bool  // some requester is not optional
	full     bool  // queued to follow all its dependencies, not peers only
	err      error // the failure, once processed
}

type pool struct {
	o       Options
	ctx     context.Context
	pending atomic.Int64

	qmu    sync.Mutex
	qcond  *sync.Cond
	queue  []*item
	head   int
	closed bool

	mu     sync.Mutex // guards seen, pkgs and the result
	seen   map[string]*seenEntry
	pkgs   map[string]*pkgState
	result *Result
}

// Preload fetches the packuments of roots and of their whole registry
// dependency closure (dependencies, optionalDependencies and
// peerDependencies of each picked version) with Concurrency workers.
//
// Every name is fetched once; every name@spec is picked once. Preload
// returns when no work is pending, or at the first error (which cancels
// the rest) as an *Error naming the package, its spec and the chain that
// required it.
func Preload(ctx context.Context, roots []Request, o Options) (*Result, error) {
	if o.Fetcher == nil {
		return nil, errors.New("failed to preload: no Fetcher")
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	g, gctx := errgroup.WithContext(ctx)
	pl := &pool{
		o:    o,
		ctx:  gctx,
		seen: map[string]*seenEntry{},
		pkgs: map[string]*pkgState{},
		result: &Result{
			Packuments: map[string]*packument.Packument{},
			Picked:     map[string]*packument.Version{},
		},
	}
	pl.qcond = sync.NewCond(&pl.qmu)
	// The roots count as one pending unit until all are queued, so that a
	// fast worker finishing the first root cannot see zero.
	pl.pending.Add(1)
	if err := pl.roots(roots); err != nil {
		pl.close()
		return nil, err
	}
	if o.Late != nil {
		pl.pending.Add(1) // until the late roots are queued
	}
	pl.done()
	stop := context.AfterFunc(gctx, pl.close)
	defer stop()
	for range o.Concurrency {
		g.Go(pl.worker)
	}
	if o.Late != nil {
		g.Go(func() error {
			defer pl.done()
			late, err := o.Late()
			if err != nil {
				return err
			}
			return pl.roots(late)
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("failed to preload: %w", err)
	}
	return pl.result, nil
}

// roots queues requests that nothing in the closure made.
func (pl *pool) roots(rs []Request) error {
	for _, r := range rs {
		if err := pl.request(r.Name, r.Spec, r.Optional, nil, false); err != nil {
			return err
		}
	}
	return nil
}

// request dedups and queues one dependency edge.
func (pl *pool) request(dep, spec string, optional bool, parent *item, peerOnly bool) error {
	if o, ok := pl.o.Overrides[dep]; ok {
		spec = o
	}
	name, rspec, ok := RegistrySpec(dep, spec)
	if !ok {
		k := "\x00skip " + dep + "@" + spec
		pl.mu.Lock()
		if _, dup := pl.seen[k]; !dup {
			pl.seen[k] = &seenEntry{}
			pl.result.Skipped = append(pl.result.Skipped, Request{Name: dep, Spec: spec, Optional: optional})
		}
		pl.mu.Unlock()
		return nil
	}
	it := &item{name: name, spec: rspec, dep: dep, optional: optional, parent: parent, peerOnly: peerOnly}
	k := it.key()
	pl.mu.Lock()
	e, dup := pl.seen[k]
	if !dup {
		pl.seen[k] = &seenEntry{required: !optional, full: !peerOnly}
		pl.mu.Unlock()
		pl.push(it)
		return nil
	}
	if !peerOnly && !e.full {
		// First reached through an optional peer: now its dependencies
		// count too.
		e.full = true
		e.required = e.required || !optional
		pl.mu.Unlock()
		pl.push(it)
		return nil
	}
	var err error
	if !optional && !e.required {
		// A failure recorded as soft under an optional edge becomes fatal
		// now that a required edge wants the same thing.
		e.required = true
		if e.err != nil {
			err = pl.describe(it, e.err)
		}
	}
	pl.mu.Unlock()
	return err
}

// push counts the item as pending, then queues it: the count rises before
// any worker can see the item, so pending never reaches zero while work
// remains.
func (pl *pool) push(it *item) {
	if !pl.o.countAfterPush {
		pl.pending.Add(1)
	}
	pl.qmu.Lock()
	pl.queue = append(pl.queue, it)
	pl.qmu.Unlock()
	pl.qcond.Signal()
	if pl.o.afterPush != nil {
		pl.o.afterPush()
	}
	if pl.o.countAfterPush {
		pl.pending.Add(1)
	}
}

// done marks one pending unit fully processed; the last one closes the
// queue.
func (pl *pool) done() {
	if n := pl.pending.Add(-1); n == 0 {
		pl.close()
	} else if n < 0 && !pl.o.countAfterPush {
		panic("preload: pending count below zero")
	}
}

func (pl *pool) close() {
	pl.qmu.Lock()
	pl.closed = true
	pl.qmu.Unlock()
	pl.qcond.Broadcast()
}

// pop returns the next item, or nil once the queue is closed.
func (pl *pool) pop() *item {
	pl.qmu.Lock()
	defer pl.qmu.Unlock()
	for pl.head == len(pl.queue) && !pl.closed {
		pl.qcond.Wait()
	}
	if pl.closed {
		return nil
	}
	it := pl.queue[pl.head]
	pl.queue[pl.head] = nil
	pl.head++
	if pl.head > 1024 && pl.head*2 > len(pl.queue) {
		pl.queue = append(pl.queue[:0], pl.queue[pl.head:]...)
		pl.head = 0
	}
	return it
}

func (pl *pool) worker() error {
	for {
		it := pl.pop()
		if it == nil {
			return nil
		}
		if err := pl.handle(it); err != nil {
			return err
		}
	}
}

// handle gets it's packument (fetching it, or parking it on the fetch in
// flight) and processes it and any items parked meanwhile.
func (pl *pool) handle(it *item) error {
	pl.mu.Lock()
	st := pl.pkgs[it.name]
	if st == nil {
		st = &pkgState{}
		pl.pkgs[it.name] = st
	}
	switch {
	case st.done:
		pl.mu.Unlock()
		return pl.process(it, st.p, st.err)
	case st.fetching:
		st.parked = append(st.parked, it) // stays pending until processed
		pl.mu.Unlock()
		return nil
	}
	st.fetching = true
	pl.mu.Unlock()

	p, err := pl.o.Fetcher.Packument(pl.ctx, it.name)
	if err == nil && p == nil {
		err = errors.New("the fetcher returned no packument")
	}

	pl.mu.Lock()
	st.done, st.fetching, st.p, st.err = true, false, p, err
	parked := st.parked
	st.parked = nil
	if err == nil {
		pl.result.Packuments[it.name] = p
	}
	pl.mu.Unlock()

	var first error
	for _, x := range append([]*item{it}, parked...) {
		if first != nil {
			pl.done() // cancelled: account for the rest without work
			continue
		}
		first = pl.process(x, p, err)
	}
	return first
}

// process picks a version for it and queues its dependencies; it then
// marks it done (also on error, so the count stays exact).
func (pl *pool) nodeVersion() string {
	if pl.o.NodeVersionFunc != nil {
		return pl.o.NodeVersionFunc()
	}
	return pl.o.NodeVersion
}

func (pl *pool) process(it *item, p *packument.Packument, fetchErr error) error {
	defer pl.done()
	if err := pl.ctx.Err(); err != nil {
		return err
	}
	if fetchErr != nil {
		return pl.failed(it, fetchErr)
	}
	pick := func() (*packument.Version, error) {
		return packument.Pick(p, it.spec, packument.PickOptions{
			DefaultTag: pl.o.DefaultTag, Before: pl.o.Before,
			NodeVersion: pl.nodeVersion(), NPMVersion: pl.o.NPMVersion,
		})
	}
	v, err := pick()
	if errors.Is(err, packument.ErrNoMatch) {
		if fresh := pl.refetch(it.name); fresh != nil {
			p = fresh
			v, err = pick()
		}
	}
	if err != nil {
		return pl.failed(it, err)
	}
	it.version = v.Version
	pl.mu.Lock()
	pl.result.Picked[it.key()] = v
	pl.mu.Unlock()

	m := v.Manifest()
	if m.Err != nil {
		return pl.failed(it, m.Err)
	}
	bundled := map[string]bool{}
	for _, b := range m.BundleDependencies {
		bundled[b] = true
	}
	for dep, spec := range m.Dependencies {
		if bundled[dep] || it.peerOnly {
			continue
		}
		if _, opt := m.OptionalDependencies[dep]; opt {
			continue // optionalDependencies win (queued below)
		}
		if err := pl.request(dep, spec, it.optional, it, false); err != nil {
			return err
		}
	}
	for dep, spec := range m.OptionalDependencies {
		if bundled[dep] || it.peerOnly {
			continue
		}
		if err := pl.request(dep, spec, true, it, false); err != nil {
			return err
		}
	}
	if !pl.o.SkipPeers {
		for dep, spec := range m.PeerDependencies {
			if m.PeerDependenciesMeta[dep].Optional {
				if pl.o.OptionalPeers {
					if err := pl.request(dep, spec, true, it, true); err != nil {
						return err
					}
				}
				continue // installed only when something else requires it
			}
			if err := pl.request(dep, spec, it.optional, it, it.peerOnly); err != nil {
				return err
			}
		}
	}
	return nil
}

// refetch returns a fresh copy of name's packument, fetched once per
// Preload when the Fetcher is a Refetcher (nil otherwise, or when that
// fetch failed); it replaces the document in the result.
func (pl *pool) refetch(name string) *packument.Packument {
	r, ok := pl.o.Fetcher.(Refetcher)
	if !ok {
		return nil
	}
	pl.mu.Lock()
	st := pl.pkgs[name]
	pl.mu.Unlock()
	if st == nil {
		return nil
	}
	st.refetch.Do(func() {
		p, err := r.Refetch(pl.ctx, name)
		if err != nil || p == nil {
			return
		}
		pl.mu.Lock()
		st.fresh, st.p = p, p
		pl.result.Packuments[name] = p
		pl.mu.Unlock()
	})
	return st.fresh // written only inside Do, which has returned
}

// failed records a failure: soft under an optional edge, else fatal.
func (pl *pool) failed(it *item, err error) error {
	pl.mu.Lock()
	e := pl.seen[it.key()]
	e.err = err
	required := e.required
	if !required {
		pl.result.SoftErrors = append(pl.result.SoftErrors, pl.describe(it, err))
	}
	pl.mu.Unlock()
	if required {
		return pl.describe(it, err)
	}
	return nil
}

func (pl *pool) describe(it *item, err error) *Error {
	spec := it.spec
	if it.dep != it.name {
		spec = "npm:" + it.name + "@" + it.spec
	}
	return &Error{Name: it.dep, Spec: spec, Chain: it.chain(), Err: err}
}
