// Package action is lockstep's GitHub side: the entrypoint of the container
// action (`lockstep action`). It reads the inputs and the GitHub context
// through go-githubactions, runs the install and the lockfile diff, writes
// outputs and the job summary, and keeps one sticky pull-request comment per
// working directory through go-github.
//
// Invariants:
//   - Only this package imports go-github and go-githubactions.
//   - The token is masked (::add-mask::) before anything else is logged and
//     never printed; it reaches only the Authorization header.
//   - The job summary is written whenever GITHUB_STEP_SUMMARY is set; the
//     comment is optional. A token that cannot write (403, 404: forks,
//     read-only permissions) degrades to the summary and a warning naming
//     `pull-requests: write`; the step does not fail for it.
//   - One comment per pull request and working directory: it is found by the
//     hidden marker `<!-- lockstep:DIR -->` on its first line across every
//     page of comments, edited in place, and never created twice.
//   - Under pull_request_target nothing from the pull request is executed:
//     both lockfiles are read through the contents API as data, no install.
//   - Outside a pull request event there is no comment, only the summary.
//   - Missing file-command variables (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
//     GITHUB_STATE) are skipped, never a panic.
//   - The Actions cache (cache/actionscache) is restored before an install
//     and saved by the post step (Post), which learns the keys through
//     GITHUB_STATE; an exact hit is not saved again (entries are
//     immutable). Under pull_request_target it is neither restored nor
//     saved. Every cache failure is a warning and a disabled cache (no
//     runtime token) a notice: the cache never fails the step. The
//     runtime token is masked like the GitHub token.
//   - Runs on a branch record their timing report in that branch's
//     history in the cache; a pull request's comment compares its run with
//     the base branch's history (timing.Compare) when there is one.
//   - `command: warm` fills the manifest cache (and the store with
//     `cache: all`) and saves it under a fresh key that every pull
//     request's restore keys match.
package action

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/lockstep-dev/lockstep/cache/actionscache"
	"github.com/lockstep-dev/lockstep/diff"
	"github.com/lockstep-dev/lockstep/diff/lockfile"
	"github.com/lockstep-dev/lockstep/diff/render"
	"github.com/lockstep-dev/lockstep/install"
	"github.com/lockstep-dev/lockstep/internal/bench"
	"github.com/lockstep-dev/lockstep/internal/fsx"
	"github.com/lockstep-dev/lockstep/internal/timing"
)

// Options configure one run of the action.
type Options struct {
	// Getenv reads the environment (INPUT_*, GITHUB_*, RUNNER_*); nil means
	// os.Getenv.
	Getenv func(string) string
	// Stdout receives the log and workflow commands; Stderr the installer's
	// error stream. nil means io.Discard.
	Stdout, Stderr io.Writer
	// HTTPClient talks to the GitHub API; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Version is lockstep's version, recorded in the report.
	Version string
	// CacheDir is the installer's cache; "" means $LOCKSTEP_CACHE_DIR, else
	// $RUNNER_TEMP/lockstep-cache, else the OS temp dir.
	CacheDir string
	// MaxRetryWait caps one wait after a secondary rate limit (default
	// 2 minutes); Retries is how many times a rate-limited call is retried
	// (default 3).
	MaxRetryWait time.Duration
	Retries      int
	// InstallRetryDelay shortens the registry client's backoff (tests).
	InstallRetryDelay time.Duration
	// CacheConfig, when set, adjusts the Actions cache client's
	// configuration read from the environment (tests: block sizes,
	// retry delays).
	CacheConfig func(*actionscache.Config)
}

// InputError is a bad action input: the CLI exits 2 for it.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

// IsInputError reports whether err is a bad input, of the action or of the
// project (install.InputError).
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie) || install.IsInputError(err)
}

