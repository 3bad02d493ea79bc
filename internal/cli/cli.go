// Package cli is lockstep's command line: subcommands, flags and exit codes.
// Main is the whole program; cmd/lockstep only calls it, so tests run the
// real thing in-process.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
)

// Exit codes.
const (
	ExitOK      = 0 // success
	ExitFailure = 1 // the install or another operation failed
	ExitUsage   = 2 // bad flags or bad input (package.json, lockfile out of sync)
)

// Version is lockstep's version; release builds set it with -ldflags -X.
var Version = "0.1.0"

// Stdio are the program's standard streams.
type Stdio struct {
	In       io.Reader
	Out, Err io.Writer
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdio Stdio, getenv func(string) string) int
}

func commands() []command {
	return []command{
		{"ci", "install exactly what package-lock.json pins, like npm ci", runCI},
		{"install", "resolve what package-lock.json lacks, then install like ci", runInstall},
		{"resolve", "write package-lock.json from package.json, like npm install --package-lock-only", runResolve},
		{"warm", "fill the manifest cache with the project's dependency closure", runWarm},
		{"diff", "summarize a lockfile change for reviewers (markdown or JSON)", runDiff},
		{"action", "run as the GitHub Action (reads INPUT_* and the GitHub environment)", runAction},
		{"bench", "time lockstep against npm, pnpm and bun on a project", runBench},
		{"cache", "check the cache: lockstep cache verify [--fix]", runCache},
		{"version", "print lockstep's version", runVersion},
		{"help", "show this help, or a command's: lockstep help ci", nil},
	}
}

const usageHeader = `lockstep is an npm-compatible dependency installer built for CI.

Usage:
  lockstep <command> [flags]

Commands:
`

func usage(w io.Writer) {
	fmt.Fprint(w, usageHeader)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun `lockstep help <command>` for a command's flags.\n")
}

// Main runs lockstep with args (without the program name) and returns the
// process exit code.
func Main(args []string, stdio Stdio, getenv func(string) string) int {
	if stdio.Out == nil {
		stdio.Out = io.Discard
	}
	if stdio.Err == nil {
		stdio.Err = io.Discard
	}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if len(args) == 0 {
		usage(stdio.Err)
		return ExitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "--help", "-help":
		usage(stdio.Out)
		return ExitOK
	case "-v", "--version", "-version":
		name = "version"
	case "help":
		if len(rest) == 0 {
			usage(stdio.Out)
			return ExitOK
		}
		name, rest = rest[0], []string{"-h"}
	}
	for _, c := range commands() {
		if c.name == name && c.run != nil {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return c.run(ctx, rest, stdio, getenv)
		}
	}
	fmt.Fprintf(stdio.Err, "lockstep: unknown command %q\n\n", name)
	usage(stdio.Err)
	return ExitUsage
}

func runVersion(_ context.Context, args []string, stdio Stdio, _ func(string) string) int {
	fs := newFlagSet("version", "lockstep version", stdio)
	if code, done := parse(fs, args); done {
		return code
	}
	fmt.Fprintf(stdio.Out, "lockstep %s\n", Version)
	return ExitOK
}

func newFlagSet(name, synopsis string, stdio Stdio) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stdio.Err)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage:\n  %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags; done reports that the caller should return code
// (help was asked for, or the flags were bad).
func parse(fs *flag.FlagSet, args []string) (code int, done bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(fs.Output())
			return ExitOK, true
		}
		return ExitUsage, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "lockstep %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return ExitUsage, true
	}
	return ExitOK, false
}

// listFlag collects comma-separated values from repeated flags.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// DefaultCacheDir is $LOCKSTEP_CACHE_DIR, else $XDG_CACHE_HOME/lockstep,
// else ~/.cache/lockstep.
func DefaultCacheDir(getenv func(string) string) string {
	if d := getenv("LOCKSTEP_CACHE_DIR"); d != "" {
		return d
	}
	if d := getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "lockstep")
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".cache", "lockstep")
}
