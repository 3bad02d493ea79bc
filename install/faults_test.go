package install_test

// The fault matrix: every command that talks to the registry is run once
// clean and then against the same fake registry with faults injected on a
// deterministic share of the URLs the clean run requested (10% failing
// once, 2% failing twice), one fault kind at a time and all kinds mixed.
// Transient faults must not change the result; permanent faults must fail
// with a message naming the package and leave the project and the caches
// as they were (nothing incomplete, nothing pre-existing changed).
//
// Adding a command (install, resolve) is one row in faultCommands.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/cache/verify"
	"github.com/lockstep-dev/lockstep/install"
	"github.com/lockstep-dev/lockstep/install/npmrc"
	"github.com/lockstep-dev/lockstep/install/preload"
	"github.com/lockstep-dev/lockstep/install/registry"
	"github.com/lockstep-dev/lockstep/internal/testserver"
)

// faultProject is a registry with a dependency chain (for warm to follow),
// scoped names and one tarball over 1 MiB (streamed, verified at its end).
func faultProject(t *testing.T) (*testserver.Registry, string) {
	t.Helper()
	var pkgs []testserver.Package
	const n = 24
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("p%02d", i)
		if i%6 == 5 {
			name = fmt.Sprintf("@s/q%02d", i)
		}
		pkgs = append(pkgs, testserver.Package{Name: name, Version: fmt.Sprintf("1.%d.0", i),
			Files: map[string]string{"index.js": "module.exports = " + fmt.Sprint(i) + "\n", "lib/x.js": strings.Repeat("x", i*100)}})
	}
	for i := 0; i+1 < n; i++ { // a chain: p00 → p01 → ...
		pkgs[i].Dependencies = map[string]string{pkgs[i+1].Name: "^" + pkgs[i+1].Version}
	}
	pkgs[3].Bin = map[string]string{"tool": "index.js"}
	big := make([]byte, 3<<19) // 1.5 MiB of noise: does not compress below 1 MiB
	x := uint64(0x9E3779B97F4A7C15)
	for i := range big {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		big[i] = byte(x)
	}
	pkgs = append(pkgs, testserver.Package{Name: "big", Version: "2.0.0", Files: map[string]string{"blob.bin": string(big)}})
	reg := testserver.NewRegistry(t, pkgs...)
	deps := map[string]string{pkgs[0].Name: "^" + pkgs[0].Version, "big": "2.0.0"}
	var entries []lockEntry
	for _, p := range pkgs {
		entries = append(entries, lockEntry{path: "node_modules/" + p.Name, pkg: p})
	}
	dir := project(t, reg, map[string]any{"name": "proj", "version": "1.0.0", "dependencies": deps}, entries)
	return reg, dir
}

// faultCommand is one lockstep command under the fault matrix.
type faultCommand struct {
	name string
	// run runs the command in dir with cache; flags are npm config flags
	// (registry, fetch-timeout) and must all be honoured.
	run func(ctx context.Context, dir, cache string, flags map[string]string) error
	// result is what a transient fault must not change.
	result func(t *testing.T, dir, cache string) map[string]string
	// victim is the package whose URL fails for good in the permanent
	// matrix; the command must fail naming it.
	victim string
}

var faultCommands = []faultCommand{
	{name: "ci", run: ciCommand, result: func(t *testing.T, dir, cache string) map[string]string {
		return treeSnapshot(t, filepath.Join(dir, "node_modules"))
	}, victim: "p12"},
	{name: "warm", run: warmCommand, result: func(t *testing.T, dir, cache string) map[string]string {
		snap := treeSnapshot(t, preload.ManifestDir(cache))
		for k := range snap {
			if strings.Contains(k, ".tmp-") {
				// A killed writer's temporary file: never read, removed
				// by cache verify --fix; not part of the result.
				delete(snap, k)
			}
		}
		return snap
		// warm: lockfile pins are best effort; a package.json dependency
		// is not.
	}, victim: "p00"},
	// resolve works on a copy of the project without its lockfile, so
	// every packument is fetched; the result is the lockfile it writes.
	{name: "resolve", run: resolveCommand, result: func(t *testing.T, dir, cache string) map[string]string {
		data, err := os.ReadFile(filepath.Join(dir, "resolve", "package-lock.json"))
		if err != nil {
			t.Fatal(err)
		}
		return map[string]string{"package-lock.json": string(data)}
	}, victim: "p04"},
}