// inputNames and outputNames are the inputs this version reads and the
// outputs it may write; action.yml declares exactly these (a test checks).
var (
	inputNames  = []string{"command", "working-directory", "token", "registry", "cache", "cache-key-prefix", "comment", "concurrency", "omit", "ignore-scripts", "lockfile", "base-ref", "node-version", "bench-vs", "bench-runs"}
	outputNames = []string{"cache-hit", "lockfile-changed", "added", "removed", "upgraded", "downgraded", "duration-ms", "report"}
)

// inputs are the action's inputs this version implements.
type inputs struct {
	command        string // ci | install | resolve | diff | warm
	workingDir     string // relative to the workspace, slash-separated, "." for the root
	token          string
	registry       string
	cache          string // manifests | store | all | none
	cacheKeyPrefix string
	comment        string // always | on-change | never
	concurrency    int
	omit           string
	ignoreScripts  bool
	lockfile       string // relative to workingDir; "" to detect
	baseRef        string
	nodeVersion    string // judged against engines by resolve/install; "" for `node -v`
	benchVs        []string
	benchRuns      int
}

func readInputs(a *githubactions.Action) (inputs, error) {
	in := inputs{
		command:        a.GetInput("command"),
		workingDir:     a.GetInput("working-directory"),
		token:          a.GetInput("token"),
		registry:       a.GetInput("registry"),
		cache:          a.GetInput("cache"),
		cacheKeyPrefix: a.GetInput("cache-key-prefix"),
		comment:        a.GetInput("comment"),
		omit:           a.GetInput("omit"),
		lockfile:       a.GetInput("lockfile"),
		baseRef:        a.GetInput("base-ref"),
		nodeVersion:    strings.TrimPrefix(a.GetInput("node-version"), "v"),
	}
	if in.command == "" {
		in.command = "ci"
	}
	switch in.command {
	case "ci", "install", "resolve", "diff", "warm", "bench":
	default:
		return in, &InputError{fmt.Sprintf("invalid value %q for input command: expected \"ci\", \"install\", \"resolve\", \"diff\", \"warm\" or \"bench\"", in.command)}
	}
	in.benchVs = []string{"npm", "pnpm", "bun"}
	if v := strings.TrimSpace(a.GetInput("bench-vs")); v != "" {
		in.benchVs = nil
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimSpace(t)
			if t != "npm" && t != "pnpm" && t != "bun" {
				return in, &InputError{fmt.Sprintf("invalid value %q for input bench-vs: expected a comma-separated list of \"npm\", \"pnpm\", \"bun\"", v)}
			}
			in.benchVs = append(in.benchVs, t)
		}
	}
	in.benchRuns = 3
	if v := a.GetInput("bench-runs"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 20 {
			return in, &InputError{fmt.Sprintf("invalid value %q for input bench-runs: expected a number from 1 to 20", v)}
		}
		in.benchRuns = n
	}
	if in.cache == "" || in.cache == "auto" {
		// What the command reads: resolve reads registry manifests; ci
		// and install also install from the package store, which warm
		// fills for them.
		in.cache = "all"
		if in.command == "resolve" {
			in.cache = "manifests"
		}
	}
	if cacheKinds(in.cache) == nil && in.cache != "none" {
		return in, &InputError{fmt.Sprintf("invalid value %q for input cache: expected \"auto\", \"manifests\", \"store\", \"all\" or \"none\"", in.cache)}
	}
	if in.cacheKeyPrefix == "" {
		in.cacheKeyPrefix = "lockstep"
	}
	if len(in.cacheKeyPrefix) > 100 || strings.ContainsAny(in.cacheKeyPrefix, ", \t\n") {
		return in, &InputError{fmt.Sprintf("invalid value %q for input cache-key-prefix: expected at most 100 characters without commas or spaces", in.cacheKeyPrefix)}
	}
	if in.comment == "" {
		in.comment = "on-change"
	}
	if in.comment != "always" && in.comment != "on-change" && in.comment != "never" {
		return in, &InputError{fmt.Sprintf("invalid value %q for input comment: expected \"always\", \"on-change\" or \"never\"", in.comment)}
	}
	in.concurrency = 64
	if v := a.GetInput("concurrency"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return in, &InputError{fmt.Sprintf("invalid value %q for input concurrency: expected a number of at least 1", v)}
		}
		in.concurrency = n
	}
	if v := a.GetInput("ignore-scripts"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return in, &InputError{fmt.Sprintf("invalid value %q for input ignore-scripts: expected \"true\" or \"false\"", v)}
		}
		in.ignoreScripts = b
	}
	for _, o := range strings.Split(in.omit, ",") {
		if o = strings.TrimSpace(o); o != "" && o != "dev" && o != "optional" && o != "peer" {
			return in, &InputError{fmt.Sprintf("invalid value %q for input omit: expected a comma-separated list of \"dev\", \"optional\", \"peer\"", o)}
		}
	}
	wd := filepath.ToSlash(in.workingDir)
	if wd == "" {
		wd = "."
	}
	wd = path.Clean(wd)
	if path.IsAbs(wd) || wd == ".." || strings.HasPrefix(wd, "../") {
		return in, &InputError{fmt.Sprintf("invalid value %q for input working-directory: expected a path inside the workspace", in.workingDir)}
	}
	in.workingDir = wd
	if in.lockfile != "" {
		lf := path.Clean(filepath.ToSlash(in.lockfile))
		if path.IsAbs(lf) || lf == ".." || strings.HasPrefix(lf, "../") {
			return in, &InputError{fmt.Sprintf("invalid value %q for input lockfile: expected a path inside the working directory", in.lockfile)}
		}
		in.lockfile = lf
	}
	return in, nil
}

