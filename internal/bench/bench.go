package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Options configure Run.
type Options struct {
	Fixtures []string // dirs holding package.json + package-lock.json (+ .npmrc)
	Tools    []string // "lockstep", "npm", "pnpm", "bun"
	Phases   []string // "p1_resolve", "p3_cold_install", "p4_warm_link", "p0_full_cold"
	Runs     int      // runs per fixture; < 1 means 1
	Lockstep string   // path of the lockstep binary (needed when Tools has "lockstep")
	WorkDir  string   // scratch; required
	ToolsDir string   // where npm/pnpm/bun are installed on demand; default WorkDir/tools
	Registry string   // default https://registry.npmjs.org/
	Floor    bool     // also measure the network floors (p1 packuments, p3 tarballs) and the link floor (p4)
	Stdout   io.Writer
	Stderr   io.Writer

	// Versions of npm, pnpm, bun to install into ToolsDir ("latest" takes
	// whatever is installed or newest); missing entries use DefaultVersions.
	Versions map[string]string
	// Bins overrides how a tool is started (command prefix, e.g. {"/usr/bin/npm"});
	// a tool with an entry here is not installed into ToolsDir. For lockstep
	// it replaces Lockstep as the command (Lockstep must still be set).
	Bins map[string][]string
	// NPMInstallFixtures names fixtures (folder base names) where npm's p3/p4
	// run `npm install` instead of `npm ci`; nil means DefaultNPMInstallFixtures.
	NPMInstallFixtures []string
	// Timeout for one command; 0 means 20 minutes.
	Timeout time.Duration
	// Settle, when positive, syncs and waits this long after preparing a
	// run's starting state and before timing it (see settle).
	Settle time.Duration
	// MinFree is the free space in WorkDir below which a failed run stops
	// the benchmark (every later run would fail the same way); 0 means
	// DefaultMinFree, negative never stops.
	MinFree int64
}

// DefaultMinFree is Options.MinFree's default. A fixture's discarded trees
// stay in the work directory's trash until all its runs are done (see
// discard): the large fixture's five rounds hold about 15 GB.
const DefaultMinFree = 2e9

// Sample is one measured command (or, with Run 0, a combination that was
// skipped; Err says why).
type Sample struct {
	Tool     string `json:"tool"`
	Fixture  string `json:"fixture"`
	Phase    string `json:"phase"`
	Run      int    `json:"run"`
	WallMS   int64  `json:"wall_ms"`
	UserMS   int64  `json:"user_ms"`
	SysMS    int64  `json:"sys_ms"`
	MaxRSSKB int64  `json:"max_rss_kb"`
	ExitCode int    `json:"exit_code"`
	Err      string `json:"err,omitempty"`

	Version  string `json:"version,omitempty"`  // the tool's version
	Command  string `json:"command,omitempty"`  // what ran ($DIR, $CACHE, $REG for paths)
	Note     string `json:"note,omitempty"`     // caveat about how this tool ran on this fixture
	Packages int    `json:"packages,omitempty"` // real package dirs in node_modules afterwards
}

// OK reports whether the sample is a successful measurement.
func (s Sample) OK() bool { return s.Run > 0 && s.ExitCode == 0 && s.Err == "" }

// Skipped reports whether the sample only records a skipped combination.
func (s Sample) Skipped() bool { return s.Run == 0 }

type fixture struct {
	name string
	dir  string
	// lockfiles maps a tool to the lockfile it installs from (p3/p4).
	lockfiles map[string]string
	// notes maps a tool to how its lockfile or command differs on this fixture.
	notes map[string]string
	// skip maps a tool to why its p3/p4 cannot run on this fixture.
	skip map[string]string
}

type bencher struct {
	o        Options
	env      []string
	bins     map[string][]string
	versions map[string]string
	samples  []Sample
	// warm records (fixture, tool) whose cache holds a complete p3 install.
	warm map[[2]string]bool
	// skipPhase records (tool, phase) combinations that cannot run, and why.
	skipPhase map[[2]string]string
	// trashed counts what discard moved to the trash (unique names).
	trashed int
	// dropFailed is set once dropDentries has said it cannot drop.
	dropFailed bool
	// drop lists the discarded caches whose pages the next settle drops
	// from the page cache (see dropPageCache).
	drop []string
}

