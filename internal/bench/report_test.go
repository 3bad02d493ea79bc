package bench

import (
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestDescribe(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want Stats
	}{
		{"empty", nil, Stats{}},
		{"one", []float64{7}, Stats{N: 1, Median: 7, Min: 7, Max: 7}},
		{"odd unsorted", []float64{9, 1, 5}, Stats{N: 3, Median: 5, Min: 1, Max: 9, StdDev: 4}},
		{"even", []float64{4, 1, 3, 2}, Stats{N: 4, Median: 2.5, Min: 1, Max: 4, StdDev: math.Sqrt(5.0 / 3)}},
		{"classic", []float64{2, 4, 4, 4, 5, 5, 7, 9}, Stats{N: 8, Median: 4.5, Min: 2, Max: 9, StdDev: math.Sqrt(32.0 / 7)}},
		{"equal", []float64{3, 3}, Stats{N: 2, Median: 3, Min: 3, Max: 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]float64{}, tc.in...)
			got := Describe(tc.in)
			if got.N != tc.want.N || got.Median != tc.want.Median || got.Min != tc.want.Min ||
				got.Max != tc.want.Max || math.Abs(got.StdDev-tc.want.StdDev) > 1e-12 {
				t.Errorf("Describe(%v) = %+v, want %+v", tc.in, got, tc.want)
			}
			for i := range in {
				if in[i] != tc.in[i] {
					t.Fatalf("Describe reordered its input: %v", tc.in)
				}
			}
		})
	}
}

func TestRatioAndFormat(t *testing.T) {
	tests := []struct {
		lock, tool float64
		want       string
	}{
		{500, 1000, "0.50×"},
		{1000, 1000, "1.00×"},
		{2345, 1000, "2.35×"},
		{31, 1000, "0.031×"},
		{150000, 1000, "150×"},
		{0, 1000, "—"},
		{1000, 0, "—"},
		{-1, 1000, "—"},
	}
	for _, tc := range tests {
		if got := FormatRatio(Ratio(tc.lock, tc.tool)); got != tc.want {
			t.Errorf("FormatRatio(Ratio(%v, %v)) = %q, want %q", tc.lock, tc.tool, got, tc.want)
		}
	}
	if got := FormatRatio(math.NaN()); got != "—" {
		t.Errorf("FormatRatio(NaN) = %q, want —", got)
	}
}

