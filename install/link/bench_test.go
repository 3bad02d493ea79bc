package link

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Benchmarks for Materialize against `cp -al`.
//
// By default they use a synthetic store (LOCKSTEP_LINK_BENCH_PKGS packages,
// 400 if unset). Set LOCKSTEP_LINK_BENCH_TREE to an npm-installed
// node_modules (e.g. after `npm ci --ignore-scripts` on a fixture) to use a
// real tree: every package in it, nested ones too, becomes a store entry
// (its files without its own node_modules), and the jobs rebuild the same
// layout. The store is built once next to the tree (same filesystem), by
// hardlinking.
//
//	LOCKSTEP_LINK_BENCH_TREE=/tmp/fx/node_modules go test -run '^$' \
//	    -bench Materialize -benchtime 5x ./install/link/
//
// Each iteration materializes into a fresh directory; they are all removed
// when the test binary exits: ext4 makes creating inodes slower for ~30 s
// after deletions, which a CI run does not see, and the configurations run
// one after another.

type benchStore struct {
	root  string // holds store/ and the targets
	store string
	jobs  []Job // Dst relative to the target dir
	files int
}

func BenchmarkMaterialize(b *testing.B) {
	s := loadBenchStore(b)
	b.Logf("%d packages, %d files", len(s.jobs), s.files)
	for _, c := range []int{1, 2, 4, 8, 16, 0} {
		name := fmt.Sprintf("hardlink/c%d", c)
		if c == 0 {
			name = fmt.Sprintf("hardlink/default=%d", DefaultConcurrency())
		}
		b.Run(name, func(b *testing.B) { benchMaterialize(b, s, Hardlink, c) })
	}
	b.Run("copy/default", func(b *testing.B) { benchMaterialize(b, s, Copy, 0) })
	b.Run("cp-al", func(b *testing.B) {
		if _, err := exec.LookPath("cp"); err != nil {
			b.Skip("no cp")
		}
		var cpu time.Duration
		defer func() { b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op") }()
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			dst := filepath.Join(s.root, fmt.Sprint("cp", i))
			b.StartTimer()
			before := cpuTime(syscall.RUSAGE_CHILDREN)
			if out, err := exec.Command("cp", "-al", s.store, dst).CombinedOutput(); err != nil {
				b.Fatalf("cp -al: %v: %s", err, out)
			}
			cpu += cpuTime(syscall.RUSAGE_CHILDREN) - before
			b.StopTimer()
			cleanupLater(dst)
			b.StartTimer()
		}
	})
}

func benchMaterialize(b *testing.B, s *benchStore, m Method, conc int) {
	var cpu time.Duration
	defer func() { b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op") }()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		dst := filepath.Join(s.root, fmt.Sprint("t", i))
		jobs := make([]Job, len(s.jobs))
		for j, job := range s.jobs {
			jobs[j] = Job{Src: job.Src, Dst: filepath.Join(dst, job.Dst), Copy: job.Copy}
		}
		b.StartTimer()
		before := cpuTime(syscall.RUSAGE_SELF)
		res, err := Materialize(context.Background(), jobs, Options{Method: m, Concurrency: conc})
		if err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime(syscall.RUSAGE_SELF) - before
		b.StopTimer()
		if res.Files != s.files {
			b.Fatalf("materialized %d files, want %d", res.Files, s.files)
		}
		cleanupLater(dst)
		b.StartTimer()
	}
}