// Result is what a run produced; Run writes it as outputs, and tests read
// it.
type Result struct {
	LockfileChanged bool
	CacheHit        bool // a cache was restored, every entry from its primary key
	Summary         diff.Summary
	DurationMS      int64
	ReportPath      string
	Body            string // the comment body (and job summary)
	CommentID       int64  // the sticky comment written, 0 if none
	CommentAction   string // "created", "updated", "skipped" or "" (not a PR, comment: never, no permission)
}

// Run is the whole action. It returns a failure of the step: an install
// that failed, or bad inputs (IsInputError). Comment problems are warnings.
func Run(ctx context.Context, o Options) (*Result, error) {
	start := time.Now()
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	if o.HTTPClient == nil {
		o.HTTPClient = http.DefaultClient
	}
	if o.Retries == 0 {
		o.Retries = 3
	}
	if o.MaxRetryWait == 0 {
		o.MaxRetryWait = 2 * time.Minute
	}
	a := githubactions.New(githubactions.WithGetenv(o.Getenv), githubactions.WithWriter(o.Stdout))
	in, err := readInputs(a)
	if in.token != "" {
		a.AddMask(in.token)
	}
	// NODE_AUTH_TOKEN is how actions/setup-node hands .npmrc its token.
	for _, name := range []string{"ACTIONS_RUNTIME_TOKEN", "NODE_AUTH_TOKEN"} {
		if t := o.Getenv(name); t != "" {
			a.AddMask(t)
		}
	}
	if err != nil {
		return nil, err
	}
	gh, err := readContext(a, o.Getenv)
	if err != nil {
		return nil, err
	}
	r := &runner{o: o, a: a, in: in, gh: gh, res: &Result{}, rec: timing.New(nil)}
	if err := r.run(ctx); err != nil {
		return r.res, err
	}
	r.res.DurationMS = time.Since(start).Milliseconds()
	r.setOutput("duration-ms", strconv.FormatInt(r.res.DurationMS, 10))
	return r.res, nil
}

type runner struct {
	o      Options
	a      *githubactions.Action
	in     inputs
	gh     *ghContext
	res    *Result
	report *timing.Report
	gc     *ghClient
	rec    *timing.Recorder

	cache      *actionscache.Client // nil when the cache is off
	cacheTried bool
}