// goldenSamples covers successes, a failure, a skip, a floor and two
// fixtures, in the interleaved order Run produces them.
func goldenSamples() []Sample {
	s := func(tool, fx, ph string, run int, wall, user, sys, rss int64) Sample {
		return Sample{Tool: tool, Fixture: fx, Phase: ph, Run: run, WallMS: wall, UserMS: user, SysMS: sys,
			MaxRSSKB: rss, Version: map[string]string{"lockstep": "0.1.0", "npm": "11.19.1", "pnpm": "12.21.0", "bun": "1.4.5"}[tool],
			Packages: 158}
	}
	out := []Sample{
		{Tool: ToolLockstep, Fixture: "small", Phase: PhaseResolve, ExitCode: -1, Err: "skipped: lockstep has no \"resolve\" command yet", Version: "0.1.0"},
		s("lockstep", "small", PhaseCold, 1, 1200, 800, 400, 81920),
		s("npm", "small", PhaseCold, 1, 6610, 6000, 3000, 233472),
		s("pnpm", "small", PhaseCold, 1, 15200, 4000, 1800, 370688),
		s("bun", "small", PhaseCold, 1, 830, 900, 530, 70656),
		{Tool: FloorCurl, Fixture: "small", Phase: PhaseCold, Run: 1, WallMS: 430, UserMS: 200, SysMS: 100, MaxRSSKB: 18000, Version: "7.88.1", Packages: 164, Note: "one curl process"},
		s("lockstep", "small", PhaseWarm, 1, 150, 60, 90, 20480),
		s("npm", "small", PhaseWarm, 1, 4120, 4000, 1900, 274432),
		s("pnpm", "small", PhaseWarm, 1, 350, 300, 280, 115712),
		s("bun", "small", PhaseWarm, 1, 100, 60, 100, 15360),
		s("npm", "small", PhaseCold, 2, 5830, 5500, 2900, 230000),
		s("pnpm", "small", PhaseCold, 2, 15250, 4100, 1700, 380000),
		s("bun", "small", PhaseCold, 2, 740, 800, 500, 65000),
		s("lockstep", "small", PhaseCold, 2, 1300, 820, 410, 83000),
		{Tool: FloorCurl, Fixture: "small", Phase: PhaseCold, Run: 2, WallMS: 530, UserMS: 210, SysMS: 90, MaxRSSKB: 18100, Version: "7.88.1", Packages: 164, Note: "one curl process"},
		s("npm", "small", PhaseWarm, 2, 3830, 3600, 1800, 270000),
		{Tool: "pnpm", Fixture: "small", Phase: PhaseWarm, Run: 2, ExitCode: 1, Err: "exit 1: ERR_PNPM_BOOM", Version: "12.21.0"},
		s("bun", "small", PhaseWarm, 2, 120, 70, 110, 15500),
		s("lockstep", "small", PhaseWarm, 2, 170, 70, 95, 21000),
		s("npm", "large", PhaseCold, 1, 108700, 100000, 58570, 997376),
		{Tool: "lockstep", Fixture: "large", Phase: PhaseCold, Run: 1, ExitCode: 2, Err: "exit 2: lockfile out of sync", Version: "0.1.0"},
	}
	for i := range out {
		if out[i].Tool == ToolNPM {
			out[i].Command = "npm ci --ignore-scripts --cache=$CACHE"
			if out[i].Fixture == "large" {
				out[i].Command = "npm install --ignore-scripts --cache=$CACHE"
				out[i].Note = "npm install, not npm ci"
			}
		}
	}
	return out
}

func TestMarkdownGolden(t *testing.T) {
	got := Markdown(goldenSamples())
	path := filepath.Join("testdata", "markdown.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("failed to read golden file (run with -update): %v", err)
	}
	if got != string(want) {
		t.Errorf("Markdown mismatch (run go test -update to accept)\n--- got ---\n%s\n--- want ---\n%s", got, want)
	}
}

// TestMarkdownHostile feeds names and errors with table syntax and newlines:
// every row keeps the header's cell count.
func TestMarkdownHostile(t *testing.T) {
	in := []Sample{
		{Tool: ToolLockstep, Fixture: "we|ird\nfixture", Phase: PhaseCold, Run: 1, WallMS: 1000, UserMS: 10, SysMS: 10, MaxRSSKB: 1024, Version: "0.1|x\ny"},
		{Tool: ToolNPM, Fixture: "we|ird\nfixture", Phase: PhaseCold, Run: 1, ExitCode: 1, Err: "exit 1: a | b\nc", Command: "npm `ci`\n--x"},
	}
	md := Markdown(in)
	header := 0
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		n := strings.Count(line, "|") - strings.Count(line, `\|`)
		if header == 0 {
			header = n
		} else if n != header {
			t.Errorf("row has %d separators, header %d: %q", n, header, line)
		}
	}
	if header == 0 || !strings.Contains(md, "### we\\|ird fixture") || !strings.Contains(md, "failed run 1: exit 1: a | b c") {
		t.Errorf("markdown:\n%s", md)
	}
}

