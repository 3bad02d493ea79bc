//go:build !unix

package scripts

import (
	"os"
	"os/exec"
)

// setProcessGroup is a no-op where process groups are unavailable; the
// default cancellation kills the shell only.
func setProcessGroup(cmd *exec.Cmd) {}

// exitSignal is unknown here.
func exitSignal(ps *os.ProcessState) string { return "" }
