package bench

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeScript is a stand-in package manager: it appends a record of its
// arguments, environment and starting state to $LOG, then acts like the
// tool: --version prints a version, lockfile-only modes write the tool's
// lockfile, installs create node_modules and mark the cache warm. A file
// <ctl>/<tool>.fail makes it exit 3, <ctl>/<tool>.nonm makes it exit 0
// without node_modules.
const fakeScript = `#!/bin/sh
LOG=@LOG@
CTL=@CTL@
tool="$1"; shift
case "$*" in *--version*|version) echo "9.9.9-$tool"; exit 0;; esac
if [ "$tool" = lockstep ] && [ "$2" = --help ]; then
  case "$1" in ci) echo "usage: lockstep ci"; exit 0;; *) echo "unknown command \"$1\""; exit 2;; esac
fi
cache=""; prev=""
for a in "$@"; do
  case "$a" in
    --cache=*) cache="${a#--cache=}";;
    --store-dir=*) cache="$(dirname "${a#--store-dir=}")";;
  esac
  [ "$prev" = --cache-dir ] && cache="$a"
  prev="$a"
done
[ -n "$BUN_INSTALL_CACHE_DIR" ] && cache="$BUN_INSTALL_CACHE_DIR"
case $tool in pnpm) lock=pnpm-lock.yaml;; bun) lock=bun.lock;; *) lock=package-lock.json;; esac
{
  echo "tool=$tool"
  echo "args=$*"
  echo "pwd=$(pwd)"
  echo "cache=$cache"
  echo "files=$(ls -A | tr '\n' ' ')"
  echo "cachefiles=$(ls -A "$cache" 2>/dev/null | tr '\n' ' ')"
  echo "lock=$(cat "$lock" 2>/dev/null | head -c 40)"
  echo "bunenv=$BUN_INSTALL_CACHE_DIR"
  echo "npmenv=$npm_config_leaky"
  echo "---"
} >> "$LOG"
if [ -e "$CTL/$tool.fail" ]; then echo "boom from $tool" >&2; exit 3; fi
case "$*" in
  *--lockfile-only*|*--package-lock-only*) echo "generated-by-$tool" > "$lock"; exit 0;;
esac
[ "$1" = resolve ] && { echo "generated-by-$tool" > "$lock"; exit 0; }
[ -e "$CTL/$tool.nonm" ] && exit 0
mkdir -p node_modules/a node_modules/@s/b node_modules/a/node_modules/c
echo '{}' > node_modules/a/package.json
echo '{}' > node_modules/@s/b/package.json
echo '{}' > node_modules/a/node_modules/c/package.json
[ -n "$cache" ] && mkdir -p "$cache" && touch "$cache/warm-$tool"
exit 0
`

type record map[string]string

type fakeEnv struct {
	fixture string
	work    string
	ctl     string
	log     string
	opts    Options
}

func newFakeEnv(t *testing.T, fixtureName string) *fakeEnv {
	t.Helper()
	root := t.TempDir()
	e := &fakeEnv{fixture: filepath.Join(root, fixtureName), work: filepath.Join(root, "work"),
		ctl: filepath.Join(root, "ctl"), log: filepath.Join(root, "calls.log")}
	for _, d := range []string{e.fixture, e.ctl} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string, mode os.FileMode) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), mode); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(e.fixture, "package.json"), `{"name":"fx","dependencies":{"a":"1"}}`, 0o644)
	write(filepath.Join(e.fixture, "package-lock.json"), `{"fixture-lock":true}`, 0o644)
	write(filepath.Join(e.fixture, ".npmrc"), "legacy-peer-deps=true\n", 0o644)
	script := strings.NewReplacer("@LOG@", e.log, "@CTL@", e.ctl).Replace(fakeScript)
	fake := filepath.Join(root, "fake.sh")
	write(fake, script, 0o755)
	lockstep := filepath.Join(root, "lockstep")
	write(lockstep, "#!/bin/sh\nexec /bin/sh "+fake+" lockstep \"$@\"\n", 0o755)
	e.opts = Options{
		Fixtures: []string{e.fixture},
		Tools:    []string{ToolLockstep, ToolNPM, ToolPNPM, ToolBun},
		Phases:   []string{PhaseWarm, PhaseCold}, // Run puts them in canonical order
		Runs:     2,
		Lockstep: lockstep,
		WorkDir:  e.work,
		Registry: "http://127.0.0.1:9/",
		Bins: map[string][]string{
			ToolNPM:  {"/bin/sh", fake, ToolNPM},
			ToolPNPM: {"/bin/sh", fake, ToolPNPM},
			ToolBun:  {"/bin/sh", fake, ToolBun},
		},
		Timeout: time.Minute,
		MinFree: -1, // TestRunStopsWhenDiskIsFull sets it
	}
	return e
}

