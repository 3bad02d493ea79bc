package scripts

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// nodeGypShim is the node-gyp wrapper put on PATH when npm's own
// node-gyp-bin directory is not available. It behaves like
// @npmcli/run-script/lib/node-gyp-bin/node-gyp.
const nodeGypShim = `#!/bin/sh
if [ -z "$npm_config_node_gyp" ]; then
  echo "node-gyp not found: set npm_config_node_gyp, or put npm or node-gyp on PATH" >&2
  exit 127
fi
exec node "$npm_config_node_gyp" "$@"
`

// toolchain is what the runner discovered about node, npm and node-gyp.
type toolchain struct {
	node       string // node executable, "" if not found
	npmRoot    string // npm's package dir, "" if not found
	npmVersion string
	nodeGyp    string // node-gyp.js (npm_config_node_gyp), "" if not found
	gypBinDir  string // directory holding a node-gyp wrapper, put on PATH
	tempDir    string // created by us; removed by cleanup
}

func (t *toolchain) cleanup() {
	if t.tempDir != "" {
		_ = os.RemoveAll(t.tempDir)
	}
}

// lookPath finds an executable named file in the PATH string pathEnv.
func lookPath(file, pathEnv string) string {
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, file)
		st, err := os.Stat(p)
		if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			continue
		}
		return p
	}
	return ""
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// findNpmRoot returns npm's package directory for the npm executable found
// at npmBin: the directory holding bin/npm-cli.js, reached through the
// executable's symlink, or else <dir of npm>/../lib/node_modules/npm.
func findNpmRoot(npmBin string) string {
	var candidates []string
	if real, err := filepath.EvalSymlinks(npmBin); err == nil {
		candidates = append(candidates, filepath.Dir(filepath.Dir(real)))
	}
	candidates = append(candidates, filepath.Join(filepath.Dir(npmBin), "..", "lib", "node_modules", "npm"))
	for _, c := range candidates {
		if isFile(filepath.Join(c, "bin", "npm-cli.js")) && isFile(filepath.Join(c, "package.json")) {
			return filepath.Clean(c)
		}
	}
	return ""
}

func readVersion(pkgDir string) string {
	data, err := os.ReadFile(filepath.Join(pkgDir, "package.json"))
	if err != nil {
		return ""
	}
	var v struct {
		Version string `json:"version"`
	}
	if json.Unmarshal(data, &v) != nil {
		return ""
	}
	return v.Version
}

// discover finds node, npm and node-gyp. node-gyp is looked up in order:
// Runner.NodeGyp, $npm_config_node_gyp, npm's bundled
// node_modules/node-gyp/bin/node-gyp.js, node-gyp on PATH.
func (r *Runner) discover() (*toolchain, error) {
	getenv := r.getenv()
	pathEnv := getenv("PATH")
	t := &toolchain{node: lookPath("node", pathEnv)}
	if real, err := filepath.EvalSymlinks(t.node); t.node != "" && err == nil {
		t.node = real // like process.execPath
	}
	if npmBin := lookPath("npm", pathEnv); npmBin != "" {
		t.npmRoot = findNpmRoot(npmBin)
		if t.npmRoot != "" {
			t.npmVersion = readVersion(t.npmRoot)
		}
	}
	switch {
	case r.NodeGyp != "":
		t.nodeGyp = r.NodeGyp
	case getenv("npm_config_node_gyp") != "":
		t.nodeGyp = getenv("npm_config_node_gyp")
	case t.npmRoot != "" && isFile(filepath.Join(t.npmRoot, "node_modules", "node-gyp", "bin", "node-gyp.js")):
		t.nodeGyp = filepath.Join(t.npmRoot, "node_modules", "node-gyp", "bin", "node-gyp.js")
	default:
		if p := lookPath("node-gyp", pathEnv); p != "" {
			if real, err := filepath.EvalSymlinks(p); err == nil {
				p = real
			}
			t.nodeGyp = p
		}
	}
	if t.npmRoot != "" {
		dir := filepath.Join(t.npmRoot, "node_modules", "@npmcli", "run-script", "lib", "node-gyp-bin")
		if isFile(filepath.Join(dir, "node-gyp")) {
			t.gypBinDir = dir
		}
	}
	if t.gypBinDir == "" {
		dir, err := os.MkdirTemp("", "lockstep-node-gyp-bin-")
		if err != nil {
			return nil, fmt.Errorf("failed to create node-gyp-bin directory: %w", err)
		}
		t.tempDir = dir
		if err := os.WriteFile(filepath.Join(dir, "node-gyp"), []byte(nodeGypShim), 0o755); err != nil {
			t.cleanup()
			return nil, fmt.Errorf("failed to write node-gyp wrapper: %w", err)
		}
		t.gypBinDir = dir
	}
	return t, nil
}

