package bench

// Cross-check: the figures lockstep bench records (wall clock around the
// child, user/sys/max RSS from the rusage wait4 returns) against an
// independent measurement of the same execution by GNU time
// (`/usr/bin/time -v`), which the measured command is wrapped in. Both see
// the same process tree: time reports its child's, our wait4 reports time's
// (which includes the child it reaped), so they differ only by time's own
// cost (a fork+exec, ~1 ms CPU, ~2 MB RSS) and time's resolution (10 ms).
//
// TestCrossCheckTimeV always runs, on a small CPU-, memory- and
// syscall-burning child (this test binary). TestCrossCheckBench runs the
// real `bench.Run` on a fixture when BENCH_CROSSCHECK=1 (see
// scripts/bench-crosscheck).

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const gnuTime = "/usr/bin/time"

// timeV is what `/usr/bin/time -v` reported for one command.
type timeV struct {
	Command         string
	Wall, User, Sys time.Duration
	MaxRSSKB        int64
	ExitStatus      int
}

// parseTimeV reads the last `time -v` report in r (it follows the command's
// own output on stderr).
func parseTimeV(r io.Reader) (timeV, error) {
	var tv timeV
	found := false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		key, val, ok := strings.Cut(strings.TrimSpace(sc.Text()), ": ")
		if !ok {
			continue
		}
		var err error
		switch {
		case key == "Command being timed":
			tv, found = timeV{Command: strings.Trim(val, `"`)}, true
		case key == "User time (seconds)":
			tv.User, err = seconds(val)
		case key == "System time (seconds)":
			tv.Sys, err = seconds(val)
		case strings.HasPrefix(key, "Elapsed (wall clock) time"):
			tv.Wall, err = clock(val)
		case key == "Maximum resident set size (kbytes)":
			tv.MaxRSSKB, err = strconv.ParseInt(val, 10, 64)
		case key == "Exit status":
			tv.ExitStatus, err = strconv.Atoi(val)
		}
		if err != nil {
			return tv, fmt.Errorf("failed to parse time -v line %q: %w", sc.Text(), err)
		}
	}
	if err := sc.Err(); err != nil {
		return tv, err
	}
	if !found {
		return tv, fmt.Errorf("failed to find a time -v report")
	}
	return tv, nil
}

func seconds(s string) (time.Duration, error) {
	f, err := strconv.ParseFloat(s, 64)
	return time.Duration(math.Round(f * float64(time.Second))), err
}

// clock parses "h:mm:ss" or "m:ss.cc".
func clock(s string) (time.Duration, error) {
	parts := strings.Split(s, ":")
	var total float64
	for _, p := range parts {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return 0, err
		}
		total = total*60 + f
	}
	return time.Duration(math.Round(total * float64(time.Second))), nil
}

func TestParseTimeV(t *testing.T) {
	cases := []struct {
		in   string
		want timeV
		err  bool
	}{
		{"noise\n\tCommand being timed: \"a b\"\n\tUser time (seconds): 1.25\n\tSystem time (seconds): 0.03\n" +
			"\tElapsed (wall clock) time (h:mm:ss or m:ss): 1:02.50\n\tMaximum resident set size (kbytes): 81234\n\tExit status: 3\n",
			timeV{"a b", 62500 * time.Millisecond, 1250 * time.Millisecond, 30 * time.Millisecond, 81234, 3}, false},
		{"\tCommand being timed: \"x\"\n\tElapsed (wall clock) time (h:mm:ss or m:ss): 1:00:01\n",
			timeV{Command: "x", Wall: 3601 * time.Second}, false},
		{"\tCommand being timed: \"x\"\n\tUser time (seconds): abc\n", timeV{}, true},
		{"no report here\n", timeV{}, true},
	}
	for i, tc := range cases {
		got, err := parseTimeV(strings.NewReader(tc.in))
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("case %d: %+v, %v; want %+v", i, got, err, tc.want)
		}
	}
}

