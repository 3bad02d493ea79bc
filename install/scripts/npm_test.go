package scripts

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// phase is one lifecycle event and the packages that ran it.
type phase struct {
	Event string
	Names []string
}

// phases groups a "<event> <name>" log into consecutive runs of one event;
// the order inside a run is not compared (scripts of a phase run in
// parallel).
func phases(lines []string) []phase {
	var out []phase
	for _, l := range lines {
		ev, name, _ := strings.Cut(l, " ")
		if len(out) == 0 || out[len(out)-1].Event != ev {
			out = append(out, phase{Event: ev})
		}
		out[len(out)-1].Names = append(out[len(out)-1].Names, name)
	}
	for i := range out {
		slices.Sort(out[i].Names)
	}
	return out
}

func runCmd(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// TestDifferentialNpmCI runs `npm ci` on a project with two file: tarball
// dependencies with lifecycle scripts, then runs Runner over the same
// node_modules, and compares the phases and the scripts' environments.
func TestDifferentialNpmCI(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs npm")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm not installed")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed")
	}
	tmp := t.TempDir()
	const log = `echo "$npm_lifecycle_event $npm_package_name" >> "$LOG"`
	const dumpEnv = `; env -0 > "$ENVDIR/$npm_package_name.env"`
	sources := map[string]map[string]any{
		"dep-a": {"name": "dep-a", "version": "1.0.0", "bin": "./cli.js", "engines": map[string]string{"node": ">=14"},
			"scripts": map[string]string{"preinstall": log, "install": log, "postinstall": log + dumpEnv, "prepare": log, "test": log}},
		"dep-b": {"name": "dep-b", "version": "2.0.0",
			"scripts": map[string]string{"preinstall": log, "postinstall": log}},
		"dep-c": {"name": "dep-c", "version": "3.0.0"},
	}
	tgz := filepath.Join(tmp, "tgz")
	env := append(os.Environ(), "npm_config_audit=false", "npm_config_fund=false", "npm_config_update_notifier=false")
	if err := os.Mkdir(tgz, 0o755); err != nil {
		t.Fatal(err)
	}
	packArgs := []string{"pack", "--silent", "--ignore-scripts", "--pack-destination", tgz}
	for name, pj := range sources {
		dir := filepath.Join(tmp, "src", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(pj)
		if err := os.WriteFile(filepath.Join(dir, "package.json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "cli.js"), []byte("#!/usr/bin/env node\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		packArgs = append(packArgs, dir)
	}
	runCmd(t, tmp, env, "npm", packArgs...)
	proj := filepath.Join(tmp, "proj")
	if err := os.Mkdir(proj, 0o755); err != nil {
		t.Fatal(err)
	}
	rootScripts := map[string]string{"prepack": log, "test": log}
	for _, ev := range RootEvents {
		rootScripts[ev] = log
	}
	rootScripts["postinstall"] = log + dumpEnv
	rootPJ, _ := json.Marshal(map[string]any{
		"name": "proj", "version": "0.1.0", "config": map[string]any{"port": 8080},
		"dependencies": map[string]string{
			"dep-a": "file:../tgz/dep-a-1.0.0.tgz",
			"dep-b": "file:../tgz/dep-b-2.0.0.tgz",
			"dep-c": "file:../tgz/dep-c-3.0.0.tgz",
		},
		"scripts": rootScripts,
	})
	if err := os.WriteFile(filepath.Join(proj, "package.json"), rootPJ, 0o644); err != nil {
		t.Fatal(err)
	}
	runCmd(t, proj, env, "npm", "install", "--ignore-scripts")
	if err := os.RemoveAll(filepath.Join(proj, "node_modules")); err != nil {
		t.Fatal(err)
	}
	npmLog, npmEnv := filepath.Join(tmp, "npm.log"), filepath.Join(tmp, "npm-env")
	oursLog, oursEnv := filepath.Join(tmp, "ours.log"), filepath.Join(tmp, "ours-env")
	for _, d := range []string{npmEnv, oursEnv} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	runCmd(t, proj, append(env, "LOG="+npmLog, "ENVDIR="+npmEnv), "npm", "ci")

	// The same packages, described from the lockfile as an installer would.
	var lock struct {
		Packages map[string]struct {
			Version          string `json:"version"`
			Resolved         string `json:"resolved"`
			Integrity        string `json:"integrity"`
			HasInstallScript bool   `json:"hasInstallScript"`
			Optional, Dev    bool
			Bin              map[string]string `json:"bin"`
			Engines          map[string]string `json:"engines"`
		} `json:"packages"`
	}
	data, err := os.ReadFile(filepath.Join(proj, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		t.Fatal(err)
	}
	var deps []Package
	for path, e := range lock.Packages {
		if path == "" {
			continue
		}
		p := Package{
			Path: path, Name: path[strings.LastIndex(path, "node_modules/")+len("node_modules/"):],
			Version: e.Version, Integrity: e.Integrity, Optional: e.Optional, Dev: e.Dev,
			Bin: e.Bin, Engines: e.Engines,
		}
		// arborist exports file: specs resolved against the project
		if rest, ok := strings.CutPrefix(e.Resolved, "file:"); ok {
			p.Resolved = "file:" + filepath.Join(proj, rest)
		}
		if !e.HasInstallScript {
			p.Scripts = map[string]string{}
		}
		deps = append(deps, p)
	}
	r := &Runner{
		ProjectDir: proj,
		Environ:    func() []string { return append(env, "LOG="+oursLog, "ENVDIR="+oursEnv) },
	}
	res, err := r.Run(context.Background(), deps, &Package{}, nil)
	if err != nil {
		t.Fatal(err)
	}

	want, got := phases(readLog(t, npmLog)), phases(readLog(t, oursLog))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("phases:\n ours %v\n npm  %v", got, want)
	}
	if len(want) < 5 {
		t.Fatalf("npm ran too little to compare: %v", want)
	}
	if n := len(readLog(t, npmLog)); res.Ran != n {
		t.Errorf("Ran = %d, npm ran %d scripts", res.Ran, n)
	}

	for _, name := range []string{"dep-a", "proj"} {
		t.Run("env "+name, func(t *testing.T) {
			npmVars := parseEnv(t, filepath.Join(npmEnv, name+".env"))
			ourVars := parseEnv(t, filepath.Join(oursEnv, name+".env"))
			compared := 0
			for k, v := range npmVars {
				if !comparedEnvVar(k) {
					continue
				}
				compared++
				o, ok := ourVars[k]
				if k == "npm_config_user_agent" {
					// npm appends ci/<name> for whatever CI ci-info detects
					v, o = uaPrefix(v), uaPrefix(o)
				}
				if !ok || o != v {
					t.Errorf("%s: ours %q (set %v), npm %q", k, o, ok, v)
				}
			}
			for k := range ourVars {
				if comparedEnvVar(k) {
					if _, ok := npmVars[k]; !ok {
						t.Errorf("%s=%q set by us, not by npm", k, ourVars[k])
					}
				}
			}
			if compared < 12 {
				t.Errorf("only %d variables compared", compared)
			}
		})
	}
}

func comparedEnvVar(k string) bool {
	switch k {
	case "INIT_CWD", "PATH", "PWD", "NODE", "HOME", "COLOR", "EDITOR", "npm_command",
		"npm_config_local_prefix", "npm_config_global_prefix", "npm_config_node_gyp",
		"npm_config_npm_version", "npm_config_user_agent", "npm_execpath", "npm_node_execpath":
		return true
	}
	return strings.HasPrefix(k, "npm_package_") || strings.HasPrefix(k, "npm_lifecycle_")
}

func uaPrefix(ua string) string {
	if i := strings.Index(ua, "workspaces/"); i >= 0 {
		if j := strings.IndexByte(ua[i:], ' '); j >= 0 {
			return ua[:i+j]
		}
	}
	return ua
}
