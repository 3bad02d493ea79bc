package cli

import (
	"fmt"

	"github.com/lockstep-dev/lockstep/install"
	"github.com/lockstep-dev/lockstep/internal/fsx"
	"github.com/lockstep-dev/lockstep/internal/timing"
)

// depTypesOK checks the values of --omit and --include, printing the first
// bad one for cmd.
func depTypesOK(stdio Stdio, cmd string, lists ...listFlag) bool {
	for _, l := range lists {
		for _, v := range l {
			if v != "dev" && v != "optional" && v != "peer" {
				fmt.Fprintf(stdio.Err, "lockstep %s: invalid value %q for --omit/--include: expected one of \"dev\", \"optional\", \"peer\"\n", cmd, v)
				return false
			}
		}
	}
	return true
}

// installFailed prints an install or resolve error for cmd and returns its
// exit code: bad input is a usage error.
func installFailed(stdio Stdio, cmd string, err error) int {
	fmt.Fprintf(stdio.Err, "lockstep %s: %v\n", cmd, err)
	if install.IsInputError(err) {
		return ExitUsage
	}
	return ExitFailure
}

// writeReport writes the --report file of cmd when path is set.
func writeReport(stdio Stdio, cmd, path string, rep timing.Report) int {
	if path == "" {
		return ExitOK
	}
	if err := fsx.WriteFileAtomic(path, rep.JSON()); err != nil {
		fmt.Fprintf(stdio.Err, "lockstep %s: failed to write report %q: %v\n", cmd, path, err)
		return ExitFailure
	}
	return ExitOK
}