func resolveCommand(ctx context.Context, dir, cache string, flags map[string]string) error {
	sub := filepath.Join(dir, "resolve")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		return err
	}
	pj, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(sub, "package.json"), pj, 0o644); err != nil {
		return err
	}
	os.Remove(filepath.Join(sub, "package-lock.json"))
	f := map[string]string{}
	for k, v := range flags {
		f[k] = v
	}
	_, err = install.Resolve(ctx, install.ResolveOptions{Dir: sub, CacheDir: cache, Concurrency: 8, Flags: f,
		Getenv:      func(k string) string { return map[string]string{"HOME": filepath.Join(cache, "home")}[k] },
		NodeVersion: "20.20.2", Write: true, MinRetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond})
	if err != nil {
		if _, serr := os.Stat(filepath.Join(sub, "package-lock.json")); serr == nil {
			return fmt.Errorf("resolve failed (%v) but wrote a lockfile", err)
		}
	}
	return err
}

func ciCommand(ctx context.Context, dir, cache string, flags map[string]string) error {
	f := map[string]string{"ignore-scripts": "true"}
	for k, v := range flags {
		f[k] = v
	}
	env := map[string]string{"HOME": filepath.Join(cache, "home")}
	_, err := installCI(ctx, dir, cache, f, env)
	return err
}

func warmCommand(ctx context.Context, dir, cache string, flags map[string]string) error {
	home := filepath.Join(cache, "home")
	cfg, err := npmrc.Load(npmrc.LoadOptions{Dir: dir, Home: home, Getenv: func(string) string { return "" }, Environ: []string{}, Flags: flags})
	if err != nil {
		return err
	}
	client, err := registry.New(cfg, registry.Options{Concurrency: 8, MinRetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond})
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()
	_, err = preload.Warm(ctx, dir, preload.WarmOptions{Config: cfg, CacheDir: cache, Concurrency: 8, Client: client, NodeVersion: "20.20.2"})
	return err
}

// treeSnapshot maps every path under root to its type, mode and content
// hash (or link target). A missing root is an empty map.
func treeSnapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && p == root {
				return filepath.SkipAll
			}
			return err
		}
		rel, _ := filepath.Rel(root, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out[rel] = "link " + target
		case d.IsDir():
			out[rel] = "dir"
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			out[rel] = fmt.Sprintf("file %v %s", info.Mode().Perm(), hex.EncodeToString(sum[:8]))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("failed to snapshot %q: %v", root, err)
	}
	return out
}

// diffSnapshots describes how got differs from want (empty when equal).
func diffSnapshots(want, got map[string]string) string {
	var lines []string
	for k, v := range want {
		if g, ok := got[k]; !ok {
			lines = append(lines, "missing "+k)
		} else if g != v {
			lines = append(lines, fmt.Sprintf("changed %s: %s -> %s", k, v, g))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			lines = append(lines, "extra "+k)
		}
	}
	sort.Strings(lines)
	if len(lines) > 20 {
		lines = append(lines[:20], fmt.Sprintf("... and %d more", len(lines)-20))
	}
	return strings.Join(lines, "\n")
}