// agreement compares one measurement with time's and returns what differs
// beyond the tolerance. time -v truncates to 10 ms (so 5 ms is added to its
// figures); our figures also cover time itself, whose exec costs ~10 ms of
// wall and CPU on this machine. Tolerance: 50 ms + 3% for wall, 25 ms + 3%
// for user and sys, 4 MiB + 3% for RSS (time's own RSS is ~2 MiB; both are
// the peak of the largest single process, not the sum over the tree).
func agreement(m measurement, tv timeV) []string {
	var bad []string
	near := func(what string, ours, theirs, slack time.Duration) {
		theirs += 5 * time.Millisecond
		if d := ours - theirs; d.Abs() > slack+time.Duration(0.03*float64(max(ours, theirs))) {
			bad = append(bad, fmt.Sprintf("%s: bench %v, time -v %v", what, ours, theirs-5*time.Millisecond))
		}
	}
	near("wall", m.Wall, tv.Wall, 50*time.Millisecond)
	near("user", m.User, tv.User, 25*time.Millisecond)
	near("sys", m.Sys, tv.Sys, 25*time.Millisecond)
	if d := m.MaxRSSKB - tv.MaxRSSKB; math.Abs(float64(d)) > 4096+0.03*float64(max(m.MaxRSSKB, tv.MaxRSSKB)) {
		bad = append(bad, fmt.Sprintf("max RSS: bench %d KiB, time -v %d KiB", m.MaxRSSKB, tv.MaxRSSKB))
	}
	return bad
}

