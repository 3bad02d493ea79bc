package install_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/install"
	"github.com/lockstep-dev/lockstep/internal/testserver"
)

// runReuse installs like `lockstep install` after resolving: over the
// existing node_modules (Options.Reuse).
func runReuse(t *testing.T, dir, cache string, reg *testserver.Registry, flags map[string]string) (*install.Result, error) {
	t.Helper()
	f := map[string]string{"registry": reg.URL(), "ignore-scripts": "true"}
	for k, v := range flags {
		f[k] = v
	}
	env := map[string]string{"HOME": t.TempDir()}
	return install.CI(context.Background(), install.Options{
		Dir: dir, CacheDir: cache, Flags: f, Platform: &linuxX64, NodeVersion: "20.20.2", Reuse: true,
		Getenv:        func(k string) string { return env[k] },
		MinRetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond,
	})
}

// relock replaces dir's package.json and package-lock.json with those of
// a project written for root and entries.
func relock(t *testing.T, reg *testserver.Registry, dir string, root map[string]any, entries []lockEntry) {
	t.Helper()
	src := project(t, reg, root, entries)
	for _, name := range []string{"package.json", "package-lock.json"} {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestInstallReusesNodeModules checks install over an existing tree the way
// npm install (arborist's diff and reify) changes it: unchanged package
// folders stay as they are, with files added to them; replaced, removed and
// hand-deleted packages are replaced, removed and installed again; the dot
// entries of node_modules (.cache) stay; .bin and the hidden lockfile
// follow the new tree. ci (no Reuse) builds the tree anew.
func TestInstallReusesNodeModules(t *testing.T) {
	reg, p := basicRegistry(t)
	root := map[string]any{
		"name": "proj", "version": "1.0.0",
		"dependencies":    map[string]string{"a": "^1.0.0", "b": "^2.0.0", "@s/c": "3.0.0"},
		"devDependencies": map[string]string{"d": "1.0.0"},
	}
	before := []lockEntry{
		{path: "node_modules/a", pkg: p[0]},
		{path: "node_modules/a/node_modules/b", pkg: p[1]},
		{path: "node_modules/b", pkg: p[2]},
		{path: "node_modules/@s/c", pkg: p[3]},
		{path: "node_modules/d", pkg: p[6], flags: map[string]any{"dev": true}},
	}
	// b moves to 1.2.0 at the top (a's nested copy is no longer needed),
	// d is removed.
	rootAfter := map[string]any{
		"name": "proj", "version": "1.0.0",
		"dependencies": map[string]string{"a": "^1.0.0", "b": "^1.0.0", "@s/c": "3.0.0"},
	}
	after := []lockEntry{
		{path: "node_modules/a", pkg: p[0]},
		{path: "node_modules/b", pkg: p[1]},
		{path: "node_modules/@s/c", pkg: p[3]},
	}
	// The nested b stays nested under a: a keeps its own folder; d is
	// removed.
	rootNested := map[string]any{
		"name": "proj", "version": "1.0.0",
		"dependencies": map[string]string{"a": "^1.0.0", "b": "^2.0.0", "@s/c": "3.0.0"},
	}
	afterNested := []lockEntry{
		{path: "node_modules/a", pkg: p[0]},
		{path: "node_modules/a/node_modules/b", pkg: p[1]},
		{path: "node_modules/b", pkg: p[2]},
		{path: "node_modules/@s/c", pkg: p[3]},
	}
	tests := []struct {
		name      string
		reuse     bool
		root      map[string]any
		entries   []lockEntry
		kept      []string // files added by hand that must stay
		gone      []string // must be absent
		present   []string
		installed int
	}{
		{
			name: "replace and remove", reuse: true, root: rootAfter, entries: after,
			kept: []string{"a/MINE", ".cache/x", ".vite/deps/y"},
			gone: []string{"b/MINE", "a/node_modules/b", "d", ".bin/bee"},
			// npm removes a's nested b, not the node_modules folder holding it.
			present:   []string{"b/index.js", "@s/c/cli.js", ".bin/c", "a/node_modules"},
			installed: 2, // b replaced, @s/c deleted by hand
		},
		{
			name: "nested kept under kept parent", reuse: true, root: rootNested, entries: afterNested,
			kept:      []string{"a/MINE", "a/node_modules/b/MINE", "b/MINE", ".cache/x"},
			gone:      []string{"d"},
			present:   []string{"@s/c/cli.js", ".bin/bee", ".bin/c"},
			installed: 1,
		},
		{
			name: "ci builds anew", reuse: false, root: rootAfter, entries: after,
			gone:      []string{"a/MINE", "b/MINE", ".cache", ".vite", "d"},
			present:   []string{"b/index.js", "@s/c/cli.js"},
			installed: 3,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := project(t, reg, root, before)
			cache := t.TempDir()
			if _, err := runReuse(t, dir, cache, reg, nil); err != nil {
				t.Fatal(err)
			}
			nm := filepath.Join(dir, "node_modules")
			for _, f := range []string{"a/MINE", "a/node_modules/b/MINE", "b/MINE", ".cache/x", ".vite/deps/y"} {
				writeFile(t, filepath.Join(nm, f), "mine")
			}
			if err := os.RemoveAll(filepath.Join(nm, "@s/c")); err != nil {
				t.Fatal(err)
			}
			relock(t, reg, dir, tc.root, tc.entries)
			run := runReuse
			if !tc.reuse {
				run = runCI
			}
			res, err := run(t, dir, cache, reg, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range tc.kept {
				if got, err := os.ReadFile(filepath.Join(nm, f)); err != nil || string(got) != "mine" {
					t.Errorf("%s = %q, %v; want it kept", f, got, err)
				}
			}
			for _, f := range tc.gone {
				mustNotExist(t, filepath.Join(nm, f))
			}
			for _, f := range tc.present {
				mustExist(t, filepath.Join(nm, f))
			}
			if res.Packages.Installed != tc.installed {
				t.Errorf("installed %d packages, want %d", res.Packages.Installed, tc.installed)
			}
			hidden, _ := os.ReadFile(filepath.Join(nm, ".package-lock.json"))
			if strings.Contains(string(hidden), "node_modules/d") {
				t.Errorf("hidden lockfile still lists d:\n%s", hidden)
			}
			left, _ := os.ReadDir(dir)
			for _, e := range left {
				if strings.HasPrefix(e.Name(), "node_modules.lockstep") {
					t.Errorf("left behind %s", e.Name())
				}
			}
		})
	}
}

// TestInstallReuseScripts checks the scripts npm install runs over an
// existing tree (reify.js _build): those of the packages it adds or
// replaces, not of those it keeps; the root's "dependencies" event only
// when the tree changed; the root's install events every time.
func TestInstallReuseScripts(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	script := map[string]string{"postinstall": "echo $npm_package_name >> \"$INIT_CWD/events.log\""}
	pkgs := []testserver.Package{
		{Name: "one", Version: "1.0.0", Scripts: script},
		{Name: "two", Version: "1.0.0", Scripts: script},
		{Name: "two", Version: "2.0.0", Scripts: script},
	}
	reg := testserver.NewRegistry(t, pkgs...)
	rootScripts := map[string]string{"dependencies": "echo deps >> events.log", "postinstall": "echo root >> events.log"}
	root := func(two string) map[string]any {
		return map[string]any{"name": "proj", "version": "1.0.0", "scripts": rootScripts,
			"dependencies": map[string]string{"one": "1.0.0", "two": two}}
	}
	v1 := []lockEntry{{path: "node_modules/one", pkg: pkgs[0]}, {path: "node_modules/two", pkg: pkgs[1]}}
	v2 := []lockEntry{{path: "node_modules/one", pkg: pkgs[0]}, {path: "node_modules/two", pkg: pkgs[2]}}
	dir := project(t, reg, root("1.0.0"), v1)
	cache := t.TempDir()
	scripts := map[string]string{"ignore-scripts": "false"}
	steps := []struct {
		name    string
		root    map[string]any
		entries []lockEntry
		want    string
	}{
		{"fresh", root("1.0.0"), v1, "one\ntwo\ndeps\nroot\n"},
		{"unchanged", root("1.0.0"), v1, "root\n"},
		{"two replaced", root("2.0.0"), v2, "two\ndeps\nroot\n"},
	}
	for _, st := range steps {
		relock(t, reg, dir, st.root, st.entries)
		os.Remove(filepath.Join(dir, "events.log"))
		if _, err := runReuse(t, dir, cache, reg, scripts); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got, _ := os.ReadFile(filepath.Join(dir, "events.log")); string(got) != st.want {
			t.Errorf("%s: events.log = %q, want %q", st.name, got, st.want)
		}
	}
}

// TestInstallReuseScriptFailure: when the script of a package install adds
// fails, the packages it kept stay with their files (and .cache), the
// added one goes and the hidden lockfile lists only what stayed, so the
// next install adds it again. ci removes the whole new tree.
func TestInstallReuseScriptFailure(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	pkgs := []testserver.Package{
		{Name: "ok", Version: "1.0.0", Files: map[string]string{"index.js": "ok"}},
		{Name: "bad", Version: "1.0.0", Scripts: map[string]string{"install": "exit 3"}},
	}
	reg := testserver.NewRegistry(t, pkgs...)
	root := func(deps map[string]string) map[string]any {
		return map[string]any{"name": "proj", "version": "1.0.0", "dependencies": deps}
	}
	dir := project(t, reg, root(map[string]string{"ok": "1.0.0"}), []lockEntry{{path: "node_modules/ok", pkg: pkgs[0]}})
	cache := t.TempDir()
	scripts := map[string]string{"ignore-scripts": "false"}
	if _, err := runReuse(t, dir, cache, reg, scripts); err != nil {
		t.Fatal(err)
	}
	nm := filepath.Join(dir, "node_modules")
	writeFile(t, filepath.Join(nm, "ok/MINE"), "mine")
	writeFile(t, filepath.Join(nm, ".cache/x"), "mine")
	relock(t, reg, dir, root(map[string]string{"ok": "1.0.0", "bad": "1.0.0"}),
		[]lockEntry{{path: "node_modules/ok", pkg: pkgs[0]}, {path: "node_modules/bad", pkg: pkgs[1]}})
	if _, err := runReuse(t, dir, cache, reg, scripts); err == nil || !strings.Contains(err.Error(), "bad@1.0.0") {
		t.Fatalf("err = %v, want the failing script of bad@1.0.0", err)
	}
	mustExist(t, filepath.Join(nm, "ok/MINE"), filepath.Join(nm, ".cache/x"), filepath.Join(nm, "ok/index.js"))
	mustNotExist(t, filepath.Join(nm, "bad"))
	hidden, _ := os.ReadFile(filepath.Join(nm, ".package-lock.json"))
	if !strings.Contains(string(hidden), `"node_modules/ok"`) || strings.Contains(string(hidden), `"node_modules/bad"`) {
		t.Errorf("hidden lockfile:\n%s", hidden)
	}
}

// TestInstallReuseOmitDev: --omit dev over a full tree removes the dev
// packages and, like npm install, leaves the .bin and @scope folders they
// emptied; the lockfile keeps them.
func TestInstallReuseOmitDev(t *testing.T) {
	reg, p := basicRegistry(t)
	root := map[string]any{
		"name": "proj", "version": "1.0.0",
		"dependencies":    map[string]string{"a": "^1.0.0"},
		"devDependencies": map[string]string{"@s/c": "3.0.0"},
	}
	dir := project(t, reg, root, []lockEntry{
		{path: "node_modules/a", pkg: p[0]},
		{path: "node_modules/a/node_modules/b", pkg: p[1]},
		{path: "node_modules/@s/c", pkg: p[3], flags: map[string]any{"dev": true}},
	})
	cache := t.TempDir()
	if _, err := runReuse(t, dir, cache, reg, nil); err != nil {
		t.Fatal(err)
	}
	lock, _ := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if _, err := runReuse(t, dir, cache, reg, map[string]string{"omit": "dev"}); err != nil {
		t.Fatal(err)
	}
	nm := filepath.Join(dir, "node_modules")
	mustNotExist(t, filepath.Join(nm, "@s/c"), filepath.Join(nm, ".bin/c"))
	mustExist(t, filepath.Join(nm, "a/node_modules/b/index.js"))
	for _, d := range []string{"@s", ".bin"} {
		if ents, err := os.ReadDir(filepath.Join(nm, d)); err != nil || len(ents) != 0 {
			t.Errorf("%s: %v, %d entries; want an empty folder", d, err, len(ents))
		}
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "package-lock.json")); string(after) != string(lock) {
		t.Errorf("package-lock.json changed")
	}
	hidden, _ := os.ReadFile(filepath.Join(nm, ".package-lock.json"))
	if strings.Contains(string(hidden), "@s/c") {
		t.Errorf("hidden lockfile lists @s/c:\n%s", hidden)
	}
}
