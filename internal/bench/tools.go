package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Tool names.
const (
	ToolLockstep = "lockstep"
	ToolNPM      = "npm"
	ToolPNPM     = "pnpm"
	ToolBun      = "bun"
)

// Phase names.
const (
	PhaseResolve  = "p1_resolve"
	PhaseCold     = "p3_cold_install"
	PhaseWarm     = "p4_warm_link"
	PhaseFullCold = "p0_full_cold"
)

// Floor pseudo-tools (rows in the table, not package managers).
const (
	FloorCurl = "floor:curl"
	FloorCpAl = "floor:cp-al"
	// FloorCpAlPar is the p4 floor on every core: one `cp -al` per core.
	FloorCpAlPar = "floor:cp-al-par"
)

// phaseOrder is the order phases run in within one run (as in anchors.md).
var phaseOrder = []string{PhaseResolve, PhaseCold, PhaseWarm, PhaseFullCold}

// DefaultVersions are the package-manager versions anchors.md measured.
var DefaultVersions = map[string]string{
	ToolNPM:  "11.19.1",
	ToolPNPM: "12.21.0",
	ToolBun:  "1.4.5",
}

// DefaultNPMInstallFixtures names the fixtures (by folder name) whose
// lockfile `npm ci` refused on this registry mirror (anchors.md, note 2):
// there npm's p3/p4 run `npm install` with the same flags.
var DefaultNPMInstallFixtures = []string{"large"}

// lockfileName is the lockfile each tool installs from and writes in p1.
func lockfileName(tool string) string {
	switch tool {
	case ToolPNPM:
		return "pnpm-lock.yaml"
	case ToolBun:
		return "bun.lock"
	default:
		return "package-lock.json"
	}
}

// nodeArch maps GOARCH to the npm platform package suffix.
func nodeArch() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x64"
	case "arm64":
		return "arm64"
	default:
		return runtime.GOARCH
	}
}

// toolPackage is the npm package that carries the tool for this platform and
// the command (relative to ToolsDir/node_modules) that runs it. The native
// platform packages are used directly: the `bun` and `@pnpm/exe` wrappers
// need their postinstall scripts, which we do not run.
func toolPackage(tool string) (pkg string, argv func(toolsDir string) []string) {
	nm := func(toolsDir string, p ...string) string {
		return filepath.Join(append([]string{toolsDir, "node_modules"}, p...)...)
	}
	switch tool {
	case ToolNPM:
		return "npm", func(d string) []string { return []string{"node", nm(d, "npm", "bin", "npm-cli.js")} }
	case ToolPNPM:
		pkg := "@pnpm/exe.linux-" + nodeArch()
		return pkg, func(d string) []string { return []string{nm(d, "@pnpm", "exe.linux-"+nodeArch(), "pnpm")} }
	case ToolBun:
		arch := nodeArch()
		if arch == "arm64" {
			arch = "aarch64"
		}
		pkg := "@oven/bun-linux-" + arch
		return pkg, func(d string) []string { return []string{nm(d, "@oven", "bun-linux-"+arch, "bin", "bun")} }
	}
	return "", nil
}

// installedVersion reads ToolsDir/node_modules/<pkg>/package.json's version.
func installedVersion(toolsDir, pkg string) string {
	data, err := os.ReadFile(filepath.Join(toolsDir, "node_modules", filepath.FromSlash(pkg), "package.json"))
	if err != nil {
		return ""
	}
	var pj struct {
		Version string `json:"version"`
	}
	if json.Unmarshal(data, &pj) != nil {
		return ""
	}
	return pj.Version
}

// ensureTools installs the package managers named in tools (those without an
// entry in bins) into toolsDir with the npm on PATH, and returns the command
// prefix of every tool.
func ensureTools(ctx context.Context, o *Options, env []string) (map[string][]string, error) {
	bins := map[string][]string{}
	var missing []string
	for _, t := range o.Tools {
		if t == ToolLockstep {
			bins[t] = []string{o.Lockstep}
			if b, ok := o.Bins[t]; ok && len(b) > 0 {
				bins[t] = b // e.g. the binary wrapped in /usr/bin/time
			}
			continue
		}
		if b, ok := o.Bins[t]; ok && len(b) > 0 {
			bins[t] = b
			continue
		}
		pkg, argv := toolPackage(t)
		want := o.Versions[t]
		if want == "" {
			want = DefaultVersions[t]
		}
		have := installedVersion(o.ToolsDir, pkg)
		if have == "" || (want != "latest" && have != want) {
			missing = append(missing, pkg+"@"+want)
		}
		bins[t] = argv(o.ToolsDir)
	}
	if len(missing) == 0 {
		return bins, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return nil, fmt.Errorf("failed to find npm to install %s: %w", strings.Join(missing, ", "), err)
	}
	if err := os.MkdirAll(o.ToolsDir, 0o755); err != nil {
		return nil, fmt.Errorf("failed to create tools dir %q: %w", o.ToolsDir, err)
	}
	argv := append([]string{npm, "install", "--prefix", o.ToolsDir, "--ignore-scripts", "--no-audit",
		"--no-fund", "--no-update-notifier", "--registry=" + o.Registry}, missing...)
	fmt.Fprintf(o.Stderr, "bench: installing %s into %s\n", strings.Join(missing, " "), o.ToolsDir)
	out, _, err := runQuiet(ctx, argv, o.ToolsDir, env, 10*time.Minute)
	if err != nil {
		return nil, fmt.Errorf("failed to install %s: %v: %s", strings.Join(missing, ", "), err, strings.TrimSpace(out))
	}
	return bins, nil
}

