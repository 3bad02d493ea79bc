// Package memlimit keeps the lockstep process's memory near its working
// set. With Go's default GOGC=100 a heap may grow to twice what is live
// between collections: a resolve of a 5,000-package project holds about
// 100 MB live and peaked at 250–270 MB RSS. A soft memory limit of Base
// makes the collector run before the heap grows that far, and costs
// nothing measurable there (the large fixture resolved as fast: 3.2–4.2 s
// either way, peak RSS 171 MB). A working set beyond Base would make a
// fixed limit collect without pause, so after each collection the limit
// is raised to MinHeadroom times the live heap: never tighter than
// GOGC=60.
//
// Lean and Normal lower and restore the collector's target (GOGC) for a
// stretch that allocates little but peaks: ci before its first download.
//
// A GOMEMLIMIT or GOGC in the environment is the user's choice and turns
// this off.
package memlimit

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

const (
	// Base is the soft limit while the live heap is small.
	Base = 160 << 20
	// MinHeadroom is the least headroom above the live heap, as a ratio.
	MinHeadroom = 1.6
)

// Start sets the limit and keeps it above the live heap, unless getenv
// has GOMEMLIMIT or GOGC. It reports whether it did.
func Start(getenv func(string) string) bool {
	if getenv("GOMEMLIMIT") != "" || getenv("GOGC") != "" {
		return false
	}
	debug.SetMemoryLimit(Base)
	arm()
	started.Store(true)
	return true
}

// started is set by Start: Lean and Normal change only the policy Start
// set, never the user's GOGC, nor that of tests calling the CLI in-process.
var started atomic.Bool

// LeanGOGC is the collector's target while Lean is in effect.
const LeanGOGC = 20

// lean is whether Lean's target is in effect.
var lean atomic.Bool

// Lean makes the collector keep the heap within LeanGOGC percent above the
// live heap, until Normal. ci runs lean until it downloads: installing
// from a warm store is system calls, not allocation. GOGC=35 there cost no
// measurable time while the large fixture's peak RSS fell from 44.3 to
// 39.4 MB (medians of 6, alternating with the default); GOGC=20 took it
// from 38.5 to 36.4 MB (0.99 s against 1.07 s, medians of 4; medium 0.305
// against 0.295 s of 6, within the noise), and GOGC=10 to 34.9 MB at
// 1.10 s. A download (decompression, hashing) allocates enough for the
// collections to cost, so it goes back to normal.
func Lean() {
	if started.Load() && !lean.Swap(true) {
		debug.SetGCPercent(LeanGOGC)
	}
}

// Normal undoes Lean. It is cheap after the first call: every download
// calls it.
func Normal() {
	if lean.Load() && lean.Swap(false) {
		debug.SetGCPercent(100)
	}
}

// Limit is the limit for a live heap of live bytes.
func Limit(live uint64) int64 {
	return int64(max(Base, uint64(float64(live)*MinHeadroom)))
}

// sentinel is collected by every GC cycle; its finalizer re-arms itself.
// It is bigger than the tiny allocator's 16 bytes, whose objects may share
// a block and never be finalized.
type sentinel struct{ _ [32]byte }

func arm() {
	runtime.SetFinalizer(&sentinel{}, func(*sentinel) {
		debug.SetMemoryLimit(Limit(liveHeap()))
		arm()
	})
}

var liveSample = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}

// liveHeap is the heap the last collection found live. Only the finalizer
// goroutine calls it.
func liveHeap() uint64 {
	metrics.Read(liveSample)
	if liveSample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return liveSample[0].Value.Uint64()
}
