package link

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// tree is a package's files: path (slash-separated, relative) → content.
// A path ending in "/" is an empty directory; a "*" suffix on the content
// marks the file executable (0755, else 0644).
type tree map[string]string

func writeTree(t *testing.T, dir string, tr tree) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for p, c := range tr {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := fs.FileMode(0o644)
		if strings.HasSuffix(c, "*") {
			mode = 0o755
		}
		if err := os.WriteFile(full, []byte(c), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(full, mode); err != nil {
			t.Fatal(err)
		}
	}
}

// readTree returns the files and directories under dir, skipping the
// subtrees in skip (relative paths of nested jobs).
func readTree(t *testing.T, dir string, skip ...string) tree {
	t.Helper()
	out := tree{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		for _, s := range skip {
			if rel == s {
				return filepath.SkipDir
			}
		}
		if d.IsDir() {
			out[rel+"/"] = ""
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		c := string(data)
		if st.Mode().Perm() != fs.FileMode(0o644) && st.Mode().Perm() != fs.FileMode(0o755) {
			c += fmt.Sprintf(" (mode %o)", st.Mode().Perm())
		}
		out[rel] = c
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// full adds the implied parent directories to a tree, as readTree reports them.
func full(tr tree) tree {
	out := tree{}
	for p, c := range tr {
		out[p] = c
		for d := filepath.ToSlash(filepath.Dir(strings.TrimSuffix(p, "/"))); d != "."; d = filepath.ToSlash(filepath.Dir(d)) {
			out[d+"/"] = ""
		}
	}
	return out
}

func diffTrees(want, got tree) string {
	var b strings.Builder
	keys := map[string]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		w, wok := want[k]
		g, gok := got[k]
		switch {
		case !gok:
			fmt.Fprintf(&b, "missing %s\n", k)
		case !wok:
			fmt.Fprintf(&b, "unexpected %s\n", k)
		case w != g:
			fmt.Fprintf(&b, "%s: got %q, want %q\n", k, g, w)
		}
	}
	return b.String()
}

// under reports whether p is one of dirs or inside one.
func under(p string, dirs []string) bool {
	for _, d := range dirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	sa, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := os.Stat(b)
	if err != nil {
		t.Fatal(err)
	}
	return os.SameFile(sa, sb)
}

var (
	pkgA = tree{
		"package.json":     `{"name":"a"}`,
		"index.js":         "module.exports = 1\n",
		"bin/cli.js":       "#!/usr/bin/env node\n*",
		"lib/deep/x/y.js":  "y",
		"lib/deep/x/z.txt": "",
		"empty/":           "",
	}
	pkgB      = tree{"package.json": `{"name":"b"}`, "b.js": "b"}
	pkgScoped = tree{"package.json": `{"name":"@s/p"}`, "dist/p.js": "p*"}
	// pkgWithNM ships a node_modules directory of its own (bundled deps):
	// a nested job must merge into it.
	pkgWithNM = tree{"package.json": `{"name":"c"}`, "node_modules/bundled/index.js": "bundled"}
)

func TestMaterialize(t *testing.T) {
	type pkg struct {
		dst  string // relative to the project
		tree tree
		copy bool
	}
	cases := []struct {
		name string
		pkgs []pkg // in job order
	}{
		{"single", []pkg{{"node_modules/a", pkgA, false}}},
		{"nested parent first", []pkg{
			{"node_modules/a", pkgA, false},
			{"node_modules/a/node_modules/b", pkgB, false},
			{"node_modules/a/node_modules/b/node_modules/@s/p", pkgScoped, false},
		}},
		{"nested child first", []pkg{
			{"node_modules/a/node_modules/b/node_modules/@s/p", pkgScoped, false},
			{"node_modules/a/node_modules/b", pkgB, false},
			{"node_modules/a", pkgA, false},
		}},
		{"scoped siblings", []pkg{
			{"node_modules/@s/p", pkgScoped, false},
			{"node_modules/@s/q", pkgB, false},
			{"node_modules/@t/p", pkgA, true},
		}},
		{"forced copy mixed with links", []pkg{
			{"node_modules/a", pkgA, true},
			{"node_modules/a/node_modules/b", pkgB, false},
		}},
		{"merge into bundled node_modules", []pkg{
			{"node_modules/c", pkgWithNM, false},
			{"node_modules/c/node_modules/b", pkgB, false},
		}},
	}
	for _, method := range []Method{Hardlink, Copy} {
		for _, conc := range []int{1, 4} {
			for _, listed := range []bool{false, true} {
				for _, tc := range cases {
					name := fmt.Sprintf("%s/c%d/%s", method, conc, tc.name)
					if listed {
						name = fmt.Sprintf("%s/c%d/listed/%s", method, conc, tc.name)
					}
					t.Run(name, func(t *testing.T) {
						root := t.TempDir()
						store, proj := filepath.Join(root, "store"), filepath.Join(root, "proj")
						var jobs []Job
						for i, p := range tc.pkgs {
							src := filepath.Join(store, fmt.Sprint(i))
							writeTree(t, src, p.tree)
							jobs = append(jobs, Job{Src: src, Dst: filepath.Join(proj, filepath.FromSlash(p.dst)), Copy: p.copy})
						}
						o := Options{Method: method, Concurrency: conc}
						var lister walkLister
						if listed {
							o.List = lister.list
						}
						res, err := Materialize(context.Background(), jobs, o)
						if err != nil {
							t.Fatal(err)
						}
						if listed && runtime.GOOS == "linux" && int(lister.calls.Load()) != len(jobs) {
							t.Errorf("List called %d times for %d jobs", lister.calls.Load(), len(jobs))
						}
						wantFiles, wantBytes := 0, int64(0)
						for i, p := range tc.pkgs {
							// Nested jobs below this one are checked on their own.
							var skip []string
							for _, q := range tc.pkgs {
								if rel, ok := strings.CutPrefix(q.dst, p.dst+"/"); ok {
									skip = append(skip, rel)
								}
							}
							want := full(p.tree)
							for _, s := range skip {
								delete(want, s+"/")
								for d := filepath.ToSlash(filepath.Dir(s)); d != "."; d = filepath.ToSlash(filepath.Dir(d)) {
									if !under(d, skip) {
										want[d+"/"] = "" // node_modules/, node_modules/@s/
									}
								}
							}
							got := readTree(t, jobs[i].Dst, skip...)
							if d := diffTrees(want, got); d != "" {
								t.Errorf("%s:\n%s", p.dst, d)
							}
							linked := method == Hardlink && !p.copy
							for f, c := range p.tree {
								if strings.HasSuffix(f, "/") {
									continue
								}
								wantFiles++
								if !linked {
									wantBytes += int64(len(c))
								}
								s := filepath.Join(jobs[i].Src, filepath.FromSlash(f))
								d := filepath.Join(jobs[i].Dst, filepath.FromSlash(f))
								if same := sameFile(t, s, d); same != linked {
									t.Errorf("%s: same inode = %v, want %v", d, same, linked)
								}
							}
						}
						if res.Files != wantFiles || res.Bytes != wantBytes {
							t.Errorf("result = %+v, want %d files, %d bytes", res, wantFiles, wantBytes)
						}
					})
				}
			}
		}
	}
}

// walkLister is an Options.List that reads the tree it lists, directories
// deepest first (Materialize must create parents first all the same).
type walkLister struct {
	calls atomic.Int32
	skip  string // a relative path left out of listings
	extra string // a relative path added to listings as a file
}

func (l *walkLister) list(src string, buf []byte, fn func(kind byte, rel []byte) error) ([]byte, error) {
	l.calls.Add(1)
	var dirs, others []string
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		rel = filepath.ToSlash(rel)
		switch {
		case rel == "." || rel == l.skip:
		case d.IsDir():
			dirs = append(dirs, rel)
		case d.Type()&fs.ModeSymlink != 0:
			others = append(others, "l"+rel)
		default:
			others = append(others, "f"+rel)
		}
		return nil
	})
	if err != nil {
		return buf, err
	}
	if l.extra != "" {
		others = append(others, "f"+l.extra)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		buf = append(buf[:0], d...)
		if err := fn('d', buf); err != nil {
			return buf, err
		}
	}
	for _, o := range others {
		buf = append(buf[:0], o[1:]...)
		if err := fn(o[0], buf); err != nil {
			return buf, err
		}
	}
	return buf, nil
}

