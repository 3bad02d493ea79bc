package extract

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const diffRegistry = "https://registry.npmjs.org"

// Real packages chosen for their shapes: bins (which, jsesc, semver), a
// scoped @types tarball whose root is not "package/", .npmignore files
// (isexe, json-stable-stringify-without-jsonify), 0777 and 0755 non-bin
// files (uri-js, ajv) and a few plain transitive deps.
var diffPackages = map[string]string{
	"ajv":                                   "6.15.0",
	"which":                                 "2.0.2",
	"jsesc":                                 "3.1.0",
	"semver":                                "6.3.2",
	"@types/estree":                         "1.0.10",
	"json-stable-stringify-without-jsonify": "1.0.1",
}

// craftedEntries exercises the edge cases against npm itself. Entries where
// we deliberately differ (".." is an error, setuid bits dropped) are left out.
func craftedEntries() []ent {
	return []ent{
		file("package/package.json", `{"name":"exp","version":"1.0.0","bin":{"a":"./bin/a","b":"bin/b","c":"bin/c","d":"bin/d","m":"m600"}}`, 0o644),
		file("package/m700", "x", 0o700), file("package/m744", "x", 0o744), file("package/m600", "x", 0o600),
		file("package/m444", "x", 0o444), file("package/m000", "x", 0), file("package/m010", "x", 0o010),
		file("package/m777", "x", 0o777),
		{name: "package/d700", typ: tar.TypeDir, mode: 0o700}, file("package/d700/f", "x", 0o644),
		{name: "package/emptydir", typ: tar.TypeDir, mode: 0o755},
		file("package/g1/.npmignore", "npmignore-first", 0o644), file("package/g1/.gitignore", "gitignore-second", 0o644),
		file("package/g2/.gitignore", "gitignore-first", 0o644), file("package/g2/.npmignore", "npmignore-second", 0o644),
		file("package/g3/.gitignore", "gitignore-only", 0o644),
		file("package/dup", "first", 0o755), file("package/dup", "second-longer", 0o644),
		file("package/dup2", "first-long", 0o644), file("package/dup2", "2nd", 0o755),
		file("package/bin/a", "#!/usr/bin/env node\r\nconsole.log(1)\r\n", 0o644),
		file("package/bin/b", "#!\r\nx\r\n", 0o644),
		file("package/bin/c", "#!/bin/sh\r\r\nx\r\n", 0o600),
		file("package/bin/d", "\ufeff#!/bin/sh\r\nx\r\n", 0o644),
		file("package/bin/e", "#!/bin/sh\r\nnot a bin\r\n", 0o644),
		{name: "package/sym", typ: tar.TypeSymlink, link: "m700"},
		{name: "package/hard", typ: tar.TypeLink, link: "package/m700"},
		{name: "package/fifo", typ: tar.TypeFifo},
		file("package/regslash/", "", 0o644),
		{name: "package/cont", body: "contiguous", mode: 0o644, typ: tar.TypeCont},
		file("toplevel", "top", 0o644),
		file("./package/dotpkg", "dp", 0o644),
		file("/abs/x", "abs", 0o644),
		file("other//dbl", "dbl", 0o644),
		file("package/Case", "upper", 0o644), file("package/case", "lower", 0o644),
		file("package/sub/file", "f", 0o644), file("package/sub", "now a file", 0o644),
		file("package/e/x", "f", 0o644), file("package/e/x/y", "under a file", 0o644),
	}
}

type pkgJSON struct {
	Name    string          `json:"name"`
	Version string          `json:"version"`
	Bin     json.RawMessage `json:"bin"`
}

func (p pkgJSON) bins() []string {
	var one string
	if json.Unmarshal(p.Bin, &one) == nil && one != "" {
		return []string{one}
	}
	var many map[string]string
	json.Unmarshal(p.Bin, &many)
	var out []string
	for _, v := range many {
		out = append(out, v)
	}
	return out
}

