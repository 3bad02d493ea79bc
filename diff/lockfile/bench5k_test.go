package lockfile

import (
	"syscall"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/diff"
)

// BenchmarkDiff5k reads and classifies two generated 5,000-package
// lockfiles (base and a head with 10% of versions bumped, 2% removed and
// 100 added) in each format: what `lockstep diff` does between reading the
// files and rendering.
func BenchmarkDiff5k(b *testing.B) {
	base := genProject(5000, 1)
	head := base.mutate()
	for _, f := range benchFormats {
		bd, hd := f.write(base), f.write(head)
		b.Run(f.name, func(b *testing.B) {
			b.SetBytes(int64(len(bd) + len(hd)))
			var r *diff.Result
			cpu0 := cpuTime()
			for b.Loop() {
				bl, hl, err := ParsePair(bd, f.file, hd, f.file)
				if err != nil {
					b.Fatal(err)
				}
				r = diff.Compare(bl, hl, diff.Options{})
			}
			// on a shared machine wall time varies with the load; the
			// process's CPU time per diff varies less
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
			b.ReportMetric(float64(r.Summary.Total()), "changes")
		})
	}
}

// TestGenerated checks that each reader reads the generated lockfiles
// whole and that the diff between base and head is the same in every
// format, so the benchmark measures equal work.
func TestGenerated(t *testing.T) {
	base := genProject(2000, 7)
	head := base.mutate()
	var want *diff.Summary
	for _, f := range benchFormats {
		t.Run(f.name, func(t *testing.T) {
			bl, hl, err := ParsePair(f.write(base), f.file, f.write(head), f.file)
			if err != nil {
				t.Fatal(err)
			}
			if len(bl.Warnings)+len(hl.Warnings) > 0 {
				t.Fatalf("warnings: %v %v", bl.Warnings, hl.Warnings)
			}
			if nb, nh := remote(bl), remote(hl); nb != len(base.pkgs) || nh != len(head.pkgs) {
				t.Fatalf("read %d and %d packages, want %d and %d", nb, nh, len(base.pkgs), len(head.pkgs))
			}
			if len(hl.Direct) != len(head.direct) {
				t.Errorf("read %d direct dependencies, want %d", len(hl.Direct), len(head.direct))
			}
			r := diff.Compare(bl, hl, diff.Options{})
			if r.Summary.Added < 100 || r.Summary.Removed == 0 || r.Summary.Changed+r.Summary.Upgraded == 0 {
				t.Errorf("summary %+v: expected additions, removals and upgrades", r.Summary)
			}
			if want == nil {
				want = &r.Summary
			} else if r.Summary != *want {
				t.Errorf("summary %+v, want %+v as in %s", r.Summary, *want, benchFormats[0].name)
			}
		})
	}
}

// remote counts the packages that are not the project's own.
func remote(l *diff.Lockfile) int {
	n := 0
	for i := range l.Packages {
		if !l.Packages[i].Local {
			n++
		}
	}
	return n
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