func TestMaterializeCounts(t *testing.T) {
	root := t.TempDir()
	src := filepath.Join(root, "store", "a")
	writeTree(t, src, pkgA)
	res, err := Materialize(context.Background(), []Job{{Src: src, Dst: filepath.Join(root, "nm", "a")}}, Options{Method: Hardlink, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	// nm/a, bin, lib, lib/deep, lib/deep/x, empty; nm itself comes from MkdirAll.
	if want := (Result{Files: 5, Dirs: 6}); res != want {
		t.Errorf("result = %+v, want %+v", res, want)
	}
}

func TestForcedCopyIsIndependent(t *testing.T) {
	for _, method := range []Method{Hardlink, Copy, Probe(os.TempDir(), os.TempDir())} {
		t.Run(method.String(), func(t *testing.T) {
			root := t.TempDir()
			src := filepath.Join(root, "store", "a")
			writeTree(t, src, pkgA)
			dst := filepath.Join(root, "nm", "a")
			if _, err := Materialize(context.Background(), []Job{{Src: src, Dst: dst, Copy: true}}, Options{Method: method}); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dst, "index.js"), []byte("changed"), 0o644); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(filepath.Join(src, "index.js")); string(got) != pkgA["index.js"] {
				t.Errorf("store file changed to %q", got)
			}
			st, err := os.Stat(filepath.Join(dst, "bin/cli.js"))
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o755 {
				t.Errorf("copied executable has mode %o, want 755", st.Mode().Perm())
			}
		})
	}
}

