package preload

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/install/packument"
)

// graph is a synthetic registry: n packages "p<i>", each with a few
// versions whose dependencies point at higher-numbered packages (plus some
// back edges, making cycles), with ranges, tags, aliases and non-registry
// specs.
type graph struct {
	docs map[string]*packument.Packument
}

// name is the synthetic package number i; some are scoped.
func name(i int) string {
	if i%7 == 3 {
		return fmt.Sprintf("@s/p%d", i)
	}
	return fmt.Sprintf("p%d", i)
}

func newGraph(r *rand.Rand, n int) *graph {
	g := &graph{docs: map[string]*packument.Packument{}}
	for i := range n {
		p := &packument.Packument{Name: name(i), DistTags: map[string]string{}}
		nv := 1 + r.IntN(4)
		for major := 1; major <= nv; major++ {
			v := &packument.Manifest{Name: p.Name}
			deps := r.IntN(5)
			for range deps {
				j := i + 1 + r.IntN(40)
				if r.IntN(10) == 0 {
					j = r.IntN(n) // back edge: cycles
				}
				if j >= n {
					continue
				}
				spec := []string{"^1.0.0", "*", "latest", ">=1", "1.0.0", "~1.0"}[r.IntN(6)]
				if v.Dependencies == nil {
					v.Dependencies = map[string]string{}
				}
				switch r.IntN(12) {
				case 0:
					v.Dependencies["alias"+fmt.Sprint(j)] = "npm:" + name(j) + "@" + spec
				case 1:
					v.Dependencies[name(j)] = "file:../local"
				default:
					v.Dependencies[name(j)] = spec
				}
			}
			if r.IntN(6) == 0 && i+1 < n {
				j := i + 1 + r.IntN(min(10, n-i-1))
				v.OptionalDependencies = map[string]string{name(j): "^1"}
			}
			if r.IntN(8) == 0 && i+2 < n {
				v.PeerDependencies = map[string]string{name(i + 2): "*"}
			}
			p.Versions = append(p.Versions, packument.NewVersion(packument.Summary{Version: fmt.Sprintf("%d.0.0", major)}, v))
		}
		p.DistTags["latest"] = p.Versions[r.IntN(len(p.Versions))].Version
		p.Finish()
		g.docs[p.Name] = p
	}
	return g
}

// closure computes the expected result sequentially: the names fetched
// and the name@spec keys picked.
func (g *graph) closure(t *testing.T, roots []Request) (names map[string]bool, keys map[string]string) {
	names, keys = map[string]bool{}, map[string]string{}
	type work struct{ name, spec string }
	var stack []work
	add := func(dep, spec string) {
		if n, s, ok := RegistrySpec(dep, spec); ok {
			stack = append(stack, work{n, s})
		}
	}
	for _, r := range roots {
		add(r.Name, r.Spec)
	}
	for len(stack) > 0 {
		w := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		k := w.name + "@" + w.spec
		if _, ok := keys[k]; ok {
			continue
		}
		names[w.name] = true
		p := g.docs[w.name]
		if p == nil {
			t.Fatalf("graph has no %q", w.name)
		}
		v, err := packument.Pick(p, w.spec, packument.PickOptions{})
		if err != nil {
			t.Fatalf("graph pick %s: %v", k, err)
		}
		keys[k] = v.Version
		m := v.Manifest()
		for d, s := range m.Dependencies {
			if _, opt := m.OptionalDependencies[d]; !opt {
				add(d, s)
			}
		}
		for d, s := range m.OptionalDependencies {
			add(d, s)
		}
		for d, s := range m.PeerDependencies {
			add(d, s)
		}
	}
	return names, keys
}

