package timing

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Comparison against the base branch: pure functions of a run's Report and
// the base branch's recorded History, with no I/O, so the GitHub Action (or
// anything else) can render the timing table of a pull-request comment.
//
// Only wall time decides a verdict; CPU, memory and network figures are shown
// with their change for the reader to weigh. A change counts only when it
// leaves the noise band of the base's history: Sigmas standard deviations of
// the base's wall times (at least 3 runs), or an assumed relative σ when the
// history is shorter, never less than the floors NoiseFloor and NoiseFloorMS.

// TotalPhase is the name of the row that compares whole runs.
const TotalPhase = "total"

// Defaults used when a CompareOptions field is zero.
const (
	DefaultSigmas       = 2.0
	DefaultNoiseFloor   = 0.05 // 5% of the base median
	DefaultNoiseFloorMS = 50.0
	DefaultFewRunsSigma = 0.10 // σ assumed (relative) when the base has < 3 runs
	DefaultWindow       = 10   // most recent base reports compared against
	minRunsForSigma     = 3
)

// CompareOptions tune Compare; the zero value uses the defaults above.
type CompareOptions struct {
	// Sigmas is how many standard deviations of the base's wall times a
	// change must exceed to count (0 means DefaultSigmas).
	Sigmas float64
	// NoiseFloor is the smallest relative change that ever counts, as a
	// fraction of the base median (0 means DefaultNoiseFloor).
	NoiseFloor float64
	// NoiseFloorMS is the smallest absolute change in milliseconds that ever
	// counts (0 means DefaultNoiseFloorMS).
	NoiseFloorMS float64
	// FewRunsSigma is the relative σ assumed when the base history holds
	// fewer than 3 runs (0 means DefaultFewRunsSigma).
	FewRunsSigma float64
	// Window is how many of the most recent base reports are used (0 means
	// DefaultWindow).
	Window int
	// BaseLabel names the base in the table and chart, e.g. "main" (""
	// means "base").
	BaseLabel string
}

func (o CompareOptions) withDefaults() CompareOptions {
	pos := func(v, d float64) float64 {
		if v > 0 && !math.IsInf(v, 0) {
			return v
		}
		return d
	}
	o.Sigmas = pos(o.Sigmas, DefaultSigmas)
	o.NoiseFloor = pos(o.NoiseFloor, DefaultNoiseFloor)
	o.NoiseFloorMS = pos(o.NoiseFloorMS, DefaultNoiseFloorMS)
	o.FewRunsSigma = pos(o.FewRunsSigma, DefaultFewRunsSigma)
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	o.BaseLabel = strings.TrimSpace(oneLine(o.BaseLabel))
	if r := []rune(o.BaseLabel); len(r) > 60 {
		o.BaseLabel = string(r[:60]) + "…"
	}
	if o.BaseLabel == "" {
		o.BaseLabel = "base"
	}
	return o
}

// Stat summarizes one metric over the base's history.
type Stat struct {
	N      int     `json:"n"` // reports that had the metric
	Median float64 `json:"median"`
	StdDev float64 `json:"stddev"` // sample standard deviation; 0 for N < 2
}

// Metric is one figure of one phase: this run's value and the base's.
type Metric struct {
	Current    int64 `json:"current"`
	HasCurrent bool  `json:"has_current"`
	Base       Stat  `json:"base"`
}

// Change is the relative change of Current against the base median (0.18 =
// 18% more); ok is false when either side is missing or the median is 0.
func (m Metric) Change() (change float64, ok bool) {
	if !m.HasCurrent || m.Base.N == 0 || m.Base.Median <= 0 {
		return 0, false
	}
	return (float64(m.Current) - m.Base.Median) / m.Base.Median, true
}

// VerdictKind classifies a phase's wall-time change.
type VerdictKind string

// Verdict kinds.
const (
	VerdictNoBase  VerdictKind = "no-base" // no base history at all
	VerdictNew     VerdictKind = "new"     // phase absent from the base's history
	VerdictMissing VerdictKind = "missing" // phase in the base, not in this run
	VerdictNoise   VerdictKind = "noise"   // within noise
	VerdictSlower  VerdictKind = "slower"  // slower, beyond noise
	VerdictFaster  VerdictKind = "faster"  // faster, beyond noise
)

