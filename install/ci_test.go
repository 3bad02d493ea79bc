package install_test

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/install"
	"github.com/lockstep-dev/lockstep/install/platform"
	"github.com/lockstep-dev/lockstep/internal/testserver"
)

// lockEntry describes one package-lock.json entry for a fake-registry
// package at a lock path.
type lockEntry struct {
	path     string
	pkg      testserver.Package
	flags    map[string]any // "dev": true, "optional": true, ...
	noURL    bool           // leave out "resolved" (omit-lockfile-registry-resolved)
	override map[string]any // replaces fields after the defaults
}

// project writes package.json and a v3 package-lock.json for entries served
// by reg, and returns the project dir.
func project(t *testing.T, reg *testserver.Registry, root map[string]any, entries []lockEntry) string {
	t.Helper()
	dir := t.TempDir()
	pj, _ := json.MarshalIndent(root, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "package.json"), append(pj, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	rootEntry := map[string]any{"name": root["name"], "version": root["version"]}
	for _, k := range []string{"dependencies", "devDependencies", "optionalDependencies", "peerDependencies"} {
		if v, ok := root[k]; ok {
			rootEntry[k] = v
		}
	}
	pkgs := map[string]any{"": rootEntry}
	for _, e := range entries {
		m := map[string]any{"version": e.pkg.Version, "integrity": reg.Integrity(e.pkg.Name, e.pkg.Version)}
		if !e.noURL {
			m["resolved"] = reg.TarballURL(e.pkg.Name, e.pkg.Version)
		}
		if filepath.Base(e.path) != e.pkg.Name && !strings.HasSuffix(e.path, "/"+e.pkg.Name) {
			m["name"] = e.pkg.Name
		}
		if len(e.pkg.Dependencies) > 0 {
			m["dependencies"] = e.pkg.Dependencies
		}
		if len(e.pkg.OptionalDependencies) > 0 {
			m["optionalDependencies"] = e.pkg.OptionalDependencies
		}
		if len(e.pkg.Bin) > 0 {
			m["bin"] = e.pkg.Bin
		}
		if len(e.pkg.OS) > 0 {
			m["os"] = e.pkg.OS
		}
		if len(e.pkg.CPU) > 0 {
			m["cpu"] = e.pkg.CPU
		}
		if len(e.pkg.Scripts) > 0 {
			m["hasInstallScript"] = true
		}
		for k, v := range e.flags {
			m[k] = v
		}
		for k, v := range e.override {
			m[k] = v
		}
		pkgs[e.path] = m
	}
	lock := map[string]any{"name": root["name"], "version": root["version"], "lockfileVersion": 3, "requires": true, "packages": pkgs}
	lj, _ := json.MarshalIndent(lock, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "package-lock.json"), append(lj, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

var linuxX64 = platform.Platform{OS: "linux", CPU: "x64", Libc: "glibc"}

func runCI(t *testing.T, dir, cache string, reg *testserver.Registry, flags map[string]string) (*install.Result, error) {
	t.Helper()
	return runCIStderr(t, dir, cache, reg, flags, nil)
}

// runCIStderr is runCI writing lockstep's warnings to stderr.
func runCIStderr(t *testing.T, dir, cache string, reg *testserver.Registry, flags map[string]string, stderr io.Writer) (*install.Result, error) {
	t.Helper()
	f := map[string]string{"registry": reg.URL(), "ignore-scripts": "true"}
	for k, v := range flags {
		f[k] = v
	}
	home := t.TempDir()
	env := map[string]string{"HOME": home}
	return install.CI(context.Background(), install.Options{
		Dir: dir, CacheDir: cache, Flags: f, Platform: &linuxX64, NodeVersion: "20.20.2",
		Getenv:        func(k string) string { return env[k] },
		MinRetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond,
		Stderr: stderr,
	})
}

func mustExist(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("missing %s: %v", p, err)
		}
	}
}

func mustNotExist(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s exists, want it absent", p)
		}
	}
}