// cpuTime is user+system CPU time: less sensitive than wall time to other
// load on a shared machine.
func cpuTime(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadBenchStore(b testing.TB) *benchStore {
	if tree := os.Getenv("LOCKSTEP_LINK_BENCH_TREE"); tree != "" {
		return realBenchStore(b, tree)
	}
	n := 400
	if v, err := strconv.Atoi(os.Getenv("LOCKSTEP_LINK_BENCH_PKGS")); err == nil && v > 0 {
		n = v
	}
	return syntheticBenchStore(b, n)
}

// syntheticBenchStore makes n packages with an npm-like spread of sizes
// (about 32 files and 4 directories per package on average, a few large
// ones), 1 in 4 of them nested under another.
func syntheticBenchStore(b testing.TB, n int) *benchStore {
	root := b.TempDir()
	s := &benchStore{root: root, store: filepath.Join(root, "store")}
	content := []byte(strings.Repeat("module.exports = function () { return 42 }\n", 40))
	for i := range n {
		files := 8 + (i*7919)%48 // 8..55
		if i%97 == 0 {
			files = 1500
		}
		src := filepath.Join(s.store, fmt.Sprint(i))
		for f := range files {
			dir := filepath.Join(src, fmt.Sprintf("d%d", f%5))
			if f%5 == 0 {
				dir = src
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d.js", f)), content[:(f*131)%len(content)], 0o644); err != nil {
				b.Fatal(err)
			}
		}
		dst := filepath.Join("node_modules", fmt.Sprintf("p%d", i))
		if i%4 == 3 {
			dst = filepath.Join("node_modules", fmt.Sprintf("p%d", i-1), "node_modules", fmt.Sprintf("p%d", i))
		}
		s.jobs = append(s.jobs, Job{Src: src, Dst: dst})
		s.files += files
	}
	return s
}

// realBenchStore turns an installed node_modules into a store, once: the
// store directory is kept next to the tree and reused by later runs.
func realBenchStore(b testing.TB, tree string) *benchStore {
	tree, err := filepath.Abs(tree)
	if err != nil {
		b.Fatal(err)
	}
	root := filepath.Join(filepath.Dir(tree), ".linkbench")
	s := &benchStore{root: root, store: filepath.Join(root, "store")}
	fresh := false
	if _, err := os.Stat(s.store); err != nil {
		fresh = true
	}
	// Targets of interrupted runs.
	if ents, err := os.ReadDir(root); err == nil {
		for _, e := range ents {
			if e.Name() != "store" {
				os.RemoveAll(filepath.Join(root, e.Name()))
			}
		}
	}
	var pkgs []string // relative to tree's parent, e.g. node_modules/a/node_modules/@s/b
	var walk func(nm string)
	walk = func(nm string) {
		ents, err := os.ReadDir(nm)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range ents {
			if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			p := filepath.Join(nm, e.Name())
			if strings.HasPrefix(e.Name(), "@") {
				walk(p)
				continue
			}
			rel, _ := filepath.Rel(filepath.Dir(tree), p)
			pkgs = append(pkgs, rel)
			if st, err := os.Stat(filepath.Join(p, "node_modules")); err == nil && st.IsDir() {
				walk(filepath.Join(p, "node_modules"))
			}
		}
	}
	walk(tree)
	for i, rel := range pkgs {
		src := filepath.Join(s.store, fmt.Sprint(i))
		n, err := storeCopy(filepath.Join(filepath.Dir(tree), rel), src, fresh)
		if err != nil {
			b.Fatal(err)
		}
		s.files += n
		s.jobs = append(s.jobs, Job{Src: src, Dst: rel})
	}
	return s
}

// storeCopy hardlinks pkg's files (not its node_modules) into dst when link
// is set, and counts them.
func storeCopy(pkg, dst string, link bool) (int, error) {
	n := 0
	err := filepath.WalkDir(pkg, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(pkg, p)
		if d.IsDir() {
			if rel == "node_modules" {
				return filepath.SkipDir
			}
			if link {
				return os.MkdirAll(filepath.Join(dst, rel), 0o755)
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil // npm's .bin links
		}
		n++
		if link {
			return os.Link(p, filepath.Join(dst, rel))
		}
		return nil
	})
	return n, err
}

var toRemove []string

func cleanupLater(dir string) { toRemove = append(toRemove, dir) }

func TestMain(m *testing.M) {
	if os.Getenv("LOCKSTEP_LINK_BENCH_TREE") != "" {
		fmt.Fprintf(os.Stderr, "GOMAXPROCS=%d\n", runtime.GOMAXPROCS(0))
	}
	code := m.Run()
	for _, d := range toRemove {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

// TestDrive materializes the benchmark store once, for strace/perf:
//
//	LOCKSTEP_LINK_DRIVE=hardlink:2 LOCKSTEP_LINK_BENCH_TREE=... go test -run TestDrive -v
func TestDrive(t *testing.T) {
	spec := os.Getenv("LOCKSTEP_LINK_DRIVE")
	if spec == "" {
		t.Skip("LOCKSTEP_LINK_DRIVE not set")
	}
	method, concStr, _ := strings.Cut(spec, ":")
	conc, _ := strconv.Atoi(concStr)
	m := map[string]Method{"hardlink": Hardlink, "copy": Copy, "reflink": Reflink}[method]
	s := loadBenchStore(t)
	dst := filepath.Join(s.root, "drive")
	jobs := make([]Job, len(s.jobs))
	for j, job := range s.jobs {
		jobs[j] = Job{Src: job.Src, Dst: filepath.Join(dst, job.Dst)}
	}
	start, cpu0 := time.Now(), cpuTime(syscall.RUSAGE_SELF)
	res, err := Materialize(context.Background(), jobs, Options{Method: m, Concurrency: conc})
	wall, cpu := time.Since(start), cpuTime(syscall.RUSAGE_SELF)-cpu0
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %+v in %v (cpu %v)", spec, res, wall, cpu)
	if os.Getenv("LOCKSTEP_LINK_DRIVE_KEEP") == "" {
		os.RemoveAll(dst)
	}
}