// Verdict is the judgement of one phase's wall time.
type Verdict struct {
	Kind   VerdictKind `json:"kind"`
	Change float64     `json:"change"` // relative change of wall time (0.18 = 18% slower)
	Band   float64     `json:"band"`   // relative noise band that was applied
	Text   string      `json:"text"`   // in words: "within noise", "slower by 18%, beyond 2σ of the base's history"
}

// PhaseComparison compares one phase (or, with Phase TotalPhase, the whole
// run). Phases of the same name within one report are summed (peak RSS: the
// maximum).
type PhaseComparison struct {
	Phase    string  `json:"phase"`
	Wall     Metric  `json:"wall_ms"`
	User     Metric  `json:"user_ms"`
	Sys      Metric  `json:"sys_ms"`
	RSS      Metric  `json:"max_rss_kb"`
	Requests Metric  `json:"requests"`
	Bytes    Metric  `json:"bytes"`
	Hits     Metric  `json:"cache_hits"`
	Misses   Metric  `json:"cache_misses"`
	Verdict  Verdict `json:"verdict"`
}

// Comparison is this run against the base branch's history.
type Comparison struct {
	Command   string            `json:"command"`
	Version   string            `json:"version"`
	Packages  Packages          `json:"packages"`
	BaseLabel string            `json:"base_label"`
	BaseRuns  int               `json:"base_runs"` // base reports compared against
	Sigmas    float64           `json:"sigmas"`
	Options   CompareOptions    `json:"-"`    // as applied, defaults filled in
	Rows      []PhaseComparison `json:"rows"` // this run's phases in order, then base-only phases, then TotalPhase
}

// Compare judges cur against history (oldest first, as History keeps it).
// Only history reports of cur's command are used (all when cur.Command is
// empty), at most o.Window of the most recent ones. Negative figures in any
// report count as missing.
func Compare(cur Report, history []Report, o CompareOptions) Comparison {
	o = o.withDefaults()
	var base []Report
	for _, h := range history {
		if cur.Command == "" || h.Command == cur.Command {
			base = append(base, h)
		}
	}
	if len(base) > o.Window {
		base = base[len(base)-o.Window:]
	}
	c := Comparison{
		Command: cur.Command, Version: cur.Version, Packages: cur.Packages,
		BaseLabel: o.BaseLabel, BaseRuns: len(base), Sigmas: o.Sigmas, Options: o,
	}

	curPhases, order := aggregate(cur)
	basePhases := make([]map[string]phaseFigures, len(base))
	for i, b := range base {
		var names []string
		basePhases[i], names = aggregate(b)
		for _, n := range names {
			if _, ok := curPhases[n]; !ok && !slices.Contains(order, n) {
				order = append(order, n)
			}
		}
	}
	for _, name := range order {
		cf, inCur := curPhases[name]
		var hs []phaseFigures
		for _, bp := range basePhases {
			if f, ok := bp[name]; ok {
				hs = append(hs, f)
			}
		}
		c.Rows = append(c.Rows, compareRow(name, cf, inCur, hs, len(base), o))
	}
	tot := func(r Report) phaseFigures {
		return phaseFigures{r.WallMS, r.UserMS, r.SysMS, r.MaxRSSKB, -1, -1, -1, -1}
	}
	var hs []phaseFigures
	for _, b := range base {
		hs = append(hs, tot(b))
	}
	total := compareRow(TotalPhase, tot(cur), true, hs, len(base), o)
	// The total's network figures are the sums over this run's phases.
	var sums [4]int64
	var have [4]bool
	for _, r := range c.Rows {
		for i, m := range []Metric{r.Requests, r.Bytes, r.Hits, r.Misses} {
			if m.HasCurrent {
				sums[i] = satAdd(sums[i], m.Current)
				have[i] = true
			}
		}
	}
	for i, m := range []*Metric{&total.Requests, &total.Bytes, &total.Hits, &total.Misses} {
		*m = Metric{Current: sums[i], HasCurrent: have[i]}
	}
	c.Rows = append(c.Rows, total)
	return c
}

// phaseFigures holds one phase's figures; -1 means missing.
type phaseFigures [8]int64

