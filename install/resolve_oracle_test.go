package install_test

// The resolve oracle: for each project, `npm install --package-lock-only`
// and lockstep's Resolve run against the same registry, and the two
// package-lock.json files must be equal byte for byte. Where npm refuses
// (ERESOLVE, EOVERRIDE), lockstep must refuse too, with an input error, writing
// nothing. The cases are small on purpose (each npm run takes seconds);
// the big fixtures run with LOCKSTEP_ORACLE_SLOW=1.

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/install"
)

type resolveCase struct {
	name string
	src  string
	slow bool
	// keepLock starts both tools from the case's package-lock.json (npm
	// install semantics: keep what is valid, resolve what changed).
	keepLock bool
}

func resolveCases() []resolveCase {
	cases := []resolveCase{
		{name: "fixture-small", src: "../../shared/fixtures/small"},
		{name: "fixture-medium", src: "../../shared/fixtures/medium", slow: true},
		{name: "fixture-large", src: "../../shared/fixtures/large", slow: true},
		{name: "example", src: "../examples/basic"},
	}
	entries, _ := os.ReadDir("testdata/resolve")
	for _, e := range entries {
		if e.IsDir() {
			src := filepath.Join("testdata/resolve", e.Name())
			_, err := os.Stat(filepath.Join(src, "package-lock.json"))
			cases = append(cases, resolveCase{name: e.Name(), src: src, keepLock: err == nil})
		}
	}
	return cases
}

func TestOracleResolve(t *testing.T) {
	if testing.Short() {
		t.Skip("uses the real npm and registry")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm not found")
	}
	npmCache := t.TempDir()
	lsCache := t.TempDir()
	for _, tc := range resolveCases() {
		t.Run(tc.name, func(t *testing.T) {
			if tc.slow && os.Getenv("LOCKSTEP_ORACLE_SLOW") != "1" {
				t.Skip("set LOCKSTEP_ORACLE_SLOW=1 to run")
			}
			if _, err := os.Stat(filepath.Join(tc.src, "package.json")); err != nil {
				t.Skipf("no project at %s", tc.src)
			}
			t.Parallel()
			npmDir := copyProject(t, tc.src)
			lsDir := copyProject(t, tc.src)
			if !tc.keepLock {
				for _, d := range []string{npmDir, lsDir} {
					os.Remove(filepath.Join(d, "package-lock.json"))
				}
			}
			cmd := exec.Command(npm, "install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund",
				"--omit-lockfile-registry-resolved=false", "--cache", npmCache)
			cmd.Dir = npmDir
			npmOut, npmErr := cmd.CombinedOutput()

			res, err := install.Resolve(context.Background(), install.ResolveOptions{
				Dir: lsDir, CacheDir: lsCache, Write: true,
				Flags: map[string]string{"omit-lockfile-registry-resolved": "false"},
			})
			if npmErr != nil {
				// code is what npm printed and what lockstep's error must say.
				code := ""
				for _, c := range []string{"ERESOLVE", "EOVERRIDE"} {
					if strings.Contains(string(npmOut), "npm error code "+c) {
						code = c
					}
				}
				if strings.Contains(string(npmOut), "npm error Unable to resolve reference $") {
					code = "override reference"
				}
				if code == "" {
					t.Fatalf("npm failed: %v\n%s", npmErr, npmOut)
				}
				if err == nil || !install.IsInputError(err) || !strings.Contains(err.Error(), code) {
					t.Fatalf("npm refused with %s; lockstep: res=%v err=%v", code, res, err)
				}
				if _, serr := os.Stat(filepath.Join(lsDir, "package-lock.json")); serr == nil {
					t.Fatal("lockstep wrote a lockfile for a tree it could not resolve")
				}
				if code == "ERESOLVE" {
					want, got := npmEresolveReport(string(npmOut)), lockstepEresolveReport(err.Error())
					if len(want) == 0 {
						t.Fatalf("no ERESOLVE report found in npm's output:\n%s", npmOut)
					}
					if strings.Join(got, "\n") != strings.Join(want, "\n") {
						t.Errorf("ERESOLVE report differs from npm's:\n%s", firstDiff(strings.Join(want, "\n"), strings.Join(got, "\n")))
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("lockstep resolve: %v", err)
			}
			want, err := os.ReadFile(filepath.Join(npmDir, "package-lock.json"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(lsDir, "package-lock.json"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("package-lock.json differs from npm's:\n%s", firstDiff(string(want), string(got)))
			}
		})
	}
}

// npmEresolveReport extracts npm's ERESOLVE explanation from its output
// in lockstep's layout: headings lower case, "Could not resolve
// dependency:" joined with the edge that follows it, a node's location in
// parentheses on the node's line, and the "@undefined" of a project without
// a version dropped. It keeps indentation (the dependents chains).
func npmEresolveReport(out string) []string {
	var lines []string
	in := false
	joinNext := ""
	for _, l := range strings.Split(out, "\n") {
		rest, ok := strings.CutPrefix(l, "npm error")
		if !ok {
			continue
		}
		rest = strings.TrimPrefix(rest, " ")
		switch {
		case strings.HasPrefix(rest, "While resolving: ") || strings.HasPrefix(rest, "Found: "):
			in = true
		case strings.HasPrefix(rest, "Fix the upstream"):
			in = false
		}
		if !in || strings.TrimSpace(rest) == "" {
			continue
		}
		if joinNext != "" {
			rest, joinNext = joinNext+rest, ""
		}
		for _, h := range []string{"While resolving:", "Found:", "Could not resolve dependency:", "Conflicting peer dependency:"} {
			if strings.HasPrefix(rest, h) {
				rest = strings.ToLower(h) + rest[len(h):]
			}
		}
		if rest == "could not resolve dependency:" {
			joinNext = rest + " "
			continue
		}
		if strings.HasPrefix(rest, "while resolving: ") {
			rest = strings.TrimSuffix(rest, "@undefined")
		}
		if t := strings.TrimSpace(rest); len(lines) > 0 && !strings.Contains(t, " ") {
			lines[len(lines)-1] += " (" + t + ")"
			continue
		}
		lines = append(lines, rest)
	}
	return lines
}

// lockstepEresolveReport extracts the report lines from lockstep's ERESOLVE
// error, without their indentation and without the closing advice.
func lockstepEresolveReport(msg string) []string {
	_, rest, ok := strings.Cut(msg, "(ERESOLVE):\n")
	if !ok {
		return nil
	}
	lines := strings.Split(rest, "\n")
	if len(lines) > 0 {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "  ")
	}
	return lines
}

// firstDiff shows the first differing lines of two texts, with context.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			lo := max(0, i-3)
			var b strings.Builder
			for j := lo; j < i+4; j++ {
				if j < len(w) {
					b.WriteString("npm      " + w[j] + "\n")
				}
			}
			for j := lo; j < i+4; j++ {
				if j < len(g) {
					b.WriteString("lockstep " + g[j] + "\n")
				}
			}
			return b.String()
		}
	}
	return ""
}