// pickPaths orders paths by a hash of (seed, path) and returns the first
// ceil(10%) as failing once and the next ceil(2%) as failing twice, so
// every kind is exercised even on a small project.
func pickPaths(paths []string, seed string) (once, twice []string) {
	h := func(s string) uint64 {
		f := fnv.New64a()
		f.Write([]byte(seed + "\x00" + s))
		return f.Sum64()
	}
	sorted := append([]string(nil), paths...)
	sort.Slice(sorted, func(i, j int) bool { return h(sorted[i]) < h(sorted[j]) })
	n1 := int(math.Ceil(0.10 * float64(len(sorted))))
	n2 := int(math.Ceil(0.02 * float64(len(sorted))))
	return sorted[:n1], sorted[n1 : n1+n2]
}

// requestedPaths lists the distinct paths of successful GETs.
func requestedPaths(reg *testserver.Registry) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range reg.Log() {
		if r.Status == 200 && !seen[r.Path] {
			seen[r.Path] = true
			out = append(out, r.Path)
		}
	}
	sort.Strings(out)
	return out
}

var transientKinds = []testserver.Fault{
	testserver.Fault500, testserver.Fault503, testserver.Fault429, testserver.FaultReset,
	testserver.FaultStall, testserver.FaultStallBody, testserver.FaultTruncate, testserver.FaultCorrupt,
}

// faultFlags are the flags every faulted run uses: a short fetch-timeout so
// stalls time out quickly (the registry stalls for longer).
func faultFlags(reg *testserver.Registry) map[string]string {
	return map[string]string{"registry": reg.URL(), "fetch-timeout": "400"}
}

func TestFaultMatrixTransient(t *testing.T) {
	t.Parallel()
	kinds := append([]testserver.Fault{}, transientKinds...)
	kinds = append(kinds, testserver.FaultNone) // FaultNone here means "all kinds mixed"
	for _, cmd := range faultCommands {
		for _, kind := range kinds {
			label := kind.String()
			if kind == testserver.FaultNone {
				label = "mixed"
			}
			t.Run(cmd.name+"/"+label, func(t *testing.T) {
				t.Parallel()
				reg, dir := faultProject(t)
				reg.SetStallDuration(10 * time.Second)
				ctx := context.Background()
				cleanCache := t.TempDir()
				if err := cmd.run(ctx, dir, cleanCache, faultFlags(reg)); err != nil {
					t.Fatalf("clean run: %v", err)
				}
				want := cmd.result(t, dir, cleanCache)
				paths := requestedPaths(reg)
				if len(paths) < 10 {
					t.Fatalf("clean run requested only %d paths: %v", len(paths), paths)
				}
				once, twice := pickPaths(paths, cmd.name+label)
				for i, p := range once {
					k := kind
					if kind == testserver.FaultNone {
						k = transientKinds[i%len(transientKinds)]
					}
					reg.FailTimes(p, k, 1)
				}
				for i, p := range twice {
					k := kind
					if kind == testserver.FaultNone {
						k = transientKinds[(i+3)%len(transientKinds)]
					}
					reg.FailTimes(p, k, 2)
				}
				before := reg.Stats().FaultsInjected
				// A fresh project copy would change nothing for ci (it
				// replaces node_modules) but keep the clean tree for the
				// comparison: move it aside first.
				if err := os.Rename(filepath.Join(dir, "node_modules"), filepath.Join(t.TempDir(), "nm")); err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
				cache := t.TempDir()
				start := time.Now()
				if err := cmd.run(ctx, dir, cache, faultFlags(reg)); err != nil {
					t.Fatalf("faulted run failed: %v", err)
				}
				injected := reg.Stats().FaultsInjected - before
				if wantN := len(once) + 2*len(twice); injected != wantN {
					t.Errorf("%d faults injected, want %d (did the run skip a faulted URL?)", injected, wantN)
				}
				got := cmd.result(t, dir, cache)
				if d := diffSnapshots(want, got); d != "" {
					t.Errorf("result differs from the clean run:\n%s", d)
				}
				t.Logf("%d URLs, %d failing once, %d twice, %d faults, %v", len(paths), len(once), len(twice), injected, time.Since(start).Round(time.Millisecond))
			})
		}
	}
}