func aggregate(r Report) (map[string]phaseFigures, []string) {
	m := map[string]phaseFigures{}
	var order []string
	for _, p := range r.Phases {
		f := phaseFigures{p.WallMS, p.UserMS, p.SysMS, p.MaxRSSKB, p.Requests, p.Bytes, p.CacheHits, p.CacheMisses}
		if f[3] == 0 {
			f[3] = -1 // reports older than per-phase RSS
		}
		name := strings.TrimSpace(oneLine(p.Name))
		if name == "" {
			name = "(unnamed)"
		}
		old, ok := m[name]
		if !ok {
			order = append(order, name)
			for i := range f {
				if f[i] < 0 {
					f[i] = -1
				}
			}
			m[name] = f
			continue
		}
		for i := range f {
			switch {
			case f[i] < 0:
			case old[i] < 0:
				old[i] = f[i]
			case i == 3:
				old[i] = max(old[i], f[i])
			default:
				old[i] = satAdd(old[i], f[i])
			}
		}
		m[name] = old
	}
	return m, order
}

func satAdd(a, b int64) int64 {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxInt64
}

func compareRow(name string, cur phaseFigures, inCur bool, hist []phaseFigures, baseRuns int, o CompareOptions) PhaseComparison {
	metric := func(i int) Metric {
		var m Metric
		if inCur && cur[i] >= 0 {
			m.Current, m.HasCurrent = cur[i], true
		}
		var xs []float64
		for _, h := range hist {
			if h[i] >= 0 {
				xs = append(xs, float64(h[i]))
			}
		}
		m.Base = describe(xs)
		return m
	}
	pc := PhaseComparison{Phase: name,
		Wall: metric(0), User: metric(1), Sys: metric(2), RSS: metric(3),
		Requests: metric(4), Bytes: metric(5), Hits: metric(6), Misses: metric(7)}
	pc.Verdict = judge(pc.Wall, baseRuns, o)
	return pc
}

func describe(xs []float64) Stat {
	if len(xs) == 0 {
		return Stat{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	st := Stat{N: len(s)}
	if len(s)%2 == 1 {
		st.Median = s[len(s)/2]
	} else {
		st.Median = s[len(s)/2-1]/2 + s[len(s)/2]/2
	}
	if len(s) > 1 {
		mean := 0.0
		for _, x := range s {
			mean += x / float64(len(s))
		}
		ss := 0.0
		for _, x := range s {
			d := (x - mean) / 1e6 // scaled against overflow with huge values
			ss += d * d
		}
		st.StdDev = math.Sqrt(ss/float64(len(s)-1)) * 1e6
	}
	return st
}

func judge(wall Metric, baseRuns int, o CompareOptions) Verdict {
	switch {
	case baseRuns == 0:
		return Verdict{Kind: VerdictNoBase, Text: "no base history yet"}
	case !wall.HasCurrent:
		return Verdict{Kind: VerdictMissing, Text: "not run this time"}
	case wall.Base.N == 0:
		return Verdict{Kind: VerdictNew, Text: "new: not in " + o.BaseLabel + "'s history"}
	}
	med := wall.Base.Median
	diff := float64(wall.Current) - med
	sigma := wall.Base.StdDev
	few := wall.Base.N < minRunsForSigma
	if few {
		sigma = max(sigma, o.FewRunsSigma*med)
	}
	band := o.Sigmas * sigma
	floor := max(o.NoiseFloor*med, o.NoiseFloorMS)
	byFloor := band < floor
	if byFloor {
		band = floor
	}
	v := Verdict{Kind: VerdictNoise, Text: "within noise"}
	if med > 0 {
		v.Change = diff / med
		v.Band = band / med
	}
	if math.Abs(diff) <= band {
		return v
	}
	word := "slower"
	v.Kind = VerdictSlower
	if diff < 0 {
		word, v.Kind = "faster", VerdictFaster
	}
	var why string
	switch {
	case byFloor:
		why = fmt.Sprintf("beyond the noise floor (%s)", fmtDuration(band))
	case few:
		why = fmt.Sprintf("beyond ±%s (%s has only %s)", fmtPct(v.Band), o.BaseLabel, plural(wall.Base.N, "recorded run"))
	default:
		why = fmt.Sprintf("beyond %sσ of %s's history", strconv.FormatFloat(o.Sigmas, 'g', 3, 64), o.BaseLabel)
	}
	if med > 0 {
		v.Text = fmt.Sprintf("%s by %s, %s", word, fmtPct(math.Abs(v.Change)), why)
	} else {
		v.Text = fmt.Sprintf("%s by %s, %s", word, fmtDuration(math.Abs(diff)), why)
	}
	return v
}

// Regressions returns the rows (phases and the total) whose wall time is
// slower beyond noise by more than threshold (a fraction: 0.2 = 20%); a
// threshold ≤ 0 (or NaN) returns every slowdown beyond noise.
func (c Comparison) Regressions(threshold float64) []PhaseComparison {
	if math.IsNaN(threshold) || threshold < 0 {
		threshold = 0
	}
	var out []PhaseComparison
	for _, r := range c.Rows {
		// A base median of 0 makes any slowdown beyond noise infinitely large.
		if r.Verdict.Kind == VerdictSlower && (r.Verdict.Change > threshold || r.Wall.Base.Median <= 0) {
			out = append(out, r)
		}
	}
	return out
}

// Regressed reports whether any row regressed beyond threshold (see
// Regressions); the Action fails the step when it does.
func (c Comparison) Regressed(threshold float64) bool {
	return len(c.Regressions(threshold)) > 0
}

// ParseThreshold reads a regression threshold as a user writes it: "20%",
// "0.2", or "" / "off" / "false" (0, disabled: ok is false). Negative,
// non-finite and unparsable values are errors.
func ParseThreshold(s string) (threshold float64, ok bool, err error) {
	t := strings.TrimSpace(strings.ToLower(s))
	switch t {
	case "", "off", "false", "no", "none":
		return 0, false, nil
	}
	pct := strings.HasSuffix(t, "%")
	v, perr := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(t, "%")), 64)
	if perr != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, false, fmt.Errorf("failed to parse threshold %q: want a percentage such as \"20%%\" or a fraction such as 0.2", s)
	}
	if pct {
		v /= 100
	}
	return v, true, nil
}