// TestCrossCheckChild is the child of TestCrossCheckTimeV: it burns user
// CPU, system CPU (writes to /dev/null) and memory, then exits.
func TestCrossCheckChild(t *testing.T) {
	if os.Getenv("BENCH_CROSSCHECK_CHILD") != "1" {
		t.Skip("child process of TestCrossCheckTimeV")
	}
	mem := make([]byte, 48<<20)
	for i := 0; i < len(mem); i += 4096 {
		mem[i] = byte(i)
	}
	x := uint64(1)
	deadline := time.Now().Add(150 * time.Millisecond)
	for time.Now().Before(deadline) {
		for i := 0; i < 1e5; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	for i := 0; i < 5000; i++ {
		f.Write(buf)
	}
	f.Close()
	fmt.Fprintln(io.Discard, x, mem[4096])
}

func TestCrossCheckTimeV(t *testing.T) {
	if _, err := os.Stat(gnuTime); err != nil {
		t.Skipf("%s not installed", gnuTime)
	}
	dir := t.TempDir()
	env := append(os.Environ(), "BENCH_CROSSCHECK_CHILD=1")
	argv := []string{gnuTime, "-v", os.Args[0], "-test.run=^TestCrossCheckChild$", "-test.count=1"}
	var fails []string
	for run := 0; run < 3; run++ {
		log := filepath.Join(dir, fmt.Sprintf("r%d.log", run))
		m := measure(context.Background(), argv, dir, env, log, time.Minute)
		if m.Err != "" {
			t.Fatalf("child failed: %s", m.Err)
		}
		f, err := os.Open(log)
		if err != nil {
			t.Fatal(err)
		}
		tv, err := parseTimeV(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("run %d: bench wall %v user %v sys %v rss %d KiB | time -v wall %v user %v sys %v rss %d KiB",
			run, m.Wall, m.User, m.Sys, m.MaxRSSKB, tv.Wall, tv.User, tv.Sys, tv.MaxRSSKB)
		if tv.User < 100*time.Millisecond || tv.MaxRSSKB < 40<<10 {
			t.Fatalf("the child did not burn what it should (user %v, rss %d KiB): the check would prove nothing", tv.User, tv.MaxRSSKB)
		}
		if bad := agreement(m, tv); len(bad) > 0 {
			fails = append(fails, fmt.Sprintf("run %d: %s", run, strings.Join(bad, "; ")))
		}
	}
	// One disagreement can be a scheduling hiccup between time's clock and
	// ours; two of three cannot.
	if len(fails) > 1 {
		t.Errorf("bench and time -v disagree:\n%s", strings.Join(fails, "\n"))
	}
}

func TestAgreementCatchesDisagreement(t *testing.T) {
	base := measurement{Wall: time.Second, User: 600 * time.Millisecond, Sys: 200 * time.Millisecond, MaxRSSKB: 100000}
	tv := timeV{Wall: time.Second, User: 600 * time.Millisecond, Sys: 200 * time.Millisecond, MaxRSSKB: 100000}
	if bad := agreement(base, tv); len(bad) != 0 {
		t.Errorf("equal measurements disagree: %v", bad)
	}
	for _, mod := range []func(*measurement){
		func(m *measurement) { m.Wall += 150 * time.Millisecond },
		func(m *measurement) { m.User -= 60 * time.Millisecond },
		func(m *measurement) { m.Sys *= 2 },
		func(m *measurement) { m.MaxRSSKB += 20000 },
	} {
		m := base
		mod(&m)
		if bad := agreement(m, tv); len(bad) != 1 {
			t.Errorf("%+v vs %+v: %v", m, tv, bad)
		}
	}
}

// TestCrossCheckBench runs the real benchmark with every measured command
// wrapped in `/usr/bin/time -v` and checks each successful sample against
// the report time wrote into that run's log. Opt in: BENCH_CROSSCHECK=1;
// BENCH_CROSSCHECK_FIXTURE (default /work/shared/fixtures/small),
// BENCH_CROSSCHECK_RUNS (default 2), BENCH_CROSSCHECK_SETTLE (Options.Settle,
// e.g. 5s), BENCH_CROSSCHECK_OUT (a file for the markdown table).
func TestCrossCheckBench(t *testing.T) {
	if os.Getenv("BENCH_CROSSCHECK") != "1" {
		t.Skip("set BENCH_CROSSCHECK=1 (scripts/bench-crosscheck) to run the benchmark under /usr/bin/time -v")
	}
	if _, err := os.Stat(gnuTime); err != nil {
		t.Skipf("%s not installed", gnuTime)
	}
	fixture := os.Getenv("BENCH_CROSSCHECK_FIXTURE")
	if fixture == "" {
		fixture = "/work/shared/fixtures/small"
	}
	runs := 2
	if v, err := strconv.Atoi(os.Getenv("BENCH_CROSSCHECK_RUNS")); err == nil && v > 0 {
		runs = v
	}
	var settle time.Duration
	if v := os.Getenv("BENCH_CROSSCHECK_SETTLE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("failed to parse BENCH_CROSSCHECK_SETTLE %q: %v", v, err)
		}
		settle = d
	}
	work := t.TempDir()
	bin := filepath.Join(work, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	lockstep := filepath.Join(bin, "lockstep")
	build := exec.Command("go", "build", "-o", lockstep, "github.com/lockstep-dev/lockstep/cmd/lockstep")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("failed to build lockstep: %v\n%s", err, out)
	}
	o := Options{
		Fixtures: []string{fixture}, Tools: []string{ToolLockstep}, Phases: []string{PhaseCold, PhaseWarm},
		Runs: runs, Lockstep: lockstep, WorkDir: filepath.Join(work, "bench"), Stdout: io.Discard, Stderr: os.Stderr,
		Bins:   map[string][]string{ToolLockstep: {gnuTime, "-v", lockstep}},
		Settle: settle,
	}
	if npm, err := exec.LookPath("npm"); err == nil {
		o.Tools = append(o.Tools, ToolNPM)
		o.Bins[ToolNPM] = []string{gnuTime, "-v", npm}
	}
	samples, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("| tool | phase | run | wall bench / time -v | user bench / time -v | sys bench / time -v | max RSS bench / time -v | agree |\n|---|---|--:|--:|--:|--:|--:|---|\n")
	checked, disagree := 0, 0
	for _, s := range samples {
		if !s.OK() {
			continue
		}
		log := filepath.Join(o.WorkDir, "logs", fmt.Sprintf("%s.%s.%s.r%d.log", s.Fixture, s.Tool, s.Phase, s.Run))
		f, err := os.Open(log)
		if err != nil {
			t.Fatal(err)
		}
		tv, err := parseTimeV(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", log, err)
		}
		m := measurement{Wall: time.Duration(s.WallMS) * time.Millisecond, User: time.Duration(s.UserMS) * time.Millisecond,
			Sys: time.Duration(s.SysMS) * time.Millisecond, MaxRSSKB: s.MaxRSSKB}
		bad := agreement(m, tv)
		verdict := "yes"
		if len(bad) > 0 {
			verdict = "no: " + strings.Join(bad, "; ")
			disagree++
		}
		checked++
		fmt.Fprintf(&b, "| %s | %s | %d | %d / %d ms | %d / %d ms | %d / %d ms | %.1f / %.1f MiB | %s |\n",
			s.Tool, s.Phase, s.Run, s.WallMS, tv.Wall.Milliseconds(), s.UserMS, tv.User.Milliseconds(),
			s.SysMS, tv.Sys.Milliseconds(), float64(s.MaxRSSKB)/1024, float64(tv.MaxRSSKB)/1024, verdict)
	}
	t.Logf("fixture %s, %d samples checked:\n%s", fixture, checked, b.String())
	if out := os.Getenv("BENCH_CROSSCHECK_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
	if checked == 0 {
		t.Fatal("no successful sample to check")
	}
	// Allow one outlier in ten (a scheduling hiccup between two clocks).
	if disagree > checked/10 {
		t.Errorf("%d of %d samples disagree with time -v", disagree, checked)
	}
}