func (r *runner) run(ctx context.Context) error {
	dir := filepath.Join(r.gh.workspace, filepath.FromSlash(r.in.workingDir))
	install := r.in.command == "ci" || r.in.command == "install" || r.in.command == "resolve" || r.in.command == "warm"
	if r.gh.eventName == "pull_request_target" && install {
		r.a.Noticef("lockstep: pull_request_target runs with the base repository's token and secrets, so the pull request's code is not installed and the cache is neither restored nor saved: lockfiles are read through the API and only diffed. Use a pull_request workflow to install.")
		install = false
	}
	if r.in.command == "bench" {
		if r.gh.eventName == "pull_request_target" {
			r.a.Noticef("lockstep: pull_request_target runs with the base repository's token and secrets, so the pull request's code is not benchmarked (that installs it). Use a pull_request workflow.")
			return nil
		}
		return r.bench(ctx, dir)
	}
	if install && r.in.command == "warm" {
		if err := r.warm(ctx, dir); err != nil {
			r.summary(fmt.Sprintf("### lockstep warm · %s\n\n❌ Warming failed: %s\n", render.Escape(r.in.workingDir), render.Escape(err.Error())))
			return err
		}
		r.summary(fmt.Sprintf("### lockstep warm · %s\n\nThe cache is warm for pull requests.\n", render.Escape(r.in.workingDir)))
		return nil
	}
	if install {
		entries := r.restoreCache(ctx, dir)
		if err := r.install(ctx, dir); err != nil {
			what := "install"
			if r.in.command == "resolve" {
				what = "resolution"
			}
			r.summary(fmt.Sprintf("### lockstep %s · %s\n\n❌ The %s failed: %s\n", r.in.command, render.Escape(r.in.workingDir), what, render.Escape(err.Error())))
			return err
		}
		r.saveState(entries)
	}

	res, err := r.diff(ctx, dir)
	if err != nil {
		return err
	}
	var timings string
	if r.report != nil {
		timings = TimingTable(r.report)
		if cmp := r.timingComparison(ctx); cmp != "" {
			timings = cmp
		}
		r.recordTimings(ctx)
	}
	marker := Marker(r.in.workingDir)
	body := Body(marker, res, timings)
	r.res.Body = body
	if res != nil {
		r.res.LockfileChanged = res.Summary.Total() > 0
		r.res.Summary = res.Summary
		r.setOutput("lockfile-changed", strconv.FormatBool(r.res.LockfileChanged))
		r.setOutput("added", strconv.Itoa(res.Summary.Added))
		r.setOutput("removed", strconv.Itoa(res.Summary.Removed))
		r.setOutput("upgraded", strconv.Itoa(res.Summary.Upgraded))
		r.setOutput("downgraded", strconv.Itoa(res.Summary.Downgraded))
	}
	if body == "" {
		return nil
	}
	// the summary first: it is the part a read-only token cannot take away
	r.summary(strings.TrimPrefix(body, marker+"\n"))
	r.comment(ctx, marker, body, res)
	return nil
}