// newGraphFixed is top → mid → leaf@^2, with leaf 1.0.0 and 2.0.0.
func newGraphFixed() *graph {
	g := &graph{docs: map[string]*packument.Packument{}}
	add := func(name string, vs ...string) {
		p := &packument.Packument{Name: name, DistTags: map[string]string{"latest": vs[len(vs)-1]}}
		for _, v := range vs {
			m := &packument.Manifest{Name: name}
			switch name {
			case "top":
				m.Dependencies = map[string]string{"mid": "^1"}
			case "mid":
				m.Dependencies = map[string]string{"leaf": "^2"}
			}
			p.Versions = append(p.Versions, packument.NewVersion(packument.Summary{Version: v}, m))
		}
		p.Finish()
		g.docs[name] = p
	}
	add("top", "1.0.0")
	add("mid", "1.0.0")
	add("leaf", "1.0.0", "2.0.0")
	return g
}

// fakeFetcher serves a graph with random latency and counts fetches.
type fakeFetcher struct {
	g        *graph
	maxDelay time.Duration
	seed     uint64
	fail     map[string]error // name → error
	calls    sync.Map         // name → *atomic.Int32
	inFlight atomic.Int32
	maxSeen  atomic.Int32
}

func (f *fakeFetcher) Packument(ctx context.Context, name string) (*packument.Packument, error) {
	n, _ := f.calls.LoadOrStore(name, new(atomic.Int32))
	n.(*atomic.Int32).Add(1)
	cur := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxSeen.Load()
		if cur <= m || f.maxSeen.CompareAndSwap(m, cur) {
			break
		}
	}
	h := uint64(0)
	for _, c := range name {
		h = h*31 + uint64(c)
	}
	if f.maxDelay > 0 {
		d := time.Duration((h ^ f.seed) % uint64(f.maxDelay))
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	} else if h%2 == 0 {
		runtime.Gosched()
	}
	if err := f.fail[name]; err != nil {
		return nil, err
	}
	p := f.g.docs[name]
	if p == nil {
		return nil, fmt.Errorf("package %q not found", name)
	}
	return p, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestPoolStress runs the pool over thousands of synthetic packages with