// toolVersion asks the tool for its version (first line of the output).
func toolVersion(ctx context.Context, tool string, bin []string, env []string) string {
	tries := [][]string{{"--version"}}
	if tool == ToolLockstep {
		tries = [][]string{{"version"}, {"--version"}}
	}
	for _, args := range tries {
		out, code, err := runQuiet(ctx, append(append([]string{}, bin...), args...), os.TempDir(), env, 30*time.Second)
		if err != nil || code != 0 {
			continue
		}
		line := strings.TrimSpace(strings.SplitN(strings.TrimSpace(out), "\n", 2)[0])
		line = strings.TrimPrefix(line, "lockstep ")
		line = strings.TrimPrefix(line, "version ")
		if line != "" {
			return line
		}
	}
	return "?"
}

// command is one prepared invocation.
type command struct {
	Argv    []string
	Env     []string // added to the base environment
	Display string   // argv with paths replaced by $DIR, $CACHE, $REG
}

// commandFor builds the command of tool for phase. npmInstall makes npm's
// p3/p4 `npm install` instead of `npm ci`.
func commandFor(tool, phase string, bin []string, dir, cache, registry string, npmInstall bool) (command, error) {
	if !slices.Contains(phaseOrder, phase) {
		return command{}, fmt.Errorf("failed to build command: unknown phase %q", phase)
	}
	var args, env []string
	sub := ""
	switch tool {
	case ToolLockstep:
		switch phase {
		case PhaseCold, PhaseWarm:
			sub = "ci"
		case PhaseResolve:
			sub = "resolve"
		case PhaseFullCold:
			sub = "install"
		}
		args = []string{sub, "--dir", dir, "--cache-dir", cache, "--ignore-scripts", "--registry", registry}
	case ToolNPM:
		switch phase {
		case PhaseCold, PhaseWarm:
			args = []string{"ci"}
			if npmInstall {
				args = []string{"install"}
			}
		case PhaseResolve:
			args = []string{"install", "--package-lock-only"}
		case PhaseFullCold:
			args = []string{"install"}
		}
		args = append(args, "--ignore-scripts", "--no-audit", "--no-fund", "--no-update-notifier",
			"--omit-lockfile-registry-resolved=false", "--registry="+registry, "--cache="+cache)
	case ToolPNPM, ToolBun:
		switch phase {
		case PhaseCold, PhaseWarm:
			args = []string{"install", "--frozen-lockfile"}
		case PhaseResolve:
			args = []string{"install", "--lockfile-only"}
		case PhaseFullCold:
			args = []string{"install"}
		}
		if tool == ToolPNPM {
			args = append(args, "--ignore-scripts", "--store-dir="+filepath.Join(cache, "store"),
				"--cache-dir="+filepath.Join(cache, "cache"), "--config.update-notifier=false", "--registry="+registry)
		} else {
			args = append(args, "--ignore-scripts", "--registry="+registry)
			env = []string{"BUN_INSTALL_CACHE_DIR=" + cache}
		}
	default:
		return command{}, fmt.Errorf("failed to build command: unknown tool %q", tool)
	}
	argv := append(append([]string{}, bin...), args...)
	disp := strings.Join(append(append([]string{}, env...), append([]string{tool}, args...)...), " ")
	disp = strings.ReplaceAll(disp, cache, "$CACHE")
	disp = strings.ReplaceAll(disp, dir, "$DIR")
	disp = strings.ReplaceAll(disp, registry, "$REG")
	return command{Argv: argv, Env: env, Display: disp}, nil
}

// baseEnv is the environment every tool runs with: ours, without npm_config_*
// variables an outer npm may have set (they would change what the tools do).
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(strings.ToLower(k), "npm_config_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}
