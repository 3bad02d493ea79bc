package npmrc

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const npmModules = "/usr/lib/node_modules/npm/node_modules"

func needNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	if _, err := os.Stat(filepath.Join(npmModules, "@npmcli/config/lib/env-replace.js")); err != nil {
		t.Skip("npm sources not installed")
	}
	return node
}

func runNode(t *testing.T, node, script string, in any, out any) {
	t.Helper()
	data, _ := json.Marshal(in)
	cmd := exec.Command(node, "-e", script)
	cmd.Stdin = strings.NewReader(string(data))
	cmd.Dir = npmModules
	res, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	if err := json.Unmarshal(res, out); err != nil {
		t.Fatalf("node output %q: %v", res, err)
	}
}

// TestINIMatchesNpm feeds the same lines to npm's ini package.
func TestINIMatchesNpm(t *testing.T) {
	node := needNode(t)
	inputs := []string{
		"a=1", "a = 'x'", `a = "y"`, `a = "unterminated`, `a = 'x' ; c`, `a = x\;y\#z\q`, `a=\`, "a", "a=",
		"a = true", `a = "true"`, "a = null", `a[]=1` + "\n" + `a[]="2"`, "a=1\na[]=2", "a[]=1\na=2", `"a b" = c`,
		"a ; b = c", "  a  =  b  ", "a=b=c", "[s]\na=1", "a=1\n[s]\nb=2", "\ufeffa=1", "[]=x", "a=\"\"", "a='\"q\"'",
		"a = '123'", `a = "\u0041"`, "#a=1\n;b=2\n c=3",
	}
	script := `
const ini = require('./ini');
let s=''; process.stdin.on('data', d => s += d).on('end', () => {
  const out = JSON.parse(s).map(x => {
    const o = ini.parse(x); const r = {};
    for (const [k, v] of Object.entries(o)) {
      if (v && typeof v === 'object' && !Array.isArray(v)) continue; // sections
      r[k] = Array.isArray(v) ? v.map(String).join('|') : String(v);
    }
    return r;
  });
  console.log(JSON.stringify(out));
});`
	var want []map[string]string
	runNode(t, node, script, inputs, &want)
	for i, in := range inputs {
		entries, _ := parseINI(in)
		got := map[string]string{}
		for _, e := range entries {
			if e.val.isList {
				got[e.key] = strings.Join(e.val.list, "|")
			} else {
				got[e.key] = e.val.str
			}
		}
		if !equalMaps(got, want[i]) {
			t.Errorf("parseINI(%q) = %q, npm ini gives %q", in, got, want[i])
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestEnvReplaceMatchesNpm compares with @npmcli/config's env-replace.js.
func TestEnvReplaceMatchesNpm(t *testing.T) {
	node := needNode(t)
	env := map[string]string{"A": "aa", "EMPTY": "", "B_C": "bc"}
	inputs := []string{
		"${A}", "x${A}y${B_C}", "${EMPTY}", "${NOPE}", "${NOPE?}", "${A?}", `\${A}`, `\\${A}`, `\\\${A}`,
		`\\\\${A}`, `\\\\\${NOPE?}`, "${}", "${A", "$${A}", "${a${A}", "${A}}", "${?}", "${A??}", `a\b${A}`, `${A}\${A}`,
	}
	script := `
const r = require('./@npmcli/config/lib/env-replace.js');
let s=''; process.stdin.on('data', d => s += d).on('end', () => {
  const {env, inputs} = JSON.parse(s);
  console.log(JSON.stringify(inputs.map(x => r(x, env))));
});`
	var want []string
	runNode(t, node, script, map[string]any{"env": env, "inputs": inputs}, &want)
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for i, in := range inputs {
		if got := envReplace(in, lookup); got != want[i] {
			t.Errorf("envReplace(%q) = %q, npm gives %q", in, got, want[i])
		}
	}
}

// TestDefinitionsMatchNpm checks our defaults and kinds against definitions.js.
func TestDefinitionsMatchNpm(t *testing.T) {
	node := needNode(t)
	var keys []string
	for k := range definitions {
		keys = append(keys, k)
	}
	script := `
const { definitions } = require('./@npmcli/config/lib/definitions');
let s=''; process.stdin.on('data', d => s += d).on('end', () => {
  const out = {};
  for (const k of JSON.parse(s)) {
    const d = definitions[k];
    if (!d) { out[k] = null; continue; }
    const name = t => t === require('url') ? 'url' : t === require('path') ? 'path' : t === null ? 'null' : typeof t === 'function' ? (t.name || 'fn') : typeof t === 'symbol' ? t.description : (t && typeof t === 'object' && 'type' in t) ? name(t.type) : typeof t === 'string' ? 'String' : String(t);
    const types = [].concat(d.type).map(name);
    out[k] = { def: d.default, types };
  }
  console.log(JSON.stringify(out));
});`
	var want map[string]*struct {
		Def   any      `json:"def"`
		Types []string `json:"types"`
	}
	runNode(t, node, script, keys, &want)
	for _, k := range keys {
		w := want[k]
		if w == nil {
			t.Errorf("%q is not an npm 11 definition", k)
			continue
		}
		d := definitions[k]
		switch k {
		case "userconfig", "globalconfig", "prefix", "omit":
			continue // computed defaults
		}
		var npmDef string
		hasDef := w.Def != nil
		switch v := w.Def.(type) {
		case []any:
			hasDef = true
			parts := make([]string, len(v))
			for i := range v {
				parts[i], _ = v[i].(string)
			}
			npmDef = strings.Join(parts, ",")
		case float64:
			b, _ := json.Marshal(v)
			npmDef = string(b)
		case bool:
			npmDef = map[bool]string{true: "true", false: "false"}[v]
		case string:
			npmDef = v
		}
		if d.hasDef != hasDef || (hasDef && d.def != npmDef) {
			t.Errorf("%s: default %q (set %v), npm has %q (set %v)", k, d.def, d.hasDef, npmDef, hasDef)
		}
		ts := strings.Join(w.Types, " ")
		wantKind := map[kind]string{kBool: "Boolean", kNumber: "Number", kPath: "path", kURL: "url", kList: "Array", kString: "String"}[d.kind]
		if !strings.Contains(ts, wantKind) {
			t.Errorf("%s: kind %q, npm types %q", k, wantKind, ts)
		}
		if d.nullable != strings.Contains(ts, "null") && d.kind != kPath {
			t.Errorf("%s: nullable %v, npm types %q", k, d.nullable, ts)
		}
	}
}

// TestMatchesNpmConfigGet runs the real "npm config get" over the same files.
func TestMatchesNpmConfigGet(t *testing.T) {
	needNode(t)
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm not installed")
	}
	dir := t.TempDir()
	home, proj := filepath.Join(dir, "home"), filepath.Join(dir, "proj")
	for _, d := range []string{home, proj} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		filepath.Join(proj, "package.json"): "{}",
		filepath.Join(proj, ".npmrc"): "fetch-retries = 5 ; five\n@corp:registry=https://corp.example/${CORP_PATH}/\n" +
			"legacy-peer-deps\nx-unknown = \"quoted ; value\"\n",
		filepath.Join(home, ".npmrc"): "registry = https://mirror.example/npm\nfetch-retries=3\nstrict-ssl=false\n" +
			"replace-registry-host=always\nomit[]=dev\nomit[]=peer\nfetch-timeout=1e4\n",
	}
	for p, s := range files {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var environ []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(strings.ToLower(k), "npm_") || k == "HOME" || k == "NODE_ENV" {
			continue
		}
		environ = append(environ, kv)
	}
	environ = append(environ, "HOME="+home, "CORP_PATH=api", "npm_config_ignore_scripts=true", "npm_config_loglevel=silent")
	keys := []string{"registry", "fetch-retries", "@corp:registry", "legacy-peer-deps", "x-unknown", "strict-ssl",
		"replace-registry-host", "ignore-scripts", "omit", "fetch-timeout", "userconfig"}
	cmd := exec.Command(npm, append([]string{"config", "get"}, keys...)...)
	cmd.Dir, cmd.Env = proj, environ
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("npm config get: %v", err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			want[k] = v
		}
	}
	c, err := Load(LoadOptions{Dir: proj, Environ: environ})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		got, _ := c.Get(k)
		if k == "fetch-timeout" {
			got = "10000" // npm prints the number; we keep the text "1e4"
			if c.FetchTimeout().Milliseconds() != 10000 {
				t.Errorf("FetchTimeout() = %v, want 10s", c.FetchTimeout())
			}
		}
		if got != want[k] {
			t.Errorf("Get(%q) = %q, npm config get says %q", k, got, want[k])
		}
	}
}