// TestFaultMatrixPermanent: one URL fails every time. The run fails naming
// the package; the lockfile and node_modules are untouched; the caches
// hold nothing incomplete and every entry they held before is unchanged.
func TestFaultMatrixPermanent(t *testing.T) {
	t.Parallel()
	for _, cmd := range faultCommands {
		for _, kind := range transientKinds {
			t.Run(cmd.name+"/"+kind.String(), func(t *testing.T) {
				t.Parallel()
				reg, dir := faultProject(t)
				reg.SetStallDuration(10 * time.Second)
				ctx := context.Background()
				cache := t.TempDir()
				if err := cmd.run(ctx, dir, cache, faultFlags(reg)); err != nil {
					t.Fatalf("clean run: %v", err)
				}
				paths := requestedPaths(reg)
				// The victim's first requested URL: a tarball for ci, a
				// packument for warm.
				victim, name := "", cmd.victim
				for _, p := range paths {
					if strings.Contains(p, name) {
						victim = p
						break
					}
				}
				if victim == "" {
					t.Fatalf("%s was not requested: %v", name, paths)
				}
				// A second cache with only half the entries: the failed run
				// must leave those exactly as they were.
				cache2 := t.TempDir()
				copyTree(t, cache, cache2, func(rel string) bool {
					// An entry and its index go together.
					h := fnv.New32a()
					h.Write([]byte(strings.TrimSuffix(rel, ".idx")))
					return h.Sum32()%2 == 0
				})
				// Remove the victim from the second cache so it must be fetched.
				removeMatching(t, cache2, reg, name, cmd.name)
				lockBefore, _ := os.ReadFile(filepath.Join(dir, "package-lock.json"))
				nmBefore := treeSnapshot(t, filepath.Join(dir, "node_modules"))
				cacheBefore := treeSnapshot(t, cache2)
				reg.FailTimes(victim, kind, 1000)
				hits := reg.Hits(victim)
				err := cmd.run(ctx, dir, cache2, faultFlags(reg))
				// npm's default fetch-retries is 2: three attempts in all.
				// net/http itself silently retries a request whose reused
				// connection dies before any response byte (reset, and a
				// stall cut by the timeout, now and then a body stall), so
				// those may count more.
				n := reg.Hits(victim) - hits
				if n != 3 && !(n > 3 && (kind == testserver.FaultReset || kind == testserver.FaultStall || kind == testserver.FaultStallBody)) {
					t.Errorf("%s requested %d times, want 3 (retried twice)", victim, n)
				}
				if err == nil {
					t.Fatal("run succeeded with a permanent fault")
				}
				if !strings.Contains(err.Error(), name) {
					t.Errorf("error does not name %q: %v", name, err)
				}
				if strings.Contains(err.Error(), "\n\n") || strings.HasSuffix(err.Error(), "\n") {
					t.Errorf("malformed error message: %q", err)
				}
				if lockAfter, _ := os.ReadFile(filepath.Join(dir, "package-lock.json")); !bytes.Equal(lockBefore, lockAfter) {
					t.Error("the lockfile changed")
				}
				if d := diffSnapshots(nmBefore, treeSnapshot(t, filepath.Join(dir, "node_modules"))); d != "" {
					t.Errorf("node_modules changed:\n%s", d)
				}
				cacheAfter := treeSnapshot(t, cache2)
				for k, v := range cacheBefore {
					if cacheAfter[k] != v && !strings.HasPrefix(k, filepath.Join("store", "v1", "tmp")) {
						t.Errorf("cache entry %s changed: %s -> %s", k, v, cacheAfter[k])
					}
				}
				checkNoPartial(t, cache2, name)
				leftovers, _ := filepath.Glob(filepath.Join(dir, "node_modules.lockstep*"))
				if len(leftovers) > 0 {
					t.Errorf("left behind %v", leftovers)
				}
				t.Logf("%s: %d requests: %v", kind, n, err)
			})
		}
	}
}

