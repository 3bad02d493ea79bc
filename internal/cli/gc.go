package cli

import "runtime/debug"

// installGCPercent is the garbage collector's GOGC while packages are
// installed (`ci`, and the install half of `install`), unless GOGC is set.
// An install keeps a small live heap (the lockfile model and the graph:
// 5-20 MB) and exits within seconds, while on the VMs we measured the first
// touch of every page a process has not used before costs about 22 µs (a
// trap into the hypervisor): collecting four times as often keeps the heap
// in pages already touched, for about the same CPU. Measured against the
// default (100), alternating, 3 runs each: p4_warm_link peak RSS large
// 43-44 against 48-50 MB and medium 23-24 against 25-28 MB;
// p3_cold_install medium 40 against 53-57 MB; wall and user time the same
// within the runs' spread.
const installGCPercent = 25

// lowerGC sets installGCPercent unless the user set GOGC, and returns what
// restores the previous setting.
func lowerGC(getenv func(string) string) (restore func()) {
	if getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(installGCPercent)
	return func() { debug.SetGCPercent(old) }
}
