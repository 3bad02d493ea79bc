package link

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type want struct {
	link   string // path of the .bin entry, relative to the project
	target string // its symlink text; "" means it must not exist
	file   string // the bin file to check for mode 0755 (relative to the project)
}

func TestLinkBins(t *testing.T) {
	cases := []struct {
		name    string
		files   tree // project files, written before linking (modes 0644)
		pre     func(t *testing.T, proj string)
		nm, pkg string // nodeModulesDir and pkgDir, relative to the project
		bins    []Bin
		want    []want
	}{
		{
			name:  "simple",
			files: tree{"node_modules/esbuild/bin/esbuild": "#!/usr/bin/env node\n"},
			nm:    "node_modules", pkg: "node_modules/esbuild",
			bins: []Bin{{"esbuild", "bin/esbuild"}},
			want: []want{{"node_modules/.bin/esbuild", "../esbuild/bin/esbuild", "node_modules/esbuild/bin/esbuild"}},
		},
		{
			name:  "scoped package and scoped bin name",
			files: tree{"node_modules/@scope/pkg/cli.js": "x", "node_modules/@scope/pkg/other.js": "y"},
			nm:    "node_modules", pkg: "node_modules/@scope/pkg",
			bins: []Bin{{"@scope/pkg", "cli.js"}, {"other", "./other.js"}},
			want: []want{
				{"node_modules/.bin/pkg", "../@scope/pkg/cli.js", "node_modules/@scope/pkg/cli.js"},
				{"node_modules/.bin/other", "../@scope/pkg/other.js", "node_modules/@scope/pkg/other.js"},
			},
		},
		{
			name:  "nested .bin",
			files: tree{"node_modules/a/node_modules/b/b.js": "b"},
			nm:    "node_modules/a/node_modules", pkg: "node_modules/a/node_modules/b",
			bins: []Bin{{"b", "b.js"}},
			want: []want{
				{"node_modules/a/node_modules/.bin/b", "../b/b.js", "node_modules/a/node_modules/b/b.js"},
				{"node_modules/.bin/b", "", ""},
			},
		},
		{
			name:  "replaces a link to another package",
			files: tree{"node_modules/x/x.js": "x", "node_modules/y/y.js": "y"},
			pre: func(t *testing.T, proj string) {
				mustSymlink(t, "../y/y.js", filepath.Join(proj, "node_modules/.bin/x"))
			},
			nm: "node_modules", pkg: "node_modules/x",
			bins: []Bin{{"x", "x.js"}},
			want: []want{{"node_modules/.bin/x", "../x/x.js", "node_modules/x/x.js"}},
		},
		{
			name:  "replaces a regular file",
			files: tree{"node_modules/x/x.js": "x", "node_modules/.bin/x": "old"},
			nm:    "node_modules", pkg: "node_modules/x",
			bins: []Bin{{"x", "x.js"}},
			want: []want{{"node_modules/.bin/x", "../x/x.js", "node_modules/x/x.js"}},
		},
		{
			name:  "missing target is skipped",
			files: tree{"node_modules/x/x.js": "x"},
			nm:    "node_modules", pkg: "node_modules/x",
			bins: []Bin{{"gone", "nope.js"}, {"x", "x.js"}},
			want: []want{
				{"node_modules/.bin/gone", "", ""},
				{"node_modules/.bin/x", "../x/x.js", "node_modules/x/x.js"},
			},
		},
		{
			name:  "names and targets are normalized like npm",
			files: tree{"node_modules/x/etc/passwd": "p", "node_modules/x/lib/c.js": "c"},
			nm:    "node_modules", pkg: "node_modules/x",
			bins: []Bin{
				{"..", "lib/c.js"}, {"", "lib/c.js"}, {"a:b", "lib/c.js"},
				{`win\cmd`, `lib\c.js`}, {"esc", "../../etc/passwd"}, {"empty", ""},
			},
			want: []want{
				{"node_modules/.bin/b", "../x/lib/c.js", "node_modules/x/lib/c.js"},
				{"node_modules/.bin/cmd", "../x/lib/c.js", ""},
				{"node_modules/.bin/esc", "../x/etc/passwd", "node_modules/x/etc/passwd"},
				{"node_modules/.bin/empty", "", ""},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			proj := t.TempDir()
			writeTree(t, proj, tc.files)
			if tc.pre != nil {
				tc.pre(t, proj)
			}
			if err := LinkBins(filepath.Join(proj, tc.nm), filepath.Join(proj, tc.pkg), tc.bins); err != nil {
				t.Fatal(err)
			}
			if ents, _ := os.ReadDir(filepath.Join(proj, tc.nm, ".bin")); len(ents) != countLinks(tc.want, tc.nm) {
				t.Errorf(".bin holds %v", ents)
			}
			for _, w := range tc.want {
				p := filepath.Join(proj, w.link)
				got, err := os.Readlink(p)
				if w.target == "" {
					if _, err := os.Lstat(p); err == nil {
						t.Errorf("%s exists", w.link)
					}
					continue
				}
				if err != nil {
					t.Errorf("%s: %v", w.link, err)
					continue
				}
				if got != w.target {
					t.Errorf("%s -> %s, want %s", w.link, got, w.target)
				}
				if _, err := os.Stat(p); err != nil {
					t.Errorf("%s does not resolve: %v", w.link, err)
				}
				if w.file != "" {
					if mode := modeOf(t, filepath.Join(proj, w.file)); mode != 0o755 {
						t.Errorf("%s has mode %o, want 755", w.file, mode)
					}
				}
			}
		})
	}
}

