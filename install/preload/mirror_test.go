package preload

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/cache/manifest"
	"github.com/lockstep-dev/lockstep/install/npmrc"
	"github.com/lockstep-dev/lockstep/install/registry"
)

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func nodeVersion() string {
	out, err := exec.Command("node", "--version").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// TestMirrorBench measures, against the registry configured on this
// machine (a local mirror of registry.npmjs.org), for each fixture in
// $LOCKSTEP_FIXTURES (default /work/shared/fixtures) and each concurrency
// in $LOCKSTEP_BENCH_CONCURRENCY (default 16,64,128,256): the cold preload
// of package.json's closure with no cache, the network floor (the same
// packument URLs fetched at the same concurrency, bodies discarded), the
// time to fill the manifest cache, and the warm preload from the cache
// (offline). Run with LOCKSTEP_MIRROR_BENCH=1 and -v; it only logs.
func TestMirrorBench(t *testing.T) {
	if os.Getenv("LOCKSTEP_MIRROR_BENCH") == "" {
		t.Skip("LOCKSTEP_MIRROR_BENCH not set")
	}
	fixtures := os.Getenv("LOCKSTEP_FIXTURES")
	if fixtures == "" {
		fixtures = "/work/shared/fixtures"
	}
	concs := []int{16, 64, 128, 256}
	if s := os.Getenv("LOCKSTEP_BENCH_CONCURRENCY"); s != "" {
		concs = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(f)
			if err != nil {
				t.Fatal(err)
			}
			concs = append(concs, n)
		}
	}
	names := []string{"small", "medium", "large"}
	if s := os.Getenv("LOCKSTEP_BENCH_FIXTURES"); s != "" {
		names = strings.Split(s, ",")
	}
	node := nodeVersion()
	ctx := context.Background()
	for _, fx := range names {
		dir := filepath.Join(fixtures, fx)
		cfg, err := npmrc.Load(npmrc.LoadOptions{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		roots, err := ProjectRequests(dir, false, !cfg.LegacyPeerDeps())
		if err != nil {
			t.Fatal(err)
		}
		overrides, err := ProjectOverrides(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, conc := range concs {
			// Cold: no cache, decode straight from the network.
			stats := &registry.Stats{}
			client, err := registry.New(cfg, registry.Options{Concurrency: conc, Stats: stats})
			if err != nil {
				t.Fatal(err)
			}
			runtime.GC()
			start := time.Now()
			res, err := Preload(ctx, roots, Options{Concurrency: conc, Fetcher: &NetFetcher{Client: client}, NodeVersion: node, NPMVersion: "11.19.1", SkipPeers: cfg.LegacyPeerDeps(), Overrides: overrides})
			cold := time.Since(start)
			if err != nil {
				t.Fatalf("%s: %v", fx, err)
			}
			client.CloseIdleConnections()
			la := loadavg()

			// Network floor: the same URLs, bodies discarded.
			floorClient, _ := registry.New(cfg, registry.Options{Concurrency: conc})
			var pkgs []string
			for n := range res.Packuments {
				pkgs = append(pkgs, n)
			}
			sort.Strings(pkgs)
			start = time.Now()
			floorErr := fetchAll(ctx, floorClient, pkgs, conc)
			floor := time.Since(start)
			floorClient.CloseIdleConnections()
			if floorErr != nil {
				t.Fatalf("floor: %v", floorErr)
			}

			// Fill a cache, then preload from it offline.
			cacheDir := t.TempDir()
			fillClient, _ := registry.New(cfg, registry.Options{Concurrency: conc})
			mstats := &manifest.Stats{}
			f, err := NewCachedFetcher(ManifestDir(cacheDir), cfg, fillClient, manifest.Normal, mstats)
			if err != nil {
				t.Fatal(err)
			}
			start = time.Now()
			if _, err := Preload(ctx, roots, Options{Concurrency: conc, Fetcher: f, NodeVersion: node, NPMVersion: "11.19.1", SkipPeers: cfg.LegacyPeerDeps(), Overrides: overrides}); err != nil {
				t.Fatalf("fill: %v", err)
			}
			fill := time.Since(start)
			fillClient.CloseIdleConnections()
			var warm time.Duration
			for i := range 3 { // best of 3
				wf, _ := NewCachedFetcher(ManifestDir(cacheDir), cfg, nil, manifest.Offline, &manifest.Stats{})
				runtime.GC()
				start = time.Now()
				wr, err := Preload(ctx, roots, Options{Concurrency: conc, Fetcher: wf, NodeVersion: node, NPMVersion: "11.19.1", SkipPeers: cfg.LegacyPeerDeps(), Overrides: overrides})
				d := time.Since(start)
				if err != nil {
					t.Fatalf("warm: %v", err)
				}
				if len(wr.Packuments) != len(res.Packuments) {
					t.Errorf("warm found %d packuments, cold %d", len(wr.Packuments), len(res.Packuments))
				}
				if i == 0 || d < warm {
					warm = d
				}
			}
			t.Logf("%-6s c=%-3d packuments=%d picks=%d requests=%d MB=%.1f | cold %v (%.2fx floor %v) | cache fill %v | warm offline %v | load %s",
				fx, conc, len(res.Packuments), len(res.Picked), stats.Requests.Load(), float64(stats.Bytes.Load())/1e6,
				cold.Round(time.Millisecond), float64(cold)/float64(floor), floor.Round(time.Millisecond),
				fill.Round(time.Millisecond), warm.Round(time.Millisecond), la)
			if len(res.SoftErrors) > 0 {
				t.Logf("  %d soft errors, first: %v", len(res.SoftErrors), res.SoftErrors[0])
			}
		}
	}
}

// fetchAll GETs every packument with conc goroutines and discards the
// bodies: the network floor for a preload.
func fetchAll(ctx context.Context, c *registry.Client, names []string, conc int) error {
	ch := make(chan string)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range ch {
				err := c.Fetch(ctx, c.PackumentURL(n), AcceptFull, func(b io.Reader) error {
					_, err := io.Copy(io.Discard, b)
					return err
				})
				if err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("%s: %w", n, err)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, n := range names {
		ch <- n
	}
	close(ch)
	wg.Wait()
	return first
}
