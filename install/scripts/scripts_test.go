package scripts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// logScript appends "<event> <name>" to $LOG.
const logScript = `echo "$npm_lifecycle_event $npm_package_name" >> "$LOG"`

type testPkg struct {
	path     string // lockfile key
	name     string
	scripts  map[string]string
	files    map[string]string // extra files in the package dir
	optional bool
	// onDisk: leave Package.Scripts nil so the runner reads package.json
	onDisk bool
	extra  map[string]any // extra package.json fields
}

// writePkgs lays the packages out under project and returns them as
// Packages.
func writePkgs(t *testing.T, project string, pkgs []testPkg) []Package {
	t.Helper()
	var out []Package
	for _, p := range pkgs {
		dir := filepath.Join(project, filepath.FromSlash(p.path))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		pj := map[string]any{"name": p.name, "version": "1.0.0"}
		if p.scripts != nil {
			pj["scripts"] = p.scripts
		}
		for k, v := range p.extra {
			pj[k] = v
		}
		data, _ := json.Marshal(pj)
		if err := os.WriteFile(filepath.Join(dir, "package.json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		for f, c := range p.files {
			if err := os.WriteFile(filepath.Join(dir, f), []byte(c), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		pkg := Package{Path: p.path, Dir: dir, Name: p.name, Version: "1.0.0", Optional: p.optional}
		if !p.onDisk {
			pkg.Scripts = map[string]string{}
			for k, v := range p.scripts {
				pkg.Scripts[k] = v
			}
		}
		out = append(out, pkg)
	}
	return out
}

func readLog(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(data), "\n"), "\n")
}

func newRunner(project, log string) *Runner {
	return &Runner{ProjectDir: project, Env: map[string]string{"LOG": log}}
}

func allScripts(events ...string) map[string]string {
	m := map[string]string{}
	for _, e := range events {
		m[e] = logScript
	}
	return m
}

func TestPhaseOrder(t *testing.T) {
	tests := []struct {
		name string
		pkgs []testPkg
		want []string
	}{
		{
			name: "phases are global across packages",
			pkgs: []testPkg{
				{path: "node_modules/b", name: "b", scripts: allScripts("preinstall", "install", "postinstall")},
				{path: "node_modules/a", name: "a", scripts: allScripts("preinstall", "postinstall")},
				{path: "node_modules/c", name: "c", scripts: allScripts("install"), onDisk: true},
			},
			want: []string{
				"preinstall a", "preinstall b", "bins",
				"install b", "install c",
				"postinstall a", "postinstall b",
			},
		},
		{
			name: "only packages with the script run it; other scripts ignored",
			pkgs: []testPkg{
				{path: "node_modules/x", name: "x", scripts: map[string]string{"test": logScript, "prepare": logScript}},
				{path: "node_modules/y", name: "y", scripts: allScripts("postinstall"), onDisk: true},
			},
			want: []string{"bins", "postinstall y"},
		},
		{
			name: "depth first, then ICU en collation of the path",
			pkgs: []testPkg{
				{path: "node_modules/ab", name: "ab", scripts: allScripts("install")},
				{path: "node_modules/a-b/node_modules/c", name: "c", scripts: allScripts("install")},
				{path: "node_modules/a.b", name: "a.b", scripts: allScripts("install")},
				{path: "node_modules/B", name: "B", scripts: allScripts("install")},
				{path: "node_modules/a_b", name: "a_b", scripts: allScripts("install")},
				{path: "node_modules/@s/z", name: "@s/z", scripts: allScripts("install")},
				{path: "node_modules/1x", name: "1x", scripts: allScripts("install")},
				{path: "node_modules/a", name: "a", scripts: allScripts("install")},
			},
			// bytewise order would put "B" and "1x" first and "a_b" late
			want: []string{"bins", "install @s/z", "install 1x", "install a", "install a_b",
				"install a.b", "install ab", "install B", "install c"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			project := t.TempDir()
			log := filepath.Join(project, "log")
			deps := writePkgs(t, project, tt.pkgs)
			r := newRunner(project, log)
			r.Concurrency = 1
			res, err := r.Run(context.Background(), deps, nil, func() error {
				f, err := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
				if err != nil {
					return err
				}
				defer f.Close()
				_, err = f.WriteString("bins\n")
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			got := readLog(t, log)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("order:\n got %q\nwant %q", got, tt.want)
			}
			if res.Ran != len(tt.want)-1 {
				t.Errorf("Ran = %d, want %d", res.Ran, len(tt.want)-1)
			}
		})
	}
}

func TestParallelismBound(t *testing.T) {
	// Each script registers itself in a directory, waits (up to 3 s) until
	// $WANT scripts are registered, lets more arrive if the bound is broken,
	// records how many are registered, and leaves.
	const script = `touch "$ACTIVE/$npm_package_name"; i=0
while [ "$(ls "$ACTIVE" | wc -l)" -lt "$WANT" ] && [ $i -lt 60 ]; do sleep 0.05; i=$((i+1)); done
sleep 0.2; ls "$ACTIVE" | wc -l >> "$LOG"; rm "$ACTIVE/$npm_package_name"`
	tests := []struct {
		name        string
		concurrency int
		foreground  bool
		wantMax     int
	}{
		{"limit 1", 1, false, 1},
		{"limit 2", 2, false, 2},
		{"foreground overrides concurrency", 4, true, 1},
	}
	const n = 4
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			project := t.TempDir()
			log := filepath.Join(project, "log")
			active := filepath.Join(project, "active")
			if err := os.Mkdir(active, 0o755); err != nil {
				t.Fatal(err)
			}
			var pkgs []testPkg
			for i := range n {
				n := "p" + strconv.Itoa(i)
				pkgs = append(pkgs, testPkg{path: "node_modules/" + n, name: n, scripts: map[string]string{"postinstall": script}})
			}
			r := newRunner(project, log)
			r.Env["ACTIVE"] = active
			r.Env["WANT"] = strconv.Itoa(tt.wantMax)
			r.Concurrency = tt.concurrency
			r.Foreground = tt.foreground
			var stdout bytes.Buffer
			r.Stdout = &stdout
			if _, err := r.Run(context.Background(), writePkgs(t, project, pkgs), nil, nil); err != nil {
				t.Fatal(err)
			}
			maxSeen := 0
			lines := readLog(t, log)
			if len(lines) != n {
				t.Fatalf("got %d runs, want %d", len(lines), n)
			}
			for _, l := range lines {
				n, err := strconv.Atoi(strings.TrimSpace(l))
				if err != nil {
					t.Fatal(err)
				}
				maxSeen = max(maxSeen, n)
			}
			if maxSeen != tt.wantMax {
				t.Fatalf("max concurrent = %d, want %d", maxSeen, tt.wantMax)
			}
			if tt.foreground && !strings.Contains(stdout.String(), "\n> p0@1.0.0 postinstall\n> touch \"$ACTIVE/$npm_package_name\"; i=0\n> while") {
				t.Errorf("foreground banner missing: %q", stdout.String())
			}
			if !tt.foreground && stdout.Len() != 0 {
				t.Errorf("background scripts printed %q", stdout.String())
			}
		})
	}
}