func countLinks(ws []want, nm string) int {
	n := 0
	for _, w := range ws {
		if w.target != "" && filepath.Dir(filepath.Dir(w.link)) == filepath.Clean(nm) {
			n++
		}
	}
	return n
}

func mustSymlink(t *testing.T, target, p string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}

func modeOf(t *testing.T, p string) fs.FileMode {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

// A link that is already right is left alone, and npm then skips fixBin.
func TestLinkBinsAlreadyLinked(t *testing.T) {
	proj := t.TempDir()
	writeTree(t, proj, tree{"node_modules/x/x.js": "x"})
	mustSymlink(t, "../x/x.js", filepath.Join(proj, "node_modules/.bin/x"))
	if err := LinkBins(filepath.Join(proj, "node_modules"), filepath.Join(proj, "node_modules/x"), []Bin{{"x", "x.js"}}); err != nil {
		t.Fatal(err)
	}
	if mode := modeOf(t, filepath.Join(proj, "node_modules/x/x.js")); mode != 0o644 {
		t.Errorf("mode %o, want 644 (untouched)", mode)
	}
}

// The first package to claim a bin name keeps it within one BinLinker.
func TestBinLinkerFirstWins(t *testing.T) {
	proj := t.TempDir()
	writeTree(t, proj, tree{"node_modules/a/a.js": "a", "node_modules/b/b.js": "b"})
	nm := filepath.Join(proj, "node_modules")
	var l BinLinker
	for _, pkg := range []string{"a", "b"} {
		if err := l.LinkBins(nm, filepath.Join(nm, pkg), []Bin{{"tool", pkg + ".js"}}); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := os.Readlink(filepath.Join(nm, ".bin/tool")); got != "../a/a.js" {
		t.Errorf("tool -> %q, want ../a/a.js", got)
	}
	if mode := modeOf(t, filepath.Join(nm, "b/b.js")); mode != 0o644 {
		t.Errorf("b.js was chmod'ed to %o", mode)
	}
	// Without shared memory, the later call replaces the link (npm's force).
	if err := LinkBins(nm, filepath.Join(nm, "b"), []Bin{{"tool", "b.js"}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.Readlink(filepath.Join(nm, ".bin/tool")); got != "../b/b.js" {
		t.Errorf("tool -> %q, want ../b/b.js", got)
	}
}

// A CRLF shebang is fixed in node_modules without touching the hardlinked
// store file's content.
func TestLinkBinsCRLFShebang(t *testing.T) {
	root := t.TempDir()
	store := filepath.Join(root, "store", "x")
	crlf := "#!/usr/bin/env node\r\nconsole.log(1)\r\n"
	plain := "#!/usr/bin/env node\nconsole.log(2)\r\n"
	writeTree(t, store, tree{"crlf.js": crlf, "plain.js": plain, "short.js": "#!\r\n"})
	nm := filepath.Join(root, "proj", "node_modules")
	if _, err := Materialize(context.Background(), []Job{{Src: store, Dst: filepath.Join(nm, "x")}}, Options{Method: Hardlink}); err != nil {
		t.Fatal(err)
	}
	bins := []Bin{{"crlf", "crlf.js"}, {"plain", "plain.js"}, {"short", "short.js"}}
	if err := LinkBins(nm, filepath.Join(nm, "x"), bins); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ file, want, store string }{
		{"crlf.js", strings.Replace(crlf, "\r\n", "\n", 1), crlf},
		{"plain.js", plain, plain},
		{"short.js", "#!\r\n", "#!\r\n"},
	} {
		got, err := os.ReadFile(filepath.Join(nm, ".bin", strings.TrimSuffix(c.file, ".js")))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != c.want {
			t.Errorf("%s = %q, want %q", c.file, got, c.want)
		}
		if got, _ := os.ReadFile(filepath.Join(store, c.file)); string(got) != c.store {
			t.Errorf("store %s = %q, want %q", c.file, got, c.store)
		}
		if mode := modeOf(t, filepath.Join(nm, "x", c.file)); mode != 0o755 {
			t.Errorf("%s mode %o, want 755", c.file, mode)
		}
	}
}

func TestLinkBinsErrors(t *testing.T) {
	proj := t.TempDir()
	// A file where the package's directory should be: ENOTDIR is not skipped.
	writeTree(t, proj, tree{"node_modules/x": "not a dir"})
	err := LinkBins(filepath.Join(proj, "node_modules"), filepath.Join(proj, "node_modules/x"), []Bin{{"x", "x.js"}})
	if err == nil || !strings.Contains(err.Error(), `"`+filepath.Join(proj, "node_modules/x/x.js")+`"`) {
		t.Errorf("err = %v, want one naming the target", err)
	}
}

// A bin whose target a script builds later keeps its name (the claim) and
// RelinkBins links it, and fixes a target rewritten since linking, once the
// target exists; a name another package claimed is never taken over.
func TestRelinkBinsAfterScript(t *testing.T) {
	proj := t.TempDir()
	writeTree(t, proj, tree{"ws/package.json": "{}", "other/o.js": "o", "ws/old.js": "#!/bin/sh\r\necho\r\n"})
	mustSymlink(t, "../ws", filepath.Join(proj, "node_modules/ws"))
	mustSymlink(t, "../other", filepath.Join(proj, "node_modules/other"))
	nm := filepath.Join(proj, "node_modules")
	var l BinLinker
	claimed, err := l.LinkBinsClaimed(nm, filepath.Join(nm, "ws"), []Bin{{"./built", "./dist/cli.js"}, {"old", "old.js"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(claimed) != 2 || claimed[0] != (Bin{"built", "dist/cli.js"}) || claimed[1] != (Bin{"old", "old.js"}) {
		t.Fatalf("claimed = %v", claimed)
	}
	if _, err := os.Lstat(filepath.Join(nm, ".bin/built")); err == nil {
		t.Fatal(".bin/built linked before its target exists")
	}
	// "built" is taken: a later package claiming it is skipped.
	more, err := l.LinkBinsClaimed(nm, filepath.Join(nm, "other"), []Bin{{"built", "o.js"}})
	if err != nil || len(more) != 0 {
		t.Fatalf("second claim = %v, %v; want none", more, err)
	}
	// The script builds dist/cli.js and rewrites old.js (mode 0644 again).
	writeTree(t, proj, tree{"ws/dist/cli.js": "#!/bin/sh\r\necho built\r\n"})
	if err := os.Chmod(filepath.Join(proj, "ws/old.js"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := RelinkBins(nm, filepath.Join(nm, "ws"), claimed); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"built": "../ws/dist/cli.js", "old": "../ws/old.js"} {
		to := filepath.Join(nm, ".bin", name)
		if got, err := os.Readlink(to); err != nil || got != target {
			t.Errorf(".bin/%s -> %q (%v), want %q", name, got, err, target)
		}
		st, err := os.Stat(to)
		if err != nil || st.Mode().Perm()&0o111 == 0 {
			t.Errorf(".bin/%s target not executable: %v", name, err)
		}
		data, _ := os.ReadFile(to)
		if strings.HasPrefix(string(data), "#!/bin/sh\r") {
			t.Errorf(".bin/%s target keeps its CRLF shebang", name)
		}
	}
}
