package scripts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// DefaultGypInstallScript is the install script npm gives a package that has
// a binding.gyp but no install or preinstall script.
const DefaultGypInstallScript = "node-gyp rebuild"

// DependencyEvents are the lifecycle events run for dependencies, in order.
// Bins are linked between the first and the second.
var DependencyEvents = []string{"preinstall", "install", "postinstall"}

// RootEvents are the root project's events `npm ci` runs after reify, in
// order (npm 11 lib/commands/ci.js).
var RootEvents = []string{"preinstall", "install", "postinstall", "prepublish", "preprepare", "prepare", "postprepare"}

// Package is one installed package whose lifecycle scripts may run.
type Package struct {
	Path    string // lockfile key ("node_modules/a/node_modules/b"), "" for the root
	Dir     string // absolute package directory; default ProjectDir/Path
	Name    string // npm_package_name; filled from package.json when read
	Version string // npm_package_version; filled from package.json when read

	// Scripts are the package.json scripts. nil means "read them from
	// Dir/package.json", which is what npm does for lockfile entries with
	// hasInstallScript; pass an empty non-nil map for packages the lockfile
	// says have none (binding.gyp is still checked, as npm does).
	Scripts map[string]string
	// NoGypfile is package.json's `"gypfile": false` (read from disk when
	// Scripts is nil): it turns off the implicit "node-gyp rebuild".
	NoGypfile bool
	// Link marks a link's target (workspace, file: folder). arborist loses
	// a link's implicit "node-gyp rebuild" when its package.json has no
	// "scripts" object at all (it is set on a scripts object it then
	// drops), so Run does the same when it reads package.json.
	Link bool

	// Lockfile flags and fields, exported as npm_package_* like arborist.
	Optional, Dev, Peer, DevOptional bool
	Resolved, Integrity              string
	Engines                          map[string]string // npm_package_engines_*
	Bin                              map[string]string // npm_package_bin_*; normalized {name: path}
}

// Runner runs lifecycle scripts. The zero value works for a project in the
// current directory; set ProjectDir.
type Runner struct {
	ProjectDir string // absolute project root: INIT_CWD, npm_config_local_prefix, root Dir

	// Environ is the scripts' base environment (default os.Environ).
	Environ func() []string
	// Getenv looks up PATH, npm_config_node_gyp, GITHUB_ACTIONS... to find
	// tools (default: a lookup in Environ()).
	Getenv func(string) string
	// Env is added on top of the base environment, e.g. npm_config_* values
	// from .npmrc that npm would export.
	Env map[string]string

	Stdout, Stderr io.Writer // default io.Discard

	Concurrency int    // scripts per phase at once; default max(1, NumCPU-1)
	Foreground  bool   // foreground-scripts: one at a time, output printed live
	ScriptShell string // default "sh"
	NodeGyp     string // path to node-gyp.js; default see package doc
	Command     string // npm_command; default "ci"
	UserAgent   string // npm_config_user_agent; default npm's shape

	// IgnoreScripts makes Run only call linkBins.
	IgnoreScripts bool

	// OptionalFailed, if set, is called when a script of an optional package
	// fails. It returns further lockfile paths that go away with it (npm's
	// optionalSet); their scripts are skipped in later phases too. It may be
	// called from several goroutines at once.
	OptionalFailed func(pkg Package, err *ScriptError) []string
}

// Result reports what Run did.
type Result struct {
	Ran int // scripts started (dependencies and root)
	// FailedOptional are the lockfile paths of optional packages whose
	// script failed, in the order they failed. Like arborist, the caller
	// should remove them (and what only they needed) from node_modules.
	FailedOptional []string
	OptionalErrors []*ScriptError // the failures behind FailedOptional
}

// ScriptError is a failed lifecycle script.
type ScriptError struct {
	Event    string
	Package  string // name@version, or the path when unnamed
	Path     string // lockfile key
	Dir      string
	Script   string
	ExitCode int    // -1 when killed by a signal or not started
	Signal   string // e.g. "SIGKILL"
	Output   string // captured stdout and stderr (tail); empty in foreground
	Err      error  // why the script could not start, if it did not
}

const errTailLines = 20

func (e *ScriptError) Error() string {
	head := fmt.Sprintf("failed to run %q script of %q", e.Event, e.Package)
	if e.Err != nil {
		return head + ": " + e.Err.Error()
	}
	status := fmt.Sprintf("exit code %d", e.ExitCode)
	if e.Signal != "" {
		status = "signal " + e.Signal
	}
	if tail := lastLines(e.Output, errTailLines); tail != "" {
		return fmt.Sprintf("%s (%s): %s", head, status, tail)
	}
	return fmt.Sprintf("%s (%s)", head, status)
}