// Run measures every (fixture, run, phase, tool) combination of o and returns
// the samples in the order they were taken. Failures of single commands are
// recorded in the samples; an error is returned only when the benchmark
// cannot start (bad options, tools that cannot be installed, unreadable
// fixtures) or ctx ends.
func Run(ctx context.Context, o Options) ([]Sample, error) {
	if err := o.normalize(); err != nil {
		return nil, err
	}
	b := &bencher{o: o, env: baseEnv(), warm: map[[2]string]bool{}, skipPhase: map[[2]string]string{}}
	for _, d := range []string{"logs", "proj", "cache", "lockfiles", "floor", "trash"} {
		if err := os.MkdirAll(filepath.Join(o.WorkDir, d), 0o755); err != nil {
			return nil, fmt.Errorf("failed to create work dir %q: %w", o.WorkDir, err)
		}
	}
	bins, err := ensureTools(ctx, &b.o, b.env)
	if err != nil {
		return nil, err
	}
	b.bins = bins
	b.versions = map[string]string{}
	for _, t := range o.Tools {
		b.versions[t] = toolVersion(ctx, t, bins[t], b.env)
		fmt.Fprintf(o.Stdout, "bench: %s %s\n", t, b.versions[t])
	}
	if slices.Contains(o.Tools, ToolLockstep) {
		b.probeLockstep(ctx)
	}

	fixtures, err := b.loadFixtures()
	if err != nil {
		return nil, err
	}
	for i, fx := range fixtures {
		b.dropDentries()
		b.setupLockfiles(ctx, fx)
		for _, ph := range o.Phases {
			for _, t := range o.Tools {
				why := b.skipPhase[[2]string{t, ph}]
				if why == "" && (ph == PhaseCold || ph == PhaseWarm) {
					why = fx.skip[t]
				}
				if why != "" {
					b.samples = append(b.samples, Sample{Tool: t, Fixture: fx.name, Phase: ph, ExitCode: -1,
						Err: "skipped: " + why, Version: b.versions[t]})
				}
			}
		}
		for r := 1; r <= o.Runs; r++ {
			for _, ph := range o.Phases {
				tools := rotate(o.Tools, r-1)
				for _, t := range tools {
					if err := ctx.Err(); err != nil {
						return b.samples, fmt.Errorf("failed to finish benchmark: %w", err)
					}
					if fx.skip[t] != "" && (ph == PhaseCold || ph == PhaseWarm) {
						continue
					}
					if b.skipPhase[[2]string{t, ph}] != "" {
						continue
					}
					s := b.runOne(ctx, fx, t, ph, r)
					b.samples = append(b.samples, s)
					b.progress(s)
					if err := b.checkSpace(s); err != nil {
						return b.samples, err
					}
				}
				if o.Floor {
					for _, s := range b.floors(ctx, fx, ph, r) {
						b.samples = append(b.samples, s)
						b.progress(s)
						if err := b.checkSpace(s); err != nil {
							return b.samples, err
						}
					}
				}
			}
		}
		if err := b.purge(ctx, i < len(fixtures)-1); err != nil {
			return b.samples, fmt.Errorf("failed to finish benchmark: %w", err)
		}
	}
	return b.samples, ctx.Err()
}

