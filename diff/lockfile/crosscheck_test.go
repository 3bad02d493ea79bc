package lockfile

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// Cross-format checks: one small project (diff/testdata/crosscheck/project:
// a nested duplicate ms, a scoped package, a peer dependency of
// use-sync-external-store on react, a darwin-only optional fsevents)
// installed by npm, pnpm, bun, yarn classic and yarn berry. For each tool,
// the set of name@version our reader finds in the tool's lockfile must
// equal the set the tool itself lists, except for the documented
// differences in crossTools.
//
// The always-on test checks the readers against the lockfiles and list
// outputs recorded in diff/testdata/crosscheck/<tool>/. With
// LOCKSTEP_CROSSCHECK=1 the tools are run afresh (installed from the npm
// registry when missing), and LOCKSTEP_CROSSCHECK_UPDATE=1 also rewrites
// the recorded files.

const crossDir = "../testdata/crosscheck"

type crossTool struct {
	name     string
	lockfile string // as the tool writes it
	listFile string // the list output, recorded
	// list parses the list output into name@version
	list func(data []byte) (map[string]bool, error)
	// notListed are packages the lockfile holds but the tool's list leaves
	// out, and why.
	notListed map[string]string
}

// platformSkipped: a lockfile records optional packages for every
// platform; the list shows what was installed on this one.
const platformSkipped = "darwin-only optional dependency: locked, not installed on linux"

var crossTools = []crossTool{
	{name: "npm", lockfile: "package-lock.json", listFile: "ls.json", list: npmList,
		notListed: map[string]string{"fsevents@2.3.3": platformSkipped + " (npm ls shows it as an empty, missing entry)"}},
	// pnpm ls reads the lockfile: it lists fsevents though not installed
	{name: "pnpm", lockfile: "pnpm-lock.yaml", listFile: "ls.json", list: pnpmList},
	{name: "bun", lockfile: "bun.lock", listFile: "ls.txt", list: bunList,
		notListed: map[string]string{"fsevents@2.3.3": platformSkipped + " (bun pm ls lists node_modules)"}},
	// yarn list and yarn info read the lockfile, so they list fsevents too
	{name: "yarn-v1", lockfile: "yarn.lock", listFile: "ls.json", list: yarnV1List},
	{name: "yarn-berry", lockfile: "yarn.lock", listFile: "ls.json", list: yarnBerryList},
}

// npmList reads `npm ls --all --json`: nested "dependencies" objects keyed
// by name (an alias key carries its real name in "name"); an entry without
// a version is a missing optional dependency and is left out.
func npmList(data []byte) (map[string]bool, error) {
	type node struct {
		Name         string           `json:"name"`
		Version      string           `json:"version"`
		Dependencies map[string]*node `json:"dependencies"`
	}
	var root node
	if err := json.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	out := map[string]bool{}
	var walk func(map[string]*node)
	walk = func(deps map[string]*node) {
		for key, n := range deps {
			if n == nil || n.Version == "" {
				continue
			}
			name := key
			if n.Name != "" {
				name = n.Name
			}
			out[name+"@"+n.Version] = true
			walk(n.Dependencies)
		}
	}
	walk(root.Dependencies)
	return out, nil
}

// pnpmList reads `pnpm ls --json --depth Infinity`: one object per
// project, with dependencies, devDependencies and optionalDependencies
// maps nested in "dependencies"; "from" is the real name.
func pnpmList(data []byte) (map[string]bool, error) {
	type node struct {
		From                 string           `json:"from"`
		Version              string           `json:"version"`
		Dependencies         map[string]*node `json:"dependencies"`
		DevDependencies      map[string]*node `json:"devDependencies"`
		OptionalDependencies map[string]*node `json:"optionalDependencies"`
	}
	var projects []node
	if err := json.Unmarshal(data, &projects); err != nil {
		return nil, err
	}
	out := map[string]bool{}
	var walk func(n *node)
	walk = func(n *node) {
		for _, m := range []map[string]*node{n.Dependencies, n.DevDependencies, n.OptionalDependencies} {
			for key, c := range m {
				if c == nil || strings.HasPrefix(c.Version, "link:") || strings.HasPrefix(c.Version, "file:") {
					continue
				}
				name := key
				if c.From != "" {
					name = c.From
				}
				out[name+"@"+c.Version] = true
				walk(c)
			}
		}
	}
	for i := range projects {
		walk(&projects[i])
	}
	return out, nil
}

