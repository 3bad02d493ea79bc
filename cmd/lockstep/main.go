// Command lockstep is an npm-compatible dependency installer built for CI.
//
// main is deliberately thin: everything lives in internal/cli so that tests
// can run the whole program in-process.
package main

import (
	"os"

	"github.com/lockstep-dev/lockstep/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Getenv))
}
