package cli

import (
	"context"
	"fmt"

	"github.com/lockstep-dev/lockstep/cache/verify"
)

const cacheUsage = `Usage:
  lockstep cache verify [--cache-dir D] [--fix]

Subcommands:
  verify    check every store and manifest cache entry; exit 1 if any is bad
`

// runCache dispatches `lockstep cache <subcommand>`.
func runCache(ctx context.Context, args []string, stdio Stdio, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stdio.Err, cacheUsage)
		return ExitUsage
	}
	switch args[0] {
	case "verify":
		return runCacheVerify(ctx, args[1:], stdio, getenv)
	case "-h", "--help", "-help", "help":
		fmt.Fprint(stdio.Out, cacheUsage)
		return ExitOK
	}
	fmt.Fprintf(stdio.Err, "lockstep cache: unknown subcommand %q\n\n%s", args[0], cacheUsage)
	return ExitUsage
}

func runCacheVerify(_ context.Context, args []string, stdio Stdio, getenv func(string) string) int {
	fs := newFlagSet("cache verify", "lockstep cache verify [--cache-dir D] [--fix]", stdio)
	cacheDir := fs.String("cache-dir", "", "cache `directory` (default $LOCKSTEP_CACHE_DIR, $XDG_CACHE_HOME/lockstep or ~/.cache/lockstep)")
	fix := fs.Bool("fix", false, "remove bad entries and leftovers, so the next run fetches them again")
	quiet := fs.Bool("quiet", false, "print only problems")
	if code, done := parse(fs, args); done {
		return code
	}
	if *cacheDir == "" {
		*cacheDir = DefaultCacheDir(getenv)
	}
	rep, err := verify.Run(*cacheDir, verify.Options{Fix: *fix})
	if err != nil {
		fmt.Fprintf(stdio.Err, "lockstep cache verify: %v\n", err)
		return ExitFailure
	}
	for _, p := range rep.Problems {
		what := "bad"
		if p.Leftover {
			what = "leftover"
		}
		action := ""
		if p.Fixed {
			action = " (removed)"
		} else if *fix {
			action = " (could not remove)"
		}
		fmt.Fprintf(stdio.Out, "%s %s %s: %s%s\n", what, p.Kind, p.Path, p.Reason, action)
	}
	if !*quiet || len(rep.Problems) > 0 {
		fmt.Fprintf(stdio.Out, "checked %d store entries and %d manifests in %q: %d bad, %d leftovers\n",
			rep.StoreEntries, rep.ManifestEntries, *cacheDir, rep.Bad(), len(rep.Problems)-rep.Bad())
	}
	// With --fix, a cache whose bad entries are all gone is healthy again.
	if *fix && rep.Unfixed() == 0 {
		return ExitOK
	}
	if rep.Bad() > 0 {
		return ExitFailure
	}
	return ExitOK
}