// bunList reads `bun pm ls --all`: a tree of "name@version" lines under a
// header line.
func bunList(data []byte) (map[string]bool, error) {
	out := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	first := true
	for sc.Scan() {
		line := sc.Text()
		if first {
			first = false
			continue // "<dir> node_modules (N)"
		}
		item := strings.TrimLeft(line, "│├└─ \u00a0")
		if item == "" {
			continue
		}
		at := strings.LastIndexByte(item, '@')
		if at <= 0 {
			return nil, fmt.Errorf("unexpected line %q", line)
		}
		out[item] = true
	}
	return out, sc.Err()
}

// yarnV1List reads `yarn list --json`: trees of "name@version"; "shadow"
// entries only point at a hoisted copy (and may name a range).
func yarnV1List(data []byte) (map[string]bool, error) {
	type tree struct {
		Name     string `json:"name"`
		Shadow   bool   `json:"shadow"`
		Children []tree `json:"children"`
	}
	var doc struct {
		Data struct {
			Trees []tree `json:"trees"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	out := map[string]bool{}
	var walk func([]tree)
	walk = func(ts []tree) {
		for _, t := range ts {
			if t.Shadow {
				continue
			}
			out[t.Name] = true
			walk(t.Children)
		}
	}
	walk(doc.Data.Trees)
	return out, nil
}

// yarnBerryList reads `yarn info --all --recursive --json`: one JSON object
// per line, "value" a locator ("name@npm:1.0.0", "name@patch:...") and
// children.Version its version; workspaces are left out.
func yarnBerryList(data []byte) (map[string]bool, error) {
	out := map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(data))
	for dec.More() {
		var v struct {
			Value    string `json:"value"`
			Children struct {
				Version string `json:"Version"`
			} `json:"children"`
		}
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		i := strings.IndexByte(v.Value[min(1, len(v.Value)):], '@') + 1
		if i <= 0 {
			return nil, fmt.Errorf("unexpected locator %q", v.Value)
		}
		if strings.HasPrefix(v.Value[i+1:], "workspace:") {
			continue
		}
		out[v.Value[:i]+"@"+v.Children.Version] = true
	}
	return out, nil
}

// readerSet is what our reader finds: every package that is not the
// project's own.
func readerSet(t *testing.T, data []byte, name string) map[string]bool {
	t.Helper()
	l, err := Parse(data, name)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Warnings) > 0 {
		t.Errorf("reader warnings: %q", l.Warnings)
	}
	out := map[string]bool{}
	for _, p := range l.Packages {
		if !p.Local {
			out[p.ID()] = true
		}
	}
	return out
}

// compareSets checks reader == list, allowing the tool's documented
// omissions (which must then really be missing from the list).
func compareSets(t *testing.T, tool crossTool, reader, listed map[string]bool) {
	t.Helper()
	if len(listed) < 5 {
		t.Fatalf("%s lists only %d packages: %v", tool.name, len(listed), keys(listed))
	}
	var onlyReader, onlyList []string
	for id := range reader {
		if !listed[id] {
			if _, ok := tool.notListed[id]; !ok {
				onlyReader = append(onlyReader, id)
			}
		}
	}
	for id := range listed {
		if !reader[id] {
			onlyList = append(onlyList, id)
		}
	}
	for id, why := range tool.notListed {
		if !reader[id] {
			t.Errorf("%s: expected %s in the lockfile (%s), the reader did not find it", tool.name, id, why)
		}
		if listed[id] {
			t.Errorf("%s: %s is listed after all; the documented difference (%s) is stale", tool.name, id, why)
		}
	}
	sort.Strings(onlyReader)
	sort.Strings(onlyList)
	if len(onlyReader) > 0 || len(onlyList) > 0 {
		t.Errorf("%s: only in our reader: %v; only in the tool's list: %v", tool.name, onlyReader, onlyList)
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// compareDir compares what our reader finds in dir's lockfile with the
// tool's own listing beside it; it returns both files.
func compareDir(t *testing.T, tool crossTool, dir string) (lock, out []byte) {
	t.Helper()
	var err error
	lock, err = os.ReadFile(filepath.Join(dir, tool.lockfile))
	if err != nil {
		t.Fatal(err)
	}
	out, err = os.ReadFile(filepath.Join(dir, tool.listFile))
	if err != nil {
		t.Fatal(err)
	}
	listed, err := tool.list(out)
	if err != nil {
		t.Fatalf("failed to read the list in %q: %v", dir, err)
	}
	compareSets(t, tool, readerSet(t, lock, tool.lockfile), listed)
	return lock, out
}

// TestCrosscheckRecorded compares each reader with what the real tool
// listed for the same project, from the recorded outputs.
func TestCrosscheckRecorded(t *testing.T) {
	for _, tool := range crossTools {
		t.Run(tool.name, func(t *testing.T) {
			compareDir(t, tool, filepath.Join(crossDir, tool.name))
		})
	}
}

// TestListParsers checks the list parsers on hand-written outputs, so a
// parser that reads nothing cannot pass the recorded comparison.
func TestListParsers(t *testing.T) {
	for _, tc := range []struct {
		name string
		list func([]byte) (map[string]bool, error)
		in   string
		want []string
	}{
		{"npm", npmList, `{"name":"p","dependencies":{"a":{"version":"1.0.0","dependencies":{"b":{"version":"2.0.0"}}},"sw":{"name":"string-width","version":"4.2.3"},"gone":{}}}`,
			[]string{"a@1.0.0", "b@2.0.0", "string-width@4.2.3"}},
		{"pnpm", pnpmList, `[{"name":"p","dependencies":{"a":{"from":"a","version":"1.0.0","dependencies":{"b":{"from":"b","version":"2.0.0"}}},"w":{"from":"w","version":"link:../w"}},"devDependencies":{"@s/c":{"from":"@s/c","version":"3.0.0"}}}]`,
			[]string{"a@1.0.0", "b@2.0.0", "@s/c@3.0.0"}},
		{"bun", bunList, "/p node_modules (3)\n├── @s/c@3.0.0\n├── a@1.0.0\n│   └── b@2.0.0\n",
			[]string{"@s/c@3.0.0", "a@1.0.0", "b@2.0.0"}},
		{"yarn-v1", yarnV1List, `{"type":"tree","data":{"type":"list","trees":[{"name":"a@1.0.0","children":[{"name":"b@^2.0.0","shadow":true},{"name":"b@2.0.0","children":[]}]}]}}`,
			[]string{"a@1.0.0", "b@2.0.0"}},
		{"yarn-berry", yarnBerryList, "{\"value\":\"p@workspace:.\",\"children\":{\"Version\":\"1.0.0\"}}\n{\"value\":\"@s/c@npm:3.0.0\",\"children\":{\"Version\":\"3.0.0\"}}\n{\"value\":\"f@patch:f@npm%3A1.0.0#x::version=1.0.0&hash=1\",\"children\":{\"Version\":\"1.0.0\"}}\n",
			[]string{"@s/c@3.0.0", "f@1.0.0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.list([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(tc.want)
			sort.Strings(want)
			if g := keys(got); !slices.Equal(g, want) {
				t.Errorf("got %v, want %v", g, want)
			}
		})
	}
}

// TestCrosscheckLive installs the project with each real tool, lists it,
// and compares (LOCKSTEP_CROSSCHECK=1; it needs the npm registry).
func TestCrosscheckLive(t *testing.T) {
	if os.Getenv("LOCKSTEP_CROSSCHECK") != "1" {
		t.Skip("set LOCKSTEP_CROSSCHECK=1 to run npm, pnpm, bun and yarn")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the recorded differences are those of linux")
	}
	update := os.Getenv("LOCKSTEP_CROSSCHECK_UPDATE") == "1"
	reg := os.Getenv("npm_config_registry")
	if reg == "" {
		reg = "https://registry.npmjs.org/"
	}
	reg = strings.TrimSuffix(reg, "/") + "/"
	bins := crossBins(t, reg)
	project, err := filepath.Abs(filepath.Join(crossDir, "project"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range crossTools {
		t.Run(tool.name, func(t *testing.T) {
			dir := t.TempDir()
			copyDir(t, project, dir)
			run := func(out string, argv ...string) []byte {
				t.Helper()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				defer cancel()
				cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "npm_config_registry="+reg, "YARN_ENABLE_TELEMETRY=0", "CI=1")
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Run(); err != nil {
					t.Fatalf("%s: %v\n%s\n%s", strings.Join(argv, " "), err, stdout.String(), stderr.String())
				}
				if out != "" {
					if err := os.WriteFile(filepath.Join(dir, out), stdout.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return stdout.Bytes()
			}
			b := bins[tool.name]
			switch tool.name {
			case "npm":
				run("", append(b, "install", "--ignore-scripts", "--no-audit", "--no-fund", "--omit-lockfile-registry-resolved=false", "--registry="+reg)...)
				run(tool.listFile, append(b, "ls", "--all", "--json")...)
			case "pnpm":
				run("", append(b, "install", "--ignore-scripts", "--registry="+reg)...)
				run(tool.listFile, append(b, "ls", "--json", "--depth", "Infinity")...)
			case "bun":
				writeFile(t, filepath.Join(dir, "bunfig.toml"), fmt.Sprintf("[install]\nregistry = %q\n", reg))
				run("", append(b, "install", "--ignore-scripts")...)
				run(tool.listFile, append(b, "pm", "ls", "--all")...)
			case "yarn-v1":
				run("", append(b, "install", "--ignore-scripts", "--non-interactive", "--registry", reg)...)
				run(tool.listFile, append(b, "list", "--json")...)
			case "yarn-berry":
				writeFile(t, filepath.Join(dir, ".yarnrc.yml"), fmt.Sprintf("npmRegistryServer: %q\nenableTelemetry: false\nenableGlobalCache: false\nenableScripts: false\nnodeLinker: node-modules\n", strings.TrimSuffix(reg, "/")))
				run("", append(b, "install", "--no-immutable")...)
				run(tool.listFile, append(b, "info", "--all", "--recursive", "--json")...)
			}
			lock, out := compareDir(t, tool, dir)
			if update {
				dst := filepath.Join(crossDir, tool.name)
				if err := os.MkdirAll(dst, 0o755); err != nil {
					t.Fatal(err)
				}
				// paths of the temporary directory would change on every run
				out = bytes.ReplaceAll(out, []byte(dir), []byte("/tmp/crosscheck"))
				writeFile(t, filepath.Join(dst, tool.lockfile), string(lock))
				writeFile(t, filepath.Join(dst, tool.listFile), string(out))
				version := strings.TrimSpace(string(run("", append(b, "--version")...)))
				writeFile(t, filepath.Join(dst, "VERSION"), version+"\n")
			}
		})
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// crossBins finds each tool: npm on PATH; pnpm, bun, yarn classic and
// yarn berry in LOCKSTEP_CROSSCHECK_TOOLS, ~/.cache/lockstep-crosscheck/tools
// or the benchmark's ~/.cache/lockstep-bench/tools, installing what is
// missing into the first with npm.
func crossBins(t *testing.T, reg string) map[string][]string {
	t.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Fatalf("failed to find npm: %v", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("failed to find node: %v", err)
	}
	home, _ := os.UserHomeDir()
	own := os.Getenv("LOCKSTEP_CROSSCHECK_TOOLS")
	if own == "" {
		own = filepath.Join(home, ".cache", "lockstep-crosscheck", "tools")
	}
	dirs := []string{own, filepath.Join(home, ".cache", "lockstep-bench", "tools")}
	arch := map[string]string{"amd64": "x64", "arm64": "arm64"}[runtime.GOARCH]
	type want struct {
		tool, pkg, bin string
		viaNode        bool
	}
	wants := []want{
		{"pnpm", "@pnpm/exe.linux-" + arch, "pnpm", false},
		{"bun", "@oven/bun-linux-" + arch, "bin/bun", false},
		{"yarn-v1", "yarn", "bin/yarn.js", true},
		{"yarn-berry", "@yarnpkg/cli-dist", "bin/yarn.js", true},
	}
	bins := map[string][]string{"npm": {npm}}
	var missing []string
	find := func(w want) string {
		for _, d := range dirs {
			p := filepath.Join(d, "node_modules", filepath.FromSlash(w.pkg), filepath.FromSlash(w.bin))
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
		return ""
	}
	for _, w := range wants {
		if find(w) == "" {
			missing = append(missing, w.pkg)
		}
	}
	if len(missing) > 0 {
		if err := os.MkdirAll(own, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(npm, append([]string{"install", "--prefix", own, "--ignore-scripts", "--no-audit", "--no-fund", "--registry=" + reg}, missing...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("failed to install %v: %v\n%s", missing, err, out)
		}
	}
	for _, w := range wants {
		p := find(w)
		if p == "" {
			t.Fatalf("failed to find %s after installing it", w.pkg)
		}
		if w.viaNode {
			bins[w.tool] = []string{node, p}
		} else {
			bins[w.tool] = []string{p}
		}
	}
	return bins
}