func copyTree(t *testing.T, from, to string, keep func(rel string) bool) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		parts := strings.Split(rel, string(filepath.Separator))
		isStoreEntry := len(parts) == 5 && parts[0] == "store" && parts[2] != "tmp" && parts[2] != "locks"
		switch {
		case d.IsDir() && isStoreEntry && !keep(rel):
			return filepath.SkipDir
		case d.IsDir():
			return os.MkdirAll(dst, info.Mode().Perm()|0o700)
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			return os.Symlink(target, dst)
		case !(len(parts) > 5 && parts[0] == "store") && !keep(rel):
			return nil // inside a store entry: copied whole when the entry is kept
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if err := os.WriteFile(dst, b, info.Mode().Perm()); err != nil {
				return err
			}
			return os.Chtimes(dst, info.ModTime(), info.ModTime())
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

// removeMatching removes the victim's entry: its store entry (by the
// integrity the registry serves) or its manifest cache file.
func removeMatching(t *testing.T, cache string, reg *testserver.Registry, name, cmd string) {
	t.Helper()
	var victims []string
	filepath.WalkDir(cache, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if (cmd == "warm" || cmd == "resolve") && !d.IsDir() && strings.Contains(filepath.Base(p), name) {
			victims = append(victims, p)
		}
		if cmd == "ci" && d.Name() == "package.json" {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(`"name":"`+name+`"`)) || bytes.Contains(b, []byte(`"name": "`+name+`"`)) {
				victims = append(victims, filepath.Dir(p))
			}
		}
		return nil
	})
	for _, v := range victims {
		if err := os.RemoveAll(v); err != nil {
			t.Fatal(err)
		}
	}
}

// checkNoPartial asserts that cache verify finds nothing bad, that no
// store entry lacks its package.json (the fake registry's packages all
// have one), that no entry is name's, and that no temporary files are left.
func checkNoPartial(t *testing.T, cache, name string) {
	t.Helper()
	if rep, err := verify.Run(cache, verify.Options{}); err != nil || len(rep.Problems) > 0 {
		t.Errorf("cache verify: %+v, %v", rep, err)
	}
	storeDir := filepath.Join(cache, "store", "v1")
	algos, _ := os.ReadDir(storeDir)
	for _, a := range algos {
		if a.Name() == "tmp" || a.Name() == "locks" || !a.IsDir() {
			continue
		}
		entries, _ := filepath.Glob(filepath.Join(storeDir, a.Name(), "*", "*"))
		for _, e := range entries {
			if strings.HasSuffix(e, ".idx") {
				continue
			}
			b, err := os.ReadFile(filepath.Join(e, "package.json"))
			if err != nil {
				t.Errorf("incomplete store entry %s: %v", e, err)
				continue
			}
			if bytes.Contains(b, []byte(`"name":"`+name+`"`)) || bytes.Contains(b, []byte(`"name": "`+name+`"`)) {
				t.Errorf("store holds the failed package %q at %s", name, e)
			}
		}
	}
	if tmps, _ := os.ReadDir(filepath.Join(storeDir, "tmp")); len(tmps) > 0 {
		t.Errorf("store temp dir holds %d entries", len(tmps))
	}
	filepath.WalkDir(preload.ManifestDir(cache), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(d.Name(), ".tmp-") {
			t.Errorf("temporary manifest file left: %s", p)
		}
		return nil
	})
}

func installCI(ctx context.Context, dir, cache string, flags, env map[string]string) (*install.Result, error) {
	return install.CI(ctx, install.Options{
		Dir: dir, CacheDir: cache, Flags: flags, Platform: &linuxX64, NodeVersion: "20.20.2",
		Getenv:        func(k string) string { return env[k] },
		MinRetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond,
	})
}