// random latencies and concurrency, and checks that it fetches exactly the
// closure, each name once, and picks exactly every name@spec: it never
// stops early and never hangs.
func TestPoolStress(t *testing.T) {
	runs := 25
	if testing.Short() {
		runs = 10
	}
	for run := range runs {
		r := rand.New(rand.NewPCG(uint64(run), 7))
		g := newGraph(r, 500+r.IntN(2500))
		roots := []Request{{Name: "p0", Spec: "*"}, {Name: "p1", Spec: "latest"}, {Name: "x", Spec: "npm:p2@^1"}, {Name: "l", Spec: "file:../l"}}
		for range 10 {
			roots = append(roots, Request{Name: name(r.IntN(200)), Spec: "^1.0.0"})
		}
		wantNames, wantKeys := g.closure(t, roots)
		f := &fakeFetcher{g: g, seed: r.Uint64()}
		if run%3 == 0 {
			f.maxDelay = 2 * time.Millisecond
		}
		o := Options{Concurrency: 1 + r.IntN(128), Fetcher: f}
		if run%2 == 0 {
			o.afterPush = runtime.Gosched
		}
		if run%4 == 1 {
			// Some roots arrive late, while the pool works on the others.
			late, d := roots[2:], time.Duration(r.IntN(3))*time.Millisecond
			roots = roots[:2]
			o.Late = func() ([]Request, error) { time.Sleep(d); return late, nil }
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		res, err := Preload(ctx, roots, o)
		cancel()
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if got, want := sortedKeys(res.Packuments), sortedKeys(wantNames); !equalStrings(got, want) {
			t.Fatalf("run %d (concurrency %d): fetched %d names, want %d", run, o.Concurrency, len(got), len(want))
		}
		if len(res.Picked) != len(wantKeys) {
			t.Fatalf("run %d: picked %d name@specs, want %d", run, len(res.Picked), len(wantKeys))
		}
		for k, v := range wantKeys {
			if pv := res.Picked[k]; pv == nil || pv.Version != v {
				t.Fatalf("run %d: picked[%s] = %v, want %s", run, k, pv, v)
			}
		}
		f.calls.Range(func(k, v any) bool {
			if n := v.(*atomic.Int32).Load(); n != 1 {
				t.Errorf("run %d: %s fetched %d times", run, k, n)
			}
			return true
		})
		if len(res.Skipped) == 0 {
			t.Errorf("run %d: the file: root was not reported as skipped", run)
		}
	}
}

// TestPoolDetectsCountAfterPush shows that the stress check catches the
// utoo race: with the count taken after queuing, the pool stops early (or
// its count goes negative) in at least one of many runs.
func TestPoolDetectsCountAfterPush(t *testing.T) {
	early := 0
	for run := range 40 {
		r := rand.New(rand.NewPCG(uint64(run), 11))
		g := newGraph(r, 800)
		roots := []Request{{Name: "p0", Spec: "*"}}
		wantNames, _ := g.closure(t, roots)
		var slow atomic.Int32
		o := Options{Concurrency: 32, Fetcher: &fakeFetcher{g: g}, countAfterPush: true,
			afterPush: func() {
				// Let other workers run between the push and the count.
				if slow.Add(1)%3 == 0 {
					time.Sleep(50 * time.Microsecond)
				} else {
					runtime.Gosched()
				}
			}}
		res, err := Preload(context.Background(), roots, o)
		if err != nil || len(res.Packuments) != len(wantNames) {
			early++
		}
	}
	if early == 0 {
		t.Fatal("counting after push never stopped the pool early: the stress test would not catch the race")
	}
	t.Logf("count-after-push stopped early in %d of 40 runs", early)
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPoolErrors injects a failure into one package of the closure and
// checks that the pool stops with an error naming it and its chain, and
// that the failure under an optional edge is soft.
func TestPoolErrors(t *testing.T) {
	mk := func(name string, versions ...*packument.Version) *packument.Packument {
		p := &packument.Packument{Name: name, DistTags: map[string]string{"latest": versions[len(versions)-1].Version}, Versions: versions}
		for _, v := range versions {
			v.Manifest().Name = name
		}
		p.Finish()
		return p
	}
	v := func(ver string, deps map[string]string) *packument.Version {
		return packument.NewVersion(packument.Summary{Version: ver}, &packument.Manifest{Dependencies: deps})
	}
	g := &graph{docs: map[string]*packument.Packument{
		"a":   mk("a", v("1.0.0", map[string]string{"b": "^2.0.0"})),
		"b":   mk("b", v("2.1.0", map[string]string{"c": "^3.0.0", "bad": "1.0.0"})),
		"c":   mk("c", v("3.0.0", nil)),
		"x":   mk("x", v("1.0.0", map[string]string{"y": "^1"})),
		"y":   mk("y", v("1.0.0", map[string]string{"c": "3", "gone": "^1"})),
		"bad": mk("bad", v("1.0.0", nil)),
		"o":   mk("o", packument.NewVersion(packument.Summary{Version: "1.0.0"}, &packument.Manifest{OptionalDependencies: map[string]string{"gone": "^1", "c": "^9"}})),
	}}

	cases := []struct {
		name     string
		roots    []Request
		fail     map[string]error
		wantErr  []string // substrings; nil means success
		wantSoft int
	}{
		{name: "404 deep", roots: []Request{{Name: "x", Spec: "^1"}}, wantErr: []string{`"gone@^1"`, "x@1.0.0 → y@1.0.0", "not found"}},
		{name: "fetch error", roots: []Request{{Name: "a", Spec: "^1"}}, fail: map[string]error{"bad": errors.New("boom")}, wantErr: []string{`"bad@1.0.0"`, "a@1.0.0 → b@2.1.0", "boom"}},
		{name: "no match", roots: []Request{{Name: "b", Spec: "^5"}}, wantErr: []string{`"b@^5"`, "a direct dependency", "no matching version"}},
		{name: "invalid range", roots: []Request{{Name: "b", Spec: "=>1.2"}}, wantErr: []string{`"b@=>1.2"`, "invalid tag name or range"}},
		{name: "alias", roots: []Request{{Name: "x", Spec: "npm:b@^7"}}, wantErr: []string{`"x@npm:b@^7"`}},
		{name: "optional soft", roots: []Request{{Name: "o", Spec: "*"}}, wantSoft: 2},
		{name: "success", roots: []Request{{Name: "a", Spec: "^1"}, {Name: "c", Spec: "*"}}, fail: map[string]error{"x": errors.New("never fetched")}},
		{name: "optional then required", roots: []Request{{Name: "o", Spec: "*"}, {Name: "gone", Spec: "^1"}}, wantErr: []string{`"gone@^1"`, "not found"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, conc := range []int{1, 4, 64} {
				f := &fakeFetcher{g: g, fail: c.fail}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				res, err := Preload(ctx, c.roots, Options{Concurrency: conc, Fetcher: f})
				cancel()
				if c.wantErr == nil {
					if err != nil {
						t.Fatalf("concurrency %d: %v", conc, err)
					}
					if len(res.SoftErrors) != c.wantSoft {
						t.Errorf("concurrency %d: %d soft errors, want %d: %v", conc, len(res.SoftErrors), c.wantSoft, res.SoftErrors)
					}
					continue
				}
				if err == nil {
					t.Fatalf("concurrency %d: no error", conc)
				}
				var pe *Error
				if !errors.As(err, &pe) {
					t.Errorf("error %T is not *Error", err)
				}
				for _, s := range c.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("concurrency %d: error %q lacks %q", conc, err, s)
					}
				}
			}
		})
	}
}

