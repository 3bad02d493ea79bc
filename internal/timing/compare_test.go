package timing

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func report(cmd string, wall int64, phases ...Phase) Report {
	return Report{Command: cmd, Version: "0.1.0", StartedAt: "2026-11-26T12:00:00Z",
		WallMS: wall, UserMS: wall / 2, SysMS: wall / 4, MaxRSSKB: 81234,
		Packages: Packages{Total: 412, Installed: 405, FromCache: 7, Downloaded: 398},
		Phases:   phases}
}

func ph(name string, wall int64) Phase {
	return Phase{Name: name, WallMS: wall, UserMS: wall / 3, SysMS: wall / 5,
		Requests: wall / 2, Bytes: wall * 40000, CacheHits: 3, CacheMisses: wall / 2, MaxRSSKB: 60000 + wall}
}

// history builds n ci reports whose fetch phase takes fetch[i] ms.
func history(fetch ...int64) []Report {
	var hs []Report
	for i, f := range fetch {
		hs = append(hs, report("ci", 300+f+int64(i), ph("resolve", 200+int64(i%3)), ph("fetch", f), ph("link", 100)))
	}
	return hs
}

func TestCompareGolden(t *testing.T) {
	hostile := Report{Command: "ci`|<b>", Version: "0.1.0 | <script>",
		WallMS: math.MaxInt64, UserMS: -5, SysMS: 0, MaxRSSKB: -1,
		Phases: []Phase{
			{Name: "fe|tch\n<img src=x>", WallMS: math.MaxInt64, Bytes: math.MaxInt64, Requests: -3},
			{Name: "fe|tch\n<img src=x>", WallMS: 10, Bytes: math.MaxInt64},
			{Name: "\"]\n```\nbar [1]", WallMS: -20, UserMS: 3},
			{Name: "", WallMS: 0},
		}}
	hostileBase := []Report{
		{Command: "ci`|<b>", WallMS: 0, Phases: []Phase{{Name: "fe|tch\n<img src=x>", WallMS: 0}, {Name: "zero", WallMS: 0}}},
		{Command: "ci`|<b>", WallMS: math.MaxInt64, Phases: []Phase{{Name: "fe|tch\n<img src=x>", WallMS: math.MaxInt64}}},
	}
	cases := []struct {
		name    string
		cur     Report
		history []Report
		o       CompareOptions
	}{
		{"no-history", report("ci", 1234, ph("resolve", 210), ph("fetch", 700), ph("link", 300)), nil, CompareOptions{}},
		{"one-run-within", report("ci", 1100, ph("fetch", 760), ph("link", 100)), history(700), CompareOptions{BaseLabel: "main"}},
		{"one-run-slower", report("ci", 1400, ph("fetch", 980), ph("link", 100)), history(700), CompareOptions{BaseLabel: "main"}},
		{"history-slower-18", report("ci", 1500, ph("resolve", 201), ph("fetch", 1180), ph("link", 101)),
			history(1000, 1010, 990, 1005, 995), CompareOptions{BaseLabel: "main"}},
		{"history-faster-new-missing", report("ci", 900, ph("fetch", 500), ph("scripts", 80), ph("scripts", 40)),
			history(1000, 1200, 800, 1100, 900, 1000), CompareOptions{}},
		{"other-commands-ignored", report("install", 1000, ph("resolve", 600)), history(1000, 1000), CompareOptions{}},
		{"hostile", hostile, hostileBase, CompareOptions{BaseLabel: "ma|in\n<x>\"", Sigmas: math.NaN(), Window: -1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Compare(tc.cur, tc.history, tc.o)
			var b bytes.Buffer
			fmt.Fprintf(&b, "summary: %s\n", c.Summary())
			for _, th := range []float64{0, 0.1, 0.25, 1} {
				fmt.Fprintf(&b, "regressed(%g): %v\n", th, c.Regressed(th))
			}
			b.WriteString("\n" + c.Markdown() + "\n" + c.Mermaid())
			golden(t, filepath.Join("testdata", "compare", tc.name+".golden"), b.Bytes())
			checkMarkdownTable(t, c.Markdown())
		})
	}
}