func TestMaterializeReplacesExistingFiles(t *testing.T) {
	for _, method := range []Method{Hardlink, Copy} {
		t.Run(method.String(), func(t *testing.T) {
			root := t.TempDir()
			src := filepath.Join(root, "store", "b")
			writeTree(t, src, pkgB)
			dst := filepath.Join(root, "nm", "b")
			writeTree(t, dst, tree{"b.js": "stale", "extra.js": "kept"})
			if _, err := Materialize(context.Background(), []Job{{Src: src, Dst: dst}}, Options{Method: method}); err != nil {
				t.Fatal(err)
			}
			want := full(tree{"package.json": pkgB["package.json"], "b.js": "b", "extra.js": "kept"})
			if d := diffTrees(want, readTree(t, dst)); d != "" {
				t.Error(d)
			}
		})
	}
}

// TestHardlinkCrossDevice needs a second filesystem (/dev/shm): links fail
// with EXDEV there and each file must be copied instead.
func TestHardlinkCrossDevice(t *testing.T) {
	shm, err := os.MkdirTemp("/dev/shm", "linktest-")
	if err != nil {
		t.Skip("no /dev/shm:", err)
	}
	defer os.RemoveAll(shm)
	dstRoot := t.TempDir()
	if sameDevice(t, shm, dstRoot) {
		t.Skip("/dev/shm is on the same filesystem as the temp dir")
	}
	src := filepath.Join(shm, "a")
	writeTree(t, src, pkgA)
	dst := filepath.Join(dstRoot, "nm", "a")
	if m := Probe(shm, dst); m != Copy {
		t.Errorf("Probe across filesystems = %v, want copy", m)
	}
	res, err := Materialize(context.Background(), []Job{{Src: src, Dst: dst}}, Options{Method: Hardlink})
	if err != nil {
		t.Fatal(err)
	}
	if d := diffTrees(full(pkgA), readTree(t, dst)); d != "" {
		t.Error(d)
	}
	if res.Bytes == 0 {
		t.Errorf("result %+v: expected copied bytes", res)
	}
}

func sameDevice(t *testing.T, a, b string) bool {
	var sa, sb syscall.Stat_t
	if err := syscall.Stat(a, &sa); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Stat(b, &sb); err != nil {
		t.Fatal(err)
	}
	return sa.Dev == sb.Dev
}

