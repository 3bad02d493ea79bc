package install_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lockstep-dev/lockstep/internal/testserver"
)

// TestCIForeignNodeModules: npm ci empties the node_modules of the root
// and of each workspace, leaving the folders; in a file: folder that is not
// a workspace it only puts the locked packages in place, keeping what else
// its node_modules holds.
func TestCIForeignNodeModules(t *testing.T) {
	pkgs := []testserver.Package{
		{Name: "d", Version: "1.0.0", Files: map[string]string{"index.js": "d", "cli.js": "#!/bin/sh\n"}, Bin: map[string]string{"dee": "cli.js"}},
	}
	reg := testserver.NewRegistry(t, pkgs...)
	root := map[string]any{"name": "proj", "version": "1.0.0", "workspaces": []string{"packages/*"},
		"dependencies": map[string]string{"bar": "file:local/bar"}}
	dir := project(t, reg, root, []lockEntry{{path: "local/bar/node_modules/d", pkg: pkgs[0]}})
	writeJSON(t, filepath.Join(dir, "local/bar/package.json"), map[string]any{
		"name": "bar", "version": "0.2.0", "dependencies": map[string]string{"d": "^1.0.0"}})
	writeJSON(t, filepath.Join(dir, "packages/w/package.json"), map[string]any{"name": "w", "version": "1.0.0"})
	patchLock(t, dir, map[string]any{"workspaces": []string{"packages/*"}}, map[string]any{
		"local/bar":        map[string]any{"name": "bar", "version": "0.2.0", "dependencies": map[string]string{"d": "^1.0.0"}},
		"packages/w":       map[string]any{"name": "w", "version": "1.0.0"},
		"node_modules/bar": map[string]any{"resolved": "local/bar", "link": true},
		"node_modules/w":   map[string]any{"resolved": "packages/w", "link": true},
	})
	nm := filepath.Join(dir, "local/bar/node_modules")
	ws := filepath.Join(dir, "packages/w/node_modules")
	for _, f := range []string{"extra/i.js", ".cache/c", "@s/x/i.js", "d/stale.js"} {
		writeFile(t, filepath.Join(nm, f), "x")
	}
	if err := os.MkdirAll(filepath.Join(nm, ".bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"old", "dee"} {
		if err := os.Symlink("../extra/i.js", filepath.Join(nm, ".bin", b)); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(ws, "junk/i.js"), "x")
	if err := os.Chmod(ws, 0o700); err != nil {
		t.Fatal(err)
	}

	if _, err := runCI(t, dir, t.TempDir(), reg, nil); err != nil {
		t.Fatal(err)
	}
	mustExist(t, filepath.Join(nm, "extra/i.js"), filepath.Join(nm, ".cache/c"), filepath.Join(nm, "@s/x/i.js"),
		filepath.Join(nm, ".bin/old"), filepath.Join(nm, "d/index.js"))
	mustNotExist(t, filepath.Join(nm, "d/stale.js"))
	if got, err := os.Readlink(filepath.Join(nm, ".bin/dee")); err != nil || got != "../d/cli.js" {
		t.Errorf(".bin/dee -> %q (%v), want ../d/cli.js", got, err)
	}
	ents, err := os.ReadDir(ws)
	if err != nil || len(ents) != 0 {
		t.Errorf("workspace node_modules: %v entries (%v), want an empty folder", len(ents), err)
	}
	if st, err := os.Stat(ws); err == nil && st.Mode().Perm() != 0o700 {
		t.Errorf("workspace node_modules mode %v, want 0700 kept", st.Mode().Perm())
	}
}

// TestInstallDroppedFileFolder: when a file: folder is no longer depended
// on, npm install's diff removes the packages the old tree held in its
// node_modules (the folder itself, and its node_modules, stay).
func TestInstallDroppedFileFolder(t *testing.T) {
	pkgs := []testserver.Package{{Name: "d", Version: "1.0.0", Files: map[string]string{"index.js": "d"}}}
	reg := testserver.NewRegistry(t, pkgs...)
	root := map[string]any{"name": "proj", "version": "1.0.0", "dependencies": map[string]string{"bar": "file:local/bar"}}
	dir := project(t, reg, root, []lockEntry{{path: "local/bar/node_modules/d", pkg: pkgs[0]}})
	writeJSON(t, filepath.Join(dir, "local/bar/package.json"), map[string]any{
		"name": "bar", "version": "0.2.0", "dependencies": map[string]string{"d": "^1.0.0"}})
	patchLock(t, dir, nil, map[string]any{
		"local/bar":        map[string]any{"name": "bar", "version": "0.2.0", "dependencies": map[string]string{"d": "^1.0.0"}},
		"node_modules/bar": map[string]any{"resolved": "local/bar", "link": true},
	})
	cache := t.TempDir()
	if _, err := runReuse(t, dir, cache, reg, nil); err != nil {
		t.Fatal(err)
	}
	nm := filepath.Join(dir, "local/bar/node_modules")
	mustExist(t, filepath.Join(nm, "d/index.js"))
	writeFile(t, filepath.Join(nm, "mine/x"), "x") // not the old tree's: stays

	relock(t, reg, dir, map[string]any{"name": "proj", "version": "1.0.0", "dependencies": map[string]string{"d": "^1.0.0"}},
		[]lockEntry{{path: "node_modules/d", pkg: pkgs[0]}})
	if _, err := runReuse(t, dir, cache, reg, nil); err != nil {
		t.Fatal(err)
	}
	mustNotExist(t, filepath.Join(nm, "d"), filepath.Join(dir, "node_modules/bar"))
	mustExist(t, filepath.Join(nm, "mine/x"), filepath.Join(dir, "local/bar/package.json"), filepath.Join(dir, "node_modules/d/index.js"))
}
