package install_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/install"
)

// TestResolveProfile resolves $LOCKSTEP_PROFILE_DIR with a fresh cache (or
// $LOCKSTEP_PROFILE_CACHE) for profiling: go test -run TestResolveProfile
// -cpuprofile cpu.out ./install.
func TestResolveProfile(t *testing.T) {
	dir := os.Getenv("LOCKSTEP_PROFILE_DIR")
	if dir == "" {
		t.Skip("LOCKSTEP_PROFILE_DIR not set")
	}
	cache := os.Getenv("LOCKSTEP_PROFILE_CACHE")
	if cache == "" {
		cache = t.TempDir()
	}
	start := time.Now()
	res, err := install.Resolve(context.Background(), install.ResolveOptions{Dir: dir, CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d packages in %s", res.Packages, time.Since(start))
}