func basicRegistry(t *testing.T) (*testserver.Registry, []testserver.Package) {
	pkgs := []testserver.Package{
		{Name: "a", Version: "1.0.0", Dependencies: map[string]string{"b": "^1.0.0"}, Files: map[string]string{"index.js": "a"}},
		{Name: "b", Version: "1.2.0", Files: map[string]string{"index.js": "b1"}},
		{Name: "b", Version: "2.0.0", Files: map[string]string{"index.js": "b2", "cli.js": "#!/bin/sh\n"}, Bin: map[string]string{"bee": "cli.js"}},
		{Name: "@s/c", Version: "3.0.0", Files: map[string]string{"cli.js": "#!/usr/bin/env node\r\nconsole.log(1)\r\n"}, Bin: map[string]string{"c": "cli.js"}},
		{Name: "plat-darwin", Version: "1.0.0", OS: []string{"darwin"}},
		{Name: "plat-linux", Version: "1.0.0", OS: []string{"linux"}, CPU: []string{"x64"}},
		{Name: "d", Version: "1.0.0"},
	}
	return testserver.NewRegistry(t, pkgs...), pkgs
}

func TestCIInstallsLockfile(t *testing.T) {
	reg, p := basicRegistry(t)
	root := map[string]any{
		"name": "proj", "version": "1.0.0",
		"dependencies":         map[string]string{"a": "^1.0.0", "b": "^2.0.0", "@s/c": "3.0.0"},
		"devDependencies":      map[string]string{"d": "1.0.0"},
		"optionalDependencies": map[string]string{"plat-darwin": "1.0.0", "plat-linux": "1.0.0"},
	}
	entries := []lockEntry{
		{path: "node_modules/a", pkg: p[0]},
		{path: "node_modules/a/node_modules/b", pkg: p[1]},
		{path: "node_modules/b", pkg: p[2]},
		{path: "node_modules/@s/c", pkg: p[3], noURL: true},
		{path: "node_modules/plat-darwin", pkg: p[4], flags: map[string]any{"optional": true}},
		{path: "node_modules/plat-linux", pkg: p[5], flags: map[string]any{"optional": true}},
		{path: "node_modules/d", pkg: p[6], flags: map[string]any{"dev": true}},
	}
	dir := project(t, reg, root, entries)
	cache := t.TempDir()
	res, err := runCI(t, dir, cache, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	nm := filepath.Join(dir, "node_modules")
	mustExist(t, nm+"/a/index.js", nm+"/a/node_modules/b/index.js", nm+"/b/index.js", nm+"/@s/c/cli.js",
		nm+"/plat-linux/package.json", nm+"/d/package.json", nm+"/.package-lock.json")
	mustNotExist(t, nm+"/plat-darwin", filepath.Join(dir, "node_modules.lockstep-new"))
	if got, _ := os.ReadFile(nm + "/a/node_modules/b/index.js"); string(got) != "b1" {
		t.Errorf("nested b = %q, want b1", got)
	}
	if target, err := os.Readlink(nm + "/.bin/c"); err != nil || target != "../@s/c/cli.js" {
		t.Errorf(".bin/c -> %q, %v", target, err)
	}
	if target, err := os.Readlink(nm + "/.bin/bee"); err != nil || target != "../b/cli.js" {
		t.Errorf(".bin/bee -> %q, %v", target, err)
	}
	if got, _ := os.ReadFile(nm + "/@s/c/cli.js"); !strings.HasPrefix(string(got), "#!/usr/bin/env node\n") {
		t.Errorf("CRLF shebang not fixed: %q", got)
	}
	if fi, err := os.Stat(nm + "/@s/c/cli.js"); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("bin mode = %v, %v", fi.Mode(), err)
	}
	if res.Packages.Installed != 6 || res.Packages.Downloaded != 6 || res.Packages.FromCache != 0 {
		t.Errorf("packages = %+v", res.Packages)
	}

	// A second run uses the store only.
	before := reg.Requests()
	res, err = runCI(t, dir, cache, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if reg.Requests() != before {
		t.Errorf("warm run made %d requests", reg.Requests()-before)
	}
	if res.Packages.FromCache != 6 {
		t.Errorf("warm packages = %+v", res.Packages)
	}

	// --omit=dev leaves d out, and the old tree is gone.
	if _, err := runCI(t, dir, cache, reg, map[string]string{"omit": "dev"}); err != nil {
		t.Fatal(err)
	}
	mustNotExist(t, nm+"/d")
	mustExist(t, nm+"/a/index.js")
	entriesLeft, _ := os.ReadDir(dir)
	for _, e := range entriesLeft {
		if strings.HasPrefix(e.Name(), "node_modules.lockstep") {
			t.Errorf("left behind %s", e.Name())
		}
	}
}

func TestCIBadInput(t *testing.T) {
	reg, p := basicRegistry(t)
	root := map[string]any{"name": "proj", "version": "1.0.0", "dependencies": map[string]string{"b": "^2.0.0"}}
	good := []lockEntry{{path: "node_modules/b", pkg: p[2]}}
	tests := []struct {
		name      string
		setup     func(t *testing.T) string
		wantInput bool
		wantErr   string
	}{
		{
			name: "no lockfile",
			setup: func(t *testing.T) string {
				dir := project(t, reg, root, good)
				os.Remove(filepath.Join(dir, "package-lock.json"))
				return dir
			},
			wantInput: true, wantErr: "run `npm install`",
		},
		{
			name: "lockfile v1",
			setup: func(t *testing.T) string {
				dir := project(t, reg, root, good)
				os.WriteFile(filepath.Join(dir, "package-lock.json"), []byte(`{"name":"proj","lockfileVersion":1,"dependencies":{}}`), 0o644)
				return dir
			},
			wantInput: true, wantErr: "lockfileVersion",
		},
		{
			name: "range no longer satisfied",
			setup: func(t *testing.T) string {
				r := map[string]any{"name": "proj", "version": "1.0.0", "dependencies": map[string]string{"b": "^3.0.0"}}
				return project(t, reg, r, good)
			},
			wantInput: true, wantErr: "Invalid: lock file's b@2.0.0 does not satisfy b@^3.0.0",
		},
		{
			name: "dependency missing from lock",
			setup: func(t *testing.T) string {
				r := map[string]any{"name": "proj", "version": "1.0.0", "dependencies": map[string]string{"b": "^2.0.0", "d": "^1"}}
				return project(t, reg, r, good)
			},
			wantInput: true, wantErr: "Missing: d@^1 from lock file",
		},
		{
			name: "bad package.json",
			setup: func(t *testing.T) string {
				dir := project(t, reg, root, good)
				os.WriteFile(filepath.Join(dir, "package.json"), []byte("{\n  \"name\": \"proj\",\n}"), 0o644)
				return dir
			},
			wantInput: true, wantErr: "line 3",
		},
		{
			name: "two workspaces with one name",
			setup: func(t *testing.T) string {
				r := map[string]any{"name": "proj", "version": "1.0.0", "dependencies": map[string]string{"b": "^2.0.0"}, "workspaces": []string{"packages/*"}}
				dir := project(t, reg, r, good)
				for _, f := range []string{"a", "b"} {
					os.MkdirAll(filepath.Join(dir, "packages", f), 0o755)
					os.WriteFile(filepath.Join(dir, "packages", f, "package.json"), []byte(`{"name":"dup","version":"1.0.0"}`), 0o644)
				}
				return dir
			},
			wantInput: true, wantErr: "must not have multiple workspaces with the same name",
		},
		{
			name: "required package for another platform",
			setup: func(t *testing.T) string {
				r := map[string]any{"name": "proj", "version": "1.0.0", "dependencies": map[string]string{"plat-darwin": "1.0.0"}}
				return project(t, reg, r, []lockEntry{{path: "node_modules/plat-darwin", pkg: p[4]}})
			},
			wantInput: true, wantErr: `"node_modules/plat-darwin" (plat-darwin@1.0.0)`,
		},
		{
			name: "integrity mismatch",
			setup: func(t *testing.T) string {
				bad := good[0]
				bad.override = map[string]any{"integrity": reg.Integrity("b", "1.2.0")}
				return project(t, reg, root, []lockEntry{bad})
			},
			wantErr: "b@2.0.0",
		},
		{
			name: "git dependency",
			setup: func(t *testing.T) string {
				bad := good[0]
				bad.override = map[string]any{"resolved": "git+ssh://git@github.com/user/b.git#0123456789abcdef0123456789abcdef01234567"}
				return project(t, reg, root, []lockEntry{bad})
			},
			wantInput: true, wantErr: "does not install git dependencies",
		},
		{
			name: "key climbs out of node_modules",
			setup: func(t *testing.T) string {
				evil := lockEntry{path: "node_modules/b/node_modules/../../../escape", pkg: p[2]}
				return project(t, reg, root, append([]lockEntry{evil}, good...))
			},
			wantInput: true, wantErr: `package key "node_modules/b/node_modules/../../../escape" is not a path npm writes`,
		},
		{
			name: "tarball missing",
			setup: func(t *testing.T) string {
				bad := good[0]
				bad.override = map[string]any{"resolved": reg.URL() + "b/-/b-9.9.9.tgz"}
				return project(t, reg, root, []lockEntry{bad})
			},
			wantErr: "404",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.setup(t)
			// An existing node_modules must survive a failed run.
			sentinel := filepath.Join(dir, "node_modules", "keep.txt")
			os.MkdirAll(filepath.Dir(sentinel), 0o755)
			os.WriteFile(sentinel, []byte("x"), 0o644)
			cache := t.TempDir()
			_, err := runCI(t, dir, cache, reg, nil)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if got := install.IsInputError(err); got != tt.wantInput {
				t.Errorf("IsInputError = %v, want %v (%v)", got, tt.wantInput, err)
			}
			mustExist(t, sentinel)
			storeEntries := 0
			filepath.WalkDir(filepath.Join(cache, "store"), func(p string, d os.DirEntry, err error) error {
				if err == nil && d.Name() == "package.json" {
					storeEntries++
				}
				return nil
			})
			if storeEntries != 0 {
				t.Errorf("store holds %d entries after a failed run", storeEntries)
			}
		})
	}
}

