package cli

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/lockstep-dev/lockstep/cache/manifest"
	"github.com/lockstep-dev/lockstep/install"
	"github.com/lockstep-dev/lockstep/internal/timing"
)

// resolveFlags are the flags resolve and install share.
type resolveFlags struct {
	dir, cacheDir, registry, nodeVersion, report *string
	legacyPeer, force, strictPeer                *bool
	preferOffline, offline                       *bool
	lockfileVersion, concurrency                 *int
	osName, cpu, libc                            *string
	installStrategy                              *string
}

func addResolveFlags(fs *flag.FlagSet) *resolveFlags {
	return &resolveFlags{
		dir:             fs.String("dir", ".", "project `directory` holding package.json"),
		cacheDir:        fs.String("cache-dir", "", "cache `directory` (default $LOCKSTEP_CACHE_DIR, $XDG_CACHE_HOME/lockstep or ~/.cache/lockstep)"),
		registry:        fs.String("registry", "", "registry `URL` (default from .npmrc, else https://registry.npmjs.org/)"),
		nodeVersion:     fs.String("node-version", "", "node `version` that engines are judged against (default: `node -v`)"),
		report:          fs.String("report", "", "write a JSON timing report to `file`"),
		legacyPeer:      fs.Bool("legacy-peer-deps", false, "ignore peerDependencies, like npm --legacy-peer-deps"),
		force:           fs.Bool("force", false, "accept peer conflicts and platform mismatches, like npm --force"),
		strictPeer:      fs.Bool("strict-peer-deps", false, "fail on any peer conflict, like npm --strict-peer-deps"),
		preferOffline:   fs.Bool("prefer-offline", false, "use any cached manifest, however old"),
		offline:         fs.Bool("offline", false, "never touch the network; fail on a cache miss"),
		lockfileVersion: fs.Int("lockfile-version", 0, "lockfile `version` to write (3; default: npm's)"),
		concurrency:     fs.Int("concurrency", 128, "parallel registry requests"),
		osName:          fs.String("os", "", "resolve optional packages for this `os` instead of this machine's"),
		cpu:             fs.String("cpu", "", "resolve optional packages for this `cpu`"),
		libc:            fs.String("libc", "", "resolve optional packages for this `libc` (glibc, musl)"),
		installStrategy: fs.String("install-strategy", "", "node_modules layout, like npm's: hoisted, nested or shallow (default from .npmrc, else hoisted)"),
	}
}