func TestDefaultLimit(t *testing.T) {
	r := &Runner{}
	if got := r.limit(); got < 1 {
		t.Fatalf("limit = %d", got)
	}
	r.Concurrency = 7
	if got := r.limit(); got != 7 {
		t.Fatalf("limit = %d, want 7", got)
	}
	r.Foreground = true
	if got := r.limit(); got != 1 {
		t.Fatalf("foreground limit = %d, want 1", got)
	}
}

func parseEnv(t *testing.T, file string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// written with `env -0`
	m := map[string]string{}
	for _, kv := range strings.Split(string(data), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

func TestEnvironment(t *testing.T) {
	project := t.TempDir()
	const dump = `env -0 > "$OUT/$npm_lifecycle_event-$(echo $npm_package_name | tr / _).env"; pwd > "$OUT/$npm_lifecycle_event-$(echo $npm_package_name | tr / _).pwd"`
	deps := writePkgs(t, project, []testPkg{
		{path: "node_modules/@s/a", name: "@s/a", scripts: map[string]string{"install": dump}},
		{path: "node_modules/@s/a/node_modules/b", name: "b", scripts: map[string]string{"postinstall": dump}, onDisk: true,
			extra: map[string]any{"engines": map[string]any{"node": ">=18"}, "bin": "./cli.js"}},
	})
	deps[0].Optional = true
	deps[0].DevOptional = true
	deps[0].Resolved = "https://registry.example/@s/a/-/a-1.0.0.tgz"
	deps[0].Integrity = "sha512-xyz"
	deps[1].Dev = true
	rootJSON := `{"name":"proj","version":"2.0.0","config":{"port":8080,"list":["x",null]},"scripts":{"postinstall":` + strconv.Quote(dump) + `}}`
	if err := os.WriteFile(filepath.Join(project, "package.json"), []byte(rootJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(project, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	origPath := os.Getenv("PATH")
	r := &Runner{
		ProjectDir: project,
		Environ: func() []string {
			return []string{"PATH=" + origPath, "HOME=/home/x", "OUT=" + out, "INIT_CWD=/elsewhere", "npm_config_foo=bar"}
		},
		Env:       map[string]string{"npm_config_nodedir": "/opt/node"},
		NodeGyp:   "/opt/node-gyp/bin/node-gyp.js",
		UserAgent: "npm/11.0.0 node/v20.0.0 linux x64 workspaces/false",
	}
	if _, err := r.Run(context.Background(), deps, &Package{}, nil); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		file string
		dir  string
		want map[string]string // "" value: must be set and empty; "<unset>": must be absent
	}{
		{
			file: "install-@s_a", dir: deps[0].Dir,
			want: map[string]string{
				"npm_lifecycle_event": "install", "npm_lifecycle_script": dump,
				"npm_package_name": "@s/a", "npm_package_version": "1.0.0",
				"npm_package_json":     filepath.Join(deps[0].Dir, "package.json"),
				"npm_package_optional": "1", "npm_package_dev": "", "npm_package_peer": "",
				"npm_package_dev_optional": "", // devOptional && !optional only
				"npm_package_resolved":     deps[0].Resolved, "npm_package_integrity": "sha512-xyz",
				"INIT_CWD": project, "npm_config_local_prefix": project, "npm_command": "ci",
				"npm_config_node_gyp":   "/opt/node-gyp/bin/node-gyp.js",
				"npm_config_user_agent": "npm/11.0.0 node/v20.0.0 linux x64 workspaces/false",
				"npm_config_foo":        "bar", "npm_config_nodedir": "/opt/node", "HOME": "/home/x",
				// exported by npm whatever the configuration
				"npm_config_cache": "/home/x/.npm", "npm_config_userconfig": "/home/x/.npmrc",
				"npm_config_init_module": "/home/x/.npm-init.js",
			},
		},
		{
			file: "postinstall-b", dir: deps[1].Dir,
			want: map[string]string{
				"npm_lifecycle_event": "postinstall", "npm_package_name": "b",
				"npm_package_dev": "1", "npm_package_optional": "",
				"npm_package_engines_node": ">=18", "npm_package_bin_b": "cli.js",
				// arborist's node.resolved is null, which the env spells "null"
				"npm_package_resolved": "null", "npm_package_integrity": "null",
			},
		},
		{
			file: "postinstall-proj", dir: project,
			want: map[string]string{
				"npm_lifecycle_event": "postinstall", "npm_package_name": "proj", "npm_package_version": "2.0.0",
				"npm_package_json":        filepath.Join(project, "package.json"),
				"npm_package_config_port": "8080", "npm_package_config_list_0": "x", "npm_package_config_list_1": "",
				"npm_package_optional": "<unset>", "npm_package_dev": "<unset>",
				"INIT_CWD": project,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			env := parseEnv(t, filepath.Join(out, tt.file+".env"))
			for k, want := range tt.want {
				got, ok := env[k]
				if want == "<unset>" {
					if ok {
						t.Errorf("%s = %q, want unset", k, got)
					}
					continue
				}
				if !ok || got != want {
					t.Errorf("%s = %q (set %v), want %q", k, got, ok, want)
				}
			}
			pwd, err := os.ReadFile(filepath.Join(out, tt.file+".pwd"))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(string(pwd)); got != tt.dir {
				t.Errorf("cwd = %q, want %q", got, tt.dir)
			}
			// PATH: .bin of the package dir and every ancestor, node-gyp-bin, then the original
			parts := strings.Split(env["PATH"], ":")
			var want []string
			for d := tt.dir; ; d = filepath.Dir(d) {
				want = append(want, filepath.Join(d, "node_modules", ".bin"))
				if filepath.Dir(d) == d {
					break
				}
			}
			if len(parts) < len(want)+2 || !reflect.DeepEqual(parts[:len(want)], want) {
				t.Fatalf("PATH = %q, want prefix %q", env["PATH"], want)
			}
			gypBin := parts[len(want)]
			if st, err := os.Stat(filepath.Join(gypBin, "node-gyp")); err != nil || st.IsDir() {
				t.Errorf("PATH entry %q after the .bin dirs holds no node-gyp wrapper", gypBin)
			}
			if rest := strings.Join(parts[len(want)+1:], ":"); rest != origPath {
				t.Errorf("PATH tail = %q, want %q", rest, origPath)
			}
		})
	}
}

// fakeNodeBin makes a directory holding a fake `node` that logs its
// arguments, and returns it.
func fakeNodeBin(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "node"), []byte("#!/bin/sh\necho \"node $*\" >> \"$LOG\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestNodeGypDefault(t *testing.T) {
	tests := []struct {
		name    string
		pkg     testPkg
		link    bool // Package.Link
		nodeGyp bool // npm_config_node_gyp set
		want    []string
		wantErr string
	}{
		{
			name:    "a link without a scripts object does not get it (arborist drops it)",
			pkg:     testPkg{path: "node_modules/g", name: "g", files: map[string]string{"binding.gyp": "{}"}, onDisk: true},
			link:    true,
			nodeGyp: true,
		},
		{
			name:    "a link with a scripts object gets it",
			pkg:     testPkg{path: "node_modules/g", name: "g", files: map[string]string{"binding.gyp": "{}"}, onDisk: true, scripts: map[string]string{"test": "x"}},
			link:    true,
			nodeGyp: true,
			want:    []string{"node GYPJS rebuild"},
		},
		{
			name:    "binding.gyp without scripts runs node-gyp rebuild",
			pkg:     testPkg{path: "node_modules/g", name: "g", files: map[string]string{"binding.gyp": "{}"}, onDisk: true},
			nodeGyp: true,
			want:    []string{"node GYPJS rebuild"},
		},
		{
			name:    "scripts given by the caller",
			pkg:     testPkg{path: "node_modules/g", name: "g", files: map[string]string{"binding.gyp": "{}"}},
			nodeGyp: true,
			want:    []string{"node GYPJS rebuild"},
		},
		{
			name:    "gypfile false turns it off",
			pkg:     testPkg{path: "node_modules/g", name: "g", files: map[string]string{"binding.gyp": "{}"}, onDisk: true, extra: map[string]any{"gypfile": false}},
			nodeGyp: true,
		},
		{
			name:    "a preinstall script turns it off",
			pkg:     testPkg{path: "node_modules/g", name: "g", files: map[string]string{"binding.gyp": "{}"}, scripts: allScripts("preinstall")},
			nodeGyp: true,
			want:    []string{"preinstall g"},
		},
		{
			name:    "an install script wins",
			pkg:     testPkg{path: "node_modules/g", name: "g", files: map[string]string{"binding.gyp": "{}"}, scripts: allScripts("install")},
			nodeGyp: true,
			want:    []string{"install g"},
		},
		{
			name:    "explicit node-gyp call goes through the wrapper",
			pkg:     testPkg{path: "node_modules/g", name: "g", scripts: map[string]string{"install": "node-gyp configure --x"}},
			nodeGyp: true,
			want:    []string{"node GYPJS configure --x"},
		},
		{
			name:    "no node-gyp anywhere",
			pkg:     testPkg{path: "node_modules/g", name: "g", files: map[string]string{"binding.gyp": "{}"}, onDisk: true},
			wantErr: `failed to run "install" script of "g@1.0.0": node-gyp not found`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			project := t.TempDir()
			log := filepath.Join(project, "log")
			gypJS := filepath.Join(project, "fake-node-gyp.js")
			bin := fakeNodeBin(t)
			env := []string{"PATH=" + bin, "LOG=" + log} // no npm, no node-gyp on PATH
			if tt.nodeGyp {
				env = append(env, "npm_config_node_gyp="+gypJS)
			}
			r := &Runner{ProjectDir: project, Environ: func() []string { return env }}
			pkgs := writePkgs(t, project, []testPkg{tt.pkg})
			pkgs[0].Link = tt.link
			_, err := r.Run(context.Background(), pkgs, nil, nil)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want prefix %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, strings.ReplaceAll(w, "GYPJS", gypJS))
			}
			if got := readLog(t, log); !reflect.DeepEqual(got, want) {
				t.Fatalf("log = %q, want %q", got, want)
			}
		})
	}
}

func TestFailureCancelsPhase(t *testing.T) {
	project := t.TempDir()
	log := filepath.Join(project, "log")
	slow := `sleep 5; ` + logScript
	deps := writePkgs(t, project, []testPkg{
		{path: "node_modules/a", name: "a", scripts: map[string]string{"postinstall": "echo line1; echo boom >&2; exit 3"}},
		{path: "node_modules/b", name: "b", scripts: map[string]string{"postinstall": slow}},
		{path: "node_modules/c", name: "c", scripts: map[string]string{"postinstall": logScript}},
		{path: "node_modules/d", name: "d", scripts: map[string]string{"install": logScript}},
	})
	r := newRunner(project, log)
	r.Concurrency = 2
	start := time.Now()
	res, err := r.Run(context.Background(), deps, &Package{Scripts: allScripts("preinstall")}, nil)
	elapsed := time.Since(start)
	var se *ScriptError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want *ScriptError", err)
	}
	want := "failed to run \"postinstall\" script of \"a@1.0.0\" (exit code 3): line1\nboom"
	if err.Error() != want {
		t.Errorf("err = %q, want %q", err.Error(), want)
	}
	if se.ExitCode != 3 || se.Path != "node_modules/a" {
		t.Errorf("ScriptError = %+v", se)
	}
	if elapsed > 3*time.Second {
		t.Errorf("Run took %v: the running script was not killed", elapsed)
	}
	// d's install ran before; b was killed, c never started, root never ran
	if got, want := readLog(t, log), []string{"install d"}; !reflect.DeepEqual(got, want) {
		t.Errorf("log = %q, want %q", got, want)
	}
	if len(res.FailedOptional) != 0 {
		t.Errorf("FailedOptional = %q", res.FailedOptional)
	}
}

