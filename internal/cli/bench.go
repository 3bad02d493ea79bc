package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/lockstep-dev/lockstep/internal/bench"
)

var phaseAliases = map[string]string{
	"p0": bench.PhaseFullCold, "p1": bench.PhaseResolve, "p3": bench.PhaseCold, "p4": bench.PhaseWarm,
}

func runBench(ctx context.Context, args []string, stdio Stdio, getenv func(string) string) int {
	fs := newFlagSet("bench", "lockstep bench [--dir D] [--runs N] [--vs npm,pnpm,bun] [--phases p3,p4] [--format markdown|json]", stdio)
	var dirs, vs, phases listFlag
	fs.Var(&dirs, "dir", "project `directories` with package.json and package-lock.json (comma-separated or repeated; default .)")
	fs.Var(&vs, "vs", "other `tools` to run beside lockstep: npm, pnpm, bun (default all three)")
	fs.Var(&phases, "phases", "`phases`: p0, p1, p3, p4 or their full names (default p3,p4)")
	runs := fs.Int("runs", 3, "runs per project and phase")
	format := fs.String("format", "markdown", "output `format`: markdown or json")
	work := fs.String("work", "", "scratch `directory` (default: a new temporary directory, kept for its logs)")
	registryURL := fs.String("registry", "https://registry.npmjs.org/", "registry `URL`")
	floor := fs.Bool("floor", false, "also measure the network floors (p1: the packuments, p3: the tarballs, each by one curl) and the cp -al floor (p4)")
	settle := fs.Duration("settle", 0, "sync and wait this long before each timed run, so tools do not pay for each other's deletions (e.g. 65s); also drop the kernel's dentry and inode caches when each fixture starts (root only), as on a fresh CI machine")
	if code, done := parse(fs, args); done {
		return code
	}
	if *format != "markdown" && *format != "json" {
		fmt.Fprintf(stdio.Err, "lockstep bench: invalid value %q for --format: expected \"markdown\" or \"json\"\n", *format)
		return ExitUsage
	}
	if *runs < 1 {
		fmt.Fprintf(stdio.Err, "lockstep bench: invalid value \"%d\" for --runs: expected at least 1\n", *runs)
		return ExitUsage
	}
	if len(dirs) == 0 {
		dirs = listFlag{"."}
	}
	if len(vs) == 0 {
		vs = listFlag{"npm", "pnpm", "bun"}
	}
	tools := []string{bench.ToolLockstep}
	for _, t := range vs {
		if t != "npm" && t != "pnpm" && t != "bun" {
			fmt.Fprintf(stdio.Err, "lockstep bench: invalid value %q for --vs: expected \"npm\", \"pnpm\" or \"bun\"\n", t)
			return ExitUsage
		}
		tools = append(tools, t)
	}
	if len(phases) == 0 {
		phases = listFlag{"p3", "p4"}
	}
	var ph []string
	for _, p := range phases {
		if full, ok := phaseAliases[p]; ok {
			p = full
		}
		switch p {
		case bench.PhaseFullCold, bench.PhaseResolve, bench.PhaseCold, bench.PhaseWarm:
		default:
			fmt.Fprintf(stdio.Err, "lockstep bench: invalid value %q for --phases: expected p0, p1, p3 or p4\n", p)
			return ExitUsage
		}
		ph = append(ph, p)
	}
	var abs []string
	for _, d := range dirs {
		a, err := filepath.Abs(d)
		if err == nil {
			_, err = os.Stat(filepath.Join(a, "package.json"))
		}
		if err != nil {
			fmt.Fprintf(stdio.Err, "lockstep bench: failed to read project %q: %v\n", d, err)
			return ExitUsage
		}
		abs = append(abs, a)
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stdio.Err, "lockstep bench: failed to find the lockstep binary: %v\n", err)
		return ExitFailure
	}
	if *work == "" {
		d, err := os.MkdirTemp("", "lockstep-bench-")
		if err != nil {
			fmt.Fprintf(stdio.Err, "lockstep bench: failed to create a work directory: %v\n", err)
			return ExitFailure
		}
		*work = d
	}
	fmt.Fprintf(stdio.Err, "lockstep bench: work directory %s (logs in %s)\n", *work, filepath.Join(*work, "logs"))
	samples, err := bench.Run(ctx, bench.Options{
		Fixtures: abs, Tools: tools, Phases: ph, Runs: *runs, Lockstep: self,
		WorkDir: *work, ToolsDir: filepath.Join(DefaultCacheDir(getenv), "bench-tools"),
		Registry: *registryURL, Floor: *floor, Settle: *settle, Stdout: stdio.Out, Stderr: stdio.Err,
	})
	if err != nil {
		fmt.Fprintf(stdio.Err, "lockstep bench: %v\n", err)
		return ExitFailure
	}
	if *format == "json" {
		stdio.Out.Write(bench.JSON(samples))
	} else {
		fmt.Fprint(stdio.Out, bench.Markdown(samples))
	}
	if n := countFailed(samples); n > 0 {
		fmt.Fprintf(stdio.Err, "lockstep bench: %d of the runs failed; see the logs\n", n)
		return ExitFailure
	}
	return ExitOK
}

func countFailed(samples []bench.Sample) int {
	n := 0
	for _, s := range samples {
		if !s.OK() && !s.Skipped() {
			n++
		}
	}
	return n
}