// Summary is one line in words: the whole run's wall time and verdict.
func (c Comparison) Summary() string {
	t := c.Total()
	s := "lockstep"
	if c.Command != "" {
		s += " " + codeSafe(c.Command)
	}
	s += ": " + fmtMetric(t.Wall, fmtDuration)
	switch t.Verdict.Kind {
	case VerdictNoBase:
		return s + " (no base history yet)"
	case VerdictNoise, VerdictSlower, VerdictFaster:
		return fmt.Sprintf("%s, %s (%s median %s over %s)", s, t.Verdict.Text, c.BaseLabel,
			fmtDuration(t.Wall.Base.Median), plural(t.Wall.Base.N, "run"))
	}
	return s + ", " + t.Verdict.Text
}

// Total returns the TotalPhase row (the zero value if absent).
func (c Comparison) Total() PhaseComparison {
	for _, r := range c.Rows {
		if r.Phase == TotalPhase {
			return r
		}
	}
	return PhaseComparison{}
}

// Markdown renders the comparison for a pull-request comment or job summary:
// a heading, the wall-time table (this run, base median, change, verdict) and
// a collapsed table of CPU, peak RSS, requests, bytes and cache hits/misses
// per phase with their change against the base median. Names are escaped.
// The Mermaid chart is separate (Mermaid).
func (c Comparison) Markdown() string {
	var b strings.Builder
	o := c.Options.withDefaults()
	base := mdEscape(c.BaseLabel)
	b.WriteString("#### Install timings")
	if c.Command != "" {
		fmt.Fprintf(&b, " · `%s`", strings.NewReplacer("`", "'", "|", "/").Replace(codeSafe(c.Command)))
	}
	if c.BaseRuns > 0 {
		fmt.Fprintf(&b, " against %s (median of %s)", base, plural(c.BaseRuns, "recorded run"))
	}
	b.WriteString("\n\n")
	if c.BaseRuns == 0 {
		fmt.Fprintf(&b, "No timings recorded for %s yet; this run starts its history.\n\n", base)
	}
	fmt.Fprintf(&b, "| Phase | This run | %s median | Change | Verdict |\n|---|--:|--:|--:|---|\n", base)
	for _, r := range c.Rows {
		name := mdEscape(r.Phase)
		if r.Phase == TotalPhase {
			name = "**total**"
		}
		verdict := mdEscape(r.Verdict.Text)
		if r.Verdict.Kind == VerdictSlower || r.Verdict.Kind == VerdictFaster {
			verdict = "**" + verdict + "**"
		}
		if r.Verdict.Kind == VerdictSlower {
			verdict = "⚠️ " + verdict
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", name, fmtMetric(r.Wall, fmtDuration),
			fmtBase(r.Wall, fmtDuration), fmtChange(r.Wall, fmtDuration), verdict)
	}
	b.WriteString("\n<details><summary>CPU, memory and network per phase</summary>\n\n")
	b.WriteString("| Phase | User | Sys | Peak RSS | Requests | Downloaded | Cache hits / misses |\n|---|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range c.Rows {
		name := mdEscape(r.Phase)
		if r.Phase == TotalPhase {
			name = "**total**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s / %s |\n", name,
			withChange(r.User, fmtDuration), withChange(r.Sys, fmtDuration), withChange(r.RSS, fmtKB),
			withChange(r.Requests, fmtCount), withChange(r.Bytes, fmtBytes),
			fmtMetric(r.Hits, fmtCount), fmtMetric(r.Misses, fmtCount))
	}
	b.WriteString("\n")
	if c.BaseRuns > 0 {
		fmt.Fprintf(&b, "Changes are against %s's median; a phase is marked only beyond %sσ of %s's wall times (or ±%s when fewer than %d runs are recorded), never below %s or %s.\n",
			base, strconv.FormatFloat(o.Sigmas, 'g', 3, 64), base, fmtPct(o.Sigmas*o.FewRunsSigma), minRunsForSigma,
			fmtPct(o.NoiseFloor), fmtDuration(o.NoiseFloorMS))
	}
	pk := c.Packages
	fmt.Fprintf(&b, "\n%d packages: %d installed, %d from cache, %d downloaded", pk.Total, pk.Installed, pk.FromCache, pk.Downloaded)
	if c.Version != "" {
		fmt.Fprintf(&b, " · lockstep %s", mdEscape(c.Version))
	}
	b.WriteString("\n\n</details>\n")
	return b.String()
}