// checkMarkdownTable fails when a table row has the wrong number of cells
// (an unescaped "|" or newline in a name would add or split cells).
func checkMarkdownTable(t *testing.T, md string) {
	t.Helper()
	want := 0
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			want = 0
			continue
		}
		n := strings.Count(line, "|") - strings.Count(line, `\|`)
		if want == 0 {
			want = n
		} else if n != want {
			t.Errorf("table row has %d separators, header %d: %q", n, want, line)
		}
	}
	if raw := strings.ReplaceAll(md, `\<`, ""); strings.Contains(raw, "<img") || strings.Contains(raw, "<script") {
		t.Errorf("markdown carries raw HTML:\n%s", md)
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("failed to read golden file (run with -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (rerun with -update to accept):\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

func TestVerdict(t *testing.T) {
	base5 := history(1000, 1010, 990, 1005, 995) // fetch median 1000, σ ≈ 7.9 → floor 5% (50 ms) rules
	noisy := history(1000, 1200, 800, 1100, 900) // σ ≈ 158 → band 316 ms
	cases := []struct {
		name    string
		hist    []Report
		fetch   int64
		kind    VerdictKind
		changeX float64 // expected relative change
		text    string  // substring of the verdict text
	}{
		{"no base", nil, 1000, VerdictNoBase, 0, "no base history"},
		{"steady, inside floor", base5, 1040, VerdictNoise, 0.04, "within noise"},
		{"steady, beyond floor", base5, 1180, VerdictSlower, 0.18, "slower by 18%, beyond the noise floor"},
		{"steady, faster", base5, 800, VerdictFaster, -0.2, "faster by 20%"},
		{"noisy, inside 2σ", noisy, 1300, VerdictNoise, 0.3, "within noise"},
		{"noisy, beyond 2σ", noisy, 1400, VerdictSlower, 0.4, "beyond 2σ of base's history"},
		{"one run, inside ±20%", history(1000), 1190, VerdictNoise, 0.19, "within noise"},
		{"one run, beyond ±20%", history(1000), 1250, VerdictSlower, 0.25, "beyond ±20% (base has only 1 recorded run)"},
		{"two runs", history(1000, 1000), 700, VerdictFaster, -0.3, "only 2 recorded runs"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Compare(report("ci", 2000, ph("fetch", tc.fetch)), tc.hist, CompareOptions{})
			v := c.Rows[0].Verdict
			if c.Rows[0].Phase != "fetch" || v.Kind != tc.kind || math.Abs(v.Change-tc.changeX) > 1e-9 || !strings.Contains(v.Text, tc.text) {
				t.Errorf("verdict = %+v, want kind %s change %g text ~%q", v, tc.kind, tc.changeX, tc.text)
			}
		})
	}
}

func TestRegressed(t *testing.T) {
	base := history(1000, 1010, 990, 1005, 995)
	cases := []struct {
		fetch     int64
		threshold float64
		want      bool
	}{
		{1180, 0, true},
		{1180, 0.15, true},
		{1180, 0.2, false},
		{1180, math.NaN(), true},
		{1040, 0, false}, // within noise never regresses
		{700, 0, false},  // faster
	}
	zero := []Report{report("ci", 1300, ph("fetch", 0)), report("ci", 1300, ph("fetch", 0)), report("ci", 1300, ph("fetch", 0))}
	if c := Compare(report("ci", 1300, ph("fetch", 400)), zero, CompareOptions{}); !c.Regressed(0.5) || c.Rows[0].Verdict.Kind != VerdictSlower {
		t.Errorf("0 ms → 400 ms must regress: %+v", c.Rows[0].Verdict)
	}
	for _, tc := range cases {
		// Keep the total steady so only the fetch row can regress.
		c := Compare(report("ci", 1300, ph("resolve", 201), ph("fetch", tc.fetch), ph("link", 100)), base, CompareOptions{})
		if got := c.Regressed(tc.threshold); got != tc.want {
			t.Errorf("fetch %d threshold %g: regressed = %v, want %v (%+v)", tc.fetch, tc.threshold, got, tc.want, c.Regressions(tc.threshold))
		}
	}
}

func TestParseThreshold(t *testing.T) {
	cases := []struct {
		in     string
		want   float64
		ok     bool
		hasErr bool
	}{
		{"", 0, false, false},
		{"off", 0, false, false},
		{"20%", 0.2, true, false},
		{" 12.5 % ", 0.125, true, false},
		{"0.2", 0.2, true, false},
		{"0", 0, true, false},
		{"-5%", 0, false, true},
		{"NaN", 0, false, true},
		{"Inf", 0, false, true},
		{"fast", 0, false, true},
	}
	for _, tc := range cases {
		got, ok, err := ParseThreshold(tc.in)
		if math.Abs(got-tc.want) > 1e-12 || ok != tc.ok || (err != nil) != tc.hasErr {
			t.Errorf("ParseThreshold(%q) = %g, %v, %v", tc.in, got, ok, err)
		}
	}
}

func TestHistory(t *testing.T) {
	h := History{Max: 3}
	for i := 1; i <= 5; i++ {
		h.Add(report("ci", int64(i)))
	}
	if len(h.Reports) != 3 || h.Reports[0].WallMS != 3 || h.Reports[2].WallMS != 5 {
		t.Fatalf("bounded history = %+v", h.Reports)
	}
	back, err := ParseHistory(h.JSON())
	if err != nil {
		t.Fatal(err)
	}
	if back.Max != 3 || len(back.Reports) != 3 || back.Reports[1].WallMS != 4 || back.Reports[1].Packages.Total != 412 {
		t.Errorf("round trip = %+v", back)
	}

	var big History
	for i := 0; i < DefaultHistoryMax+7; i++ {
		big.Add(report("ci", int64(i)))
	}
	if len(big.Reports) != DefaultHistoryMax || big.Reports[0].WallMS != 7 {
		t.Errorf("default bound: %d reports, oldest %d", len(big.Reports), big.Reports[0].WallMS)
	}

	many := make([]Phase, 1000)
	inputs := []struct {
		name    string
		in      string
		reports int
		hasErr  bool
	}{
		{"empty", "  ", 0, false},
		{"object", string(h.JSON()), 3, false},
		{"array", `[{"command":"ci","wall_ms":1},{"command":"ci","wall_ms":2}]`, 2, false},
		{"single report", string(report("ci", 9).JSON()), 1, false},
		{"null reports", `{"reports":null}`, 0, false},
		{"oversized", string((&History{Max: 1 << 30, Reports: []Report{{Phases: many}}}).JSON()), 1, false},
		{"garbage", `{"reports":`, 0, true},
		{"wrong type", `{"reports":"x"}`, 0, true},
		{"string", `"x"`, 0, true},
	}
	for _, tc := range inputs {
		got, err := ParseHistory([]byte(tc.in))
		if (err != nil) != tc.hasErr || len(got.Reports) != tc.reports {
			t.Errorf("%s: %d reports, err %v", tc.name, len(got.Reports), err)
			continue
		}
		if err == nil && got.Reports == nil {
			t.Errorf("%s: nil reports", tc.name)
		}
		for _, r := range got.Reports {
			if len(r.Phases) > maxPhasesPerReport {
				t.Errorf("%s: %d phases kept", tc.name, len(r.Phases))
			}
		}
	}
}

func TestCompareWindowAndDuplicates(t *testing.T) {
	// 12 old fast runs then 10 slow ones: a window of 10 sees only slow ones.
	var hs []Report
	for i := 0; i < 12; i++ {
		hs = append(hs, report("ci", 100, ph("fetch", 100)))
	}
	for i := 0; i < 10; i++ {
		hs = append(hs, report("ci", 1000, ph("fetch", 1000)))
	}
	c := Compare(report("ci", 1000, ph("fetch", 600), ph("fetch", 400)), hs, CompareOptions{})
	if c.BaseRuns != 10 {
		t.Errorf("base runs = %d", c.BaseRuns)
	}
	f := c.Rows[0]
	if f.Wall.Current != 1000 || f.Wall.Base.Median != 1000 || f.Verdict.Kind != VerdictNoise {
		t.Errorf("fetch row = %+v", f)
	}
	if f.RSS.Current != 60600 || f.Hits.Current != 6 {
		t.Errorf("duplicates: rss %d (want max), hits %d (want sum)", f.RSS.Current, f.Hits.Current)
	}
	if tot := c.Total(); tot.Phase != TotalPhase || tot.Bytes.Current != 1000*40000 {
		t.Errorf("total = %+v", tot)
	}
}