// TestPoolLateError checks that an error from Late fails the pool.
func TestPoolLateError(t *testing.T) {
	g := newGraph(rand.New(rand.NewPCG(3, 4)), 200)
	boom := errors.New("lockfile unreadable")
	for _, conc := range []int{1, 16} {
		_, err := Preload(context.Background(), []Request{{Name: "p0", Spec: "*"}}, Options{
			Concurrency: conc, Fetcher: &fakeFetcher{g: g},
			Late: func() ([]Request, error) { return nil, boom },
		})
		if !errors.Is(err, boom) {
			t.Errorf("concurrency %d: err = %v, want %v", conc, err, boom)
		}
	}
}

// TestPoolCancel checks that cancelling the context ends the pool.
func TestPoolCancel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	g := newGraph(r, 2000)
	f := &fakeFetcher{g: g, maxDelay: 20 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	start := time.Now()
	_, err := Preload(ctx, []Request{{Name: "p0", Spec: "*"}}, Options{Concurrency: 8, Fetcher: f})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancel took %v", d)
	}
}

func TestRegistrySpec(t *testing.T) {
	cases := []struct {
		dep, spec, name, rspec string
		ok                     bool
	}{
		{"a", "^1.0.0", "a", "^1.0.0", true},
		{"a", " latest ", "a", "latest", true},
		{"a", "", "a", "", true},
		{"a", "npm:b@^2", "b", "^2", true},
		{"a", "npm:@s/b@~1.2", "@s/b", "~1.2", true},
		{"a", "npm:@s/b", "@s/b", "", true},
		{"a", "NPM:b", "b", "", true},
		{"a", "file:../a", "", "", false},
		{"a", "./a", "", "", false},
		{"a", "~/a", "", "", false},
		{"a", "/abs/a", "", "", false},
		{"a", "user/repo", "", "", false},
		{"a", "github:user/repo", "", "", false},
		{"a", "git+https://x/y.git", "", "", false},
		{"a", "https://x/y.tgz", "", "", false},
		{"a", "a.tgz", "", "", false},
		{"a", "workspace:*", "", "", false},
		{"a", "link:../x", "", "", false},
		{"a", "1 || 2", "a", "1 || 2", true},
	}
	for _, c := range cases {
		n, s, ok := RegistrySpec(c.dep, c.spec)
		if n != c.name || s != c.rspec || ok != c.ok {
			t.Errorf("RegistrySpec(%q, %q) = %q, %q, %v; want %q, %q, %v", c.dep, c.spec, n, s, ok, c.name, c.rspec, c.ok)
		}
	}
}