func (r *runner) install(ctx context.Context, dir string) error {
	r.a.Group("lockstep " + r.in.command)
	defer r.a.EndGroup()
	flags := map[string]string{}
	if r.in.registry != "" {
		flags["registry"] = r.in.registry
	}
	if r.in.omit != "" {
		flags["omit"] = strings.ReplaceAll(r.in.omit, " ", "")
	}
	if r.in.ignoreScripts {
		flags["ignore-scripts"] = "true"
	}
	rec := r.rec
	var pk timing.Packages
	if r.in.command == "install" || r.in.command == "resolve" {
		rflags := map[string]string{}
		if r.in.registry != "" {
			rflags["registry"] = r.in.registry
		}
		rres, err := resolveProject(ctx, install.ResolveOptions{
			Dir: dir, CacheDir: r.cacheDir(), Concurrency: max(r.in.concurrency, 128), Flags: rflags,
			Getenv: r.o.Getenv, Stderr: r.o.Stderr, Timing: rec, NodeVersion: r.in.nodeVersion, Write: true,
		})
		if err != nil {
			return fmt.Errorf("failed to resolve %q: %w", r.in.workingDir, err)
		}
		if rres.Changed {
			fmt.Fprintf(r.o.Stdout, "lockstep: wrote %s (%d packages)\n", rres.Path, rres.Packages)
		}
		pk.Total = rres.Packages
		if err := chownToWorkspace(r.gh.workspace, dir, rres.Path); err != nil {
			r.a.Warningf("lockstep: failed to hand files back to the workspace owner: %v", err)
		}
	}
	if r.in.command != "resolve" {
		res, err := installCI(ctx, install.Options{
			Dir: dir, CacheDir: r.cacheDir(), Concurrency: r.in.concurrency, Flags: flags,
			Getenv: r.o.Getenv, Stdout: r.o.Stdout, Stderr: r.o.Stderr, Timing: rec,
			MinRetryDelay: r.o.InstallRetryDelay, MaxRetryDelay: r.o.InstallRetryDelay,
		})
		if err != nil {
			return fmt.Errorf("failed to install %q: %w", r.in.workingDir, err)
		}
		pk = res.Packages
	}
	rep := rec.Report(r.in.command, r.o.Version, pk)
	r.report = &rep
	reportDir := r.o.Getenv("RUNNER_TEMP")
	if reportDir == "" {
		reportDir = os.TempDir()
	}
	reportPath := filepath.Join(reportDir, "lockstep-report-"+strings.NewReplacer("/", "-", ".", "_").Replace(r.in.workingDir)+".json")
	if err := fsx.WriteFileAtomic(reportPath, rep.JSON()); err != nil {
		r.a.Warningf("lockstep: failed to write report %q: %v", reportPath, err)
	} else {
		r.res.ReportPath = reportPath
		r.setOutput("report", reportPath)
	}
	if r.in.command != "resolve" {
		fmt.Fprintf(r.o.Stdout, "lockstep: installed %d packages (%d downloaded) in %d ms\n", pk.Installed, pk.Downloaded, rep.WallMS)
	}
	if err := chownToWorkspace(r.gh.workspace, dir, reportPath); err != nil {
		r.a.Warningf("lockstep: failed to hand files back to the workspace owner: %v", err)
	}
	return nil
}

// cacheDir is the installer's cache directory: Options.CacheDir, else
// $LOCKSTEP_CACHE_DIR, else $RUNNER_TEMP/lockstep-cache (it survives into
// the post step's container), else the OS temp dir.
func (r *runner) cacheDir() string {
	if d := r.o.CacheDir; d != "" {
		return d
	}
	if d := r.o.Getenv("LOCKSTEP_CACHE_DIR"); d != "" {
		return d
	}
	if t := r.o.Getenv("RUNNER_TEMP"); t != "" {
		return filepath.Join(t, "lockstep-cache")
	}
	return filepath.Join(os.TempDir(), "lockstep-cache")
}

// installCI is install.CI; a variable so tests can observe the
// pull_request_target guard without a registry.
var installCI = install.CI

// resolveProject is install.Resolve, a variable for the same reason.
var resolveProject = install.Resolve

// benchRun is bench.Run, a variable so tests need not install npm, pnpm
// and bun.
var benchRun = bench.Run

