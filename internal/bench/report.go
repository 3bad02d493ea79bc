package bench

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// Stats describes a set of measurements.
type Stats struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	Mean   float64 `json:"mean"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	StdDev float64 `json:"stddev"` // sample standard deviation (n-1); 0 for n < 2
}

// Describe computes the statistics of xs (the zero Stats for none).
func Describe(xs []float64) Stats {
	if len(xs) == 0 {
		return Stats{}
	}
	s := append([]float64{}, xs...)
	sort.Float64s(s)
	st := Stats{N: len(s), Min: s[0], Max: s[len(s)-1]}
	if len(s)%2 == 1 {
		st.Median = s[len(s)/2]
	} else {
		st.Median = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	mean := 0.0
	for _, x := range s {
		mean += x
	}
	mean /= float64(len(s))
	st.Mean = mean
	if len(s) > 1 {
		ss := 0.0
		for _, x := range s {
			ss += (x - mean) * (x - mean)
		}
		st.StdDev = math.Sqrt(ss / float64(len(s)-1))
	}
	return st
}

// Ratio is lockstep's median wall time divided by another tool's; 0 when
// either is unknown.
func Ratio(lockstepMS, toolMS float64) float64 {
	if lockstepMS <= 0 || toolMS <= 0 {
		return 0
	}
	return lockstepMS / toolMS
}

// FormatRatio renders a Ratio: "0.42×", small ones with more digits
// ("0.031×"), unknown ones as "—".
func FormatRatio(r float64) string {
	switch {
	case r <= 0 || math.IsNaN(r) || math.IsInf(r, 0):
		return "—"
	case r < 0.1:
		return fmt.Sprintf("%.3f×", r)
	case r >= 100:
		return fmt.Sprintf("%.0f×", r)
	default:
		return fmt.Sprintf("%.2f×", r)
	}
}

// Summary aggregates the samples of one (fixture, phase, tool).
type Summary struct {
	Fixture  string   `json:"fixture"`
	Phase    string   `json:"phase"`
	Tool     string   `json:"tool"`
	Version  string   `json:"version,omitempty"`
	Runs     int      `json:"runs"` // measured runs
	OK       int      `json:"ok"`   // successful runs; the statistics cover only these
	WallMS   Stats    `json:"wall_ms"`
	UserMS   float64  `json:"median_user_ms"`
	SysMS    float64  `json:"median_sys_ms"`
	MaxRSSKB float64  `json:"median_max_rss_kb"`
	Packages int      `json:"packages,omitempty"` // from the last successful run
	Ratio    float64  `json:"lockstep_ratio,omitempty"`
	Command  string   `json:"command,omitempty"`
	Note     string   `json:"note,omitempty"`
	Skipped  string   `json:"skipped,omitempty"`
	Failures []string `json:"failures,omitempty"`
}

func toolRank(t string) int {
	switch {
	case t == ToolLockstep:
		return 0
	case t == ToolNPM:
		return 1
	case t == ToolPNPM:
		return 2
	case t == ToolBun:
		return 3
	case strings.HasPrefix(t, "floor:"):
		return 5
	}
	return 4
}

func phaseRank(p string) int {
	if i := slices.Index(phaseOrder, p); i >= 0 {
		return i
	}
	return len(phaseOrder)
}

// Summarize groups samples by fixture (in order of first appearance), phase
// (p1, p3, p4, p0) and tool (lockstep, npm, pnpm, bun, others, floors).
func Summarize(samples []Sample) []Summary {
	type key struct{ fixture, phase, tool string }
	fixtureOrder := map[string]int{}
	toolOrder := map[string]int{}
	groups := map[key][]Sample{}
	var keys []key
	for _, s := range samples {
		if _, ok := fixtureOrder[s.Fixture]; !ok {
			fixtureOrder[s.Fixture] = len(fixtureOrder)
		}
		if _, ok := toolOrder[s.Tool]; !ok {
			toolOrder[s.Tool] = len(toolOrder)
		}
		k := key{s.Fixture, s.Phase, s.Tool}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], s)
	}
	sort.SliceStable(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if fixtureOrder[a.fixture] != fixtureOrder[b.fixture] {
			return fixtureOrder[a.fixture] < fixtureOrder[b.fixture]
		}
		if phaseRank(a.phase) != phaseRank(b.phase) {
			return phaseRank(a.phase) < phaseRank(b.phase)
		}
		if a.phase != b.phase {
			return a.phase < b.phase
		}
		if toolRank(a.tool) != toolRank(b.tool) {
			return toolRank(a.tool) < toolRank(b.tool)
		}
		return toolOrder[a.tool] < toolOrder[b.tool]
	})
	var out []Summary
	lockMedian := map[[2]string]float64{}
	for _, k := range keys {
		sum := Summary{Fixture: k.fixture, Phase: k.phase, Tool: k.tool}
		var wall, user, sys, rss []float64
		for _, s := range groups[k] {
			if sum.Version == "" {
				sum.Version = s.Version
			}
			if sum.Command == "" {
				sum.Command = s.Command
			}
			if sum.Note == "" {
				sum.Note = s.Note
			}
			if s.Skipped() {
				sum.Skipped = strings.TrimPrefix(s.Err, "skipped: ")
				continue
			}
			sum.Runs++
			if !s.OK() {
				msg := s.Err
				if msg == "" {
					msg = fmt.Sprintf("exit %d", s.ExitCode)
				}
				sum.Failures = append(sum.Failures, fmt.Sprintf("run %d: %s", s.Run, msg))
				continue
			}
			sum.OK++
			wall = append(wall, float64(s.WallMS))
			user = append(user, float64(s.UserMS))
			sys = append(sys, float64(s.SysMS))
			rss = append(rss, float64(s.MaxRSSKB))
			if s.Packages > 0 {
				sum.Packages = s.Packages
			}
		}
		sum.WallMS = Describe(wall)
		sum.UserMS = Describe(user).Median
		sum.SysMS = Describe(sys).Median
		sum.MaxRSSKB = Describe(rss).Median
		if k.tool == ToolLockstep && sum.OK > 0 {
			lockMedian[[2]string{k.fixture, k.phase}] = sum.WallMS.Median
		}
		out = append(out, sum)
	}
	for i := range out {
		if out[i].Tool != ToolLockstep && out[i].OK > 0 {
			out[i].Ratio = Ratio(lockMedian[[2]string{out[i].Fixture, out[i].Phase}], out[i].WallMS.Median)
		}
	}
	return out
}

func secs(ms float64) string { return fmt.Sprintf("%.2f", ms/1000) }

// Markdown renders one table per fixture, shaped like utoo's pm-bench
// tables: a row per phase (p1, p3, p4, p0) and tool with successful/measured
// runs, wall time as mean ± σ, median and min–max, median user and sys CPU,
// median max RSS, packages installed, and lockstep's median wall time ÷ the
// tool's; then the commands, caveats, failures and skips under it.
func Markdown(samples []Sample) string {
	sums := Summarize(samples)
	var b strings.Builder
	b.WriteString("## lockstep benchmark\n\n")
	b.WriteString("Wall time in seconds over successful runs: mean ± σ, median, min–max; user, sys and RSS are medians. " +
		"`lockstep ÷ tool` divides lockstep's median wall time by the tool's: below 1× lockstep is faster.\n")
	for i := 0; i < len(sums); {
		j := i
		for j < len(sums) && sums[j].Fixture == sums[i].Fixture {
			j++
		}
		group := sums[i:j]
		fmt.Fprintf(&b, "\n### %s\n\n", cell(group[0].Fixture))
		b.WriteString("| tool | phase | ok | mean ± σ s | median s | min–max s | user s | sys s | RSS MB | pkgs | lockstep ÷ tool |\n")
		b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		var notes []string
		for _, s := range group {
			name := s.Tool
			if s.Version != "" && s.Version != "?" {
				name += " " + s.Version
			}
			cells := []string{cell(name), cell(s.Phase)}
			dash := func(n int) {
				for k := 0; k < n; k++ {
					cells = append(cells, "—")
				}
			}
			switch {
			case s.Skipped != "" && s.Runs == 0:
				cells = append(cells, "skipped")
				dash(8)
			case s.OK == 0:
				cells = append(cells, fmt.Sprintf("0/%d", s.Runs))
				dash(8)
			default:
				mean := secs(s.WallMS.Mean)
				if s.WallMS.N > 1 {
					mean += " ± " + secs(s.WallMS.StdDev)
				}
				pkgs := "—"
				if s.Packages > 0 {
					pkgs = fmt.Sprint(s.Packages)
				}
				cells = append(cells, fmt.Sprintf("%d/%d", s.OK, s.Runs), mean, secs(s.WallMS.Median),
					secs(s.WallMS.Min)+"–"+secs(s.WallMS.Max), secs(s.UserMS), secs(s.SysMS),
					fmt.Sprintf("%.0f", s.MaxRSSKB/1024), pkgs, FormatRatio(s.Ratio))
			}
			b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
			who := s.Phase + " · " + s.Tool
			if s.Command != "" || s.Note != "" {
				n := "- " + who + ":"
				if s.Command != "" {
					n += " `" + strings.ReplaceAll(oneLine(s.Command), "`", "'") + "`"
				}
				switch {
				case s.Note != "" && s.Command != "":
					n += " — " + oneLine(s.Note)
				case s.Note != "":
					n += " " + oneLine(s.Note)
				}
				notes = append(notes, n)
			}
			if s.Skipped != "" {
				notes = append(notes, "- "+who+" skipped: "+oneLine(s.Skipped))
			}
			for _, f := range s.Failures {
				notes = append(notes, "- "+who+" failed "+oneLine(f))
			}
		}
		if len(notes) > 0 {
			b.WriteString("\n" + strings.Join(notes, "\n") + "\n")
		}
		i = j
	}
	return b.String()
}

// cell keeps s on one line and out of the table's syntax.
func cell(s string) string {
	return strings.ReplaceAll(oneLine(s), "|", "\\|")
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// JSON renders the samples and their summaries as one indented document:
// {"samples": [...], "summary": [...]}.
func JSON(samples []Sample) []byte {
	if samples == nil {
		samples = []Sample{}
	}
	sums := Summarize(samples)
	if sums == nil {
		sums = []Summary{}
	}
	data, err := json.MarshalIndent(struct {
		Samples []Sample  `json:"samples"`
		Summary []Summary `json:"summary"`
	}{samples, sums}, "", "  ")
	if err != nil { // cannot happen: only plain data
		return []byte(fmt.Sprintf("{\"error\": %q}", err.Error()))
	}
	return append(data, '\n')
}
