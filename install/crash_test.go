package install_test

// Crash safety: the real lockstep binary is SIGKILLed at a sweep of
// moments during `ci` and `warm`. After every kill no cache entry may be
// incomplete (cache verify finds nothing bad) and node_modules is either
// absent or the complete tree; the next run, uninterrupted, gives the
// clean run's result. The sweep takes about 30 s; LOCKSTEP_CRASH_SWEEP=long
// tries ten times as many points.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/cache/verify"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// lockstepBinary builds cmd/lockstep once per test process into a
// temporary directory removed by the first test that built it.
func lockstepBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "lockstep-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "lockstep")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/lockstep-dev/lockstep/cmd/lockstep").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("failed to build lockstep: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// binCommand is a command run through the binary; result is what must not
// change (see faultCommand).
type binCommand struct {
	name   string
	args   func(dir, cache, registry string) []string
	result func(t *testing.T, dir, cache string) map[string]string
}

var binCommands = []binCommand{
	{name: "ci", args: func(dir, cache, reg string) []string {
		return []string{"ci", "--dir", dir, "--cache-dir", cache, "--registry", reg, "--ignore-scripts", "--concurrency", "3"}
	}, result: faultCommands[0].result},
	{name: "warm", args: func(dir, cache, reg string) []string {
		return []string{"warm", "--dir", dir, "--cache-dir", cache, "--registry", reg, "--concurrency", "2", "--node-version", "20.20.2"}
	}, result: faultCommands[1].result},
	// resolve from scratch in dir/resolve (package.json only): a kill
	// leaves no lockfile or the complete one, never part of one.
	{name: "resolve", args: func(dir, cache, reg string) []string {
		sub := filepath.Join(dir, "resolve")
		os.MkdirAll(sub, 0o755)
		if pj, err := os.ReadFile(filepath.Join(dir, "package.json")); err == nil {
			os.WriteFile(filepath.Join(sub, "package.json"), pj, 0o644)
		}
		if data, err := os.ReadFile(filepath.Join(sub, "package-lock.json")); err == nil && !json.Valid(data) {
			panic("resolve left a partial lockfile: " + string(data))
		}
		os.Remove(filepath.Join(sub, "package-lock.json"))
		return []string{"resolve", "--dir", sub, "--cache-dir", cache, "--registry", reg, "--concurrency", "2", "--node-version", "20.20.2"}
	}, result: faultCommands[2].result},
}

// binEnv is a minimal environment: no npm_config_* or tokens leak in.
func binEnv(home string) []string {
	return []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "LOCKSTEP_EXTRACT_CONCURRENCY=1"}
}

func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	bin := lockstepBinary(t)
	points := 32
	if os.Getenv("LOCKSTEP_CRASH_SWEEP") == "long" {
		points = 320
	}
	for _, cmd := range binCommands {
		t.Run(cmd.name, func(t *testing.T) {
			reg, dir := faultProject(t)
			reg.SetLatency(3 * time.Millisecond)
			home := t.TempDir()
			run := func(cache string, killAfter time.Duration) (killed bool, out string, err error) {
				c := exec.Command(bin, cmd.args(dir, cache, reg.URL())...)
				c.Env = binEnv(home)
				var buf strings.Builder
				c.Stdout, c.Stderr = &buf, &buf
				if err := c.Start(); err != nil {
					return false, "", err
				}
				if killAfter < 0 {
					err := c.Wait()
					return false, buf.String(), err
				}
				done := make(chan error, 1)
				go func() { done <- c.Wait() }()
				select {
				case err := <-done:
					return false, buf.String(), err
				case <-time.After(killAfter):
					c.Process.Signal(syscall.SIGKILL)
					<-done
					return true, buf.String(), nil
				}
			}

			// The clean run: its result and how long it takes.
			cleanCache := t.TempDir()
			start := time.Now()
			if _, out, err := run(cleanCache, -1); err != nil {
				t.Fatalf("clean run: %v\n%s", err, out)
			}
			span := time.Since(start)
			want := cmd.result(t, dir, cleanCache)
			os.RemoveAll(filepath.Join(dir, "node_modules"))

			cache := t.TempDir()
			killedRuns, completed := 0, 0
			const perRound = 8
			rounds := points / perRound
			for i := 0; i < points; i++ {
				// Each round of perRound kills sweeps the clean run's span
				// on one cache (which fills up as the round goes); the
				// rounds are offset from each other so that, together,
				// they try points evenly spaced over the span.
				round, k := i/perRound, i%perRound
				at := span * time.Duration(k*rounds+round) / time.Duration(rounds*perRound)
				killed, out, err := run(cache, at)
				if err != nil {
					t.Fatalf("run %d: %v\n%s", i, err, out)
				}
				if killed {
					killedRuns++
				} else {
					completed++
				}
				checkAfterKill(t, fmt.Sprintf("kill at %v", at), dir, cache, want, cmd.name)
				if k == perRound-1 || i == points-1 {
					// Start over from a fresh cache now and then, so early
					// kill points meet an empty cache again.
					if _, out, err := run(cache, -1); err != nil {
						t.Fatalf("run after kill at %v: %v\n%s", at, err, out)
					}
					if d := diffSnapshots(want, cmd.result(t, dir, cache)); d != "" {
						t.Fatalf("after kill at %v the next run differs from the clean run:\n%s", at, d)
					}
					if left, _ := filepath.Glob(filepath.Join(dir, "node_modules.lockstep*")); len(left) > 0 {
						t.Fatalf("after kill at %v the next run left %v", at, left)
					}
					if rep, err := verify.Run(cache, verify.Options{}); err != nil || rep.Bad() > 0 {
						t.Fatalf("after kill at %v and a full run: %+v, %v", at, rep, err)
					}
					cache = t.TempDir()
					os.RemoveAll(filepath.Join(dir, "node_modules"))
				}
			}
			t.Logf("%s: clean run %v; %d kill points from 0 to %v: %d killed, %d finished first",
				cmd.name, span.Round(time.Millisecond), points, span, killedRuns, completed)
		})
	}
}

// checkAfterKill: nothing bad in the cache, and node_modules absent or
// whole (ci swaps a complete tree into place with a rename).
func checkAfterKill(t *testing.T, when, dir, cache string, want map[string]string, cmd string) {
	t.Helper()
	rep, err := verify.Run(cache, verify.Options{})
	if err != nil {
		t.Fatalf("%s: verify: %v", when, err)
	}
	if rep.Bad() > 0 {
		t.Fatalf("%s: incomplete cache entries: %+v", when, rep.Problems)
	}
	if cmd != "ci" {
		return
	}
	nm := filepath.Join(dir, "node_modules")
	if _, err := os.Lstat(nm); err == nil {
		if d := diffSnapshots(want, treeSnapshot(t, nm)); d != "" {
			t.Fatalf("%s: node_modules is neither absent nor complete:\n%s", when, d)
		}
	}
}
