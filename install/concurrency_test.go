package install_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/cache/verify"
)

// TestConcurrentProcessesShareCache: 20 `lockstep ci` processes, each in
// its own copy of the project, share one empty cache directory. All
// succeed with the clean tree, the store holds each package once and
// verifies, and every tarball is downloaded about once (the per-key lock
// makes the others wait for the first fill).
func TestConcurrentProcessesShareCache(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 20 processes")
	}
	bin := lockstepBinary(t)
	reg, dir := faultProject(t)
	reg.SetLatency(2 * time.Millisecond)
	ci := binCommands[0]
	home := t.TempDir()

	cleanCache := t.TempDir()
	c := exec.Command(bin, ci.args(dir, cleanCache, reg.URL())...)
	c.Env = binEnv(home)
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("clean run: %v\n%s", err, out)
	}
	want := ci.result(t, dir, cleanCache)
	os.RemoveAll(filepath.Join(dir, "node_modules"))
	tarballs := 0
	for _, p := range requestedPaths(reg) {
		if strings.HasSuffix(p, ".tgz") {
			tarballs++
		}
	}
	reg.ResetStats()

	const n = 20
	cache := t.TempDir()
	dirs := make([]string, n)
	for i := range dirs {
		dirs[i] = t.TempDir()
		for _, f := range []string{"package.json", "package-lock.json"} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dirs[i], f), b, 0o644)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			c := exec.Command(bin, ci.args(dirs[i], cache, reg.URL())...)
			c.Env = binEnv(home)
			if out, err := c.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("%v\n%s", err, out)
			}
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("process %d: %v", i, err)
		}
	}
	for i, d := range dirs {
		if diff := diffSnapshots(want, ci.result(t, d, cache)); diff != "" {
			t.Errorf("process %d's tree differs from the clean run:\n%s", i, diff)
		}
	}
	rep, err := verify.Run(cache, verify.Options{})
	if err != nil || rep.Bad() != 0 || len(rep.Problems) != 0 {
		t.Errorf("shared cache after %d processes: %+v, %v", n, rep, err)
	}
	if rep.StoreEntries != tarballs {
		t.Errorf("store holds %d entries, want %d", rep.StoreEntries, tarballs)
	}
	// A fill runs under its key's lock and checks again once it holds
	// it, so a process that finds an entry missing waits for the one
	// filling it instead of downloading it again.
	got := 0
	for _, r := range reg.Log() {
		if strings.HasSuffix(r.Path, ".tgz") {
			got++
		}
	}
	t.Logf("%d processes: %d tarball requests for %d tarballs", n, got, tarballs)
	if got != tarballs {
		t.Errorf("%d tarball requests for %d tarballs: the store lock does not stop duplicate downloads", got, tarballs)
	}
}
