package install_test

// The oracle: the npm on this machine. Each case installs the same
// package.json + package-lock.json with `npm ci --ignore-scripts` and with
// lockstep's CI, then compares the two node_modules trees entry by entry:
// path, type, permission bits, file content and symlink target (the hidden
// lockfile node_modules/.package-lock.json included). These tests use the
// real registry (a local mirror here), so they are bounded: a handful of
// projects, skipped under -short or when npm is missing.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/install"
)

type oracleCase struct {
	name  string
	src   string   // folder with package.json, package-lock.json, optional .npmrc and local folders
	flags []string // extra flags for both tools, npm spelling: --omit=dev
	slow  bool     // runs only with LOCKSTEP_ORACLE_SLOW=1 (npm ci takes minutes)
}

func oracleCases() []oracleCase {
	return []oracleCase{
		{name: "example", src: "../examples/basic"},
		{name: "example-omit-dev", src: "../examples/basic", flags: []string{"--omit=dev"}},
		{name: "workspaces", src: "testdata/oracle/workspaces"},
		// a bundled package with a bin (linked, listed in the hidden
		// lockfile); a binding.gyp without install script in a package
		// and in workspaces with and without a "scripts" object (the
		// hidden lockfile says hasInstallScript, --ignore-scripts or not,
		// except for the workspace without scripts)
		{name: "native-bundled", src: "testdata/oracle/native-bundled"},
		{name: "fixture-small", src: "../../shared/fixtures/small"},
		{name: "fixture-medium", src: "../../shared/fixtures/medium"},
		{name: "fixture-large", src: "../../shared/fixtures/large", slow: true},
	}
}

func TestOracleNpmCI(t *testing.T) {
	if testing.Short() {
		t.Skip("uses the real npm and registry")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm not found")
	}
	npmCache := t.TempDir()
	lsCache := t.TempDir()
	for _, tc := range oracleCases() {
		t.Run(tc.name, func(t *testing.T) {
			if tc.slow && os.Getenv("LOCKSTEP_ORACLE_SLOW") != "1" {
				t.Skip("set LOCKSTEP_ORACLE_SLOW=1 to run")
			}
			if _, err := os.Stat(filepath.Join(tc.src, "package-lock.json")); err != nil {
				t.Skipf("no fixture at %s", tc.src)
			}
			npmDir := copyProject(t, tc.src)
			lsDir := copyProject(t, tc.src)

			args := append([]string{"ci", "--ignore-scripts", "--no-audit", "--no-fund", "--cache", npmCache}, tc.flags...)
			cmd := exec.Command(npm, args...)
			cmd.Dir = npmDir
			start := time.Now()
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("npm %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			npmTime := time.Since(start)

			flags := map[string]string{"ignore-scripts": "true"}
			for _, f := range tc.flags {
				k, v, _ := strings.Cut(strings.TrimPrefix(f, "--"), "=")
				flags[k] = v
			}
			start = time.Now()
			_, err := install.CI(context.Background(), install.Options{
				Dir: lsDir, CacheDir: lsCache, Flags: flags, Getenv: os.Getenv,
			})
			if err != nil {
				t.Fatalf("lockstep ci: %v", err)
			}
			t.Logf("npm ci %v, lockstep ci %v", npmTime.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

			want := snapshotTree(t, npmDir)
			got := snapshotTree(t, lsDir)
			if diff := diffTrees(want, got); diff != "" {
				t.Errorf("node_modules differs from npm ci's (- npm, + lockstep):\n%s", diff)
			}
		})
	}
}

// copyProject copies a project's own files (not node_modules) to a temp dir.
func copyProject(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() && d.Name() == "node_modules" {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

type entry struct {
	kind string // "d", "f", "l"
	mode fs.FileMode
	sum  string // file sha256 or symlink target
}

// snapshotTree records every node_modules entry under dir (the root's and
// the workspaces').
func snapshotTree(t *testing.T, dir string) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if !strings.Contains(rel, "node_modules") {
			return nil
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out[rel] = entry{kind: "l", sum: target}
		case info.IsDir():
			out[rel] = entry{kind: "d", mode: info.Mode().Perm()}
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h := sha256.Sum256(data)
			out[rel] = entry{kind: "f", mode: info.Mode().Perm(), sum: hex.EncodeToString(h[:8])}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func diffTrees(want, got map[string]entry) string {
	var lines []string
	for p, w := range want {
		g, ok := got[p]
		switch {
		case !ok:
			lines = append(lines, fmt.Sprintf("- %s (%s %v %s)", p, w.kind, w.mode, w.sum))
		case g != w:
			lines = append(lines, fmt.Sprintf("- %s (%s %v %s)\n+ %s (%s %v %s)", p, w.kind, w.mode, w.sum, p, g.kind, g.mode, g.sum))
		}
	}
	for p, g := range got {
		if _, ok := want[p]; !ok {
			lines = append(lines, fmt.Sprintf("+ %s (%s %v %s)", p, g.kind, g.mode, g.sum))
		}
	}
	sort.Strings(lines)
	if len(lines) > 60 {
		lines = append(lines[:60], fmt.Sprintf("... %d more", len(lines)-60))
	}
	return strings.Join(lines, "\n")
}