// checkSpace stops the benchmark after a failed sample when the work
// directory's file system has less than MinFree left: a full disk fails
// every later run too, and their rows would only hide the cause.
func (b *bencher) checkSpace(s Sample) error {
	if s.OK() || b.o.MinFree < 0 {
		return nil
	}
	var st unix.Statfs_t
	if err := unix.Statfs(b.o.WorkDir, &st); err != nil {
		return nil
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	if free >= b.o.MinFree {
		return nil
	}
	return fmt.Errorf("failed to finish benchmark: %s %s %s r%d failed with %.1f GB free in %q (below %.1f GB); "+
		"a fixture's runs keep their trees in the work directory until the fixture is done: free some space and run again",
		s.Fixture, s.Phase, s.Tool, s.Run, float64(free)/1e9, b.o.WorkDir, float64(b.o.MinFree)/1e9)
}

// discard moves path, if it exists, into the work directory's trash
// instead of deleting it: nothing is deleted between timed runs (see
// settle), only by purge once a fixture's runs are done.
func (b *bencher) discard(path string) error {
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	b.trashed++
	dst := filepath.Join(b.o.WorkDir, "trash", fmt.Sprintf("%d-%s", b.trashed, filepath.Base(path)))
	if err := os.Rename(path, dst); err != nil {
		return fmt.Errorf("failed to move %q out of the way: %w", path, err)
	}
	if rel, err := filepath.Rel(filepath.Join(b.o.WorkDir, "cache"), path); err == nil && filepath.IsLocal(rel) {
		b.drop = append(b.drop, dst)
	}
	return nil
}

// purge deletes the trash and, with Settle set and more timed runs to
// come (more), syncs and waits out ext4's memory of the deleted inodes
// (60 s; see settle) before the next timed run.
func (b *bencher) purge(ctx context.Context, more bool) error {
	trash := filepath.Join(b.o.WorkDir, "trash")
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("failed to empty %q: %w", trash, err)
	}
	if err := os.MkdirAll(trash, 0o755); err != nil {
		return fmt.Errorf("failed to create %q: %w", trash, err)
	}
	if b.o.Settle <= 0 || !more {
		return nil
	}
	fmt.Fprintf(b.o.Stdout, "bench: emptied the trash; waiting %v before the next timed run\n", max(b.o.Settle, purgeWait).Round(time.Second))
	return settle(ctx, max(b.o.Settle, purgeWait), nil)
}

// purgeWait is how long ext4 without a journal remembers deleted inodes
// (60 s), with a margin.
const purgeWait = 65 * time.Second