func TestCITraversalTarball(t *testing.T) {
	evil := testserver.MustTarball(
		testserver.TarEntry{Name: "package/package.json", Body: `{"name":"evil","version":"1.0.0"}`},
		testserver.TarEntry{Name: "package/../../escape.txt", Body: "gotcha"},
	)
	reg := testserver.NewRegistry(t, testserver.Package{Name: "evil", Version: "1.0.0", RawTarball: evil})
	root := map[string]any{"name": "proj", "version": "1.0.0", "dependencies": map[string]string{"evil": "1.0.0"}}
	dir := project(t, reg, root, []lockEntry{{path: "node_modules/evil", pkg: testserver.Package{Name: "evil", Version: "1.0.0"}}})
	_, err := runCI(t, dir, t.TempDir(), reg, nil)
	if err == nil || !strings.Contains(err.Error(), "evil@1.0.0") {
		t.Fatalf("err = %v", err)
	}
	mustNotExist(t, filepath.Join(dir, "escape.txt"), filepath.Join(filepath.Dir(dir), "escape.txt"))
}

func TestCIRetriesFaults(t *testing.T) {
	reg, p := basicRegistry(t)
	root := map[string]any{"name": "proj", "version": "1.0.0", "dependencies": map[string]string{"a": "^1.0.0", "b": "^2.0.0"}}
	dir := project(t, reg, root, []lockEntry{
		{path: "node_modules/a", pkg: p[0]},
		{path: "node_modules/a/node_modules/b", pkg: p[1]},
		{path: "node_modules/b", pkg: p[2]},
	})
	reg.FailTimes(testserver.TarballPath("a", "1.0.0"), testserver.Fault503, 2)
	reg.FailTimes(testserver.TarballPath("b", "2.0.0"), testserver.FaultTruncate, 1)
	reg.FailTimes(testserver.TarballPath("b", "1.2.0"), testserver.Fault429, 1)
	if _, err := runCI(t, dir, t.TempDir(), reg, nil); err != nil {
		t.Fatal(err)
	}
	mustExist(t, filepath.Join(dir, "node_modules/a/index.js"), filepath.Join(dir, "node_modules/b/index.js"))
}