func (e *ScriptError) Unwrap() error { return e.Err }

func lastLines(s string, n int) string {
	s = strings.TrimRight(s, "\r\n\t ")
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// job is a package prepared for running.
type job struct {
	pkg     Package
	scripts map[string]string
	id      string
	depth   int
	sortKey string
	root    *manifest // root only: package.json as read
}

func (r *Runner) environ() []string {
	if r.Environ != nil {
		return r.Environ()
	}
	return os.Environ()
}

func (r *Runner) getenv() func(string) string {
	if r.Getenv != nil {
		return r.Getenv
	}
	m := envMap(r.environ())
	return func(k string) string { return m[k] }
}

func (r *Runner) limit() int {
	if r.Foreground {
		return 1
	}
	if r.Concurrency > 0 {
		return r.Concurrency
	}
	return max(1, runtime.NumCPU()-1)
}

func (r *Runner) stdout() io.Writer {
	if r.Stdout == nil {
		return io.Discard
	}
	return r.Stdout
}

func (r *Runner) stderr() io.Writer {
	if r.Stderr == nil {
		return io.Discard
	}
	return r.Stderr
}

// depthOf counts the node_modules hops in a lockfile path, like arborist's
// node.depth.
func depthOf(path string) int {
	n := 0
	for _, seg := range strings.Split(filepath.ToSlash(path), "/") {
		if seg == "node_modules" {
			n++
		}
	}
	return n
}

func pkgID(name, version, path string) string {
	switch {
	case name != "" && version != "":
		return name + "@" + version
	case name != "":
		return name
	case path != "":
		return path
	}
	return "(root)"
}

// prepare resolves each dependency's scripts, reading package.json where
// Scripts is nil and adding the implicit node-gyp install script, and
// returns the jobs in arborist's (depth, path) order.
func (r *Runner) prepare(deps []Package) []*job {
	jobs := make([]*job, len(deps))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range deps {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			jobs[i] = r.prepareOne(deps[i])
		}(i)
	}
	wg.Wait()
	sortJobs(jobs)
	return jobs
}

// gypRule is npm's implicit install script: a package with a binding.gyp
// file in dir, no install and no preinstall script and not
// `"gypfile": false` gets DefaultGypInstallScript.
func gypRule(scripts map[string]string, noGypfile bool, dir string) bool {
	return scripts["install"] == "" && scripts["preinstall"] == "" && !noGypfile && isFile(filepath.Join(dir, "binding.gyp"))
}

// NeedsGypBuild reports whether the package in dir gets npm's implicit
// "node-gyp rebuild" install script (gypRule, from its package.json; a
// link only when that has a "scripts" object, as for Package.Link). The
// binding.gyp check comes first: packages without one cost a stat.
func NeedsGypBuild(dir string, link bool) bool {
	if !isFile(filepath.Join(dir, "binding.gyp")) {
		return false
	}
	m, err := readManifest(dir)
	if err != nil {
		return !link // npm ignores an unreadable package.json: no scripts
	}
	if _, hasScripts := m.raw["scripts"].(map[string]any); link && !hasScripts {
		return false
	}
	return gypRule(m.Scripts, m.Gypfile != nil && !*m.Gypfile, dir)
}

func (r *Runner) prepareOne(p Package) *job {
	if p.Dir == "" {
		p.Dir = filepath.Join(r.ProjectDir, filepath.FromSlash(p.Path))
	}
	scripts := map[string]string{}
	noScriptsField := false
	if p.Scripts == nil {
		// npm ignores an unreadable package.json here: no scripts.
		if m, err := readManifest(p.Dir); err == nil {
			_, hasScripts := m.raw["scripts"].(map[string]any)
			noScriptsField = !hasScripts
			scripts = m.Scripts
			p.NoGypfile = p.NoGypfile || (m.Gypfile != nil && !*m.Gypfile)
			if p.Name == "" {
				p.Name = m.Name
			}
			if p.Version == "" {
				p.Version = m.Version
			}
			if p.Engines == nil {
				p.Engines = m.Engines
			}
			if p.Bin == nil {
				p.Bin = m.Bin
			}
		}
	} else {
		for k, v := range p.Scripts {
			scripts[k] = v
		}
	}
	if !(p.Link && noScriptsField) && gypRule(scripts, p.NoGypfile, p.Dir) {
		scripts["install"] = DefaultGypInstallScript
	}
	// arborist sorts by the node's location: for a link that is where
	// the link is, not its target
	sortKey := p.Dir
	if p.Path != "" {
		sortKey = filepath.Join(r.ProjectDir, filepath.FromSlash(p.Path))
	}
	return &job{
		pkg:     p,
		scripts: scripts,
		id:      pkgID(p.Name, p.Version, p.Path),
		depth:   depthOf(p.Path),
		sortKey: sortKey,
	}
}

