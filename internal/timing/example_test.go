package timing_test

import (
	"fmt"

	"github.com/lockstep-dev/lockstep/internal/timing"
)

// The Action's use: restore the base branch's history from the cache,
// compare, render, fail on a regression beyond the threshold, and (on the
// base branch) append this run and save the history again.
func ExampleCompare() {
	hist, _ := timing.ParseHistory([]byte(`{"max": 20, "reports": [
	  {"command": "ci", "wall_ms": 1000, "phases": [{"name": "fetch", "wall_ms": 700}]},
	  {"command": "ci", "wall_ms": 1020, "phases": [{"name": "fetch", "wall_ms": 710}]},
	  {"command": "ci", "wall_ms": 990, "phases": [{"name": "fetch", "wall_ms": 690}]}]}`))
	cur := timing.Report{Command: "ci", WallMS: 1300, Phases: []timing.Phase{{Name: "fetch", WallMS: 1000}}}

	c := timing.Compare(cur, hist.Reports, timing.CompareOptions{BaseLabel: "main"})
	threshold, _, _ := timing.ParseThreshold("20%")
	fmt.Println(c.Summary())
	fmt.Println("fetch:", c.Rows[0].Verdict.Text)
	fmt.Println("fail the step:", c.Regressed(threshold))
	_ = c.Markdown() + "\n" + c.Mermaid() // the comment body's timing part

	hist.Add(cur)
	fmt.Println("history:", len(hist.Reports), "reports")
	// Output:
	// lockstep ci: 1.30 s, slower by 30%, beyond the noise floor (50 ms) (main median 1.00 s over 3 runs)
	// fetch: slower by 43%, beyond the noise floor (50 ms)
	// fail the step: true
	// history: 4 reports
}