func TestCIRunsScripts(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	pkgs := []testserver.Package{
		{Name: "withscript", Version: "1.0.0", Files: map[string]string{"data.txt": "original"},
			Scripts: map[string]string{
				"preinstall":  "echo pre >> \"$INIT_CWD/events.log\"",
				"postinstall": "echo post-$npm_package_name >> \"$INIT_CWD/events.log\" && echo changed > data.txt",
			}},
		{Name: "plain", Version: "1.0.0", Files: map[string]string{"data.txt": "plain"}},
	}
	reg := testserver.NewRegistry(t, pkgs...)
	root := map[string]any{"name": "proj", "version": "1.0.0",
		"dependencies": map[string]string{"withscript": "1.0.0", "plain": "1.0.0"},
		"scripts":      map[string]string{"postinstall": "echo root >> events.log"}}
	dir := project(t, reg, root, []lockEntry{
		{path: "node_modules/withscript", pkg: pkgs[0]},
		{path: "node_modules/plain", pkg: pkgs[1]},
	})
	cache := t.TempDir()
	if _, err := runCI(t, dir, cache, reg, map[string]string{"ignore-scripts": "false"}); err != nil {
		t.Fatal(err)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "events.log"))
	if string(log) != "pre\npost-withscript\nroot\n" {
		t.Errorf("events.log = %q", log)
	}
	// The script changed its own copy, not the store's.
	if got, _ := os.ReadFile(filepath.Join(dir, "node_modules/withscript/data.txt")); string(got) != "changed\n" {
		t.Errorf("data.txt = %q", got)
	}
	var storeCopy string
	filepath.WalkDir(filepath.Join(cache, "store"), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == "data.txt" {
			if b, _ := os.ReadFile(p); string(b) != "plain" {
				storeCopy = string(b)
			}
		}
		return nil
	})
	if storeCopy != "original" {
		t.Errorf("store copy of withscript/data.txt = %q, want it untouched", storeCopy)
	}
	// --ignore-scripts runs none.
	os.Remove(filepath.Join(dir, "events.log"))
	if _, err := runCI(t, dir, cache, reg, nil); err != nil {
		t.Fatal(err)
	}
	mustNotExist(t, filepath.Join(dir, "events.log"))

	// A failing required script fails the install with the package named.
	pkgs[0].Scripts = map[string]string{"install": "echo boom >&2; exit 3"}
	pkgs[0].Version = "1.0.1"
	reg.Add(pkgs[0])
	dir = project(t, reg, map[string]any{"name": "proj", "version": "1.0.0", "dependencies": map[string]string{"withscript": "1.0.1"}},
		[]lockEntry{{path: "node_modules/withscript", pkg: pkgs[0]}})
	_, err := runCI(t, dir, cache, reg, map[string]string{"ignore-scripts": "false"})
	if err == nil || !strings.Contains(err.Error(), `"install" script of "withscript@1.0.1"`) || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err = %v", err)
	}
}