// errNoNodeGyp is returned for the implicit "node-gyp rebuild" when no
// node-gyp could be found.
var errNoNodeGyp = errors.New("node-gyp not found: set npm_config_node_gyp, or put npm or node-gyp on PATH")

// userAgent returns npm's default user-agent shape so that tools sniffing
// npm_config_user_agent (which-pm-runs, esbuild, husky...) see an npm client.
func (r *Runner) userAgent(t *toolchain) string {
	if r.UserAgent != "" {
		return r.UserAgent
	}
	npmVer := t.npmVersion
	if npmVer == "" {
		npmVer = "0.0.0"
	}
	nodeVer := r.nodeVersion(t)
	if nodeVer == "" {
		nodeVer = "v0.0.0"
	}
	arch := runtime.GOARCH
	switch arch {
	case "amd64":
		arch = "x64"
	case "386":
		arch = "ia32"
	}
	ua := fmt.Sprintf("npm/%s node/%s %s %s workspaces/false", npmVer, nodeVer, runtime.GOOS, arch)
	if r.getenv()("GITHUB_ACTIONS") == "true" {
		ua += " ci/github-actions"
	}
	return ua
}

func (r *Runner) nodeVersion(t *toolchain) string {
	if t.node == "" {
		return ""
	}
	out, err := exec.Command(t.node, "--version").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// envMap parses KEY=VALUE pairs; later duplicates win.
func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ)+32)
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			continue
		}
		m[k] = v
	}
	return m
}

func envList(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// baseEnv is the environment shared by every script of a Run: the parent
// environment plus what npm's config (set-envs.js) exports.
func (r *Runner) baseEnv(t *toolchain) map[string]string {
	env := envMap(r.environ())
	env["INIT_CWD"] = r.ProjectDir
	env["npm_config_local_prefix"] = r.ProjectDir
	if _, ok := env["npm_config_global_prefix"]; !ok {
		switch {
		case env["PREFIX"] != "":
			env["npm_config_global_prefix"] = env["PREFIX"]
		case t.node != "":
			env["npm_config_global_prefix"] = filepath.Dir(filepath.Dir(t.node))
		}
	}
	// Settings npm always exports because their resolved values differ
	// from their definitions' defaults ("~/.npm", null...).
	setDefault := func(k, v string) {
		if _, ok := env[k]; !ok && v != "" {
			env[k] = v
		}
	}
	if gp := env["npm_config_global_prefix"]; gp != "" {
		setDefault("npm_config_prefix", gp)
		setDefault("npm_config_globalconfig", filepath.Join(gp, "etc", "npmrc"))
	}
	if home := env["HOME"]; home != "" {
		setDefault("npm_config_cache", filepath.Join(home, ".npm"))
		setDefault("npm_config_init_module", filepath.Join(home, ".npm-init.js"))
		setDefault("npm_config_userconfig", filepath.Join(home, ".npmrc"))
	}
	env["npm_config_user_agent"] = r.userAgent(t)
	if t.npmVersion != "" {
		env["npm_config_npm_version"] = t.npmVersion
	}
	if t.npmRoot != "" {
		env["npm_execpath"] = filepath.Join(t.npmRoot, "bin", "npm-cli.js")
	}
	if t.node != "" {
		env["NODE"] = t.node
		env["npm_node_execpath"] = t.node
	}
	cmd := r.Command
	if cmd == "" {
		cmd = "ci"
	}
	env["npm_command"] = cmd
	if _, ok := env["COLOR"]; !ok {
		env["COLOR"] = "0"
	}
	if _, ok := env["EDITOR"]; !ok {
		if v := env["VISUAL"]; v != "" {
			env["EDITOR"] = v
		} else {
			env["EDITOR"] = "vi"
		}
	}
	for k, v := range r.Env {
		env[k] = v
	}
	if t.nodeGyp != "" {
		env["npm_config_node_gyp"] = t.nodeGyp
	}
	return env
}

// binPath returns PATH for a script run in dir: node_modules/.bin of dir and
// of every ancestor up to the filesystem root (set-path.js), then the
// node-gyp-bin directory, then the original PATH.
func binPath(dir, gypBinDir, orig string) string {
	var parts []string
	p := dir
	for {
		parts = append(parts, filepath.Join(p, "node_modules", ".bin"))
		parent := filepath.Dir(p)
		if parent == p {
			break
		}
		p = parent
	}
	if gypBinDir != "" {
		parts = append(parts, gypBinDir)
	}
	if orig != "" {
		parts = append(parts, orig)
	}
	return strings.Join(parts, string(os.PathListSeparator))
}
