package manifest_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/cache/manifest"
	"github.com/lockstep-dev/lockstep/install/npmrc"
	"github.com/lockstep-dev/lockstep/install/preload"
	"github.com/lockstep-dev/lockstep/install/registry"
	"github.com/lockstep-dev/lockstep/internal/testserver"
)

// TestRevalidationThroughRegistryClient runs the Fetcher on the real
// registry client (preload.RegistryOrigin) against the fake registry:
// fresh entries are used without a request for 5 minutes, stale ones are
// revalidated with the stored ETag/Last-Modified and a 304 keeps (and
// refreshes) the cached document, and a changed document is refetched
// with its new validators stored.
func TestRevalidationThroughRegistryClient(t *testing.T) {
	reg := testserver.NewRegistry(t, testserver.Package{Name: "a", Version: "1.0.0"}, testserver.Package{Name: "@s/b", Version: "2.0.0"})
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".npmrc"), []byte("registry="+reg.URL()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := npmrc.Load(npmrc.LoadOptions{Dir: t.TempDir(), Environ: []string{"HOME=" + home, "PATH="}})
	if err != nil {
		t.Fatal(err)
	}
	client, err := registry.New(cfg, registry.Options{Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.CloseIdleConnections)
	cache, err := manifest.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// the cache keeps freshness in file times: start the clock at a real
	// second so Touch's times survive the file system
	now := time.Now().Truncate(time.Second)
	stats := &manifest.Stats{}
	f := &manifest.Fetcher{Cache: cache, RegistryFor: cfg.RegistryFor, Origin: &preload.RegistryOrigin{Client: client},
		Stats: stats, Now: func() time.Time { return now }}

	type counts struct{ hits, revalidated, fetched, requests, notModified int }
	step := func(name string, advance time.Duration, want counts, wantVersions int) {
		t.Helper()
		now = now.Add(advance)
		reg.ResetStats()
		*stats = manifest.Stats{}
		p, err := f.Packument(t.Context(), name)
		if err != nil {
			t.Fatalf("%s after %v: %v", name, advance, err)
		}
		s := reg.Stats()
		got := counts{int(stats.Hits.Load()), int(stats.Revalidated.Load()), int(stats.Fetched.Load()), s.Requests, s.NotModified}
		if got != want {
			t.Errorf("%s after %v: %+v, want %+v", name, advance, got, want)
		}
		if p.Len() != wantVersions {
			t.Errorf("%s after %v: %d versions, want %d", name, advance, p.Len(), wantVersions)
		}
	}
	for _, name := range []string{"a", "@s/b"} {
		// Store stamps entries with the real time
		now = time.Now().Truncate(time.Second)
		step(name, 0, counts{fetched: 1, requests: 1}, 1)
		e, err := cache.Load(reg.URL(), name)
		if err != nil {
			t.Fatal(err)
		}
		if e.Validators.ETag == "" || e.Validators.LastModified == "" {
			t.Fatalf("%s: the registry's validators were not stored: %+v", name, e.Validators)
		}
		step(name, 4*time.Minute, counts{hits: 1}, 1)                                     // fresh: no request
		step(name, 2*time.Minute, counts{revalidated: 1, requests: 1, notModified: 1}, 1) // stale: 304
		step(name, 4*time.Minute, counts{hits: 1}, 1)                                     // the 304 made it fresh
		reg.Add(testserver.Package{Name: name, Version: "3.0.0"})
		step(name, 10*time.Minute, counts{fetched: 1, requests: 1}, 2) // changed: 200
		e2, err := cache.Load(reg.URL(), name)
		if err != nil {
			t.Fatal(err)
		}
		if e2.Validators.ETag == e.Validators.ETag {
			t.Errorf("%s: the new ETag was not stored", name)
		}
	}
	// prefer-online revalidates even a fresh entry
	now = time.Now()
	f.Mode = manifest.PreferOnline
	step("a", 0, counts{revalidated: 1, requests: 1, notModified: 1}, 2)
}
