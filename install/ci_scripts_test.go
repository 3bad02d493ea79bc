package install_test

// Lifecycle scripts the way npm ci runs them (arborist rebuild.js and
// reify.js, npm's ci.js), checked against what npm 11 was seen doing on
// real projects: links (workspaces, file: folders) are built after the
// dependencies with a "prepare" phase and their bins linked after it,
// binding.gyp means "node-gyp rebuild", .npmrc settings reach scripts as
// npm_config_*, and a failing script rolls the tree back.

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/install"
	"github.com/lockstep-dev/lockstep/internal/testserver"
)

func needSh(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
}

// patchLock merges entries into the lockfile's "packages" (nil deletes)
// and sets top-level root fields.
func patchLock(t *testing.T, dir string, rootFields map[string]any, entries map[string]any) {
	t.Helper()
	file := filepath.Join(dir, "package-lock.json")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var lock map[string]any
	if err := json.Unmarshal(data, &lock); err != nil {
		t.Fatal(err)
	}
	pkgs := lock["packages"].(map[string]any)
	for k, v := range entries {
		if v == nil {
			delete(pkgs, k)
		} else {
			pkgs[k] = v
		}
	}
	root := pkgs[""].(map[string]any)
	for k, v := range rootFields {
		root[k] = v
	}
	out, _ := json.MarshalIndent(lock, "", "  ")
	if err := os.WriteFile(file, append(out, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeJSON(t *testing.T, file string, v any) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	data, _ := json.MarshalIndent(v, "", "  ")
	if err := os.WriteFile(file, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readLines(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("read %s: %v", file, err)
	}
	return strings.Fields(string(data))
}

// workspaceProject is a project with dependency b@2.0.0 (bin "bee"), a
// dependency with scripts, and two workspaces: packages/aaa claims the bin
// name "bee" too, packages/cli has every link script and a bin its prepare
// script builds.
func workspaceProject(t *testing.T) (dir string, reg *testserver.Registry) {
	t.Helper()
	const rec = `echo "$npm_package_name:$npm_lifecycle_event" >> "$INIT_CWD/events.log"`
	pkgs := []testserver.Package{
		{Name: "b", Version: "2.0.0", Files: map[string]string{"cli.js": "#!/bin/sh\n"}, Bin: map[string]string{"bee": "cli.js"}},
		{Name: "dep", Version: "1.0.0", Scripts: map[string]string{"preinstall": rec, "postinstall": rec}},
	}
	reg = testserver.NewRegistry(t, pkgs...)
	root := map[string]any{"name": "proj", "version": "1.0.0", "workspaces": []string{"packages/*"},
		"dependencies": map[string]string{"b": "2.0.0", "dep": "1.0.0"},
		"scripts":      map[string]string{"dependencies": rec, "preinstall": rec, "postinstall": rec}}
	dir = project(t, reg, root, []lockEntry{
		{path: "node_modules/b", pkg: pkgs[0]},
		{path: "node_modules/dep", pkg: pkgs[1]},
	})
	writeJSON(t, filepath.Join(dir, "packages/aaa/package.json"), map[string]any{
		"name": "aaa", "version": "0.1.0", "bin": map[string]string{"bee": "x.js"}})
	if err := os.WriteFile(filepath.Join(dir, "packages/aaa/x.js"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cliScripts := map[string]string{"preinstall": rec, "install": rec, "postinstall": rec,
		"prepare": rec + ` && mkdir -p dist && printf '#!/bin/sh\necho built\n' > dist/cli.js`}
	writeJSON(t, filepath.Join(dir, "packages/cli/package.json"), map[string]any{
		"name": "mycli", "version": "0.2.0", "bin": map[string]string{"mycli": "dist/cli.js"}, "scripts": cliScripts})
	patchLock(t, dir, map[string]any{"workspaces": []string{"packages/*"}}, map[string]any{
		"packages/aaa":       map[string]any{"name": "aaa", "version": "0.1.0", "bin": map[string]string{"bee": "x.js"}},
		"packages/cli":       map[string]any{"name": "mycli", "version": "0.2.0", "hasInstallScript": true, "bin": map[string]string{"mycli": "dist/cli.js"}},
		"node_modules/aaa":   map[string]any{"resolved": "packages/aaa", "link": true},
		"node_modules/mycli": map[string]any{"resolved": "packages/cli", "link": true},
	})
	return dir, reg
}

func TestCILinkScriptsAndBins(t *testing.T) {
	needSh(t)
	for _, ignore := range []bool{false, true} {
		name := "scripts"
		if ignore {
			name = "ignore-scripts"
		}
		t.Run(name, func(t *testing.T) {
			dir, reg := workspaceProject(t)
			flag := "false"
			if ignore {
				flag = "true"
			}
			if _, err := runCI(t, dir, t.TempDir(), reg, map[string]string{"ignore-scripts": flag}); err != nil {
				t.Fatal(err)
			}
			// Dependencies' bins are linked before the links': b keeps "bee".
			if got, err := os.Readlink(filepath.Join(dir, "node_modules/.bin/bee")); err != nil || got != "../b/cli.js" {
				t.Errorf(".bin/bee -> %q (%v), want ../b/cli.js", got, err)
			}
			if ignore {
				mustNotExist(t, filepath.Join(dir, "events.log"), filepath.Join(dir, "node_modules/.bin/mycli"))
				return
			}
			want := []string{
				"dep:preinstall", "dep:postinstall",
				"mycli:preinstall", "mycli:prepare", "mycli:install", "mycli:postinstall",
				"proj:dependencies", "proj:preinstall", "proj:postinstall",
			}
			if got := readLines(t, filepath.Join(dir, "events.log")); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("scripts ran in order\n%v\nwant\n%v", got, want)
			}
			// The bin its prepare script built is linked and executable.
			bin := filepath.Join(dir, "node_modules/.bin/mycli")
			if got, err := os.Readlink(bin); err != nil || got != "../mycli/dist/cli.js" {
				t.Errorf(".bin/mycli -> %q (%v)", got, err)
			}
			if st, err := os.Stat(bin); err != nil || st.Mode().Perm()&0o111 == 0 {
				t.Errorf("%s is not executable: %v %v", bin, st, err)
			}
		})
	}
}

// npm gives scripts the configuration set in .npmrc files and flags as
// npm_config_* (not auth or scoped keys; false is ""), and a file:
// dependency's absolute "resolved"; links get resolved and integrity
// "null".
func TestCIScriptEnv(t *testing.T) {
	needSh(t)
	const dump = `env > "$INIT_CWD/$npm_package_name.env"`
	pkgs := []testserver.Package{{Name: "dep", Version: "1.0.0", Scripts: map[string]string{"install": dump}}}
	reg := testserver.NewRegistry(t, pkgs...)
	root := map[string]any{"name": "proj", "version": "1.0.0", "workspaces": []string{"ws"},
		"dependencies": map[string]string{"dep": "file:dep-1.0.0.tgz"}}
	dir := project(t, reg, root, []lockEntry{{path: "node_modules/dep", pkg: pkgs[0],
		override: map[string]any{"resolved": "file:dep-1.0.0.tgz"}}})
	if err := os.WriteFile(filepath.Join(dir, "dep-1.0.0.tgz"), reg.Tarball("dep", "1.0.0"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeJSON(t, filepath.Join(dir, "ws/package.json"), map[string]any{"name": "ws", "version": "1.0.0",
		"scripts": map[string]string{"postinstall": dump}})
	patchLock(t, dir, map[string]any{"workspaces": []string{"ws"}}, map[string]any{
		"ws":              map[string]any{"name": "ws", "version": "1.0.0", "hasInstallScript": true},
		"node_modules/ws": map[string]any{"resolved": "ws", "link": true},
	})
	npmrc := "nodedir=/opt/node-headers\nfund=false\nmy-tool-mirror=https://mirror.example/\n" +
		"//registry.example/:_authToken=s3cret\n//registry.example/:_auth=czNjcmV0\n@scope:registry=https://scoped.example/\n"
	if err := os.WriteFile(filepath.Join(dir, ".npmrc"), []byte(npmrc), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runCI(t, dir, t.TempDir(), reg, map[string]string{"ignore-scripts": "false", "omit": "peer"}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		file string
		want map[string]string // "<unset>": must be absent
	}{
		{"dep.env", map[string]string{
			"npm_config_nodedir":         "/opt/node-headers",
			"npm_config_fund":            "",
			"npm_config_my_tool_mirror":  "https://mirror.example/",
			"npm_config_omit":            "peer",
			"npm_package_resolved":       "file:" + filepath.Join(dir, "dep-1.0.0.tgz"),
			"npm_config__auth":           "<unset>",
			"npm_config_@scope:registry": "<unset>",
		}},
		{"ws.env", map[string]string{
			"npm_config_nodedir":    "/opt/node-headers",
			"npm_package_resolved":  "null",
			"npm_package_integrity": "null",
			"npm_lifecycle_event":   "postinstall",
		}},
	} {
		data, err := os.ReadFile(filepath.Join(dir, tt.file))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "s3cret") || strings.Contains(string(data), "czNjcmV0") {
			t.Errorf("%s: a credential reached the script's environment", tt.file)
		}
		env := map[string]string{}
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				env[k] = v
			}
		}
		for k, want := range tt.want {
			got, ok := env[k]
			if want == "<unset>" {
				if ok {
					t.Errorf("%s: %s = %q, want unset", tt.file, k, got)
				}
				continue
			}
			if !ok || got != want {
				t.Errorf("%s: %s = %q (set %v), want %q", tt.file, k, got, ok, want)
			}
		}
	}
}

// A package with a binding.gyp and no install script gets "node-gyp
// rebuild" (and hasInstallScript in the hidden lockfile, even with
// --ignore-scripts), unless its package.json says "gypfile": false.
func TestCINodeGypDefault(t *testing.T) {
	needSh(t)
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not found")
	}
	pkgs := []testserver.Package{
		{Name: "native", Version: "1.0.0", Files: map[string]string{"binding.gyp": "{}"}},
		{Name: "nogyp", Version: "1.0.0", Files: map[string]string{"binding.gyp": "{}"}, Extra: map[string]any{"gypfile": false}},
	}
	reg := testserver.NewRegistry(t, pkgs...)
	for _, ignore := range []string{"false", "true"} {
		t.Run("ignore-scripts="+ignore, func(t *testing.T) {
			root := map[string]any{"name": "proj", "version": "1.0.0",
				"dependencies": map[string]string{"native": "1.0.0", "nogyp": "1.0.0"}}
			dir := project(t, reg, root, []lockEntry{
				{path: "node_modules/native", pkg: pkgs[0]}, {path: "node_modules/nogyp", pkg: pkgs[1]}})
			fake := filepath.Join(t.TempDir(), "node-gyp.js")
			src := `require("fs").appendFileSync(process.env.INIT_CWD + "/gyp.log", process.env.npm_package_name + " " + process.argv.slice(2).join(" ") + " " + process.cwd() + "\n")`
			if err := os.WriteFile(fake, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{"HOME": t.TempDir(), "npm_config_node_gyp": fake, "PATH": os.Getenv("PATH")}
			if _, err := runCIEnv(t, dir, t.TempDir(), reg, map[string]string{"ignore-scripts": ignore}, env); err != nil {
				t.Fatal(err)
			}
			var hidden struct {
				Packages map[string]struct {
					HasInstallScript bool `json:"hasInstallScript"`
				} `json:"packages"`
			}
			data, _ := os.ReadFile(filepath.Join(dir, "node_modules/.package-lock.json"))
			if err := json.Unmarshal(data, &hidden); err != nil {
				t.Fatal(err)
			}
			if !hidden.Packages["node_modules/native"].HasInstallScript || hidden.Packages["node_modules/nogyp"].HasInstallScript {
				t.Errorf("hidden lockfile hasInstallScript: native %v nogyp %v, want true false",
					hidden.Packages["node_modules/native"].HasInstallScript, hidden.Packages["node_modules/nogyp"].HasInstallScript)
			}
			if ignore == "true" {
				mustNotExist(t, filepath.Join(dir, "gyp.log"))
				return
			}
			got := strings.Join(readLines(t, filepath.Join(dir, "gyp.log")), " ")
			if want := "native rebuild " + filepath.Join(dir, "node_modules/native"); got != want {
				t.Errorf("node-gyp ran as %q, want %q", got, want)
			}
		})
	}
}

// A failing dependency or link script fails the install and, like
// arborist's rollback after npm ci cleared node_modules, leaves no
// node_modules; a failing root script leaves the installed tree. A failing
// optional package is removed and left out of the hidden lockfile.
func TestCIScriptFailures(t *testing.T) {
	needSh(t)
	pkgs := []testserver.Package{
		{Name: "ok", Version: "1.0.0"},
		{Name: "bad", Version: "1.0.0", Scripts: map[string]string{"postinstall": "echo boom >&2; exit 4"}},
		{Name: "badopt", Version: "1.0.0", Scripts: map[string]string{"install": "exit 3"}},
	}
	reg := testserver.NewRegistry(t, pkgs...)
	tests := []struct {
		name       string
		deps       map[string]string
		optional   bool
		rootScript string
		wantErr    string
		wantTree   bool
	}{
		{name: "required dependency", deps: map[string]string{"bad": "1.0.0"}, wantErr: `"postinstall" script of "bad@1.0.0"`},
		{name: "root script", rootScript: "exit 5", wantErr: `"postinstall" script of "proj@1.0.0"`, wantTree: true},
		{name: "optional dependency", deps: map[string]string{"badopt": "1.0.0"}, optional: true, wantTree: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deps := map[string]string{"ok": "1.0.0"}
			entries := []lockEntry{{path: "node_modules/ok", pkg: pkgs[0]}}
			root := map[string]any{"name": "proj", "version": "1.0.0", "dependencies": deps}
			for name, v := range tt.deps {
				for _, p := range pkgs {
					if p.Name == name {
						e := lockEntry{path: "node_modules/" + name, pkg: p}
						if tt.optional {
							e.flags = map[string]any{"optional": true}
						}
						entries = append(entries, e)
					}
				}
				if tt.optional {
					root["optionalDependencies"] = map[string]string{name: v}
				} else {
					deps[name] = v
				}
			}
			if tt.rootScript != "" {
				root["scripts"] = map[string]string{"postinstall": tt.rootScript}
			}
			dir := project(t, reg, root, entries)
			_, err := runCI(t, dir, t.TempDir(), reg, map[string]string{"ignore-scripts": "false"})
			if tt.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want it to mention %s", err, tt.wantErr)
			}
			if tt.wantTree {
				mustExist(t, filepath.Join(dir, "node_modules/ok/package.json"))
			} else {
				mustNotExist(t, filepath.Join(dir, "node_modules"))
			}
			if tt.optional {
				mustNotExist(t, filepath.Join(dir, "node_modules/badopt"))
				data, _ := os.ReadFile(filepath.Join(dir, "node_modules/.package-lock.json"))
				if !strings.Contains(string(data), `"node_modules/ok"`) || strings.Contains(string(data), "badopt") {
					t.Errorf("hidden lockfile should list ok and not badopt:\n%s", data)
				}
			}
		})
	}
}

// runCIEnv is runCI with the given environment (Getenv).
func runCIEnv(t *testing.T, dir, cache string, reg *testserver.Registry, flags, env map[string]string) (*install.Result, error) {
	t.Helper()
	f := map[string]string{"registry": reg.URL(), "ignore-scripts": "true"}
	for k, v := range flags {
		f[k] = v
	}
	return install.CI(context.Background(), install.Options{
		Dir: dir, CacheDir: cache, Flags: f, Platform: &linuxX64, NodeVersion: "20.20.2",
		Getenv:        func(k string) string { return env[k] },
		MinRetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond,
	})
}

// Bundled packages come inside their bundler's tarball, but arborist still
// links their bins, runs their install scripts (rebuildBundle) and lists
// them in node_modules/.package-lock.json.
func TestCIBundledBinsAndScripts(t *testing.T) {
	needSh(t)
	bundledPJ := `{"name":"inner","version":"2.0.0","bin":{"inner":"cli.js"},"scripts":{"postinstall":"echo ran > ran.txt"}}`
	host := testserver.Package{Name: "host", Version: "1.0.0", Dependencies: map[string]string{"inner": "^2.0.0"},
		BundleDependencies: []string{"inner"},
		Files: map[string]string{
			"index.js":                        "",
			"node_modules/inner/package.json": bundledPJ,
			"node_modules/inner/cli.js":       "#!/bin/sh\n",
		}}
	reg := testserver.NewRegistry(t, host)
	for _, ignore := range []string{"false", "true"} {
		t.Run("ignore-scripts="+ignore, func(t *testing.T) {
			root := map[string]any{"name": "proj", "version": "1.0.0", "dependencies": map[string]string{"host": "1.0.0"}}
			dir := project(t, reg, root, []lockEntry{{path: "node_modules/host", pkg: host}})
			patchLock(t, dir, nil, map[string]any{"node_modules/host/node_modules/inner": map[string]any{
				"version": "2.0.0", "inBundle": true, "hasInstallScript": true, "bin": map[string]string{"inner": "cli.js"}}})
			cache := t.TempDir()
			if _, err := runCI(t, dir, cache, reg, map[string]string{"ignore-scripts": ignore}); err != nil {
				t.Fatal(err)
			}
			bin := filepath.Join(dir, "node_modules/host/node_modules/.bin/inner")
			if got, err := os.Readlink(bin); err != nil || got != "../inner/cli.js" {
				t.Errorf("%s -> %q (%v), want ../inner/cli.js", bin, got, err)
			}
			data, _ := os.ReadFile(filepath.Join(dir, "node_modules/.package-lock.json"))
			if !strings.Contains(string(data), `"node_modules/host/node_modules/inner"`) {
				t.Errorf("hidden lockfile lacks the bundled entry:\n%s", data)
			}
			ran := filepath.Join(dir, "node_modules/host/node_modules/inner/ran.txt")
			if ignore == "true" {
				mustNotExist(t, ran)
				return
			}
			mustExist(t, ran)
			// The script wrote into a copy, not into the store.
			filepath.WalkDir(cache, func(p string, d os.DirEntry, err error) error {
				if err == nil && d.Name() == "ran.txt" {
					t.Errorf("the bundled script wrote into the store: %s", p)
				}
				return nil
			})
		})
	}
}

// foreground-scripts and script-shell come from npm_config_* variables too.
func TestCIScriptSettingsFromEnv(t *testing.T) {
	needSh(t)
	pkgs := []testserver.Package{{Name: "dep", Version: "1.0.0", Scripts: map[string]string{"install": "echo dep-output"}}}
	reg := testserver.NewRegistry(t, pkgs...)
	shell := filepath.Join(t.TempDir(), "myshell")
	if err := os.WriteFile(shell, []byte("#!/bin/sh\necho via-myshell\nexec /bin/sh \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		env  map[string]string
		want []string
		not  []string
	}{
		{env: map[string]string{"npm_config_foreground_scripts": "true", "npm_config_script_shell": shell},
			want: []string{"> dep@1.0.0 install", "dep-output", "via-myshell"}},
		{env: map[string]string{"NPM_CONFIG_FOREGROUND_SCRIPTS": "true"}, want: []string{"dep-output"}, not: []string{"via-myshell"}},
		{env: map[string]string{"npm_config_foreground_scripts": "false"}, not: []string{"dep-output"}},
	} {
		dir := project(t, reg, map[string]any{"name": "proj", "version": "1.0.0", "dependencies": map[string]string{"dep": "1.0.0"}},
			[]lockEntry{{path: "node_modules/dep", pkg: pkgs[0]}})
		tt.env["HOME"] = t.TempDir()
		var out strings.Builder
		_, err := install.CI(context.Background(), install.Options{
			Dir: dir, CacheDir: t.TempDir(), Flags: map[string]string{"registry": reg.URL()}, Platform: &linuxX64, NodeVersion: "20.20.2",
			Getenv: func(k string) string { return tt.env[k] }, Stdout: &out, Stderr: &out,
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tt.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("env %v: output lacks %q:\n%s", tt.env, w, out.String())
			}
		}
		for _, w := range tt.not {
			if strings.Contains(out.String(), w) {
				t.Errorf("env %v: output has %q:\n%s", tt.env, w, out.String())
			}
		}
	}
}

// A failing link script (a workspace's prepare) fails the install and rolls
// the tree back like a dependency's.
func TestCILinkScriptFailure(t *testing.T) {
	needSh(t)
	dir, reg := workspaceProject(t)
	writeJSON(t, filepath.Join(dir, "packages/cli/package.json"), map[string]any{
		"name": "mycli", "version": "0.2.0", "bin": map[string]string{"mycli": "dist/cli.js"},
		"scripts": map[string]string{"prepare": "echo cannot build >&2; exit 9"}})
	_, err := runCI(t, dir, t.TempDir(), reg, map[string]string{"ignore-scripts": "false"})
	if err == nil || !strings.Contains(err.Error(), `"prepare" script of "mycli@0.2.0"`) || !strings.Contains(err.Error(), "cannot build") {
		t.Fatalf("err = %v", err)
	}
	mustNotExist(t, filepath.Join(dir, "node_modules"))
	// The root's scripts did not run.
	for _, l := range readLines(t, filepath.Join(dir, "events.log")) {
		if strings.HasPrefix(l, "proj:") {
			t.Errorf("root script ran after a failed link script: %s", l)
		}
	}
}

// A script writing in place into a hardlinked package's file (patch-package
// in a root postinstall) must not change the content store: the next
// install gets the package as published.
func TestCIScriptWriteDoesNotCorruptStore(t *testing.T) {
	needSh(t)
	pkgs := []testserver.Package{{Name: "lp", Version: "1.0.0", Files: map[string]string{"index.js": "original"}}}
	reg := testserver.NewRegistry(t, pkgs...)
	cache := t.TempDir()
	deps := map[string]string{"lp": "1.0.0"}
	patched := project(t, reg, map[string]any{"name": "proj", "version": "1.0.0", "dependencies": deps,
		"scripts": map[string]string{"postinstall": "printf patched > node_modules/lp/index.js"}},
		[]lockEntry{{path: "node_modules/lp", pkg: pkgs[0]}})
	if _, err := runCI(t, patched, cache, reg, map[string]string{"ignore-scripts": "false"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(patched, "node_modules/lp/index.js")); string(got) != "patched" {
		t.Fatalf("the root script's change is lost: %q", got)
	}
	clean := project(t, reg, map[string]any{"name": "proj", "version": "1.0.0", "dependencies": deps},
		[]lockEntry{{path: "node_modules/lp", pkg: pkgs[0]}})
	if _, err := runCI(t, clean, cache, reg, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(clean, "node_modules/lp/index.js")); string(got) != "original" {
		t.Errorf("a later install got %q from the cache, want the published %q", got, "original")
	}
}