// bench runs lockstep beside the other package managers on the project
// (cold and warm installs, interleaved) and writes the table to the job
// summary and the samples to the report output.
func (r *runner) bench(ctx context.Context, dir string) error {
	r.a.Group("lockstep bench")
	defer r.a.EndGroup()
	for _, f := range []string{"package.json", "package-lock.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return &InputError{fmt.Sprintf("failed to benchmark %q: no %s there (bench times installs from the project's package.json and package-lock.json)", r.in.workingDir, f)}
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("failed to find the lockstep binary: %w", err)
	}
	tmp := r.o.Getenv("RUNNER_TEMP")
	if tmp == "" {
		tmp = os.TempDir()
	}
	work, err := os.MkdirTemp(tmp, "lockstep-bench-")
	if err != nil {
		return fmt.Errorf("failed to create the bench directory: %w", err)
	}
	reg := r.in.registry
	if reg == "" {
		reg = "https://registry.npmjs.org/"
	}
	samples, err := benchRun(ctx, bench.Options{
		Fixtures: []string{dir}, Tools: append([]string{"lockstep"}, r.in.benchVs...),
		Phases: []string{bench.PhaseCold, bench.PhaseWarm}, Runs: r.in.benchRuns,
		Lockstep: exe, WorkDir: work, ToolsDir: filepath.Join(r.cacheDir(), "bench-tools"), Registry: reg,
		Stdout: r.o.Stdout, Stderr: r.o.Stderr,
	})
	if err != nil {
		r.summary(fmt.Sprintf("### lockstep bench · %s\n\n❌ The benchmark failed: %s\n", render.Escape(r.in.workingDir), render.Escape(err.Error())))
		return fmt.Errorf("failed to benchmark %q: %w", r.in.workingDir, err)
	}
	reportPath := filepath.Join(tmp, "lockstep-bench-"+strings.NewReplacer("/", "-", ".", "_").Replace(r.in.workingDir)+".json")
	if err := fsx.WriteFileAtomic(reportPath, bench.JSON(samples)); err != nil {
		r.a.Warningf("lockstep: failed to write report %q: %v", reportPath, err)
	} else {
		r.res.ReportPath = reportPath
		r.setOutput("report", reportPath)
	}
	r.summary(fmt.Sprintf("### lockstep bench · %s\n\n%s", render.Escape(r.in.workingDir), bench.Markdown(samples)))
	return nil
}

// lockfileNames are tried in order when the lockfile input is empty.
var lockfileNames = []string{"package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml", "yarn.lock", "bun.lock"}

// diff compares the base lockfile with the head one; nil when there is
// nothing to compare against (not a pull request and no base-ref).
func (r *runner) diff(ctx context.Context, dir string) (*diff.Result, error) {
	r.a.Group("lockstep diff")
	defer r.a.EndGroup()
	baseRef, baseRepo := r.in.baseRef, r.gh.repo
	if baseRef == "" && r.gh.pr != nil {
		baseRef, baseRepo = r.gh.pr.baseSHA, r.gh.pr.baseRepo
	}
	remoteHead := r.gh.eventName == "pull_request_target" && r.gh.pr != nil
	name := r.in.lockfile
	if name == "" {
		for _, n := range lockfileNames {
			if remoteHead {
				name = "package-lock.json" // detection needs the file tree; npm by default
				break
			}
			if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
				name = n
				break
			}
		}
	}
	if name == "" {
		fmt.Fprintf(r.o.Stdout, "lockstep: no lockfile in %q, nothing to diff\n", r.in.workingDir)
		return nil, nil
	}
	repoPath := path.Join(r.in.workingDir, name)
	var headData []byte
	var err error
	if remoteHead {
		headData, err = r.client().contents(ctx, r.gh.pr.headRepo, repoPath, r.gh.pr.headSHA)
		if err != nil {
			return nil, fmt.Errorf("failed to read the head lockfile %q at %s: %w", repoPath, shortSHA(r.gh.pr.headSHA), err)
		}
		if headData == nil {
			fmt.Fprintf(r.o.Stdout, "lockstep: %q does not exist in the pull request's head, nothing to diff\n", repoPath)
			return nil, nil
		}
	} else {
		headData, err = os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return nil, &InputError{fmt.Sprintf("failed to read lockfile %q: %v", repoPath, err)}
		}
	}
	head, err := lockfile.Parse(headData, repoPath)
	if err != nil {
		return nil, &InputError{err.Error()}
	}
	if baseRef == "" {
		fmt.Fprintln(r.o.Stdout, "lockstep: not a pull request and no base-ref: no lockfile diff")
		return nil, nil
	}
	baseName := repoPath + "@" + shortSHA(baseRef)
	baseData, err := r.client().contents(ctx, baseRepo, repoPath, baseRef)
	if err != nil {
		// the diff is a courtesy: without the base, report and go on
		r.a.Warningf("lockstep: failed to read the base lockfile %q at %s: %v", repoPath, shortSHA(baseRef), err)
		return nil, nil
	}
	base := &diff.Lockfile{Format: head.Format}
	if baseData == nil {
		fmt.Fprintf(r.o.Stdout, "lockstep: %q is new in this pull request\n", repoPath)
	} else if base, err = lockfile.Parse(baseData, baseName); err != nil {
		r.a.Warningf("lockstep: failed to read the base lockfile %q: %v", baseName, err)
		return nil, nil
	}
	var regs []string
	if r.in.registry != "" {
		regs = []string{r.in.registry}
	}
	res := diff.Compare(base, head, diff.Options{BaseName: baseName, HeadName: repoPath, Registries: regs})
	for _, w := range res.Warnings {
		fmt.Fprintf(r.o.Stdout, "lockstep: warning: %s\n", w)
	}
	fmt.Fprintf(r.o.Stdout, "lockstep: %d changes: %d added, %d removed, %d upgraded, %d downgraded, %d changed\n",
		res.Summary.Total(), res.Summary.Added, res.Summary.Removed, res.Summary.Upgraded, res.Summary.Downgraded, res.Summary.Changed)
	return res, nil
}