// --os/--cpu (npm's os/cpu config) choose which optional platform packages
// are installed.
func TestCIPlatformOverride(t *testing.T) {
	reg, p := basicRegistry(t)
	root := map[string]any{"name": "proj", "version": "1.0.0",
		"optionalDependencies": map[string]string{"plat-darwin": "1.0.0", "plat-linux": "1.0.0"}}
	dir := project(t, reg, root, []lockEntry{
		{path: "node_modules/plat-darwin", pkg: p[4], flags: map[string]any{"optional": true}},
		{path: "node_modules/plat-linux", pkg: p[5], flags: map[string]any{"optional": true}},
	})
	if _, err := runCI(t, dir, t.TempDir(), reg, map[string]string{"os": "darwin"}); err != nil {
		t.Fatal(err)
	}
	mustExist(t, filepath.Join(dir, "node_modules/plat-darwin"))
	mustNotExist(t, filepath.Join(dir, "node_modules/plat-linux"))
}

// Tarballs over the in-memory limit stream into extraction; they must be
// verified all the same.
func TestCILargeTarballVerified(t *testing.T) {
	rnd := make([]byte, 3<<20)
	x := uint64(88172645463325252)
	for i := range rnd {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		rnd[i] = byte(x)
	}
	big := testserver.Package{Name: "big", Version: "1.0.0", Files: map[string]string{"blob.bin": string(rnd)}}
	other := testserver.Package{Name: "big", Version: "2.0.0", Files: map[string]string{"blob.bin": string(rnd[1:])}}
	reg := testserver.NewRegistry(t, big, other)
	if n := len(reg.Tarball("big", "1.0.0")); n <= 1<<20 {
		t.Fatalf("tarball is only %d bytes; the test needs one over 1 MiB", n)
	}
	root := map[string]any{"name": "proj", "version": "1.0.0", "dependencies": map[string]string{"big": "1.0.0"}}
	dir := project(t, reg, root, []lockEntry{{path: "node_modules/big", pkg: big}})
	if _, err := runCI(t, dir, t.TempDir(), reg, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "node_modules/big/blob.bin")); len(got) != len(rnd) {
		t.Errorf("blob.bin has %d bytes, want %d", len(got), len(rnd))
	}

	bad := lockEntry{path: "node_modules/big", pkg: big, override: map[string]any{"integrity": reg.Integrity("big", "2.0.0")}}
	dir = project(t, reg, root, []lockEntry{bad})
	cache := t.TempDir()
	_, err := runCI(t, dir, cache, reg, nil)
	if err == nil || !strings.Contains(err.Error(), "integrity") {
		t.Fatalf("err = %v", err)
	}
	var found []string
	filepath.WalkDir(filepath.Join(cache, "store"), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == "blob.bin" {
			found = append(found, p)
		}
		return nil
	})
	if len(found) > 0 {
		t.Errorf("unverified files left in the store: %v", found)
	}
	mustNotExist(t, filepath.Join(dir, "node_modules"))
}