// sortJobs orders jobs like rebuild.js's sortNodes: depth, then the package
// path under ICU "en" collation. The collator is used by this goroutine only.
func sortJobs(jobs []*job) {
	col := collate.New(language.English)
	sort.SliceStable(jobs, func(a, b int) bool {
		if jobs[a].depth != jobs[b].depth {
			return jobs[a].depth < jobs[b].depth
		}
		return col.CompareString(jobs[a].sortKey, jobs[b].sortKey) < 0
	})
}

// LinkEvents are the lifecycle events run for links (workspaces and file:
// folders), in order, after every dependency's scripts. Their bins are
// linked between "prepare" and "install".
var LinkEvents = []string{"preinstall", "prepare", "install", "postinstall"}

// RootDependencyEvents are the root project's scripts arborist's reify runs
// once the tree is on disk and the hidden lockfile saved, before `npm ci`
// runs RootEvents. Their output is captured like a dependency's.
var RootDependencyEvents = []string{"predependencies", "dependencies", "postdependencies"}

// Build is everything one install's scripts run over, in arborist's order
// (rebuild.js, reify.js, ci.js):
//
//  1. Deps: every preinstall, LinkBins, every install, every postinstall;
//  2. Links: every preinstall, every prepare, LinkLinkBins, every install,
//     every postinstall (Path is the link's lockfile key, Dir its target);
//  3. AfterBuild (the caller removes failed optional packages, saves the
//     hidden lockfile);
//  4. with RootDependencies, the root's RootDependencyEvents;
//  5. the root's RootEvents.
type Build struct {
	Deps, Links      []Package
	Root             *Package
	RootDependencies bool // run RootDependencyEvents (npm: the tree changed)

	LinkBins, LinkLinkBins func() error
	AfterBuild             func(Result) error
}

// Run runs the dependencies' preinstall scripts, calls linkBins, runs their
// install and postinstall scripts, then the root project's scripts (root may
// be nil). deps need not be sorted. A non-optional failure stops Run with a
// *ScriptError; the Result is valid either way.
func (r *Runner) Run(ctx context.Context, deps []Package, root *Package, linkBins func() error) (Result, error) {
	return r.RunBuild(ctx, Build{Deps: deps, Root: root, LinkBins: linkBins})
}

// RunBuild runs b's scripts in arborist's order (see Build). A non-optional
// failure stops it with a *ScriptError; the Result is valid either way.
func (r *Runner) RunBuild(ctx context.Context, b Build) (Result, error) {
	var res Result
	if !filepath.IsAbs(r.ProjectDir) {
		abs, err := filepath.Abs(r.ProjectDir)
		if err != nil {
			return res, fmt.Errorf("failed to resolve project dir %q: %w", r.ProjectDir, err)
		}
		rc := *r
		rc.ProjectDir = abs
		r = &rc
	}
	linkBins := func(f func() error) error {
		if f == nil {
			return nil
		}
		if err := f(); err != nil {
			return fmt.Errorf("failed to link bins: %w", err)
		}
		return nil
	}
	if r.IgnoreScripts {
		if err := linkBins(b.LinkBins); err != nil {
			return res, err
		}
		return res, linkBins(b.LinkLinkBins)
	}
	queues := func(jobs []*job, events []string) map[string][]*job {
		q := map[string][]*job{}
		for _, j := range jobs {
			for _, ev := range events {
				if j.scripts[ev] != "" {
					q[ev] = append(q[ev], j)
				}
			}
		}
		return q
	}
	depQueues := queues(r.prepare(b.Deps), DependencyEvents)
	linkQueues := queues(r.prepare(b.Links), LinkEvents)

	var tools *toolchain
	defer func() {
		if tools != nil {
			tools.cleanup()
		}
	}()
	if len(depQueues) > 0 || len(linkQueues) > 0 || b.Root != nil {
		t, err := r.discover()
		if err != nil {
			return res, err
		}
		tools = t
	}
	st := &runState{r: r, tools: tools, trash: map[string]bool{}, res: &res}
	if tools != nil {
		st.base = r.baseEnv(tools)
	}
	for _, ev := range DependencyEvents {
		if ev == "install" {
			if err := linkBins(b.LinkBins); err != nil {
				return res, err
			}
		}
		if err := st.runPhase(ctx, ev, depQueues[ev]); err != nil {
			return res, err
		}
	}
	for _, ev := range LinkEvents {
		if ev == "install" {
			if err := linkBins(b.LinkLinkBins); err != nil {
				return res, err
			}
		}
		if err := st.runPhase(ctx, ev, linkQueues[ev]); err != nil {
			return res, err
		}
	}
	if b.AfterBuild != nil {
		if err := b.AfterBuild(res); err != nil {
			return res, err
		}
	}
	if b.Root != nil {
		if b.RootDependencies {
			if err := st.runRoot(ctx, *b.Root, RootDependencyEvents, r.Foreground); err != nil {
				return res, err
			}
		}
		if err := st.runRoot(ctx, *b.Root, RootEvents, true); err != nil {
			return res, err
		}
	}
	return res, nil
}