func (e *fakeEnv) records(t *testing.T) []record {
	t.Helper()
	f, err := os.Open(e.log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []record
	cur := record{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "---" {
			out = append(out, cur)
			cur = record{}
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		cur[k] = strings.TrimSpace(v)
	}
	return out
}

// installs are the records of the timed and warm-up installs (not setup).
func (e *fakeEnv) installs(t *testing.T) []record {
	var out []record
	for _, r := range e.records(t) {
		if strings.Contains(r["pwd"], string(filepath.Separator)+"proj"+string(filepath.Separator)) {
			out = append(out, r)
		}
	}
	return out
}

func TestRunPreparesStatePerPhase(t *testing.T) {
	e := newFakeEnv(t, "small")
	t.Setenv("npm_config_leaky", "yes")
	samples, err := Run(context.Background(), e.opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	// Interleaving: run r, phase, tools rotated by r-1.
	var got []string
	for _, s := range samples {
		got = append(got, s.Phase[:2]+"/"+s.Tool+"/"+string(rune('0'+s.Run)))
		if !s.OK() {
			t.Errorf("sample %+v failed", s)
		}
		if s.Version != "9.9.9-"+s.Tool {
			t.Errorf("sample %s version = %q", s.Tool, s.Version)
		}
		if s.Packages != 3 {
			t.Errorf("sample %s packages = %d, want 3", s.Tool, s.Packages)
		}
	}
	want := []string{
		"p3/lockstep/1", "p3/npm/1", "p3/pnpm/1", "p3/bun/1",
		"p4/lockstep/1", "p4/npm/1", "p4/pnpm/1", "p4/bun/1",
		"p3/npm/2", "p3/pnpm/2", "p3/bun/2", "p3/lockstep/2",
		"p4/npm/2", "p4/pnpm/2", "p4/bun/2", "p4/lockstep/2",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("sample order\n got %v\nwant %v", got, want)
	}

	recs := e.installs(t)
	if len(recs) != len(want) {
		t.Fatalf("%d install calls, want %d (no warm-ups needed)", len(recs), len(want))
	}
	wantLock := map[string]string{
		ToolLockstep: `{"fixture-lock":true}`, ToolNPM: `{"fixture-lock":true}`,
		ToolPNPM: "generated-by-pnpm", ToolBun: "generated-by-bun",
	}
	for i, r := range recs {
		tool, phase := r["tool"], strings.Split(want[i], "/")[0]
		if tool != strings.Split(want[i], "/")[1] {
			t.Fatalf("call %d is %s, want %s", i, tool, want[i])
		}
		files := strings.Fields(r["files"])
		slices.Sort(files)
		wantFiles := []string{".npmrc", lockfileName(tool), "package.json"}
		slices.Sort(wantFiles)
		if !slices.Equal(files, wantFiles) {
			t.Errorf("%s: project files %v, want %v (no node_modules, only this tool's lockfile)", want[i], files, wantFiles)
		}
		if r["lock"] != wantLock[tool] {
			t.Errorf("%s: lockfile %q, want %q", want[i], r["lock"], wantLock[tool])
		}
		switch phase {
		case "p3":
			if r["cachefiles"] != "" {
				t.Errorf("%s: cache not empty: %q", want[i], r["cachefiles"])
			}
		case "p4":
			if r["cachefiles"] != "warm-"+tool {
				t.Errorf("%s: cache = %q, want warm from p3", want[i], r["cachefiles"])
			}
		}
		if !strings.Contains(r["args"], "--ignore-scripts") {
			t.Errorf("%s: args %q lack --ignore-scripts", want[i], r["args"])
		}
		if r["npmenv"] != "" {
			t.Errorf("%s: npm_config_leaky reached the tool", want[i])
		}
		if !strings.HasPrefix(r["cache"], filepath.Join(e.work, "cache", "small")+string(filepath.Separator)) ||
			!strings.HasSuffix(r["cache"], tool) {
			t.Errorf("%s: cache dir %q is not the tool's own", want[i], r["cache"])
		}
		switch tool {
		case ToolLockstep:
			wantArgs := "ci --dir " + r["pwd"] + " --cache-dir " + r["cache"] + " --ignore-scripts --registry http://127.0.0.1:9/"
			if r["args"] != wantArgs {
				t.Errorf("lockstep args %q, want %q", r["args"], wantArgs)
			}
		case ToolNPM:
			if !strings.HasPrefix(r["args"], "ci ") {
				t.Errorf("npm args %q, want npm ci", r["args"])
			}
		case ToolPNPM, ToolBun:
			if !strings.HasPrefix(r["args"], "install --frozen-lockfile ") {
				t.Errorf("%s args %q, want install --frozen-lockfile", tool, r["args"])
			}
		}
		if (tool == ToolBun) != (r["bunenv"] != "") {
			t.Errorf("%s: BUN_INSTALL_CACHE_DIR = %q", tool, r["bunenv"])
		}
	}

	// Setup generated pnpm's and bun's lockfiles once; a second Run reuses them.
	countSetups := func() int {
		n := 0
		for _, r := range e.records(t) {
			if strings.Contains(r["pwd"], string(filepath.Separator)+"lockfiles"+string(filepath.Separator)) {
				n++
				if !strings.Contains(r["args"], "--lockfile-only") {
					t.Errorf("setup call %q is not lockfile-only", r["args"])
				}
			}
		}
		return n
	}
	if n := countSetups(); n != 2 {
		t.Errorf("%d setup calls, want 2 (pnpm, bun)", n)
	}
	o := e.opts
	o.Runs = 1
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if n := countSetups(); n != 2 {
		t.Errorf("%d setup calls after a second Run, want still 2", n)
	}
}

func TestRunRecordsFailures(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, "small")
	for _, f := range []string{"npm.fail", "bun.nonm"} {
		if err := os.WriteFile(filepath.Join(e.ctl, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e.opts.Runs = 1
	samples, err := Run(context.Background(), e.opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	by := map[string]Sample{}
	for _, s := range samples {
		by[s.Phase[:2]+"/"+s.Tool] = s
	}
	tests := []struct {
		key      string
		ok       bool
		exit     int
		errMatch string
	}{
		{"p3/lockstep", true, 0, ""},
		{"p3/pnpm", true, 0, ""},
		{"p3/npm", false, 3, "boom from npm"},
		{"p3/bun", false, 0, "node_modules missing"},
		{"p4/npm", false, -1, "warm-up p3 failed"},
		{"p4/lockstep", true, 0, ""},
	}
	for _, tc := range tests {
		s, ok := by[tc.key]
		if !ok {
			t.Errorf("no sample %s", tc.key)
			continue
		}
		if s.OK() != tc.ok || s.ExitCode != tc.exit || !strings.Contains(s.Err, tc.errMatch) {
			t.Errorf("%s = ok %v exit %d err %q, want ok %v exit %d err ~%q", tc.key, s.OK(), s.ExitCode, s.Err, tc.ok, tc.exit, tc.errMatch)
		}
	}
	if len(samples) != 8 {
		t.Errorf("%d samples, want 8", len(samples))
	}
}

func TestRunWarmsUpForP4Alone(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, "small")
	e.opts.Phases = []string{PhaseWarm}
	e.opts.Tools = []string{ToolNPM, ToolLockstep}
	samples, err := Run(context.Background(), e.opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != 4 {
		t.Fatalf("%d samples, want 4", len(samples))
	}
	recs := e.installs(t)
	// Run 1: untimed p3 then p4 for each tool; run 2: p4 only (cache still warm).
	if len(recs) != 6 {
		t.Fatalf("%d install calls, want 6", len(recs))
	}
	warm := 0
	for _, r := range recs {
		if r["cachefiles"] != "" {
			warm++
		}
	}
	if warm != 4 {
		t.Errorf("%d calls saw a warm cache, want 4", warm)
	}
	if recs[0]["cachefiles"] != "" || recs[1]["cachefiles"] == "" {
		t.Errorf("first calls: warm-up saw %q, p4 saw %q", recs[0]["cachefiles"], recs[1]["cachefiles"])
	}
}

func TestRunSkipsUnknownLockstepCommands(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, "small")
	e.opts.Phases = []string{PhaseResolve, PhaseFullCold}
	e.opts.Tools = []string{ToolLockstep, ToolNPM}
	e.opts.Runs = 1
	samples, err := Run(context.Background(), e.opts)
	if err != nil {
		t.Fatal(err)
	}
	var skipped, ran []string
	for _, s := range samples {
		if s.Skipped() {
			skipped = append(skipped, s.Phase+"/"+s.Tool)
			if !strings.Contains(s.Err, "no \"resolve\" command") && !strings.Contains(s.Err, "no \"install\" command") {
				t.Errorf("skip reason %q", s.Err)
			}
		} else {
			ran = append(ran, s.Phase+"/"+s.Tool)
			if !s.OK() {
				t.Errorf("%s failed: %s", s.Tool, s.Err)
			}
		}
	}
	slices.Sort(skipped)
	if want := []string{"p0_full_cold/lockstep", "p1_resolve/lockstep"}; !slices.Equal(skipped, want) {
		t.Errorf("skipped %v, want %v", skipped, want)
	}
	if want := []string{"p1_resolve/npm", "p0_full_cold/npm"}; !slices.Equal(ran, want) {
		t.Errorf("ran %v, want %v", ran, want)
	}
	for _, r := range e.installs(t) {
		if strings.Contains(r["files"], "package-lock.json") {
			t.Errorf("%s %q started with a lockfile: %s", r["tool"], r["args"], r["files"])
		}
		if r["cachefiles"] != "" {
			t.Errorf("%s %q started with a warm cache", r["tool"], r["args"])
		}
	}
}

func TestRunNPMInstallOnListedFixture(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, fixture string
		list          []string
		wantSub       string
	}{
		{"default list names large", "large", nil, "install "},
		{"other fixture", "medium", nil, "ci "},
		{"empty list", "large", []string{}, "ci "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newFakeEnv(t, tc.fixture)
			e.opts.Tools = []string{ToolNPM}
			e.opts.Phases = []string{PhaseCold}
			e.opts.Runs = 1
			e.opts.NPMInstallFixtures = tc.list
			samples, err := Run(context.Background(), e.opts)
			if err != nil {
				t.Fatal(err)
			}
			recs := e.installs(t)
			if len(recs) != 1 || !strings.HasPrefix(recs[0]["args"], tc.wantSub) {
				t.Fatalf("calls %v, want npm %q", recs, tc.wantSub)
			}
			if hasNote := samples[0].Note != ""; hasNote != (tc.wantSub == "install ") {
				t.Errorf("note %q", samples[0].Note)
			}
		})
	}
}

func TestRunRejectsBadOptions(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, "small")
	tests := []struct {
		name string
		mod  func(o *Options)
	}{
		{"no fixtures", func(o *Options) { o.Fixtures = nil }},
		{"unknown tool", func(o *Options) { o.Tools = []string{"yarn"} }},
		{"unknown phase", func(o *Options) { o.Phases = []string{"p2"} }},
		{"no lockstep path", func(o *Options) { o.Lockstep = "" }},
		{"no work dir", func(o *Options) { o.WorkDir = "" }},
		{"missing fixture", func(o *Options) { o.Fixtures = []string{filepath.Join(e.work, "nope")} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := e.opts
			tc.mod(&o)
			if _, err := Run(context.Background(), o); err == nil {
				t.Errorf("Run accepted %s", tc.name)
			}
		})
	}
}

func TestRunFloors(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	t.Parallel()
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.Path)
		mu.Unlock()
		_, _ = w.Write([]byte("tarball bytes"))
	}))
	defer srv.Close()

	e := newFakeEnv(t, "small")
	lock := `{"lockfileVersion": 3, "packages": {"": {"name": "fx"},
	  "node_modules/a": {"version": "1.0.0"},
	  "node_modules/@s/b": {"version": "2.0.0", "resolved": "` + srv.URL + `/@s/b/-/b-2.0.0.tgz"},
	  "node_modules/win": {"version": "1.0.0", "os": ["win32"]}}}`
	if err := os.WriteFile(filepath.Join(e.fixture, "package-lock.json"), []byte(lock), 0o644); err != nil {
		t.Fatal(err)
	}
	e.opts.Tools = []string{ToolNPM}
	e.opts.Runs = 1
	e.opts.Floor = true
	e.opts.Registry = srv.URL
	samples, err := Run(context.Background(), e.opts)
	if err != nil {
		t.Fatal(err)
	}
	var floors []Sample
	for _, s := range samples {
		if strings.HasPrefix(s.Tool, "floor:") {
			floors = append(floors, s)
		}
	}
	want := []string{FloorCurl, FloorCpAl}
	if runtime.NumCPU() > 1 {
		want = append(want, FloorCpAlPar)
	}
	var tools []string
	for _, s := range floors {
		tools = append(tools, s.Tool)
	}
	if !slices.Equal(tools, want) {
		t.Fatalf("floor samples %+v, want %v", floors, want)
	}
	for _, s := range floors {
		if !s.OK() {
			t.Errorf("%s failed: %s", s.Tool, s.Err)
		}
	}
	if floors[0].Packages != 2 || floors[1].Packages != 3 || len(floors) > 2 && floors[2].Packages != 3 {
		t.Errorf("floor packages = %+v; want 2 tarballs, then 3 packages", floors)
	}
	mu.Lock()
	slices.Sort(got)
	mu.Unlock()
	if want := []string{"/@s/b/-/b-2.0.0.tgz", "/a/-/a-1.0.0.tgz"}; !slices.Equal(got, want) {
		t.Errorf("curl fetched %v, want %v", got, want)
	}
	if _, err := os.Stat(filepath.Join(e.work, "floor", "small", "node_modules")); !os.IsNotExist(err) {
		t.Errorf("cp -al copy was not removed: %v", err)
	}
}

