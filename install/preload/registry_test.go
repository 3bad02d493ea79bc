package preload

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/cache/manifest"
	"github.com/lockstep-dev/lockstep/install/npmrc"
	"github.com/lockstep-dev/lockstep/install/packument"
	"github.com/lockstep-dev/lockstep/install/registry"
	"github.com/lockstep-dev/lockstep/internal/testserver"
)

func fakeConfig(t *testing.T, reg *testserver.Registry) *npmrc.Config {
	t.Helper()
	home := t.TempDir()
	cfg, err := npmrc.Load(npmrc.LoadOptions{
		Dir: home, Home: home,
		Getenv:  func(string) string { return "" },
		Environ: []string{},
		Flags:   map[string]string{"registry": reg.URL(), "fetch-retries": "1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func fakeClient(t *testing.T, cfg *npmrc.Config, stats *registry.Stats) *registry.Client {
	t.Helper()
	c, err := registry.New(cfg, registry.Options{Concurrency: 16, Stats: stats, MinRetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// project is a small registry: app deps a (→ b → @s/c) and an alias.
func project() []testserver.Package {
	return []testserver.Package{
		{Name: "a", Version: "1.0.0", Dependencies: map[string]string{"b": "^2.0.0"}},
		{Name: "a", Version: "1.1.0", Dependencies: map[string]string{"b": "^2.1.0"}, Engines: map[string]string{"node": ">=99"}},
		{Name: "b", Version: "2.0.0", Dependencies: map[string]string{"@s/c": "~3.1.0"}},
		{Name: "b", Version: "2.1.0", Dependencies: map[string]string{"@s/c": "~3.1.0"}},
		{Name: "@s/c", Version: "3.1.4", PeerDependencies: map[string]string{"p": "*"}, OptionalDependencies: map[string]string{"fsx": "^1"}},
		{Name: "p", Version: "1.0.0"},
		{Name: "d", Version: "4.0.0", Dependencies: map[string]string{"local": "file:../local", "gh": "user/repo"}},
	}
}

func TestPreloadFakeRegistry(t *testing.T) {
	reg := testserver.NewRegistry(t, project()...)
	reg.SetLatency(2 * time.Millisecond)
	cfg := fakeConfig(t, reg)
	stats := &registry.Stats{}
	f := &NetFetcher{Client: fakeClient(t, cfg, stats)}
	roots := []Request{{Name: "a", Spec: "^1.0.0"}, {Name: "alias", Spec: "npm:b@2.0.0"}, {Name: "d", Spec: "latest"}}
	res, err := Preload(context.Background(), roots, Options{Concurrency: 8, Fetcher: f, NodeVersion: "v20.19.0"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range res.Packuments {
		names = append(names, n)
	}
	if got := strings.Join(sortedKeys(res.Packuments), ","); got != "@s/c,a,b,d,p" {
		t.Errorf("packuments = %s", got)
	}
	// a@1.1.0 needs node >=99: 1.0.0 is picked; its b@^2.0.0 takes latest 2.1.0.
	for k, want := range map[string]string{"a@^1.0.0": "1.0.0", "b@^2.0.0": "2.1.0", "b@2.0.0": "2.0.0", "@s/c@~3.1.0": "3.1.4", "p@*": "1.0.0", "d@latest": "4.0.0"} {
		if v := res.Picked[k]; v == nil || v.Version != want {
			t.Errorf("picked %s = %v, want %s", k, v, want)
		}
	}
	// fsx is optional and missing: a soft error that names it and its chain.
	if len(res.SoftErrors) != 1 || !strings.Contains(res.SoftErrors[0].Error(), `"fsx@^1"`) || !strings.Contains(res.SoftErrors[0].Error(), "@s/c@3.1.4") {
		t.Errorf("soft errors = %v", res.SoftErrors)
	}
	if len(res.Skipped) != 2 {
		t.Errorf("skipped = %v", res.Skipped)
	}
	// One request per name, whatever the number of specs.
	for _, n := range names {
		if h := reg.Hits(testserver.PackumentPath(n)); h != 1 {
			t.Errorf("%s fetched %d times", n, h)
		}
	}
}

func TestPreloadBadInput(t *testing.T) {
	pkgs := append(project(),
		testserver.Package{Name: "top", Version: "1.0.0", Dependencies: map[string]string{"a": "^1"}},
		testserver.Package{Name: "needs404", Version: "1.0.0", Dependencies: map[string]string{"nope": "^1"}},
		testserver.Package{Name: "needsBroken", Version: "1.0.0", Dependencies: map[string]string{"broken": "^1"}},
		testserver.Package{Name: "broken", Version: "1.0.0"},
		testserver.Package{Name: "needsBadRange", Version: "1.0.0", Dependencies: map[string]string{"b": "=>2"}},
		testserver.Package{Name: "needsNoMatch", Version: "1.0.0", Dependencies: map[string]string{"b": "^9"}},
	)
	cases := []struct {
		name string
		root Request
		want []string
	}{
		{"404", Request{Name: "top2", Spec: "npm:needs404@1"}, []string{`"nope@^1"`, "top2@1.0.0", "not found", "404"}},
		{"not json", Request{Name: "needsBroken", Spec: "*"}, []string{`"broken@^1"`, "needsBroken@1.0.0", "not a packument"}},
		{"bad range", Request{Name: "needsBadRange", Spec: "1"}, []string{`"b@=>2"`, "needsBadRange@1.0.0", "invalid tag name or range"}},
		{"no match", Request{Name: "needsNoMatch", Spec: "1.0.0"}, []string{`"b@^9"`, "needsNoMatch@1.0.0", "no matching version", "b@^9"}},
		{"optional 404 deep", Request{Name: "top", Spec: "1.0.0"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reg := testserver.NewRegistry(t, pkgs...)
			reg.FailTimes(testserver.PackumentPath("broken"), testserver.FaultCorrupt, 10)
			cfg := fakeConfig(t, reg)
			f := &NetFetcher{Client: fakeClient(t, cfg, nil)}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := Preload(ctx, []Request{c.root}, Options{Concurrency: 4, Fetcher: f})
			if c.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range c.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
		})
	}
}

func writeProject(t *testing.T, pj string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(pj), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestWarmThenOffline warms a cache from a project and then preloads the
// same project offline with no request, and from a corrupt cache.
func TestWarmThenOffline(t *testing.T) {
	reg := testserver.NewRegistry(t, project()...)
	cfg := fakeConfig(t, reg)
	dir := writeProject(t, `{"name":"app","dependencies":{"a":"^1.0.0","d":"4"},"devDependencies":{"alias":"npm:b@2.0.0"}}`)
	cacheDir := t.TempDir()
	ctx := context.Background()
	res, err := Warm(ctx, dir, WarmOptions{Config: cfg, CacheDir: cacheDir, Concurrency: 8, NodeVersion: "20.19.0", Client: fakeClient(t, cfg, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Roots != 3 || res.Packuments != 5 || res.Cache.Fetched.Load() != 5 {
		t.Fatalf("warm: roots %d packuments %d fetched %d", res.Roots, res.Packuments, res.Cache.Fetched.Load())
	}
	reg.ResetStats()
	roots, err := ProjectRequests(dir, true, true)
	if err != nil {
		t.Fatal(err)
	}
	off, err := NewCachedFetcher(ManifestDir(cacheDir), cfg, nil, manifest.Offline, &manifest.Stats{})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := Preload(ctx, roots, Options{Concurrency: 8, Fetcher: off, NodeVersion: "20.19.0"})
	if err != nil {
		t.Fatal(err)
	}
	if reg.Requests() != 0 || len(r2.Packuments) != 5 {
		t.Fatalf("offline: %d requests, %d packuments", reg.Requests(), len(r2.Packuments))
	}
	// A package not in the cache fails clearly offline.
	_, err = Preload(ctx, []Request{{Name: "zzz", Spec: "^1"}}, Options{Fetcher: off})
	if !errors.Is(err, manifest.ErrOffline) || !strings.Contains(err.Error(), `"zzz@^1"`) {
		t.Fatalf("offline miss: %v", err)
	}
	// Warm again within 5 minutes: everything from the cache; only the
	// missing optional fsx (404s are not cached) is asked again.
	res, err = Warm(ctx, dir, WarmOptions{Config: cfg, CacheDir: cacheDir, Concurrency: 8, Client: fakeClient(t, cfg, nil)})
	if err != nil || res.Cache.Hits.Load() != 5 || reg.Requests() != 1 || reg.Hits(testserver.PackumentPath("fsx")) != 1 {
		t.Fatalf("rewarm: %v, hits %d, requests %d", err, res.Cache.Hits.Load(), reg.Requests())
	}
}

// TestNetFetcherRetriesTruncated checks that a truncated body is retried
// and decoded from a clean copy (the chunked reader must start over).
func TestNetFetcherRetriesTruncated(t *testing.T) {
	reg := testserver.NewRegistry(t, project()...)
	reg.FailTimes(testserver.PackumentPath("b"), testserver.FaultTruncate, 1)
	cfg := fakeConfig(t, reg)
	f := &NetFetcher{Client: fakeClient(t, cfg, nil)}
	p, err := f.Packument(context.Background(), "b")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := packument.Decode(reg.Packument("b"))
	if p.Len() != want.Len() || reg.Hits(testserver.PackumentPath("b")) != 2 {
		t.Fatalf("got %d versions after %d hits", p.Len(), reg.Hits(testserver.PackumentPath("b")))
	}
}

// TestAbbreviatedDocuments fetches corgi documents and checks that what
// resolution needs survives (hasInstallScript instead of scripts, no time).
func TestAbbreviatedDocuments(t *testing.T) {
	reg := testserver.NewRegistry(t,
		testserver.Package{Name: "s", Version: "1.0.0", Scripts: map[string]string{"install": "node-gyp rebuild"}, Dependencies: map[string]string{"b": "^2"}, Bin: map[string]string{"s": "./bin/s.js"}},
		testserver.Package{Name: "b", Version: "2.0.0"},
	)
	reg.ServeAbbreviated(true)
	cfg := fakeConfig(t, reg)
	for _, accept := range []string{AcceptCorgi, AcceptFull} {
		f := &NetFetcher{Client: fakeClient(t, cfg, nil), Accept: accept}
		p, err := f.Packument(context.Background(), "s")
		if err != nil {
			t.Fatal(err)
		}
		m := p.Version("1.0.0").Manifest()
		if !m.HasInstallScript || m.Dependencies["b"] != "^2" || m.Bin["s"] != "bin/s.js" || m.Dist.Integrity != reg.Integrity("s", "1.0.0") {
			t.Errorf("%s: manifest %+v", accept, m)
		}
		if corgi := accept == AcceptCorgi; p.HasTime == corgi {
			t.Errorf("%s: HasTime = %v", accept, p.HasTime)
		}
	}
}

func TestProjectRequests(t *testing.T) {
	dir := writeProject(t, `{"name":"app","dependencies":{"a":"^1"},"devDependencies":{"b":"2"},"optionalDependencies":{"o":"*"},
"peerDependencies":{"p":"1","q":"2"},"peerDependenciesMeta":{"q":{"optional":true}}}`)
	lock := `{"name":"app","lockfileVersion":3,"requires":true,"packages":{
"":{"name":"app","dependencies":{"a":"^1"}},
"node_modules/a":{"version":"1.0.0","resolved":"https://r/a/-/a-1.0.0.tgz"},
"node_modules/al":{"name":"b","version":"2.0.0"},
"node_modules/g":{"version":"1.0.0","resolved":"git+ssh://git@github.com/x/g.git#abc"},
"node_modules/l":{"resolved":"../l","link":true},
"node_modules/a/node_modules/@s/c":{"version":"3.0.0"}}}`
	if err := os.WriteFile(filepath.Join(dir, "package-lock.json"), []byte(lock), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ProjectRequests(dir, true, true)
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, r := range got {
		x := r.Name + "@" + r.Spec
		if r.Optional {
			x += "?"
		}
		s = append(s, x)
	}
	want := "a@^1 b@2 o@*? p@1 a@1.0.0? @s/c@3.0.0? b@2.0.0?"
	if strings.Join(s, " ") != want {
		t.Errorf("requests = %s\nwant       %s", strings.Join(s, " "), want)
	}
	got, _ = ProjectRequests(dir, false, false)
	if len(got) != 3 {
		t.Errorf("without lockfile and peers: %v", got)
	}
}

func TestPreloadNodeVersionFunc(t *testing.T) {
	reg := testserver.NewRegistry(t, project()...)
	cfg := fakeConfig(t, reg)
	tests := []struct {
		name string
		o    Options
		want string // the pick for a@^1.0.0, whose 1.1.0 needs node >=99
	}{
		{"version", Options{NodeVersion: "20.19.0"}, "1.0.0"},
		{"func", Options{NodeVersionFunc: func() string { return "99.0.0" }}, "1.1.0"},
		{"func wins", Options{NodeVersion: "20.19.0", NodeVersionFunc: func() string { return "99.0.0" }}, "1.1.0"},
		{"func says 20", Options{NodeVersion: "99.0.0", NodeVersionFunc: func() string { return "20.19.0" }}, "1.0.0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			o.Concurrency, o.Fetcher = 4, &NetFetcher{Client: fakeClient(t, cfg, nil)}
			res, err := Preload(context.Background(), []Request{{Name: "a", Spec: "^1.0.0"}}, o)
			if err != nil {
				t.Fatal(err)
			}
			if v := res.Picked["a@^1.0.0"]; v == nil || v.Version != tc.want {
				t.Errorf("picked a@^1.0.0 = %v, want %s", v, tc.want)
			}
		})
	}
}