// Mermaid renders a fenced ```mermaid xychart-beta block GitHub draws as a
// bar chart of the phases' wall times in milliseconds, each phase's base
// median beside this run (two series, so the two get different colours).
// Without base history only this run is drawn. The total row is left out
// (phases overlap, so it is not their sum). Empty when there are no phases.
func (c Comparison) Mermaid() string {
	var labels []string
	var baseVals, curVals []int64
	withBase := c.BaseRuns > 0
	var top int64
	for _, r := range c.Rows {
		if r.Phase == TotalPhase {
			continue
		}
		name := chartLabel(r.Phase)
		cur := int64(0)
		if r.Wall.HasCurrent {
			cur = min(r.Wall.Current, maxChartMS)
		}
		if withBase {
			bm := int64(math.Round(min(max(r.Wall.Base.Median, 0), maxChartMS)))
			labels = append(labels, name+" ("+chartLabel(c.BaseLabel)+")", name)
			baseVals = append(baseVals, bm, 0)
			curVals = append(curVals, 0, cur)
			top = max(top, bm)
		} else {
			labels = append(labels, name)
			curVals = append(curVals, cur)
		}
		top = max(top, cur)
	}
	if len(labels) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("```mermaid\nxychart-beta\n")
	if withBase {
		fmt.Fprintf(&b, "    title \"Wall time per phase (ms): %s beside this run\"\n", chartLabel(c.BaseLabel))
	} else {
		b.WriteString("    title \"Wall time per phase (ms)\"\n")
	}
	b.WriteString("    x-axis [")
	for i, l := range labels {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"` + l + `"`)
	}
	b.WriteString("]\n")
	upper := max(top+top/10, 10)
	fmt.Fprintf(&b, "    y-axis \"ms\" 0 --> %d\n", upper)
	if withBase {
		b.WriteString("    bar " + ints(baseVals) + "\n")
	}
	b.WriteString("    bar " + ints(curVals) + "\n")
	b.WriteString("```\n")
	return b.String()
}

// maxChartMS caps chart values (about 31 years) so the axis arithmetic
// cannot overflow.
const maxChartMS = 1e12

func ints(xs []int64) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.FormatInt(min(max(x, 0), maxChartMS), 10)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// chartLabel keeps a label safe inside a quoted Mermaid string.
func chartLabel(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == 24 {
			b.WriteString("…")
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			strings.ContainsRune(" _-.:/+", r):
			b.WriteRune(r)
		default:
			b.WriteRune('_')
		}
		n++
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}

// mdEscape makes s safe inside a Markdown table cell: one line, no HTML, no
// table or emphasis syntax.
func mdEscape(s string) string {
	s = oneLine(s)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '|', '\\', '`', '*', '_', '[', ']', '<', '>', '#', '~', '!', '&':
			b.WriteRune('\\')
		}
		b.WriteRune(r)
	}
	if len(s) > 200 {
		return mdEscape(string([]rune(s)[:100])) + "…"
	}
	return b.String()
}