func TestProbe(t *testing.T) {
	root := t.TempDir()
	store := filepath.Join(root, "store")
	writeTree(t, store, tree{"a/package.json": "{}"})
	target := filepath.Join(root, "proj", "node_modules")
	m := Probe(store, target)
	if m != Hardlink && m != Reflink {
		t.Errorf("Probe on one filesystem = %v, want hardlink or reflink", m)
	}
	// Probe cleans up after itself and does not create the target.
	if _, err := os.Stat(filepath.Join(root, "proj")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Probe created %q (err %v)", target, err)
	}
	if d := diffTrees(full(tree{"a/package.json": "{}"}), readTree(t, store)); d != "" {
		t.Errorf("store changed:\n%s", d)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 1 {
		t.Errorf("Probe left files in %q: %v", root, ents)
	}
	// A read-only store: Probe links an existing file instead.
	if os.Geteuid() != 0 {
		if err := os.Chmod(store, 0o555); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(store, 0o755)
		if m2 := Probe(store, target); m2 != m {
			t.Errorf("Probe with read-only store = %v, want %v", m2, m)
		}
	}
}

func TestMaterializeErrors(t *testing.T) {
	cases := []struct {
		name     string
		setup    func(t *testing.T, store string) // makes store/a
		wantPath string                           // relative to the store
	}{
		{"missing source", func(t *testing.T, store string) {}, "a"},
		{"fifo in source", func(t *testing.T, store string) {
			writeTree(t, filepath.Join(store, "a"), pkgB)
			if err := syscall.Mkfifo(filepath.Join(store, "a", "lib", "pipe"), 0o644); err != nil {
				if err := os.MkdirAll(filepath.Join(store, "a", "lib"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := syscall.Mkfifo(filepath.Join(store, "a", "lib", "pipe"), 0o644); err != nil {
					t.Skip("mkfifo:", err)
				}
			}
		}, "a/lib/pipe"},
		{"unreadable directory", func(t *testing.T, store string) {
			if os.Geteuid() == 0 {
				t.Skip("root reads everything")
			}
			writeTree(t, filepath.Join(store, "a"), pkgA)
			dir := filepath.Join(store, "a", "lib")
			if err := os.Chmod(dir, 0); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(dir, 0o755) })
		}, "a/lib"},
		{"unreadable file (copy)", func(t *testing.T, store string) {
			if os.Geteuid() == 0 {
				t.Skip("root reads everything")
			}
			writeTree(t, filepath.Join(store, "a"), pkgA)
			if err := os.Chmod(filepath.Join(store, "a", "index.js"), 0); err != nil {
				t.Fatal(err)
			}
		}, "a/index.js"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			store := filepath.Join(root, "store")
			tc.setup(t, store)
			jobs := []Job{{Src: filepath.Join(store, "a"), Dst: filepath.Join(root, "nm", "a"), Copy: true}}
			for i := range 20 { // other jobs keep working until the failure stops them
				src := filepath.Join(store, fmt.Sprint("ok", i))
				writeTree(t, src, pkgB)
				jobs = append(jobs, Job{Src: src, Dst: filepath.Join(root, "nm", fmt.Sprint("ok", i))})
			}
			_, err := Materialize(context.Background(), jobs, Options{Method: Hardlink, Concurrency: 3})
			if err == nil {
				t.Fatal("no error")
			}
			want := fmt.Sprintf("%q", filepath.Join(store, filepath.FromSlash(tc.wantPath)))
			if !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "failed to ") {
				t.Errorf("error %q does not name %s", err, want)
			}
		})
	}
}

func TestMaterializeCancel(t *testing.T) {
	root := t.TempDir()
	var jobs []Job
	for i := range 50 {
		src := filepath.Join(root, "store", fmt.Sprint(i))
		writeTree(t, src, pkgB)
		jobs = append(jobs, Job{Src: src, Dst: filepath.Join(root, "nm", fmt.Sprint(i))})
	}
	t.Run("before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Materialize(ctx, jobs, Options{Method: Hardlink})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if _, err := os.Stat(filepath.Join(root, "nm")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("something was created: %v", err)
		}
	})
	t.Run("during", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var n atomic.Int32
		testHookTask = func(task) {
			if n.Add(1) == 10 {
				cancel()
				<-ctx.Done()
			}
		}
		defer func() { testHookTask = nil }()
		res, err := Materialize(ctx, jobs, Options{Method: Hardlink, Concurrency: 2})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		// Each job is 2 files; the cancel came at the 10th task.
		if res.Files >= 2*len(jobs) {
			t.Errorf("all %d files were linked after cancel", res.Files)
		}
	})
}

func TestMaterializeNoJobs(t *testing.T) {
	res, err := Materialize(context.Background(), nil, Options{})
	if err != nil || res != (Result{}) {
		t.Errorf("Materialize(nil) = %+v, %v", res, err)
	}
}
