package memlimit

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestLimit(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int64
	}{
		{0, Base},
		{50 << 20, Base},
		{100 << 20, Base},      // 160 MiB is 1.6 × 100 MiB
		{200 << 20, 320 << 20}, // above Base: GOGC=60 headroom
		{1 << 30, 1717986918},  // 1.6 GiB, rounded down
	} {
		if got := Limit(c.live); got != c.want {
			t.Errorf("Limit(%d MiB) = %d MiB, want %d MiB", c.live>>20, got>>20, c.want>>20)
		}
	}
}

func TestStartRespectsEnvironment(t *testing.T) {
	for _, k := range []string{"GOMEMLIMIT", "GOGC"} {
		env := func(s string) string {
			if s == k {
				return "x"
			}
			return ""
		}
		before := debug.SetMemoryLimit(-1)
		if Start(env) {
			t.Errorf("Start with %s set took over", k)
		}
		if after := debug.SetMemoryLimit(-1); after != before {
			t.Errorf("Start with %s set changed the limit from %d to %d", k, before, after)
		}
	}
}

// TestLimitFollowsLiveHeap keeps more than Base live and checks that a
// collection raises the limit above it.
func TestLimitFollowsLiveHeap(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	if !Start(func(string) string { return "" }) {
		t.Fatal("Start declined an empty environment")
	}
	if got := debug.SetMemoryLimit(-1); got != Base {
		t.Fatalf("limit after Start = %d, want %d", got, Base)
	}
	keep := make([][]byte, 0, 256)
	for range 256 {
		keep = append(keep, make([]byte, 1<<20)) // 256 MiB live, above Base
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		time.Sleep(10 * time.Millisecond) // the finalizer runs after the cycle
		if got := debug.SetMemoryLimit(-1); got >= Limit(256<<20) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("limit %d MiB did not follow a live heap of 256 MiB", debug.SetMemoryLimit(-1)>>20)
		}
	}
	runtime.KeepAlive(keep)
}

// Lean lowers the GC target only under Start's policy, and Normal restores
// it once.
func TestLeanNormal(t *testing.T) {
	was := started.Load()
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { started.Store(was); lean.Store(false); debug.SetGCPercent(prev) })

	started.Store(false) // a user's GOGC, or a test calling the CLI
	Lean()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("Lean without Start set GOGC=%d", got)
	}
	Normal()

	started.Store(true)
	Lean()
	if got := debug.SetGCPercent(LeanGOGC); got != LeanGOGC {
		t.Errorf("after Lean GOGC=%d, want %d", got, LeanGOGC)
	}
	Normal()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("after Normal GOGC=%d, want 100", got)
	}
	debug.SetGCPercent(70) // Normal again must not touch a target it did not set
	Normal()
	if got := debug.SetGCPercent(100); got != 70 {
		t.Errorf("a second Normal changed GOGC to %d", got)
	}
}