func (r *resolveFlags) options(fs *flag.FlagSet, cmd string, stdio Stdio, getenv func(string) string) (install.ResolveOptions, int, bool) {
	var o install.ResolveOptions
	if *r.concurrency < 1 {
		fmt.Fprintf(stdio.Err, "lockstep %s: invalid value %q for --concurrency: expected a number of at least 1\n", cmd, strconv.Itoa(*r.concurrency))
		return o, ExitUsage, false
	}
	if v := *r.lockfileVersion; v != 0 && v != 2 && v != 3 {
		fmt.Fprintf(stdio.Err, "lockstep %s: invalid value %q for --lockfile-version: lockstep writes versions 2 and 3\n", cmd, strconv.Itoa(v))
		return o, ExitUsage, false
	}
	if *r.offline && *r.preferOffline {
		fmt.Fprintf(stdio.Err, "lockstep %s: --offline and --prefer-offline exclude each other\n", cmd)
		return o, ExitUsage, false
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if v := *r.installStrategy; set["install-strategy"] && v != "hoisted" && v != "nested" && v != "shallow" && v != "linked" {
		fmt.Fprintf(stdio.Err, "lockstep %s: invalid value %q for --install-strategy: expected hoisted, nested or shallow\n", cmd, v)
		return o, ExitUsage, false
	}
	flags := map[string]string{}
	if set["install-strategy"] {
		flags["install-strategy"] = *r.installStrategy
	}
	if *r.registry != "" {
		flags["registry"] = *r.registry
	}
	for name, v := range map[string]*bool{"legacy-peer-deps": r.legacyPeer, "force": r.force, "strict-peer-deps": r.strictPeer} {
		if set[name] {
			flags[name] = strconv.FormatBool(*v)
		}
	}
	for name, v := range map[string]*string{"os": r.osName, "cpu": r.cpu, "libc": r.libc} {
		if *v != "" {
			flags[name] = *v
		}
	}
	if *r.lockfileVersion != 0 {
		flags["lockfile-version"] = strconv.Itoa(*r.lockfileVersion)
	}
	cacheDir := *r.cacheDir
	if cacheDir == "" {
		cacheDir = DefaultCacheDir(getenv)
	}
	mode := manifest.Normal
	if *r.offline {
		mode = manifest.Offline
	} else if *r.preferOffline {
		mode = manifest.PreferOffline
	}
	return install.ResolveOptions{Dir: *r.dir, CacheDir: cacheDir, Concurrency: *r.concurrency, Flags: flags,
		Getenv: getenv, Stderr: stdio.Err, NodeVersion: strings.TrimPrefix(*r.nodeVersion, "v"), Mode: mode, Write: true}, 0, true
}

func runResolve(ctx context.Context, args []string, stdio Stdio, getenv func(string) string) int {
	fs := newFlagSet("resolve", "lockstep resolve [--dir D] [--legacy-peer-deps] [--force] [--install-strategy S] [--os O --cpu C --libc L] [--node-version V] [--cache-dir D] [--registry URL]", stdio)
	rf := addResolveFlags(fs)
	fs.Bool("ignore-scripts", false, "accepted like npm's: resolve never runs scripts")
	var omit, include listFlag
	fs.Var(&omit, "omit", "accepted like npm's: the lockfile records every dependency type")
	fs.Var(&include, "include", "accepted like npm's")
	if code, done := parse(fs, args); done {
		return code
	}
	if !depTypesOK(stdio, "resolve", omit, include) {
		return ExitUsage
	}
	o, code, okk := rf.options(fs, "resolve", stdio, getenv)
	if !okk {
		return code
	}
	rec := timing.New(nil)
	o.Timing = rec
	res, err := install.Resolve(ctx, o)
	if err != nil {
		return installFailed(stdio, "resolve", err)
	}
	verb := "unchanged"
	if res.Changed {
		verb = "wrote"
	}
	fmt.Fprintf(stdio.Out, "%s %s (%d packages)\n", verb, res.Path, res.Packages)
	return writeReport(stdio, "resolve", *rf.report, rec.Report("resolve", Version, timing.Packages{Total: res.Packages}))
}

func runInstall(ctx context.Context, args []string, stdio Stdio, getenv func(string) string) int {
	fs := newFlagSet("install", "lockstep install [--dir D] [--omit dev,optional,peer] [--ignore-scripts] [--legacy-peer-deps] [--force] [--install-strategy S] [--node-version V] [--cache-dir D] [--registry URL]", stdio)
	rf := addResolveFlags(fs)
	var omit, include listFlag
	fs.Var(&omit, "omit", "dependency `types` to leave out of node_modules: dev, optional, peer")
	fs.Var(&include, "include", "dependency `types` to keep even if omitted by config or NODE_ENV=production")
	ignoreScripts := fs.Bool("ignore-scripts", false, "do not run lifecycle scripts")
	if code, done := parse(fs, args); done {
		return code
	}
	if !depTypesOK(stdio, "install", omit, include) {
		return ExitUsage
	}
	o, code, okk := rf.options(fs, "install", stdio, getenv)
	if !okk {
		return code
	}
	rec := timing.New(nil)
	o.Timing = rec
	res, err := install.Resolve(ctx, o)
	if err != nil {
		return installFailed(stdio, "install", err)
	}
	if res.Changed {
		fmt.Fprintf(stdio.Out, "wrote %s (%d packages)\n", res.Path, res.Packages)
	}
	flags := map[string]string{}
	for k, v := range o.Flags {
		flags[k] = v
	}
	if len(omit) > 0 {
		flags["omit"] = strings.Join(omit, ",")
	}
	if len(include) > 0 {
		flags["include"] = strings.Join(include, ",")
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["ignore-scripts"] {
		flags["ignore-scripts"] = strconv.FormatBool(*ignoreScripts)
	}
	ciRes, err := install.CI(ctx, install.Options{
		Dir: o.Dir, CacheDir: o.CacheDir, Concurrency: min(o.Concurrency, 64), Flags: flags,
		Reuse:  true, // npm install changes node_modules in place
		Getenv: getenv, Stdout: stdio.Out, Stderr: stdio.Err, Timing: rec,
	})
	if err != nil {
		return installFailed(stdio, "install", err)
	}
	return writeReport(stdio, "install", *rf.report, rec.Report("install", Version, ciRes.Packages))
}
