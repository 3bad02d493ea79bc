// Command benchfixtures runs the lockstep benchmark (package bench) on
// fixture folders and prints the result table as Markdown or JSON on stdout;
// progress goes to stderr.
//
//	benchfixtures -fixtures /work/shared/fixtures/small -tools npm,pnpm,bun \
//	    -phases p3_cold_install,p4_warm_link -runs 2 -work /tmp/bench
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/lockstep-dev/lockstep/internal/bench"
)

func main() {
	os.Exit(run())
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// phaseAlias lets "p3" stand for "p3_cold_install" and so on.
var phaseAlias = map[string]string{
	"p0": bench.PhaseFullCold, "p1": bench.PhaseResolve, "p3": bench.PhaseCold, "p4": bench.PhaseWarm,
}

func run() int {
	fs := flag.NewFlagSet("benchfixtures", flag.ContinueOnError)
	fixtures := fs.String("fixtures", "/work/shared/fixtures/small", "comma-separated fixture dirs (package.json + package-lock.json)")
	tools := fs.String("tools", "lockstep,npm,pnpm,bun", "comma-separated tools: lockstep, npm, pnpm, bun")
	phases := fs.String("phases", "p3_cold_install,p4_warm_link", "comma-separated phases (p1_resolve, p3_cold_install, p4_warm_link, p0_full_cold; p1, p3, p4, p0 also work)")
	runs := fs.Int("runs", 3, "runs per fixture")
	lockstep := fs.String("lockstep", "", "path of the lockstep binary (needed when -tools has lockstep)")
	work := fs.String("work", "", "scratch dir (default: a new temp dir, kept afterwards)")
	toolsDir := fs.String("tools-dir", "", "where npm/pnpm/bun are installed (default: <work>/tools)")
	registry := fs.String("registry", "https://registry.npmjs.org/", "registry URL")
	floor := fs.Bool("floor", false, "also measure the network floor (p3) and the cp -al floor (p4)")
	format := fs.String("format", "markdown", "output format: markdown or json")
	npmInstall := fs.String("npm-install-fixtures", strings.Join(bench.DefaultNPMInstallFixtures, ","), "fixture names where npm p3/p4 use `npm install` instead of `npm ci`")
	timeout := fs.Duration("timeout", 20*time.Minute, "timeout of one command")
	settleFor := fs.Duration("settle", 0, "sync and wait this long before each timed command (e.g. 65s: ext4 without a journal slows allocation for 60 s after deletions)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	if *format != "markdown" && *format != "json" {
		fmt.Fprintf(os.Stderr, "failed to parse flags: unknown format %q (want markdown or json)\n", *format)
		return 2
	}
	var ph []string
	for _, p := range split(*phases) {
		if full, ok := phaseAlias[p]; ok {
			p = full
		}
		ph = append(ph, p)
	}
	if *work == "" {
		d, err := os.MkdirTemp("", "lockstep-bench-")
		if err != nil {
			fmt.Fprintf(os.Stderr, "failed to create work dir: %v\n", err)
			return 1
		}
		*work = d
	}
	fmt.Fprintf(os.Stderr, "bench: work dir %s (logs in %s)\n", *work, filepath.Join(*work, "logs"))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	npmInst := split(*npmInstall)
	if npmInst == nil {
		npmInst = []string{} // explicitly none, not the default
	}
	samples, err := bench.Run(ctx, bench.Options{
		Fixtures:           split(*fixtures),
		Tools:              split(*tools),
		Phases:             ph,
		Runs:               *runs,
		Lockstep:           *lockstep,
		WorkDir:            *work,
		ToolsDir:           *toolsDir,
		Registry:           *registry,
		Floor:              *floor,
		NPMInstallFixtures: npmInst,
		Timeout:            *timeout,
		Settle:             *settleFor,
		Stdout:             os.Stderr,
		Stderr:             os.Stderr,
	})
	if len(samples) > 0 {
		if *format == "json" {
			os.Stdout.Write(bench.JSON(samples))
		} else {
			fmt.Print(bench.Markdown(samples))
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "failed to run benchmark: %v\n", err)
		return 1
	}
	return 0
}
