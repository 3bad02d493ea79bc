package manifest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/install/packument"
	"github.com/lockstep-dev/lockstep/internal/testserver"
)

// httpOrigin is a minimal conditional-GET origin for the fake registry.
type httpOrigin struct {
	base   string
	client *http.Client
	mu     sync.Mutex
	sent   []Validators // conditions sent, in order
}

func (o *httpOrigin) FetchPackument(ctx context.Context, name string, cond Validators, fn func([]byte, Validators) error) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.base+testserver.PackumentPath(name)[1:], nil)
	if err != nil {
		return false, err
	}
	if cond.ETag != "" {
		req.Header.Set("If-None-Match", cond.ETag)
	}
	if cond.LastModified != "" {
		req.Header.Set("If-Modified-Since", cond.LastModified)
	}
	o.mu.Lock()
	o.sent = append(o.sent, cond)
	o.mu.Unlock()
	resp, err := o.client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified {
		return true, nil
	}
	if resp.StatusCode != 200 {
		return false, fmt.Errorf("failed to fetch %q: %s", name, resp.Status)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return false, err
	}
	return false, fn(body, Validators{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")})
}

func fakeRegistry(t *testing.T) *testserver.Registry {
	t.Helper()
	var pkgs []testserver.Package
	for i := range 3 {
		pkgs = append(pkgs, testserver.Package{
			Name: "a", Version: fmt.Sprintf("1.%d.0", i),
			Dependencies: map[string]string{"b": "^2"},
			Bin:          map[string]string{"a": "./cli.js"},
			Engines:      map[string]string{"node": ">=18"},
			License:      "MIT",
			Scripts:      map[string]string{"postinstall": "node x"},
		})
	}
	pkgs = append(pkgs, testserver.Package{Name: "@s/b", Version: "2.0.0", Deprecated: "old", OS: []string{"linux"}})
	return testserver.NewRegistry(t, pkgs...)
}

func TestCodecRoundTrip(t *testing.T) {
	reg := fakeRegistry(t)
	docs := [][]byte{reg.Packument("a"), reg.Packument("@s/b")}
	for _, b := range realDocs(t) {
		docs = append(docs, b)
	}
	for _, doc := range docs {
		p, err := packument.Decode(doc)
		if err != nil {
			t.Fatal(err)
		}
		m := meta{Registry: "https://r.example/", Name: p.Name, Validators: Validators{ETag: `"x"`, LastModified: "Mon"}}
		data := mustEncode(t, m, p)
		m2, p2, err := decode(data)
		if err != nil {
			t.Fatalf("%s: decode: %v", p.Name, err)
		}
		if m2 != m {
			t.Errorf("%s: meta = %+v, want %+v", p.Name, m2, m)
		}
		if !samePackument(p, p2) {
			t.Errorf("%s: packument changed in the round trip", p.Name)
		}
		if v := p2.Version(p.All()[0].Version); v == nil {
			t.Errorf("%s: index not built", p.Name)
		}
		// A fresh load looked up before it is listed: each version is
		// materialized once, whichever way it is reached first.
		_, p3, _ := decode(data)
		var looked []*packument.Version
		for _, v := range p.All() {
			looked = append(looked, p3.Version(v.Version))
		}
		for i, v := range p3.All() {
			if looked[i] != v {
				t.Fatalf("%s: version %s looked up is not the one listed", p.Name, v.Version)
			}
		}
		if p3.Version("0.0.0-absent") != nil || p3.Version("") != nil {
			t.Errorf("%s: absent version found", p.Name)
		}
		// Picking from the loaded entry agrees with picking from the
		// decoded document.
		for _, spec := range []string{"", "latest", "*", "^1", "~1.1", ">=2 <3", "<1.0.0", p.All()[0].Version, "next"} {
			o := packument.PickOptions{NodeVersion: "20.19.0"}
			a, errA := packument.Pick(p, spec, o)
			b, errB := packument.Pick(p2, spec, o)
			if (errA == nil) != (errB == nil) || (a != nil) != (b != nil) || a != nil && a.Version != b.Version {
				t.Errorf("%s: Pick(%q) = %v %v from the document, %v %v from the entry", p.Name, spec, a, errA, b, errB)
			}
		}
	}
}

// TestCodecCorruption flips and truncates bytes of an entry: every damaged
// entry must be rejected (never panic, never decode to something else).
func TestCodecCorruption(t *testing.T) {
	reg := fakeRegistry(t)
	p, err := packument.Decode(reg.Packument("a"))
	if err != nil {
		t.Fatal(err)
	}
	data := mustEncode(t, meta{Registry: "r/", Name: "a"}, p)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range len(data) {
		bad := append([]byte(nil), data...)
		bad[i] ^= byte(1 + r.IntN(255))
		if _, _, err := decode(bad); err == nil {
			t.Fatalf("flipping byte %d went unnoticed", i)
		}
	}
	for n := range len(data) {
		if _, _, err := decode(data[:n]); err == nil {
			t.Fatalf("truncation to %d bytes went unnoticed", n)
		}
	}
}

// FuzzDecode checks that decode never panics on arbitrary input with a
// valid checksum.
func FuzzDecode(f *testing.F) {
	p, _ := packument.Decode([]byte(`{"name":"a","dist-tags":{"latest":"1.0.0"},"versions":{"1.0.0":{"dependencies":{"b":"1"}}}}`))
	f.Add(mustEncode(f, meta{Registry: "r/", Name: "a"}, p)[headerSize:])
	f.Fuzz(func(t *testing.T, body []byte) {
		data := make([]byte, headerSize, headerSize+len(body))
		copy(data, magic[:])
		data[4] = FormatVersion
		data = append(data, body...)
		putCRC(data)
		if _, p, err := decode(data); err == nil {
			for _, v := range p.All() {
				v.Manifest() // lazily decoded sections must not panic either
			}
		}
	})
}

func mustEncode(tb testing.TB, m meta, p *packument.Packument) []byte {
	tb.Helper()
	data, err := encode(m, p)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func putCRC(data []byte) {
	c := crcOf(data[headerSize:])
	data[6], data[7], data[8], data[9] = byte(c), byte(c>>8), byte(c>>16), byte(c>>24)
}

// samePackument compares two packuments field by field, manifests
// included (Version holds load state that DeepEqual must not see).
func samePackument(a, b *packument.Packument) bool {
	if a.Name != b.Name || a.HasTime != b.HasTime || !a.Modified.Equal(b.Modified) || !a.Created.Equal(b.Created) ||
		!reflect.DeepEqual(a.DistTags, b.DistTags) || a.Len() != b.Len() {
		return false
	}
	for i, v := range a.All() {
		w := b.All()[i]
		if v.Version != w.Version || v.Deprecated != w.Deprecated || !v.Published.Equal(w.Published) ||
			v.EngineNode != w.EngineNode || v.EngineNPM != w.EngineNPM || !reflect.DeepEqual(v.Manifest(), w.Manifest()) {
			return false
		}
		if b.Version(v.Version) != w {
			return false
		}
	}
	return true
}

func TestFetcherModes(t *testing.T) {
	reg := fakeRegistry(t)
	origin := &httpOrigin{base: reg.URL(), client: reg.Client()}
	cache, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	stats := &Stats{}
	f := &Fetcher{Cache: cache, Registry: reg.URL(), Origin: origin, Stats: stats, Now: clock}
	ctx := context.Background()

	// Offline on an empty cache fails clearly, without a request.
	off := *f
	off.Mode = Offline
	if _, err := off.Packument(ctx, "a"); !errors.Is(err, ErrOffline) {
		t.Fatalf("offline miss: %v", err)
	}
	if reg.Requests() != 0 {
		t.Fatalf("offline made %d requests", reg.Requests())
	}

	// Cold: fetched and stored.
	p, err := f.Packument(ctx, "a")
	if err != nil || p.Len() != 3 {
		t.Fatalf("cold: %v %v", p, err)
	}
	if stats.Fetched.Load() != 1 || reg.Requests() != 1 {
		t.Fatalf("cold: fetched %d, requests %d", stats.Fetched.Load(), reg.Requests())
	}
	// The stored file's time is the real time; set it to the fake clock.
	if err := cache.Touch(reg.URL(), "a", now); err != nil {
		t.Fatal(err)
	}

	// Warm and fresh: no request.
	p2, err := f.Packument(ctx, "a")
	if err != nil || !samePackument(p, p2) {
		t.Fatalf("warm: %v", err)
	}
	if stats.Hits.Load() != 1 || reg.Requests() != 1 {
		t.Fatalf("warm: hits %d, requests %d", stats.Hits.Load(), reg.Requests())
	}

	// Stale: revalidated with the validators, 304, no body.
	now = now.Add(DefaultMaxAge + time.Second)
	if _, err := f.Packument(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if stats.Revalidated.Load() != 1 || reg.Stats().NotModified != 1 {
		t.Fatalf("stale: revalidated %d, registry 304s %d", stats.Revalidated.Load(), reg.Stats().NotModified)
	}
	if last := origin.sent[len(origin.sent)-1]; last.ETag == "" || last.LastModified == "" {
		t.Fatalf("revalidation sent %+v, want both validators", last)
	}
	// The 304 made it fresh again.
	if _, err := f.Packument(ctx, "a"); err != nil || stats.Hits.Load() != 2 {
		t.Fatalf("after 304: hits %d, %v", stats.Hits.Load(), err)
	}

	// Changed upstream: stale entry refetched with the new content.
	reg.Add(testserver.Package{Name: "a", Version: "1.9.0"})
	now = now.Add(DefaultMaxAge + time.Second)
	p3, err := f.Packument(ctx, "a")
	if err != nil || p3.Version("1.9.0") == nil {
		t.Fatalf("changed: %v", err)
	}

	// PreferOffline uses a stale entry; PreferOnline revalidates a fresh one.
	now = now.Add(time.Hour)
	before := reg.Requests()
	po := *f
	po.Mode = PreferOffline
	if _, err := po.Packument(ctx, "a"); err != nil || reg.Requests() != before {
		t.Fatalf("prefer-offline: %v, %d requests", err, reg.Requests()-before)
	}
	pon := *f
	pon.Mode = PreferOnline
	pon.Now = func() time.Time { return time.Now() }
	if _, err := pon.Packument(ctx, "a"); err != nil || reg.Requests() != before+1 {
		t.Fatalf("prefer-online: %v, %d requests", err, reg.Requests()-before)
	}
	// Offline serves what is cached, however old.
	if _, err := off.Packument(ctx, "a"); err != nil {
		t.Fatalf("offline hit: %v", err)
	}
}

func TestFetcherCorruptEntry(t *testing.T) {
	reg := fakeRegistry(t)
	origin := &httpOrigin{base: reg.URL(), client: reg.Client()}
	cache, _ := Open(t.TempDir())
	stats := &Stats{}
	f := &Fetcher{Cache: cache, Registry: reg.URL(), Origin: origin, Stats: stats}
	ctx := context.Background()
	if _, err := f.Packument(ctx, "@s/b"); err != nil {
		t.Fatal(err)
	}
	path, _ := cache.path(reg.URL(), "@s/b")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-3] ^= 0x55
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := cache.Load(reg.URL(), "@s/b"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Load of a corrupt entry: %v", err)
	}
	p, err := f.Packument(ctx, "@s/b")
	if err != nil || p.Version("2.0.0").Deprecated != "old" || p.Version("2.0.0").Manifest().OS[0] != "linux" {
		t.Fatalf("refetch: %v", err)
	}
	if stats.Corrupt.Load() != 1 || stats.Fetched.Load() != 2 {
		t.Fatalf("corrupt %d, fetched %d", stats.Corrupt.Load(), stats.Fetched.Load())
	}
	if _, err := cache.Load(reg.URL(), "@s/b"); err != nil {
		t.Fatalf("entry not rewritten: %v", err)
	}
	// Entries are per registry.
	if _, err := cache.Load("https://other.example/", "@s/b"); !errors.Is(err, ErrMiss) {
		t.Fatalf("other registry: %v", err)
	}
	// No temporary files are left behind.
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*.tmp-*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestCachePathRefusesEscapes(t *testing.T) {
	cache, _ := Open(t.TempDir())
	for _, name := range []string{"", ".", "..", "../x", "a/../../x", "@s/x/y", `a\b`, ".hidden"} {
		if _, err := cache.path("r/", name); err == nil {
			t.Errorf("path(%q) accepted", name)
		}
	}
	for _, name := range []string{"a", "@s/x", "a..b", "A-b_c.d"} {
		if _, err := cache.path("r/", name); err != nil {
			t.Errorf("path(%q): %v", name, err)
		}
	}
}

func TestConcurrentStoreLoad(t *testing.T) {
	reg := fakeRegistry(t)
	p, _ := packument.Decode(reg.Packument("a"))
	cache, _ := Open(t.TempDir())
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				if i%2 == 0 {
					if err := cache.Store("r/", "a", p, Validators{}); err != nil {
						t.Error(err)
						return
					}
				} else if e, err := cache.Load("r/", "a"); err == nil && e.Packument.Len() != 3 {
					t.Error("partial entry read")
					return
				} else if err != nil && !errors.Is(err, ErrMiss) {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestColdCacheSkipsLookups checks the cold-run shortcut: a Cache that found
// its registry directory absent answers misses without looking, yet finds
// what it stored itself; a Cache opened on a filled directory reads it.
func TestColdCacheSkipsLookups(t *testing.T) {
	dir := t.TempDir()
	p, err := packument.Decode([]byte(`{"name":"x","versions":{"1.0.0":{}}}`))
	if err != nil {
		t.Fatal(err)
	}
	cold, _ := Open(dir)
	if _, err := cold.Load("https://r.example/", "x"); !errors.Is(err, ErrMiss) {
		t.Fatalf("empty cache: Load = %v, want a miss", err)
	}
	other, _ := Open(dir)
	if err := other.Store("https://r.example/", "x", p, Validators{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cold.Load("https://r.example/", "x"); !errors.Is(err, ErrMiss) {
		t.Errorf("cold cache: Load of another process's entry = %v, want a miss without looking", err)
	}
	if err := cold.Store("https://r.example/", "y", p, Validators{}); err != nil {
		t.Fatal(err)
	}
	if e, err := cold.Load("https://r.example/", "y"); err != nil || e.Packument.Name != "x" {
		t.Errorf("cold cache: Load of its own entry = %v", err)
	}
	warm, _ := Open(dir)
	if _, err := warm.Load("https://r.example/", "x"); err != nil {
		t.Errorf("filled cache: Load = %v", err)
	}
}