// An optional package that cannot be fetched is skipped, like npm does; a
// required one fails the install.
func TestCIOptionalFetchFailure(t *testing.T) {
	reg, p := basicRegistry(t)
	root := map[string]any{"name": "proj", "version": "1.0.0",
		"dependencies":         map[string]string{"d": "1.0.0"},
		"optionalDependencies": map[string]string{"plat-linux": "1.0.0"}}
	gone := lockEntry{path: "node_modules/plat-linux", pkg: p[5], flags: map[string]any{"optional": true},
		override: map[string]any{"resolved": reg.URL() + "plat-linux/-/plat-linux-9.9.9.tgz"}}
	dir := project(t, reg, root, []lockEntry{{path: "node_modules/d", pkg: p[6]}, gone})
	if _, err := runCI(t, dir, t.TempDir(), reg, nil); err != nil {
		t.Fatal(err)
	}
	mustExist(t, filepath.Join(dir, "node_modules/d"))
	mustNotExist(t, filepath.Join(dir, "node_modules/plat-linux"))
	hidden, _ := os.ReadFile(filepath.Join(dir, "node_modules/.package-lock.json"))
	if strings.Contains(string(hidden), "plat-linux") {
		t.Errorf("hidden lockfile lists the skipped package:\n%s", hidden)
	}
}

func TestDetectNodeVersionMemo(t *testing.T) {
	tests := []struct {
		name      string
		cache     func(tmp string) string
		wantCalls int // node runs over three asks
	}{
		{"cache directory exists", func(tmp string) string { return tmp }, 1},
		{"cache directory not made yet", func(tmp string) string { return filepath.Join(tmp, "not", "yet") }, 1},
		{"no cache directory", func(string) string { return "" }, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bin := t.TempDir()
			calls := filepath.Join(bin, "calls")
			script := "#!/bin/sh\necho x >> " + calls + "\necho v99.1.2\n"
			if err := os.WriteFile(filepath.Join(bin, "node"), []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			t.Setenv("PATH", bin)
			wd := t.TempDir()
			t.Chdir(wd)
			cache := tc.cache(t.TempDir())
			for i := 0; i < 3; i++ {
				if v := install.DetectNodeVersion(cache); v != "99.1.2" {
					t.Fatalf("version = %q", v)
				}
			}
			if b, _ := os.ReadFile(calls); strings.Count(string(b), "x") != tc.wantCalls {
				t.Errorf("node ran %d times, want %d", strings.Count(string(b), "x"), tc.wantCalls)
			}
			if ents, _ := os.ReadDir(wd); len(ents) != 0 {
				t.Errorf("wrote %v in the working directory", ents)
			}
		})
	}
}