// TestMatchesNPM installs real packages and a crafted tarball with the real
// npm, extracts the same tarballs with Extract and compares every file's
// path, content and mode.
func TestMatchesNPM(t *testing.T) {
	if testing.Short() {
		t.Skip("differential test against npm skipped in -short mode")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm not installed")
	}
	client := &http.Client{Timeout: 30 * time.Second}
	if resp, err := client.Get(diffRegistry + "/jsesc/-/jsesc-3.1.0.tgz"); err != nil || resp.StatusCode != 200 {
		t.Skipf("registry unreachable: %v", err)
	} else {
		resp.Body.Close()
	}

	proj := t.TempDir()
	crafted := mkTar(t, craftedEntries())
	if err := os.WriteFile(filepath.Join(proj, "exp-1.0.0.tgz"), crafted, 0o644); err != nil {
		t.Fatal(err)
	}
	deps := map[string]string{"exp": "file:exp-1.0.0.tgz"}
	for n, v := range diffPackages {
		deps[n] = v
	}
	pj, _ := json.Marshal(map[string]any{"name": "difftest", "version": "1.0.0", "dependencies": deps})
	if err := os.WriteFile(filepath.Join(proj, "package.json"), pj, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "install", "--ignore-scripts", "--no-audit", "--no-fund",
		"--package-lock=false", "--loglevel=error", "--registry="+diffRegistry+"/")
	cmd.Dir = proj
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false", "npm_config_cache="+filepath.Join(proj, ".npm-cache"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("npm install failed (treated as unavailable): %v\n%s", err, out)
	}

	pkgs := findPackages(t, filepath.Join(proj, "node_modules"))
	if len(pkgs) < len(deps) {
		t.Fatalf("npm installed %d packages, want at least %d", len(pkgs), len(deps))
	}
	for _, dir := range pkgs {
		raw, err := os.ReadFile(filepath.Join(dir, "package.json"))
		if err != nil {
			t.Fatal(err)
		}
		var pj pkgJSON
		if err := json.Unmarshal(raw, &pj); err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		t.Run(pj.Name+"@"+pj.Version, func(t *testing.T) {
			data := crafted
			if pj.Name != "exp" {
				data = download(t, client, pj.Name, pj.Version)
			}
			dest := t.TempDir()
			if _, err := Extract(bytes.NewReader(data), dest, Options{Bins: pj.bins()}); err != nil {
				t.Fatalf("Extract: %v", err)
			}
			want := withoutNodeModules(tree(t, dir))
			got := withoutNodeModules(tree(t, dest))
			diffTree(t, got, want)
		})
	}
}

func withoutNodeModules(m map[string]want) map[string]want {
	for k := range m {
		if k == "node_modules/" || strings.HasPrefix(k, "node_modules/") {
			delete(m, k)
		}
	}
	return m
}

// findPackages lists package directories under nm, nested ones included.
func findPackages(t *testing.T, nm string) []string {
	var out []string
	entries, _ := os.ReadDir(nm)
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		dirs := []string{filepath.Join(nm, e.Name())}
		if strings.HasPrefix(e.Name(), "@") {
			dirs = nil
			sub, _ := os.ReadDir(filepath.Join(nm, e.Name()))
			for _, s := range sub {
				if s.IsDir() {
					dirs = append(dirs, filepath.Join(nm, e.Name(), s.Name()))
				}
			}
		}
		for _, d := range dirs {
			out = append(out, d)
			out = append(out, findPackages(t, filepath.Join(d, "node_modules"))...)
		}
	}
	return out
}

func download(t *testing.T, client *http.Client, name, version string) []byte {
	t.Helper()
	url := fmt.Sprintf("%s/%s/-/%s-%s.tgz", diffRegistry, name, path.Base(name), version)
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("failed to download %q: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("failed to download %q: %s", url, resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("failed to download %q: %v", url, err)
	}
	return b
}
