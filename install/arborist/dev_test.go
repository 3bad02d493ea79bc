package arborist_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/cache/manifest"
	"github.com/lockstep-dev/lockstep/install/arborist"
	"github.com/lockstep-dev/lockstep/install/npmrc"
	"github.com/lockstep-dev/lockstep/install/packument"
	"github.com/lockstep-dev/lockstep/install/platform"
	"github.com/lockstep-dev/lockstep/install/preload"
	"github.com/lockstep-dev/lockstep/install/registry"
)

// TestDevResolve resolves $LOCKSTEP_DEV_DIR against the configured
// registry and writes $LOCKSTEP_DEV_DIR/lockstep-lock.json (a debugging aid).
func TestDevResolve(t *testing.T) {
	dir := os.Getenv("LOCKSTEP_DEV_DIR")
	if dir == "" {
		t.Skip("LOCKSTEP_DEV_DIR not set")
	}
	cfg, err := npmrc.Load(npmrc.LoadOptions{Dir: dir, Getenv: os.Getenv, Home: os.Getenv("HOME")})
	if err != nil {
		t.Fatal(err)
	}
	c, err := registry.New(cfg, registry.Options{Concurrency: 64})
	if err != nil {
		t.Fatal(err)
	}
	var nf preload.Fetcher = &preload.NetFetcher{Client: c}
	if cd := os.Getenv("LOCKSTEP_DEV_CACHE"); cd != "" {
		if nf, err = preload.NewCachedFetcher(preload.ManifestDir(cd), cfg, c, manifest.PreferOffline, nil); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	tree, err := arborist.Build(context.Background(), arborist.Options{
		Dir: dir, NodeVersion: "20.20.2", LegacyPeerDeps: cfg.LegacyPeerDeps(), Platform: platform.Current(),
		Fetch: func(ctx context.Context, name string) (*packument.Packument, error) { return nf.Packument(ctx, name) },
		Warn:  func(s string) { t.Log(s) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("built in %s", time.Since(start))
	lf := tree.Lockfile(arborist.LockOptions{})
	if err := os.WriteFile(dir+"/lockstep-lock.json", lf.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
}