// TestRunStopsWhenDiskIsFull: a failed run with less than MinFree left in
// the work directory ends the benchmark with an error that says why,
// instead of recording every later run as failed; with room left, or
// after a run that succeeded, it goes on.
func TestRunStopsWhenDiskIsFull(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		minFree  int64
		fail     bool
		wantStop bool
	}{
		{"failure, no room", 1 << 62, true, true},
		{"failure, room", 1, true, false},
		{"no failure, no room", 1 << 62, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newFakeEnv(t, "small")
			if tc.fail {
				if err := os.WriteFile(filepath.Join(e.ctl, "npm.fail"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			e.opts.Tools = []string{ToolNPM, ToolBun}
			e.opts.Phases = []string{PhaseCold}
			e.opts.MinFree = tc.minFree
			samples, err := Run(context.Background(), e.opts)
			if tc.wantStop {
				if err == nil || !strings.Contains(err.Error(), "GB free in") || !strings.Contains(err.Error(), "small p3_cold_install npm r1 failed") {
					t.Fatalf("Run error = %v, want the full-disk stop after npm's first run", err)
				}
				if last := samples[len(samples)-1]; last.Tool != ToolNPM || last.Run != 1 {
					t.Errorf("last sample %s r%d, want the failed npm r1", last.Tool, last.Run)
				}
				return
			}
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if len(samples) != 4 {
				t.Errorf("%d samples, want 4 (2 runs of 2 tools)", len(samples))
			}
		})
	}
}