func (o *Options) normalize() error {
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.MinFree == 0 {
		o.MinFree = DefaultMinFree
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	if len(o.Fixtures) == 0 {
		return errors.New("failed to start benchmark: no fixtures")
	}
	if len(o.Tools) == 0 {
		return errors.New("failed to start benchmark: no tools")
	}
	for _, t := range o.Tools {
		switch t {
		case ToolLockstep, ToolNPM, ToolPNPM, ToolBun:
		default:
			return fmt.Errorf("failed to start benchmark: unknown tool %q (want lockstep, npm, pnpm, bun)", t)
		}
	}
	if slices.Contains(o.Tools, ToolLockstep) {
		if o.Lockstep == "" {
			return errors.New("failed to start benchmark: tool \"lockstep\" needs the path of the lockstep binary")
		}
		abs, err := filepath.Abs(o.Lockstep)
		if err != nil {
			return fmt.Errorf("failed to resolve lockstep path %q: %w", o.Lockstep, err)
		}
		o.Lockstep = abs
	}
	if len(o.Phases) == 0 {
		return errors.New("failed to start benchmark: no phases")
	}
	for _, p := range o.Phases {
		if !slices.Contains(phaseOrder, p) {
			return fmt.Errorf("failed to start benchmark: unknown phase %q (want %s)", p, strings.Join(phaseOrder, ", "))
		}
	}
	// Run phases in the canonical order, each once.
	var phases []string
	for _, p := range phaseOrder {
		if slices.Contains(o.Phases, p) {
			phases = append(phases, p)
		}
	}
	o.Phases = phases
	if o.Runs < 1 {
		o.Runs = 1
	}
	if o.WorkDir == "" {
		return errors.New("failed to start benchmark: no work dir")
	}
	abs, err := filepath.Abs(o.WorkDir)
	if err != nil {
		return fmt.Errorf("failed to resolve work dir %q: %w", o.WorkDir, err)
	}
	o.WorkDir = abs
	if o.ToolsDir == "" {
		o.ToolsDir = filepath.Join(o.WorkDir, "tools")
	}
	if o.ToolsDir, err = filepath.Abs(o.ToolsDir); err != nil {
		return fmt.Errorf("failed to resolve tools dir %q: %w", o.ToolsDir, err)
	}
	if o.Registry == "" {
		o.Registry = "https://registry.npmjs.org/"
	}
	if o.NPMInstallFixtures == nil {
		o.NPMInstallFixtures = DefaultNPMInstallFixtures
	}
	if o.Timeout <= 0 {
		o.Timeout = 20 * time.Minute
	}
	return nil
}

// rotate returns xs shifted left by k.
func rotate(xs []string, k int) []string {
	if len(xs) == 0 {
		return nil
	}
	k %= len(xs)
	return append(append([]string{}, xs[k:]...), xs[:k]...)
}

// probeLockstep skips the lockstep phases whose subcommand the binary does
// not know yet.
func (b *bencher) probeLockstep(ctx context.Context) {
	subs := map[string]string{PhaseCold: "ci", PhaseWarm: "ci", PhaseResolve: "resolve", PhaseFullCold: "install"}
	for _, ph := range b.o.Phases {
		sub := subs[ph]
		out, _, _ := runQuiet(ctx, []string{b.o.Lockstep, sub, "--help"}, os.TempDir(), b.env, 30*time.Second)
		if strings.Contains(strings.ToLower(out), "unknown command") {
			why := fmt.Sprintf("lockstep has no %q command yet", sub)
			b.skipPhase[[2]string{ToolLockstep, ph}] = why
			fmt.Fprintf(b.o.Stderr, "bench: skipping lockstep %s: %s\n", ph, why)
		}
	}
}

func (b *bencher) loadFixtures() ([]*fixture, error) {
	var fxs []*fixture
	names := map[string]int{}
	for _, d := range b.o.Fixtures {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, fmt.Errorf("failed to resolve fixture %q: %w", d, err)
		}
		for _, f := range []string{"package.json", "package-lock.json"} {
			if _, err := os.Stat(filepath.Join(abs, f)); err != nil {
				return nil, fmt.Errorf("failed to read fixture %q: %w", d, err)
			}
		}
		name := filepath.Base(abs)
		names[name]++
		if names[name] > 1 {
			name = fmt.Sprintf("%s-%d", name, names[name])
		}
		fx := &fixture{name: name, dir: abs, lockfiles: map[string]string{}, notes: map[string]string{}, skip: map[string]string{}}
		fx.lockfiles[ToolNPM] = filepath.Join(abs, "package-lock.json")
		fx.lockfiles[ToolLockstep] = filepath.Join(abs, "package-lock.json")
		if slices.Contains(b.o.NPMInstallFixtures, filepath.Base(abs)) {
			fx.notes[ToolNPM] = "p3/p4 ran `npm install` with the lockfile present, not `npm ci` (npm ci refused this fixture's lockfile on this registry, anchors.md note 2)"
		}
		fxs = append(fxs, fx)
	}
	return fxs, nil
}

// projectFiles are copied from a fixture into every project dir.
var projectFiles = []string{"package.json", ".npmrc"}

// setupLockfiles generates pnpm's and bun's lockfiles for fx (untimed), kept
// under WorkDir/lockfiles/<fixture>/<tool> and reused while package.json,
// .npmrc and the tool's version are unchanged.
func (b *bencher) setupLockfiles(ctx context.Context, fx *fixture) {
	if !slices.Contains(b.o.Phases, PhaseCold) && !slices.Contains(b.o.Phases, PhaseWarm) {
		return
	}
	for _, t := range b.o.Tools {
		if t != ToolPNPM && t != ToolBun {
			continue
		}
		dir := filepath.Join(b.o.WorkDir, "lockfiles", fx.name, t)
		lock := filepath.Join(dir, lockfileName(t))
		stampFile := filepath.Join(dir, "stamp")
		stamp := b.stamp(fx, t)
		if old, err := os.ReadFile(stampFile); err == nil && string(old) == stamp {
			if _, err := os.Stat(lock); err == nil {
				fx.lockfiles[t] = lock
				fx.notes[t] = fmt.Sprintf("%s generated by `%s install --lockfile-only` in setup (reused)", lockfileName(t), t)
				continue
			}
		}
		cache := filepath.Join(dir, ".cache")
		if err := b.freshProject(fx, dir, ""); err != nil {
			fx.skip[t] = err.Error()
			continue
		}
		_ = os.MkdirAll(cache, 0o755)
		cmd, err := commandFor(t, PhaseResolve, b.bins[t], dir, cache, b.o.Registry, false)
		if err != nil {
			fx.skip[t] = err.Error()
			continue
		}
		logPath := filepath.Join(b.o.WorkDir, "logs", fmt.Sprintf("%s.%s.setup-lockfile.log", fx.name, t))
		fmt.Fprintf(b.o.Stdout, "bench: %s: generating %s with %s\n", fx.name, lockfileName(t), cmd.Display)
		m := measure(ctx, cmd.Argv, dir, append(append([]string{}, b.env...), cmd.Env...), logPath, b.o.Timeout)
		_ = b.discard(cache)
		if m.Err != "" {
			fx.skip[t] = fmt.Sprintf("failed to generate %s: %s", lockfileName(t), m.Err)
			fmt.Fprintf(b.o.Stderr, "bench: %s: %s\n", fx.name, fx.skip[t])
			continue
		}
		if _, err := os.Stat(lock); err != nil {
			fx.skip[t] = fmt.Sprintf("failed to generate %s: %s wrote no lockfile", lockfileName(t), t)
			fmt.Fprintf(b.o.Stderr, "bench: %s: %s\n", fx.name, fx.skip[t])
			continue
		}
		_ = os.WriteFile(stampFile, []byte(stamp), 0o644)
		fx.lockfiles[t] = lock
		fx.notes[t] = fmt.Sprintf("%s generated by `%s install --lockfile-only` in setup (%.1f s)", lockfileName(t), t, m.Wall.Seconds())
	}
}