// staleFetcher serves stale documents until refetched: Refetch serves
// fresh ones (see Refetcher).
type staleFetcher struct {
	stale, fresh map[string]*packument.Packument
	refetches    sync.Map // name → *atomic.Int32
}

func (f *staleFetcher) Packument(_ context.Context, name string) (*packument.Packument, error) {
	if p := f.stale[name]; p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("package %q not found", name)
}

func (f *staleFetcher) Refetch(_ context.Context, name string) (*packument.Packument, error) {
	n, _ := f.refetches.LoadOrStore(name, new(atomic.Int32))
	n.(*atomic.Int32).Add(1)
	if p := f.fresh[name]; p != nil {
		return p, nil
	}
	return f.Packument(context.Background(), name)
}

// TestPoolRefetchesStaleDocuments: when no version of a document matches,
// a Refetcher is asked once for a fresh copy, and the pick and the walk go
// on from it; a plain Fetcher fails as before.
func TestPoolRefetchesStaleDocuments(t *testing.T) {
	mk := func(name string, vers ...string) *packument.Packument {
		p := &packument.Packument{Name: name, DistTags: map[string]string{"latest": vers[len(vers)-1]}}
		for _, ver := range vers {
			var deps map[string]string
			if name == "core" && ver == "7.6.0" {
				deps = map[string]string{"leaf": "^1"}
			}
			p.Versions = append(p.Versions, packument.NewVersion(packument.Summary{Version: ver}, &packument.Manifest{Name: name, Dependencies: deps}))
		}
		p.Finish()
		return p
	}
	top := mk("top", "7.6.0")
	top.Versions[0].Manifest().Dependencies = map[string]string{"core": "^7.6.0"}
	stale := map[string]*packument.Packument{"top": top, "core": mk("core", "7.5.5"), "leaf": mk("leaf", "1.0.0")}
	fresh := map[string]*packument.Packument{"core": mk("core", "7.5.5", "7.6.0")}
	roots := []Request{{Name: "top", Spec: "^7"}, {Name: "core", Spec: "7.6.0"}, {Name: "other", Spec: "npm:core@~7.6"}}
	for _, conc := range []int{1, 8} {
		f := &staleFetcher{stale: stale, fresh: fresh}
		res, err := Preload(context.Background(), roots, Options{Concurrency: conc, Fetcher: f})
		if err != nil {
			t.Fatalf("concurrency %d: %v", conc, err)
		}
		for _, key := range []string{"core@^7.6.0", "core@7.6.0", "core@~7.6"} {
			if v := res.Picked[key]; v == nil || v.Version != "7.6.0" {
				t.Errorf("concurrency %d: picked %s = %v, want 7.6.0", conc, key, v)
			}
		}
		if res.Picked["leaf@^1"] == nil {
			t.Errorf("concurrency %d: the fresh version's dependency was not followed", conc)
		}
		if res.Packuments["core"] != fresh["core"] {
			t.Errorf("concurrency %d: the result keeps the stale document", conc)
		}
		n, _ := f.refetches.Load("core")
		if n == nil || n.(*atomic.Int32).Load() != 1 {
			t.Errorf("concurrency %d: core refetched %v times, want once", conc, n)
		}
	}
	plain := FetcherFunc(func(ctx context.Context, name string) (*packument.Packument, error) {
		return (&staleFetcher{stale: stale}).Packument(ctx, name)
	})
	if _, err := Preload(context.Background(), roots[:1], Options{Concurrency: 4, Fetcher: plain}); err == nil || !strings.Contains(err.Error(), "no matching version") {
		t.Errorf("a fetcher that cannot refetch: error %v, want no matching version", err)
	}
}