func TestParentCancel(t *testing.T) {
	project := t.TempDir()
	log := filepath.Join(project, "log")
	deps := writePkgs(t, project, []testPkg{
		{path: "node_modules/a", name: "a", scripts: map[string]string{"install": "sleep 5", "postinstall": logScript}},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := newRunner(project, log).Run(ctx, deps, nil, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("cancellation took %v", time.Since(start))
	}
	if got := readLog(t, log); got != nil {
		t.Errorf("log = %q after cancellation", got)
	}
}

func TestOptionalFailure(t *testing.T) {
	tests := []struct {
		name       string
		failIn     string
		extraTrash []string
		want       []string
	}{
		{
			name:   "preinstall failure skips its later phases",
			failIn: "preinstall",
			want:   []string{"preinstall b", "install b", "install c", "postinstall b", "postinstall c"},
		},
		{
			name:       "hook paths are skipped too",
			failIn:     "preinstall",
			extraTrash: []string{"node_modules/c"},
			want:       []string{"preinstall b", "install b", "postinstall b"},
		},
		{
			name:   "install failure keeps the phase going",
			failIn: "install",
			want:   []string{"preinstall a", "preinstall b", "install b", "install c", "postinstall b", "postinstall c"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			project := t.TempDir()
			log := filepath.Join(project, "log")
			aScripts := allScripts("preinstall", "install", "postinstall")
			aScripts[tt.failIn] = "echo nope; exit 1"
			deps := writePkgs(t, project, []testPkg{
				{path: "node_modules/a", name: "a", scripts: aScripts, optional: true},
				{path: "node_modules/b", name: "b", scripts: allScripts("preinstall", "install", "postinstall")},
				{path: "node_modules/c", name: "c", scripts: allScripts("install", "postinstall")},
			})
			r := newRunner(project, log)
			r.Concurrency = 1
			var mu sync.Mutex
			var hooked []string
			r.OptionalFailed = func(p Package, err *ScriptError) []string {
				mu.Lock()
				defer mu.Unlock()
				hooked = append(hooked, p.Path+" "+err.Event)
				return tt.extraTrash
			}
			res, err := r.Run(context.Background(), deps, nil, nil)
			if err != nil {
				t.Fatalf("optional failure returned %v", err)
			}
			if !reflect.DeepEqual(res.FailedOptional, []string{"node_modules/a"}) {
				t.Errorf("FailedOptional = %q", res.FailedOptional)
			}
			if len(res.OptionalErrors) != 1 || res.OptionalErrors[0].Event != tt.failIn || !strings.Contains(res.OptionalErrors[0].Output, "nope") {
				t.Errorf("OptionalErrors = %+v", res.OptionalErrors)
			}
			if !reflect.DeepEqual(hooked, []string{"node_modules/a " + tt.failIn}) {
				t.Errorf("hook calls = %q", hooked)
			}
			if got := readLog(t, log); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("log = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRootScripts(t *testing.T) {
	project := t.TempDir()
	log := filepath.Join(project, "log")
	events := []string{"postprepare", "prepare", "preprepare", "prepublish", "postinstall", "install", "preinstall", "prepack", "test"}
	scripts := allScripts(events...)
	scripts["prepare"] = logScript + "; echo prepared-output"
	data, _ := json.Marshal(map[string]any{"name": "proj", "version": "1.0.0", "scripts": scripts})
	if err := os.WriteFile(filepath.Join(project, "package.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	deps := writePkgs(t, project, []testPkg{{path: "node_modules/d", name: "d", scripts: allScripts("postinstall")}})
	r := newRunner(project, log)
	var stdout bytes.Buffer
	r.Stdout = &stdout
	res, err := r.Run(context.Background(), deps, &Package{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"postinstall d"}
	for _, ev := range RootEvents {
		want = append(want, ev+" proj")
	}
	if got := readLog(t, log); !reflect.DeepEqual(got, want) {
		t.Fatalf("log = %q, want %q", got, want)
	}
	if res.Ran != len(want) {
		t.Errorf("Ran = %d, want %d", res.Ran, len(want))
	}
	if !strings.Contains(stdout.String(), "\n> proj@1.0.0 prepare\n> "+logScript+"; echo prepared-output\n\nprepared-output\n") {
		t.Errorf("root output = %q", stdout.String())
	}
	if strings.Contains(stdout.String(), "postinstall d") || strings.Contains(stdout.String(), "d@1.0.0") {
		t.Errorf("dependency output printed: %q", stdout.String())
	}

	// a failing root script stops the rest
	scripts["install"] = "exit 7"
	data, _ = json.Marshal(map[string]any{"name": "proj", "version": "1.0.0", "scripts": scripts})
	if err := os.WriteFile(filepath.Join(project, "package.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(log)
	_, err = r.Run(context.Background(), nil, &Package{}, nil)
	if err == nil || err.Error() != `failed to run "install" script of "proj@1.0.0" (exit code 7)` {
		t.Fatalf("err = %v", err)
	}
	if got := readLog(t, log); !slices.Equal(got, []string{"preinstall proj"}) {
		t.Errorf("log = %q", got)
	}
}

func TestIgnoreScripts(t *testing.T) {
	project := t.TempDir()
	log := filepath.Join(project, "log")
	deps := writePkgs(t, project, []testPkg{{path: "node_modules/d", name: "d", scripts: allScripts("preinstall", "postinstall")}})
	r := newRunner(project, log)
	r.IgnoreScripts = true
	linked := 0
	res, err := r.Run(context.Background(), deps, &Package{Scripts: allScripts("prepare")}, func() error { linked++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if linked != 1 || res.Ran != 0 || readLog(t, log) != nil {
		t.Fatalf("linked=%d ran=%d log=%q", linked, res.Ran, readLog(t, log))
	}
}

func TestLinkBinsError(t *testing.T) {
	project := t.TempDir()
	log := filepath.Join(project, "log")
	deps := writePkgs(t, project, []testPkg{{path: "node_modules/d", name: "d", scripts: allScripts("preinstall", "postinstall")}})
	_, err := newRunner(project, log).Run(context.Background(), deps, nil, func() error { return errors.New("disk full") })
	if err == nil || err.Error() != "failed to link bins: disk full" {
		t.Fatalf("err = %v", err)
	}
	if got := readLog(t, log); !slices.Equal(got, []string{"preinstall d"}) {
		t.Errorf("log = %q", got)
	}
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 10}
	for range 10 {
		b.Write([]byte("0123456789abc"))
	}
	if got := b.String(); got != "[...]\n3456789abc" {
		t.Fatalf("tail = %q", got)
	}
	if got := lastLines("a\nb\nc\nd\n", 2); got != "c\nd" {
		t.Fatalf("lastLines = %q", got)
	}
}
