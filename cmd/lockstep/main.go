// Command lockstep is an npm-compatible dependency installer built for CI.
//
// main is deliberately thin: everything lives in internal/cli so that tests
// can run the whole program in-process.
package main

import (
	"os"

	"github.com/lockstep-dev/lockstep/internal/cli"
	"github.com/lockstep-dev/lockstep/internal/memlimit"
)

func main() {
	memlimit.Start(os.Getenv) // the process's GC policy; tests running cli.Main keep theirs
	os.Exit(cli.Main(os.Args[1:], cli.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Getenv))
}
