package bun

import (
	"testing"

	"github.com/lockstep-dev/lockstep/diff/lockfile/parsetest"
)

// FuzzParse: Parse never panics, is deterministic, and its errors are
// "failed to …" lines naming the file (parsetest.FuzzParse).
func FuzzParse(f *testing.F) { parsetest.FuzzParse(f, "bun.lock", Parse) }