// stamp identifies the inputs of a generated lockfile.
func (b *bencher) stamp(fx *fixture, tool string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %s %s\n", tool, b.versions[tool], b.o.Registry)
	for _, f := range projectFiles {
		data, _ := os.ReadFile(filepath.Join(fx.dir, f))
		fmt.Fprintf(&sb, "%s %d %x\n", f, len(data), fnv64(data))
	}
	return sb.String()
}

func fnv64(data []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range data {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// freshProject makes dir an empty folder holding the fixture's project files
// and, if lockfile is not empty, a copy of it.
func (b *bencher) freshProject(fx *fixture, dir, lockfile string) error {
	if err := b.emptyDir(dir); err != nil {
		return err
	}
	for _, f := range projectFiles {
		err := copyFile(filepath.Join(fx.dir, f), filepath.Join(dir, f))
		if err != nil && !(f == ".npmrc" && errors.Is(err, fs.ErrNotExist)) {
			return err
		}
	}
	if lockfile != "" {
		if err := copyFile(lockfile, filepath.Join(dir, filepath.Base(lockfile))); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("failed to read %q: %w", src, err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		return fmt.Errorf("failed to write %q: %w", dst, err)
	}
	return nil
}

// emptyDir moves dir to the trash and creates it again.
func (b *bencher) emptyDir(dir string) error {
	if err := b.discard(dir); err != nil {
		return fmt.Errorf("failed to clear %q: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("failed to create %q: %w", dir, err)
	}
	return nil
}

func (b *bencher) projDir(fx *fixture, tool string) string {
	return filepath.Join(b.o.WorkDir, "proj", fx.name, tool)
}

func (b *bencher) cacheDir(fx *fixture, tool string) string {
	return filepath.Join(b.o.WorkDir, "cache", fx.name, tool)
}

// runOne prepares the starting state of phase for tool and measures it.
func (b *bencher) runOne(ctx context.Context, fx *fixture, tool, phase string, run int) Sample {
	s := Sample{Tool: tool, Fixture: fx.name, Phase: phase, Run: run, ExitCode: -1, Version: b.versions[tool], Note: fx.notes[tool]}
	key := [2]string{fx.name, tool}
	if phase == PhaseWarm && !b.warm[key] {
		// The cache must be left warm by a p3 of this tool: run one, untimed.
		w := b.execute(ctx, fx, tool, PhaseCold, run, "warmup")
		if !w.OK() {
			s.Err = "warm-up p3 failed: " + w.Err
			return s
		}
	}
	r := b.execute(ctx, fx, tool, phase, run, "")
	r.Note = s.Note
	return r
}

// execute prepares and runs one command; tag marks untimed helper runs in
// the log name.
func (b *bencher) execute(ctx context.Context, fx *fixture, tool, phase string, run int, tag string) Sample {
	s := Sample{Tool: tool, Fixture: fx.name, Phase: phase, Run: run, ExitCode: -1, Version: b.versions[tool]}
	key := [2]string{fx.name, tool}
	dir, cache := b.projDir(fx, tool), b.cacheDir(fx, tool)
	lock := ""
	if phase == PhaseCold || phase == PhaseWarm {
		lock = fx.lockfiles[tool]
	}
	if err := b.freshProject(fx, dir, lock); err != nil {
		s.Err = err.Error()
		return s
	}
	if phase != PhaseWarm {
		b.warm[key] = false
		if err := b.emptyDir(cache); err != nil {
			s.Err = err.Error()
			return s
		}
	}
	cmd, err := commandFor(tool, phase, b.bins[tool], dir, cache, b.o.Registry,
		tool == ToolNPM && slices.Contains(b.o.NPMInstallFixtures, filepath.Base(fx.dir)))
	if err != nil {
		s.Err = err.Error()
		return s
	}
	s.Command = cmd.Display
	name := fmt.Sprintf("%s.%s.%s.r%d", fx.name, tool, phase, run)
	if tag != "" {
		name += "." + tag
	}
	logPath := filepath.Join(b.o.WorkDir, "logs", name+".log")
	_ = os.Remove(logPath)
	if err := b.settle(ctx); err != nil {
		s.Err = err.Error()
		return s
	}
	m := measure(ctx, cmd.Argv, dir, append(append([]string{}, b.env...), cmd.Env...), logPath, b.o.Timeout)
	s.WallMS, s.UserMS, s.SysMS = m.Wall.Milliseconds(), m.User.Milliseconds(), m.Sys.Milliseconds()
	s.MaxRSSKB, s.ExitCode, s.Err = m.MaxRSSKB, m.ExitCode, m.Err
	if s.Err == "" {
		if phase == PhaseResolve {
			if _, err := os.Stat(filepath.Join(dir, lockfileName(tool))); err != nil {
				s.Err = fmt.Sprintf("%s missing after exit 0", lockfileName(tool))
			}
		} else if st, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil || !st.IsDir() {
			s.Err = "node_modules missing after exit 0"
		} else {
			s.Packages = countPackages(filepath.Join(dir, "node_modules"))
		}
	}
	if s.Err != "" {
		fmt.Fprintf(b.o.Stderr, "bench: %s failed: %s (log: %s)\n", name, s.Err, logPath)
	} else if phase == PhaseCold {
		b.warm[key] = true
	}
	return s
}

func (b *bencher) progress(s Sample) {
	status := "ok"
	if !s.OK() {
		status = "FAILED"
	}
	fmt.Fprintf(b.o.Stdout, "bench: %s r%d %s %-12s wall %6.2fs  user %6.2fs  sys %6.2fs  rss %5d MB  %s\n",
		s.Fixture, s.Run, s.Phase, s.Tool, float64(s.WallMS)/1000, float64(s.UserMS)/1000,
		float64(s.SysMS)/1000, s.MaxRSSKB/1024, status)
}

// countPackages counts real (non-symlink) package folders holding a
// package.json under a node_modules tree, nested ones and pnpm's
// .pnpm/<id>/node_modules/<name> copies included.
func countPackages(nm string) int {
	n := 0
	entries, err := os.ReadDir(nm)
	if err != nil {
		return 0
	}
	var visit func(dir string)
	visit = func(dir string) {
		if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() {
			return
		}
		if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
			return
		}
		n++
		n += countPackages(filepath.Join(dir, "node_modules"))
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case name == ".pnpm":
			ids, _ := os.ReadDir(filepath.Join(nm, name))
			for _, id := range ids {
				if id.IsDir() {
					n += countPackages(filepath.Join(nm, name, id.Name(), "node_modules"))
				}
			}
		case strings.HasPrefix(name, "."):
		case strings.HasPrefix(name, "@"):
			scoped, _ := os.ReadDir(filepath.Join(nm, name))
			for _, sc := range scoped {
				visit(filepath.Join(nm, name, sc.Name()))
			}
		default:
			visit(filepath.Join(nm, name))
		}
	}
	return n
}

// floors measures the floors of phase on fx: p1 → one curl fetching the
// closure's packuments; p3 → one curl fetching the lockfile's tarballs;
// p4 → `cp -al` of an installed node_modules, by one process and by one
// per core.
func (b *bencher) floors(ctx context.Context, fx *fixture, phase string, run int) []Sample {
	var out []Sample
	if s, ok := b.floor(ctx, fx, phase, run, 1); ok {
		out = append(out, s)
	}
	if phase == PhaseWarm && runtime.NumCPU() > 1 {
		if s, ok := b.floor(ctx, fx, phase, run, runtime.NumCPU()); ok {
			out = append(out, s)
		}
	}
	return out
}

// parLinkScript hard-links node_modules ($1) into a new directory ($2)
// with one `cp -al` pipeline per list of top-level entries ($3...), run
// at the same time; it fails if any does.
const parLinkScript = `src=$1; dst=$2; shift 2; mkdir -- "$dst" || exit 1; cd -- "$src" || exit 1; pids=
for l in "$@"; do xargs -0 -a "$l" cp -al -t "$dst" -- & pids="$pids $!"; done
s=0; for p in $pids; do wait "$p" || s=1; done; exit $s`

// splitEntries divides the top-level entries of nm into n lists of about
// the same number of files (largest first, each to the lightest list).
func splitEntries(nm string, n int) ([][]string, error) {
	entries, err := os.ReadDir(nm)
	if err != nil {
		return nil, err
	}
	type sized struct {
		name  string
		files int
	}
	var all []sized
	for _, e := range entries {
		files := 0
		filepath.WalkDir(filepath.Join(nm, e.Name()), func(_ string, d fs.DirEntry, err error) error {
			if err == nil {
				files++
			}
			return nil
		})
		all = append(all, sized{e.Name(), files})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].files > all[j].files })
	lists := make([][]string, n)
	load := make([]int, n)
	for _, e := range all {
		k := 0
		for i := range load {
			if load[i] < load[k] {
				k = i
			}
		}
		lists[k] = append(lists[k], e.name)
		load[k] += e.files
	}
	return lists, nil
}