// TestCIOptionalEngines: an optional package whose engines.node this node
// fails is left out with what only it needs, like npm; one whose range node
// meets is installed. The downloads start before node's version is known,
// so a failed download of a left-out package must not matter either.
func TestCIOptionalEngines(t *testing.T) {
	pkgs := []testserver.Package{
		{Name: "app", Version: "1.0.0"},
		{Name: "old-node", Version: "1.0.0", Dependencies: map[string]string{"od-dep": "1.0.0"}},
		{Name: "od-dep", Version: "1.0.0"},
		{Name: "new-node", Version: "1.0.0"},
	}
	for _, tc := range []struct {
		name      string
		failOld   bool
		wantOld   bool
		oldEngine string
	}{
		{name: "old node range", oldEngine: "<18"},
		{name: "old node range, download fails", oldEngine: "<18", failOld: true},
		{name: "satisfied range", oldEngine: ">=18", wantOld: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := testserver.NewRegistry(t, pkgs...)
			root := map[string]any{
				"name": "proj", "version": "1.0.0",
				"dependencies":         map[string]string{"app": "1.0.0"},
				"optionalDependencies": map[string]string{"old-node": "1.0.0", "new-node": "1.0.0"},
			}
			opt := map[string]any{"optional": true}
			dir := project(t, reg, root, []lockEntry{
				{path: "node_modules/app", pkg: pkgs[0]},
				{path: "node_modules/old-node", pkg: pkgs[1], flags: opt, override: map[string]any{"engines": map[string]string{"node": tc.oldEngine}}},
				{path: "node_modules/od-dep", pkg: pkgs[2], flags: opt},
				{path: "node_modules/new-node", pkg: pkgs[3], flags: opt, override: map[string]any{"engines": map[string]string{"node": ">=18"}}},
			})
			if tc.failOld {
				reg.FailTimes("/old-node/-/old-node-1.0.0.tgz", testserver.Fault500, 100)
			}
			if _, err := runCI(t, dir, t.TempDir(), reg, nil); err != nil {
				t.Fatal(err)
			}
			if tc.failOld && reg.Hits("/old-node/-/old-node-1.0.0.tgz") == 0 {
				t.Error("old-node's tarball was not asked for: the failing download went untested")
			}
			nm := filepath.Join(dir, "node_modules")
			mustExist(t, nm+"/app/package.json", nm+"/new-node/package.json")
			hidden, err := os.ReadFile(nm + "/.package-lock.json")
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantOld {
				mustExist(t, nm+"/old-node/package.json", nm+"/od-dep/package.json")
			} else {
				mustNotExist(t, nm+"/old-node", nm+"/od-dep")
				if strings.Contains(string(hidden), "old-node") || strings.Contains(string(hidden), "od-dep") {
					t.Errorf(".package-lock.json lists a left-out package:\n%s", hidden)
				}
			}
		})
	}
}