func TestSummarize(t *testing.T) {
	sums := Summarize(goldenSamples())
	find := func(fx, ph, tool string) Summary {
		t.Helper()
		for _, s := range sums {
			if s.Fixture == fx && s.Phase == ph && s.Tool == tool {
				return s
			}
		}
		t.Fatalf("no summary for %s %s %s", fx, ph, tool)
		return Summary{}
	}
	var order []string
	for _, s := range sums {
		order = append(order, s.Fixture+"/"+s.Phase+"/"+s.Tool)
	}
	wantOrder := []string{
		"small/p1_resolve/lockstep",
		"small/p3_cold_install/lockstep", "small/p3_cold_install/npm", "small/p3_cold_install/pnpm", "small/p3_cold_install/bun", "small/p3_cold_install/floor:curl",
		"small/p4_warm_link/lockstep", "small/p4_warm_link/npm", "small/p4_warm_link/pnpm", "small/p4_warm_link/bun",
		"large/p3_cold_install/lockstep", "large/p3_cold_install/npm",
	}
	if len(order) != len(wantOrder) {
		t.Fatalf("order = %v, want %v", order, wantOrder)
	}
	for i := range order {
		if order[i] != wantOrder[i] {
			t.Fatalf("order = %v, want %v", order, wantOrder)
		}
	}
	npm := find("small", PhaseCold, ToolNPM)
	if npm.OK != 2 || npm.Runs != 2 || npm.WallMS.Median != (6610+5830)/2.0 || npm.WallMS.Min != 5830 || npm.WallMS.Max != 6610 {
		t.Errorf("npm p3 = %+v", npm)
	}
	if npm.WallMS.Mean != (6610+5830)/2.0 {
		t.Errorf("npm p3 mean = %v", npm.WallMS.Mean)
	}
	if want := Ratio((1200+1300)/2.0, (6610+5830)/2.0); math.Abs(npm.Ratio-want) > 1e-12 {
		t.Errorf("npm p3 ratio = %v, want %v", npm.Ratio, want)
	}
	pnpm := find("small", PhaseWarm, ToolPNPM)
	if pnpm.OK != 1 || pnpm.Runs != 2 || len(pnpm.Failures) != 1 || pnpm.WallMS.Median != 350 {
		t.Errorf("pnpm p4 = %+v", pnpm)
	}
	if s := find("small", PhaseResolve, ToolLockstep); s.Skipped == "" || s.Runs != 0 {
		t.Errorf("lockstep p1 = %+v, want skipped", s)
	}
	if s := find("large", PhaseCold, ToolNPM); s.Ratio != 0 {
		t.Errorf("large npm ratio = %v, want 0 (lockstep failed)", s.Ratio)
	}
}

func TestJSON(t *testing.T) {
	in := goldenSamples()
	var doc struct {
		Samples []Sample  `json:"samples"`
		Summary []Summary `json:"summary"`
	}
	if err := json.Unmarshal(JSON(in), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Samples) != len(in) {
		t.Fatalf("samples = %d, want %d", len(doc.Samples), len(in))
	}
	for i := range in {
		if doc.Samples[i] != in[i] {
			t.Errorf("sample %d = %+v, want %+v", i, doc.Samples[i], in[i])
		}
	}
	if len(doc.Summary) != len(Summarize(in)) {
		t.Errorf("summary = %d entries, want %d", len(doc.Summary), len(Summarize(in)))
	}
	var empty map[string][]any
	if err := json.Unmarshal(JSON(nil), &empty); err != nil || empty["samples"] == nil || empty["summary"] == nil {
		t.Errorf("JSON(nil) = %s (err %v), want empty arrays", JSON(nil), err)
	}
}

func TestProgressLine(t *testing.T) {
	tests := []struct {
		s    Sample
		want string
	}{
		{Sample{Tool: "lockstep", Fixture: "small", Phase: PhaseResolve, Run: 2, WallMS: 1630, UserMS: 1250, SysMS: 740, MaxRSSKB: 109 << 10},
			"bench: small r2 p1_resolve lockstep     wall   1.63s  user   1.25s  sys   0.74s  rss   109 MB  ok\n"},
		{Sample{Tool: "bun", Fixture: "large", Phase: PhaseCold, Run: 1, WallMS: 13430, UserMS: 9000, SysMS: 12000, MaxRSSKB: 270 << 10, ExitCode: 1},
			"bench: large r1 p3_cold_install bun          wall  13.43s  user   9.00s  sys  12.00s  rss   270 MB  FAILED\n"},
	}
	for _, tc := range tests {
		var out strings.Builder
		b := &bencher{o: Options{Stdout: &out}}
		b.progress(tc.s)
		if out.String() != tc.want {
			t.Errorf("progress line:\n got %q\nwant %q", out.String(), tc.want)
		}
	}
}