// floor measures one floor of phase on fx, if it has one; workers is the
// number of `cp -al` processes of the p4 floor.
func (b *bencher) floor(ctx context.Context, fx *fixture, phase string, run, workers int) (Sample, bool) {
	dir := filepath.Join(b.o.WorkDir, "floor", fx.name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Sample{}, false
	}
	var s Sample
	var argv []string
	switch phase {
	case PhaseResolve, PhaseCold:
		// One curl fetching, all at once, what the phase downloads: the
		// packuments a resolve needs (p1) or the tarballs (p3).
		s = Sample{Tool: FloorCurl, Fixture: fx.name, Phase: phase, Run: run, ExitCode: -1}
		data, err := os.ReadFile(filepath.Join(fx.dir, "package-lock.json"))
		if err != nil {
			s.Err = fmt.Sprintf("failed to read lockfile: %v", err)
			return s, true
		}
		file, what, headers := "tarballs.curlrc", "tarball URLs of package-lock.json (os/cpu/libc filtered for linux-x64-glibc)", []string(nil)
		var urls []string
		if phase == PhaseResolve {
			file, what, headers = "packuments.curlrc", "packuments a resolve of package-lock.json's closure needs, all at once (no dependency chain),", []string{"Accept: application/json"}
			urls, err = packumentURLs(data, b.o.Registry)
		} else {
			urls, err = tarballURLs(data, b.o.Registry, linuxX64)
		}
		if err != nil {
			s.Err = err.Error()
			return s, true
		}
		cfg := filepath.Join(dir, file)
		if err := writeCurlConfig(cfg, urls, headers...); err != nil {
			s.Err = err.Error()
			return s, true
		}
		argv = curlFloorArgv(cfg)
		if f := strings.Fields(toolVersion(ctx, "curl", []string{"curl"}, b.env)); len(f) > 1 {
			s.Version = f[1] // "curl 7.88.1 (x86_64-pc-linux-gnu) ..."
		}
		s.Command = "curl --parallel --parallel-max 64 -K " + file
		s.Note = fmt.Sprintf("one curl process fetching the %d %s to /dev/null", len(urls), what)
		s.Packages = len(urls)
	case PhaseWarm:
		s = Sample{Tool: FloorCpAl, Fixture: fx.name, Phase: phase, Run: run, ExitCode: -1}
		src := ""
		for _, t := range []string{ToolNPM, ToolLockstep, ToolBun, ToolPNPM} {
			nm := filepath.Join(b.projDir(fx, t), "node_modules")
			if st, err := os.Stat(nm); err == nil && st.IsDir() && slices.Contains(b.o.Tools, t) {
				src = nm
				s.Note = fmt.Sprintf("one single-threaded `cp -al` of %s's installed node_modules", t)
				break
			}
		}
		if src == "" {
			s.Run = 0
			s.Err = "skipped: no installed node_modules to copy"
			return s, true
		}
		dst := filepath.Join(dir, "node_modules")
		if err := b.discard(dst); err != nil {
			s.Err = err.Error()
			return s, true
		}
		defer b.discard(dst)
		argv = []string{"cp", "-al", src, dst}
		s.Command = "cp -al node_modules $DIR/node_modules"
		s.Packages = countPackages(src)
		if workers > 1 {
			s.Tool = FloorCpAlPar
			lists, err := splitEntries(src, workers)
			if err != nil {
				s.Err = err.Error()
				return s, true
			}
			argv = []string{"sh", "-c", parLinkScript, "sh", src, dst}
			for i, l := range lists {
				f := filepath.Join(dir, fmt.Sprintf("entries-%d.lst", i))
				var buf []byte
				for _, name := range l {
					buf = append(append(buf, name...), 0)
				}
				if err := os.WriteFile(f, buf, 0o644); err != nil {
					s.Err = err.Error()
					return s, true
				}
				argv = append(argv, f)
			}
			s.Note = strings.Replace(s.Note, "one single-threaded `cp -al`", fmt.Sprintf("%d `cp -al` processes at once (one per core, top-level entries split by file count)", workers), 1)
			s.Command = fmt.Sprintf("%d × (xargs -0 -a entries-N.lst cp -al -t $DIR/node_modules) in parallel", workers)
		}
	default:
		return Sample{}, false
	}
	logPath := filepath.Join(b.o.WorkDir, "logs", fmt.Sprintf("%s.%s.%s.r%d.log", fx.name, strings.ReplaceAll(s.Tool, ":", "-"), phase, run))
	_ = os.Remove(logPath)
	if err := b.settle(ctx); err != nil {
		s.Err = err.Error()
		return s, true
	}
	m := measure(ctx, argv, dir, b.env, logPath, b.o.Timeout)
	s.WallMS, s.UserMS, s.SysMS = m.Wall.Milliseconds(), m.User.Milliseconds(), m.Sys.Milliseconds()
	s.MaxRSSKB, s.ExitCode, s.Err = m.MaxRSSKB, m.ExitCode, m.Err
	if phase == PhaseWarm && s.Err == "" {
		// The copy must be whole for its time to count.
		if got := countPackages(filepath.Join(dir, "node_modules")); got != s.Packages {
			s.Err = fmt.Sprintf("the copy has %d packages, node_modules %d", got, s.Packages)
		}
	}
	return s, true
}

// settle prepares a timed command with Settle set: it syncs, drops what
// the discarded caches hold from the page cache, and waits.
func (b *bencher) settle(ctx context.Context) error {
	if b.o.Settle <= 0 {
		return nil
	}
	err := settle(ctx, b.o.Settle, b.drop)
	b.drop = b.drop[:0]
	return err
}

// settle flushes dirty data, drops from the page cache what the trees in
// drop hold (see dropPageCache), and waits d before a timed command, so that
// no tool pays for the previous one's writes and deletions: ext4 without a
// journal scans past inodes deleted in the last 60 s (300 s more while their
// inode table block is dirty) on every allocation. That is why runs do not
// delete: what a run leaves goes to the trash (discard), emptied once per
// fixture (purge).
func settle(ctx context.Context, d time.Duration, drop []string) error {
	if d <= 0 {
		return nil
	}
	syscall.Sync()
	dropPageCache(drop) // after the sync: dirty pages cannot be dropped
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