// TestCIPeerConflictKept: a lock entry whose peer dependency the locked
// package does not satisfy is what npm writes when it could not place the
// wanted peer ("ERESOLVE overriding peer dependency"); npm ci keeps such a
// tree unless the dependent is the project's own (root, workspace, a direct
// dependency, or in a peer set the root enters) or strict-peer-deps is set.
func TestCIPeerConflictKept(t *testing.T) {
	pkgs := []testserver.Package{
		{Name: "r", Version: "1.0.0"},
		{Name: "x", Version: "1.0.0", Dependencies: map[string]string{"y": "1.0.0"}},
		{Name: "y", Version: "1.0.0", PeerDependencies: map[string]string{"r": "2.0.0"}},
		{Name: "w", Version: "1.0.0", PeerDependencies: map[string]string{"y": "1.0.0"}},
	}
	reg := testserver.NewRegistry(t, pkgs...)
	r, x, y, w := pkgs[0], pkgs[1], pkgs[2], pkgs[3]
	yEntry := func(path string) lockEntry {
		return lockEntry{path: path, pkg: y, override: map[string]any{"peerDependencies": y.PeerDependencies}}
	}
	wEntry := lockEntry{path: "node_modules/w", pkg: w, override: map[string]any{"peerDependencies": w.PeerDependencies}}
	tests := []struct {
		name    string
		deps    map[string]string
		entries []lockEntry
		flags   map[string]string
		wantErr string
		// wantWarn is the ERESOLVE warning of a kept peer conflict.
		wantWarn string
	}{
		{name: "transitive dependent keeps lock", deps: map[string]string{"r": "^1.0.0", "x": "^1.0.0"},
			entries:  []lockEntry{{path: "node_modules/r", pkg: r}, {path: "node_modules/x", pkg: x}, yEntry("node_modules/x/node_modules/y")},
			wantWarn: `lockstep: warning: ERESOLVE overriding peer dependency: y@1.0.0 ("node_modules/x/node_modules/y") wants peer r@"2.0.0"; the lockfile's r@1.0.0 ("node_modules/r") is kept` + "\n"},
		{name: "transitive dependent hoisted", deps: map[string]string{"r": "^1.0.0", "x": "^1.0.0"},
			entries:  []lockEntry{{path: "node_modules/r", pkg: r}, {path: "node_modules/x", pkg: x}, yEntry("node_modules/y")},
			wantWarn: `lockstep: warning: ERESOLVE overriding peer dependency: y@1.0.0 ("node_modules/y") wants peer r@"2.0.0"; the lockfile's r@1.0.0 ("node_modules/r") is kept` + "\n"},
		{name: "strict-peer-deps refuses", deps: map[string]string{"r": "^1.0.0", "x": "^1.0.0"},
			entries: []lockEntry{{path: "node_modules/r", pkg: r}, {path: "node_modules/x", pkg: x}, yEntry("node_modules/y")},
			flags:   map[string]string{"strict-peer-deps": "true"}, wantErr: "Invalid: lock file's r@1.0.0 does not satisfy r@2.0.0"},
		{name: "direct dependent refuses", deps: map[string]string{"r": "^1.0.0", "y": "^1.0.0"},
			entries: []lockEntry{{path: "node_modules/r", pkg: r}, yEntry("node_modules/y")},
			wantErr: "Invalid: lock file's r@1.0.0 does not satisfy r@2.0.0"},
		{name: "direct dependent with force", deps: map[string]string{"r": "^1.0.0", "y": "^1.0.0"},
			entries:  []lockEntry{{path: "node_modules/r", pkg: r}, yEntry("node_modules/y")},
			flags:    map[string]string{"force": "true"},
			wantWarn: `lockstep: warning: ERESOLVE overriding peer dependency: y@1.0.0 ("node_modules/y") wants peer r@"2.0.0"; the lockfile's r@1.0.0 ("node_modules/r") is kept` + "\n"},
		{name: "peer set entered from root refuses", deps: map[string]string{"r": "^1.0.0", "w": "^1.0.0"},
			entries: []lockEntry{{path: "node_modules/r", pkg: r}, wEntry, yEntry("node_modules/y")},
			wantErr: "Invalid: lock file's r@1.0.0 does not satisfy r@2.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := map[string]any{"name": "proj", "version": "1.0.0", "dependencies": tt.deps}
			dir := project(t, reg, root, tt.entries)
			var stderr strings.Builder
			_, err := runCIStderr(t, dir, t.TempDir(), reg, tt.flags, &stderr)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ci: %v", err)
				}
				if stderr.String() != tt.wantWarn {
					t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), tt.wantWarn)
				}
				for _, e := range tt.entries {
					mustExist(t, filepath.Join(dir, filepath.FromSlash(e.path), "package.json"))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