func shortSHA(ref string) string {
	if len(ref) == 40 && strings.Trim(ref, "0123456789abcdef") == "" {
		return ref[:7]
	}
	return ref
}

// comment keeps the sticky comment up to date, or says why not.
func (r *runner) comment(ctx context.Context, marker, body string, res *diff.Result) {
	if r.gh.pr == nil {
		return
	}
	if r.in.comment == "never" {
		fmt.Fprintln(r.o.Stdout, "lockstep: comment: never, the job summary has the report")
		return
	}
	r.a.Group("lockstep comment")
	defer r.a.EndGroup()
	if r.in.token == "" {
		r.a.Warningf("lockstep: no token, so no pull request comment (the job summary has the report); pass `token: ${{ github.token }}` with `permissions: pull-requests: write`")
		return
	}
	onlyUpdate := r.in.comment == "on-change" && (res == nil || res.Summary.Total() == 0)
	c := r.client()
	id, act, err := c.upsertComment(ctx, r.gh.repo, r.gh.pr.number, marker, body, onlyUpdate)
	switch {
	case err != nil && isPermission(err):
		why := ""
		if r.gh.pr.fork {
			why = " (pull requests from forks get a read-only token)"
		}
		r.a.Warningf("lockstep: the token cannot comment on pull request #%d%s; the job summary has the report. Grant `permissions: pull-requests: write` to post the comment. (%v)", r.gh.pr.number, why, errSummary(err))
	case err != nil:
		r.a.Warningf("lockstep: failed to update the pull request comment: %v", errSummary(err))
	default:
		r.res.CommentID, r.res.CommentAction = id, act
		fmt.Fprintf(r.o.Stdout, "lockstep: comment %s (id %d)\n", act, id)
	}
}

// setOutput writes an output when GITHUB_OUTPUT is set.
func (r *runner) setOutput(k, v string) {
	if r.o.Getenv("GITHUB_OUTPUT") == "" {
		return
	}
	defer r.recoverFileCommand("GITHUB_OUTPUT")
	r.a.SetOutput(k, v)
}

// summary appends to the job summary when GITHUB_STEP_SUMMARY is set.
func (r *runner) summary(md string) {
	if r.o.Getenv("GITHUB_STEP_SUMMARY") == "" {
		return
	}
	defer r.recoverFileCommand("GITHUB_STEP_SUMMARY")
	r.a.AddStepSummary(md)
}

// recoverFileCommand turns go-githubactions' panic on an unwritable file
// command into a warning.
func (r *runner) recoverFileCommand(env string) {
	if v := recover(); v != nil {
		r.a.Warningf("lockstep: failed to write %s %q: %v", env, r.o.Getenv(env), v)
	}
}