// codeSafe makes s one short line.
func codeSafe(s string) string {
	s = oneLine(s)
	if r := []rune(s); len(r) > 60 {
		s = string(r[:60]) + "…"
	}
	return s
}

func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r == '\n' || r == '\r' || r == '\t' || r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029
	}), " ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func fmtMetric(m Metric, f func(float64) string) string {
	if !m.HasCurrent {
		return "—"
	}
	return f(float64(m.Current))
}

func fmtBase(m Metric, f func(float64) string) string {
	if m.Base.N == 0 {
		return "—"
	}
	s := f(m.Base.Median)
	if m.Base.N > 1 {
		s += " ± " + f(m.Base.StdDev)
	}
	return s
}

func fmtChange(m Metric, f func(float64) string) string {
	if !m.HasCurrent || m.Base.N == 0 {
		return "—"
	}
	d := float64(m.Current) - m.Base.Median
	sign := "+"
	if d < 0 {
		sign = "−"
	}
	s := sign + f(math.Abs(d))
	if ch, ok := m.Change(); ok {
		s += " (" + signedPct(ch) + ")"
	}
	return s
}

func withChange(m Metric, f func(float64) string) string {
	s := fmtMetric(m, f)
	if ch, ok := m.Change(); ok {
		s += " (" + signedPct(ch) + ")"
	}
	return s
}

func signedPct(x float64) string {
	if x < 0 {
		return "−" + fmtPct(-x)
	}
	return "+" + fmtPct(x)
}

func fmtPct(x float64) string {
	p := x * 100
	switch {
	case math.IsNaN(p) || math.IsInf(p, 0):
		return "—"
	case p >= 1e6:
		return ">999999%"
	case p < 0.05:
		return "0%"
	case p < 10 && p != math.Trunc(p) && math.Round(p) < 10:
		return strconv.FormatFloat(p, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(math.Round(p), 'f', 0, 64) + "%"
}

func fmtDuration(ms float64) string {
	switch {
	case math.IsNaN(ms) || math.IsInf(ms, 0):
		return "—"
	case ms < 1000:
		return strconv.FormatFloat(math.Round(ms), 'f', 0, 64) + " ms"
	case ms < 60_000:
		return strconv.FormatFloat(ms/1000, 'f', 2, 64) + " s"
	case ms < 3_600_000:
		m := math.Floor(ms / 60_000)
		return fmt.Sprintf("%.0fm %02.0fs", m, math.Floor((ms-m*60_000)/1000))
	}
	return strconv.FormatFloat(ms/3_600_000, 'f', 1, 64) + " h"
}

func fmtBytes(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if i == 0 {
		return strconv.FormatFloat(math.Round(n), 'f', 0, 64) + " B"
	}
	return strconv.FormatFloat(n, 'f', 1, 64) + " " + units[i]
}

func fmtKB(kb float64) string { return fmtBytes(kb * 1024) }

func fmtCount(n float64) string { return strconv.FormatFloat(math.Round(n), 'f', 0, 64) }
