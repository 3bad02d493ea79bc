package cli

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/lockstep-dev/lockstep/install"
	"github.com/lockstep-dev/lockstep/internal/progress"
	"github.com/lockstep-dev/lockstep/internal/timing"
)

func runCI(ctx context.Context, args []string, stdio Stdio, getenv func(string) string) int {
	fs := newFlagSet("ci", "lockstep ci [--dir D] [--omit dev,optional,peer] [--ignore-scripts] [--cache-dir D] [--registry URL] [--concurrency N] [--report FILE] [--progress auto|always|never]", stdio)
	dir := fs.String("dir", ".", "project `directory` holding package.json and package-lock.json")
	var omit, include listFlag
	fs.Var(&omit, "omit", "dependency `types` to leave out: dev, optional, peer (comma-separated or repeated)")
	fs.Var(&include, "include", "dependency `types` to keep even if omitted by config or NODE_ENV=production")
	ignoreScripts := fs.Bool("ignore-scripts", false, "do not run lifecycle scripts")
	legacyPeer := fs.Bool("legacy-peer-deps", false, "ignore peerDependencies, like npm --legacy-peer-deps")
	cacheDir := fs.String("cache-dir", "", "cache `directory` (default $LOCKSTEP_CACHE_DIR, $XDG_CACHE_HOME/lockstep or ~/.cache/lockstep)")
	registryURL := fs.String("registry", "", "registry `URL` (default from .npmrc, else https://registry.npmjs.org/)")
	concurrency := fs.Int("concurrency", 64, "parallel downloads")
	report := fs.String("report", "", "write a JSON timing report to `file`")
	progressSetting := progressFlag(fs)
	if code, done := parse(fs, args); done {
		return code
	}
	if *concurrency < 1 {
		fmt.Fprintf(stdio.Err, "lockstep ci: invalid value %q for --concurrency: expected a number of at least 1\n", strconv.Itoa(*concurrency))
		return ExitUsage
	}
	if !depTypesOK(stdio, "ci", omit, include) {
		return ExitUsage
	}
	flags := map[string]string{}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *registryURL != "" {
		flags["registry"] = *registryURL
	}
	if len(omit) > 0 {
		flags["omit"] = strings.Join(omit, ",")
	}
	if len(include) > 0 {
		flags["include"] = strings.Join(include, ",")
	}
	if set["ignore-scripts"] {
		flags["ignore-scripts"] = strconv.FormatBool(*ignoreScripts)
	}
	if set["legacy-peer-deps"] {
		flags["legacy-peer-deps"] = strconv.FormatBool(*legacyPeer)
	}
	if *cacheDir == "" {
		*cacheDir = DefaultCacheDir(getenv)
	}
	prog, ok := startProgress("ci", *progressSetting, stdio, getenv)
	if !ok {
		return ExitUsage
	}
	rec := timing.New(nil)
	res, err := install.CI(ctx, install.Options{
		Dir: *dir, CacheDir: *cacheDir, Concurrency: *concurrency, Flags: flags,
		Getenv: getenv, Stdout: prog.Wrap(stdio.Out), Stderr: prog.Wrap(stdio.Err), Timing: rec,
		Progress: prog,
	})
	prog.Stop()
	if err != nil {
		return installFailed(stdio, "ci", err)
	}
	return writeReport(stdio, "ci", *report, rec.Report("ci", Version, res.Packages))
}

// progressFlag registers --progress on fs.
func progressFlag(fs *flag.FlagSet) *string {
	return fs.String("progress", "auto", "show `progress` on stderr: auto (a live line on a terminal, plain lines when $CI is set), always, never")
}

// startProgress checks a --progress value and starts the reporter on
// stdio.Err (nil when progress is off); ok is false after a usage error,
// already reported.
func startProgress(cmd, value string, stdio Stdio, getenv func(string) string) (r *progress.Reporter, ok bool) {
	s, err := progress.ParseSetting(value)
	if err != nil {
		fmt.Fprintf(stdio.Err, "lockstep %s: invalid value %q for --progress: expected one of \"auto\", \"always\", \"never\"\n", cmd, value)
		return nil, false
	}
	mode := progress.Choose(s, progress.IsTerminal(stdio.Err), getenv)
	return progress.Start(stdio.Err, mode, progress.Options{Label: "lockstep " + cmd}), true
}
