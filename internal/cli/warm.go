package cli

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/lockstep-dev/lockstep/cache/manifest"
	"github.com/lockstep-dev/lockstep/install/npmrc"
	"github.com/lockstep-dev/lockstep/install/preload"
)

func runWarm(ctx context.Context, args []string, stdio Stdio, getenv func(string) string) int {
	fs := newFlagSet("warm", "lockstep warm [--dir D] [--cache-dir D] [--registry URL] [--concurrency N] [--prefer-offline|--offline] [--progress auto|always|never]", stdio)
	dir := fs.String("dir", ".", "project `directory` holding package.json (and package-lock.json)")
	cacheDir := fs.String("cache-dir", "", "cache `directory` (default $LOCKSTEP_CACHE_DIR, $XDG_CACHE_HOME/lockstep or ~/.cache/lockstep)")
	registryURL := fs.String("registry", "", "registry `URL` (default from .npmrc, else https://registry.npmjs.org/)")
	concurrency := fs.Int("concurrency", 128, "parallel registry requests")
	preferOffline := fs.Bool("prefer-offline", false, "use any cached manifest, however old; fetch only what is missing")
	offline := fs.Bool("offline", false, "never touch the network; fail on a cache miss")
	nodeVersion := fs.String("node-version", "", "node `version` that engines are judged against (default: `node -v`)")
	progressSetting := progressFlag(fs)
	if code, done := parse(fs, args); done {
		return code
	}
	if *concurrency < 1 {
		fmt.Fprintf(stdio.Err, "lockstep warm: invalid value %q for --concurrency: expected a number of at least 1\n", strconv.Itoa(*concurrency))
		return ExitUsage
	}
	mode := manifest.Normal
	switch {
	case *offline && *preferOffline:
		fmt.Fprintln(stdio.Err, "lockstep warm: --offline and --prefer-offline exclude each other")
		return ExitUsage
	case *offline:
		mode = manifest.Offline
	case *preferOffline:
		mode = manifest.PreferOffline
	}
	flags := map[string]string{}
	if *registryURL != "" {
		flags["registry"] = *registryURL
	}
	cfg, err := npmrc.Load(npmrc.LoadOptions{Dir: *dir, Getenv: getenv, Flags: flags, Home: getenv("HOME")})
	if err != nil {
		fmt.Fprintf(stdio.Err, "lockstep warm: %v\n", err)
		return ExitUsage
	}
	if *cacheDir == "" {
		*cacheDir = DefaultCacheDir(getenv)
	}
	nv := *nodeVersion
	if nv == "" {
		if out, err := exec.CommandContext(ctx, "node", "-v").Output(); err == nil {
			nv = strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
		}
	}
	prog, ok := startProgress("warm", *progressSetting, stdio, getenv)
	if !ok {
		return ExitUsage
	}
	res, err := preload.Warm(ctx, *dir, preload.WarmOptions{
		Config: cfg, CacheDir: *cacheDir, Concurrency: *concurrency, Mode: mode, NodeVersion: nv,
		Progress: prog,
	})
	prog.Stop()
	if err != nil {
		fmt.Fprintf(stdio.Err, "lockstep warm: %v\n", cfg.Redact(err.Error()))
		return ExitFailure
	}
	for _, e := range res.SoftErrors {
		fmt.Fprintf(stdio.Err, "lockstep warm: warning: %v\n", cfg.Redact(e.Error()))
	}
	var requests, bytes, hits int64
	if res.HTTP != nil {
		requests, bytes = res.HTTP.Requests.Load(), res.HTTP.Bytes.Load()
	}
	if res.Cache != nil {
		hits = res.Cache.Hits.Load()
	}
	fmt.Fprintf(stdio.Out, "warmed %d packuments for %d dependencies in %s (%d from cache, %d requests, %.1f MB downloaded)\n",
		res.Packuments, res.Roots, res.Elapsed.Round(time.Millisecond), hits, requests, float64(bytes)/1e6)
	return ExitOK
}