// runState is shared by the phases of one Run.
type runState struct {
	r     *Runner
	tools *toolchain
	base  map[string]string

	mu    sync.Mutex
	trash map[string]bool // paths of failed optional packages (and their sets)
	res   *Result
}

func (s *runState) trashed(path string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.trash[path]
}

// runPhase runs event for every job in queue, in order, at most limit at once.
func (s *runState) runPhase(ctx context.Context, event string, queue []*job) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(queue) == 0 {
		return nil
	}
	phaseCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, s.r.limit())
	var wg sync.WaitGroup
	var firstErr error
	fail := func(err error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
	}
loop:
	for _, j := range queue {
		select {
		case sem <- struct{}{}:
		case <-phaseCtx.Done():
			break loop
		}
		if phaseCtx.Err() != nil {
			<-sem
			break
		}
		// like arborist, skip what an optional failure has trashed
		if s.trashed(j.pkg.Path) {
			<-sem
			continue
		}
		s.mu.Lock()
		s.res.Ran++
		s.mu.Unlock()
		wg.Add(1)
		go func(j *job) {
			defer func() { <-sem; wg.Done() }()
			err := s.runScript(phaseCtx, event, j, s.r.Foreground)
			if err == nil {
				return
			}
			if phaseCtx.Err() != nil {
				// killed because the phase was cancelled; the cause is
				// reported elsewhere
				return
			}
			var se *ScriptError
			if j.pkg.Optional && errors.As(err, &se) {
				s.optionalFailed(j, se)
				return
			}
			fail(err)
			cancel()
		}(j)
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

func (s *runState) optionalFailed(j *job, se *ScriptError) {
	var more []string
	if s.r.OptionalFailed != nil {
		more = s.r.OptionalFailed(j.pkg, se)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trash[j.pkg.Path] = true
	for _, p := range more {
		s.trash[p] = true
	}
	s.res.FailedOptional = append(s.res.FailedOptional, j.pkg.Path)
	s.res.OptionalErrors = append(s.res.OptionalErrors, se)
}

// runRoot runs the root project's events in order, one at a time, printing
// them live when foreground (ci.js's scripts) or capturing their output
// (reify's dependencies scripts).
func (s *runState) runRoot(ctx context.Context, root Package, events []string, foreground bool) error {
	if root.Dir == "" {
		root.Dir = s.r.ProjectDir
	}
	for _, ev := range events {
		if err := ctx.Err(); err != nil {
			return err
		}
		j := &job{pkg: root, scripts: map[string]string{}}
		if root.Scripts == nil {
			// run-script re-reads package.json for every event
			m, err := readManifest(root.Dir)
			if err != nil {
				return fmt.Errorf("failed to run %q script of the root project: %w", ev, err)
			}
			j.root = m
			j.scripts = m.Scripts
			j.pkg.NoGypfile = m.Gypfile != nil && !*m.Gypfile
			if j.pkg.Name == "" {
				j.pkg.Name = m.Name
			}
			if j.pkg.Version == "" {
				j.pkg.Version = m.Version
			}
		} else {
			for k, v := range root.Scripts {
				j.scripts[k] = v
			}
		}
		if ev == "install" && gypRule(j.scripts, j.pkg.NoGypfile, root.Dir) {
			j.scripts["install"] = DefaultGypInstallScript
		}
		if j.scripts[ev] == "" {
			continue
		}
		j.id = pkgID(j.pkg.Name, j.pkg.Version, "")
		if j.pkg.Name == "" || j.pkg.Version == "" {
			j.id = "" // banner without an id, like run-script
		}
		s.mu.Lock()
		s.res.Ran++
		s.mu.Unlock()
		if err := s.runScript(ctx, ev, j, foreground); err != nil {
			if se, ok := err.(*ScriptError); ok && se.Package == "" {
				se.Package = pkgID(j.pkg.Name, j.pkg.Version, "")
			}
			return err
		}
	}
	return nil
}

// scriptEnv builds the environment of one script (make-spawn-args.js).
func (s *runState) scriptEnv(event string, j *job) []string {
	env := make(map[string]string, len(s.base)+16)
	for k, v := range s.base {
		env[k] = v
	}
	p := j.pkg
	isRoot := j.root != nil || p.Path == ""
	if !isRoot {
		bool01 := func(b bool) string {
			if b {
				return "1"
			}
			return ""
		}
		// arborist passes node.resolved and node.integrity, null when
		// unknown (links, git), which the child's environment spells "null"
		orNull := func(s string) string {
			if s == "" {
				return "null"
			}
			return s
		}
		env["npm_package_resolved"] = orNull(p.Resolved)
		env["npm_package_integrity"] = orNull(p.Integrity)
		env["npm_package_optional"] = bool01(p.Optional)
		env["npm_package_dev"] = bool01(p.Dev)
		env["npm_package_peer"] = bool01(p.Peer)
		env["npm_package_dev_optional"] = bool01(p.DevOptional && !p.Dev && !p.Optional)
	}
	if j.root != nil {
		j.root.rootPackageEnvs(env)
	} else {
		if p.Name != "" {
			env["npm_package_name"] = p.Name
		}
		if p.Version != "" {
			env["npm_package_version"] = p.Version
		}
		if p.Engines != nil {
			flattenEnv(env, "npm_package_engines", p.Engines)
		}
		if p.Bin != nil {
			flattenEnv(env, "npm_package_bin", p.Bin)
		}
	}
	env["npm_package_json"] = filepath.Join(p.Dir, "package.json")
	env["npm_lifecycle_event"] = event
	env["npm_lifecycle_script"] = j.scripts[event]
	env["PATH"] = binPath(p.Dir, s.tools.gypBinDir, env["PATH"])
	return envList(env)
}

// runScript runs one event of one job. Foreground scripts print a banner and
// write straight to Stdout/Stderr; others are captured.
func (s *runState) runScript(ctx context.Context, event string, j *job, foreground bool) error {
	script := j.scripts[event]
	se := &ScriptError{Event: event, Package: j.id, Path: j.pkg.Path, Dir: j.pkg.Dir, Script: script, ExitCode: -1}
	if script == DefaultGypInstallScript && s.tools.nodeGyp == "" && event == "install" {
		se.Err = errNoNodeGyp
		return se
	}
	shell := s.r.ScriptShell
	if shell == "" {
		shell = "sh"
	}
	cmd := exec.CommandContext(ctx, shell, "-c", script)
	cmd.Dir = j.pkg.Dir
	cmd.Env = s.scriptEnv(event, j)
	cmd.WaitDelay = 5 * time.Second
	setProcessGroup(cmd)
	var out *tailBuffer
	if foreground {
		banner := "\n> " + event + "\n"
		if j.id != "" {
			banner = "\n> " + j.id + " " + event + "\n"
		}
		banner += "> " + strings.ReplaceAll(strings.TrimSpace(script), "\n", "\n> ") + "\n\n"
		_, _ = io.WriteString(s.r.stdout(), banner)
		cmd.Stdout = s.r.stdout()
		cmd.Stderr = s.r.stderr()
	} else {
		out = &tailBuffer{max: 64 << 10}
		cmd.Stdout = out
		cmd.Stderr = out
	}
	err := cmd.Run()
	if err == nil {
		return nil
	}
	if out != nil {
		se.Output = out.String()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		se.ExitCode = ee.ExitCode()
		se.Signal = exitSignal(ee.ProcessState)
		return se
	}
	se.Err = err
	return se
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu        sync.Mutex
	buf       []byte
	max       int
	truncated bool
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > 2*b.max {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-b.max:]...)
		b.truncated = true
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf
	trunc := b.truncated
	if len(s) > b.max {
		s = s[len(s)-b.max:]
		trunc = true
	}
	if trunc {
		return "[...]\n" + string(s)
	}
	return string(s)
}
