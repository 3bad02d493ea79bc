package lockfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedFixture finds shared/fixtures/<name>/<file> in an ancestor of the
// working directory (the repo's CI puts shared/ beside the checkout).
func sharedFixture(t testing.TB, name, file string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, "shared", "fixtures", name, file)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	p := filepath.Join("/work/shared/fixtures", name, file)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	t.Skipf("fixture %s/%s not found", name, file)
	return ""
}

// firstDiff describes where two byte slices first differ.
func firstDiff(got, want []byte) string {
	n := min(len(got), len(want))
	i := 0
	for i < n && got[i] == want[i] {
		i++
	}
	lo := max(0, i-80)
	return "at byte " + itoa(i) + "\n got: " + quoteCut(got[lo:min(len(got), i+80)]) + "\nwant: " + quoteCut(want[lo:min(len(want), i+80)])
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func quoteCut(b []byte) string { q, _ := json.Marshal(string(b)); return string(q) }

func TestRoundTripFixtures(t *testing.T) {
	for _, name := range []string{"small", "medium", "large"} {
		t.Run(name, func(t *testing.T) {
			p := sharedFixture(t, name, "package-lock.json")
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			l, err := Parse(data, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Packages) < 100 || l.LockfileVersion != 3 || l.Packages[""] == nil {
				t.Fatalf("implausible parse: %d packages, v%d", len(l.Packages), l.LockfileVersion)
			}
			if got := l.Marshal(); !bytes.Equal(got, data) {
				t.Fatalf("Marshal differs from %s %s", p, firstDiff(got, data))
			}
		})
	}
}

func roundtripFiles(t *testing.T) []string {
	files, err := filepath.Glob("testdata/roundtrip/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/roundtrip files: %v", err)
	}
	return files
}

func TestRoundTripScenarios(t *testing.T) {
	for _, f := range roundtripFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			l, err := Parse(data, f)
			if err != nil {
				t.Fatal(err)
			}
			wantV := 3
			if strings.Contains(f, ".v2.") {
				wantV = 2
			}
			if l.LockfileVersion != wantV {
				t.Errorf("LockfileVersion = %d, want %d", l.LockfileVersion, wantV)
			}
			if got := l.Marshal(); !bytes.Equal(got, data) {
				t.Fatalf("Marshal differs %s", firstDiff(got, data))
			}
		})
	}
}

// TestMarshalFromScrambled re-encodes each scenario with encoding/json (keys
// in bytewise order, HTML escaping, other indent) and checks that Marshal
// restores npm's bytes: the order and escaping come from Marshal, not from
// the input.
func TestMarshalFromScrambled(t *testing.T) {
	for _, f := range roundtripFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(bytes.NewReader(want))
			dec.UseNumber()
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			scrambled, err := json.MarshalIndent(v, "", "\t")
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(scrambled, want) {
				t.Fatal("scrambling changed nothing")
			}
			l, err := Parse(scrambled, f)
			if err != nil {
				t.Fatal(err)
			}
			if l.Indent != "\t" || l.Newline != "\n" {
				t.Errorf("detected indent %q newline %q, want tab and LF", l.Indent, l.Newline)
			}
			l.Indent, l.Newline = DetectFormat(want)
			if got := l.Marshal(); !bytes.Equal(got, want) {
				t.Fatalf("Marshal differs %s", firstDiff(got, want))
			}
		})
	}
}

// TestFormatDetection checks files whose formatting npm does not keep as is
// (tab, minified, BOM, blank lines, indent longer than ten) against what
// npm's serializer wrote for them (testdata/format/*.want.json).
func TestFormatDetection(t *testing.T) {
	ins, _ := filepath.Glob("testdata/format/*.in.json")
	if len(ins) == 0 {
		t.Fatal("no testdata/format cases")
	}
	for _, in := range ins {
		t.Run(filepath.Base(in), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(strings.TrimSuffix(in, ".in.json") + ".want.json")
			if err != nil {
				t.Fatal(err)
			}
			l, err := Parse(data, in)
			if err != nil {
				t.Fatal(err)
			}
			if got := l.Marshal(); !bytes.Equal(got, want) {
				t.Fatalf("Marshal differs %s", firstDiff(got, want))
			}
		})
	}
}

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		name, in, indent, newline string
	}{
		{"two spaces", "{\n  \"a\": 1\n}\n", "  ", "\n"},
		{"crlf four", "{\r\n    \"a\": 1\r\n}\r\n", "    ", "\r\n"},
		{"tab", "{\n\t\"a\": 1\n}", "\t", "\n"},
		{"minified", `{"a":1}`, "", ""},
		{"empty object", "{}", "  ", "\n"},
		{"empty object newline", "{}\r\n", "  ", "\r\n"},
		{"blank lines", "{\n\n   \"a\": 1}", "   ", "\n\n"},
		{"bom", "\uFEFF{\n \"a\": 1}", " ", "\n"},
		{"leading space", "  {\n  \"a\": 1}", "  ", "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i, n := DetectFormat([]byte(tt.in))
			if i != tt.indent || n != tt.newline {
				t.Errorf("DetectFormat = %q, %q; want %q, %q", i, n, tt.indent, tt.newline)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []string // substrings of the error
	}{
		{"v1", `{"name":"x","version":"1.0.0","lockfileVersion":1,"requires":true,"dependencies":{}}`,
			[]string{"lockfileVersion 1", "npm install", "lockstep install", `"dir/package-lock.json"`}},
		{"no version no packages", `{"name":"x","dependencies":{}}`, []string{"lockfileVersion 1"}},
		{"v4", `{"lockfileVersion":4,"packages":{}}`, []string{"lockfileVersion 4", "newer"}},
		{"version string", `{"lockfileVersion":"3","packages":{}}`, []string{"invalid lockfileVersion \"3\""}},
		{"v3 without packages", `{"lockfileVersion":3}`, []string{`no "packages"`}},
		{"packages array", `{"lockfileVersion":3,"packages":[]}`, []string{`"packages" is an array`}},
		{"entry string", `{"lockfileVersion":3,"packages":{"node_modules/a":"1.0.0"}}`, []string{`entry "node_modules/a" is a string`}},
		{"malformed", "{\n  \"lockfileVersion\": 3,\n  \"packages\": {,\n}", []string{"dir/package-lock.json:3:16", "invalid character ','"}},
		{"truncated", "{\n  \"lockfileVersion\": 3,\n  \"packages\": {", []string{"dir/package-lock.json", "unexpected end of JSON input"}},
		{"array document", `[1,2]`, []string{"is an array, not an object"}},
		{"null document", `null`, []string{"is null, not an object"}},
		{"conflict", "{\n<<<<<<< HEAD\n  \"lockfileVersion\": 3,\n=======\n  \"lockfileVersion\": 2,\n>>>>>>> b\n}", []string{"merge conflict"}},
		{"empty", ``, []string{"dir/package-lock.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Parse([]byte(tt.data), "dir/package-lock.json")
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", l)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "failed to ") {
				t.Errorf("error %q does not start with \"failed to\"", err)
			}
		})
	}
}

func TestRead(t *testing.T) {
	v3 := `{"name":"x","lockfileVersion":3,"requires":true,"packages":{"":{"name":"%s"}}}`
	tests := []struct {
		name      string
		files     map[string]string
		wantFile  string
		wantName  string
		wantNoErr bool
	}{
		{"lock only", map[string]string{PackageLock: strings.Replace(v3, "%s", "lock", 1)}, PackageLock, "lock", true},
		{"shrinkwrap wins", map[string]string{
			PackageLock:    strings.Replace(v3, "%s", "lock", 1),
			ShrinkwrapFile: strings.Replace(v3, "%s", "shrink", 1),
		}, ShrinkwrapFile, "shrink", true},
		{"none", map[string]string{"package.json": "{}"}, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for n, c := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			l, p, err := Read(dir)
			if !tt.wantNoErr {
				if !errors.Is(err, ErrNotFound) {
					t.Fatalf("err = %v, want ErrNotFound", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p != filepath.Join(dir, tt.wantFile) {
				t.Errorf("path = %q, want %q", p, tt.wantFile)
			}
			if got := l.Root().Name; got != tt.wantName {
				t.Errorf("root name = %q, want %q", got, tt.wantName)
			}
		})
	}
}

func TestParseModel(t *testing.T) {
	data, err := os.ReadFile("testdata/roundtrip/funding-arrays.v3.json")
	if err != nil {
		t.Fatal(err)
	}
	l, err := Parse(data, "f")
	if err != nil {
		t.Fatal(err)
	}
	c := l.Packages["node_modules/c"]
	d := l.Packages["node_modules/d"]
	x := l.Packages["node_modules/d/node_modules/x"]
	y := l.Packages["node_modules/d/node_modules/y"]
	checks := []struct {
		name string
		ok   bool
	}{
		{"engines array stays raw", c.Engines == nil && c.Extra["engines"] != nil},
		{"license object stays raw", c.License == "" && c.Extra["license"] != nil},
		{"funding string", c.Funding == "https://c.example"},
		{"bundleDependencies", len(d.BundleDependencies) == 2 && d.BundleDependencies[1] == "y"},
		{"flags", d.HasShrinkwrap && d.Extraneous && !d.Dev},
		{"deprecated", d.Deprecated == "use e instead"},
		{"workspaces raw", d.Workspaces != nil},
		{"false flag raw", !x.Dev && x.Extra["dev"] == false && x.InBundle},
		{"empty string raw", y.Version == "" && y.Extra["version"] == ""},
		{"empty engines typed", y.Engines != nil && len(y.Engines) == 0},
		{"empty os typed", y.OS != nil && len(y.OS) == 0},
		{"unknown field", x.Extra["unknownField"] != nil},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: failed", c.name)
		}
	}
}

// TestTypedFieldsWin checks that a caller's edits to typed fields are what
// Marshal writes, over values kept in Extra.
func TestTypedFieldsWin(t *testing.T) {
	data := []byte(`{"lockfileVersion":3,"requires":true,"packages":{"node_modules/a":{"version":"","dev":false,"engines":["node"]}}}`)
	l, err := Parse(data, "x")
	if err != nil {
		t.Fatal(err)
	}
	a := l.Packages["node_modules/a"]
	a.Version, a.Dev, a.Engines = "1.0.0", true, map[string]string{"node": ">=18"}
	l.Packages["node_modules/b"] = &Package{Version: "2.0.0", Dependencies: map[string]string{"a": "^1"}}
	want := "{\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {\n" +
		"    \"node_modules/a\": {\n      \"version\": \"1.0.0\",\n      \"dev\": true,\n      \"engines\": {\n        \"node\": \">=18\"\n      }\n    },\n" +
		"    \"node_modules/b\": {\n      \"version\": \"2.0.0\",\n      \"dependencies\": {\n        \"a\": \"^1\"\n      }\n    }\n  }\n}\n"
	if got := string(l.Marshal()); got != want {
		t.Errorf("Marshal =\n%s\nwant\n%s", got, want)
	}
}

func TestPackageName(t *testing.T) {
	tests := []struct{ key, name, parent string }{
		{"", "", ""},
		{"node_modules/a", "a", ""},
		{"node_modules/@s/b", "@s/b", ""},
		{"node_modules/a/node_modules/b", "b", "node_modules/a"},
		{"node_modules/a/node_modules/@s/b", "@s/b", "node_modules/a"},
		{"node_modules/@s/a/node_modules/b/node_modules/c", "c", "node_modules/@s/a/node_modules/b"},
		{"packages/x", "x", ""},
		{"packages/x/node_modules/y", "y", "packages/x"},
		{"tools/@internal/cli", "@internal/cli", ""},
		{"local-lib", "local-lib", ""},
	}
	for _, tt := range tests {
		if got := PackageName(tt.key); got != tt.name {
			t.Errorf("PackageName(%q) = %q, want %q", tt.key, got, tt.name)
		}
		if got := ParentPath(tt.key); got != tt.parent {
			t.Errorf("ParentPath(%q) = %q, want %q", tt.key, got, tt.parent)
		}
	}
}

func TestRealName(t *testing.T) {
	l := mustParseFile(t, "testdata/roundtrip/aliases.v3.json")
	tests := []struct{ key, want string }{
		{"node_modules/sw", "string-width"},
		{"node_modules/@my/react", "react"},
		{"node_modules/lodash", "@scope/lodash-fork"},
		{"node_modules/strip-ansi", "strip-ansi"},
		{"node_modules/sw/node_modules/strip-ansi", "strip-ansi"},
		{"", "aliases"},
		{"node_modules/missing", "missing"},
	}
	for _, tt := range tests {
		if got := l.RealName(tt.key); got != tt.want {
			t.Errorf("RealName(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func mustParseFile(t *testing.T, f string) *Lockfile {
	t.Helper()
	l, err := ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestResolve(t *testing.T) {
	aliases := mustParseFile(t, "testdata/roundtrip/aliases.v3.json")
	ws := mustParseFile(t, "testdata/roundtrip/workspaces-links.v3.json")
	uni := mustParseFile(t, "testdata/roundtrip/unicode-escapes.v3.json")
	tests := []struct {
		name      string
		l         *Lockfile
		from, dep string
		want      string
		ok        bool
	}{
		{"root dep", aliases, "", "sw", "node_modules/sw", true},
		{"nested wins", aliases, "node_modules/sw", "strip-ansi", "node_modules/sw/node_modules/strip-ansi", true},
		{"walks up to root", aliases, "node_modules/string-width-cjs", "strip-ansi", "node_modules/strip-ansi", true},
		{"from nested walks up", aliases, "node_modules/sw/node_modules/strip-ansi", "sw", "node_modules/sw", true},
		{"missing", aliases, "node_modules/@my/react", "loose-envify", "", false},
		{"scoped", aliases, "node_modules/sw", "@my/react", "node_modules/@my/react", true},
		{"workspace nested", ws, "packages/ws-a", "is-number", "packages/ws-a/node_modules/is-number", true},
		{"workspace to root", ws, "packages/ws-a", "typescript", "node_modules/typescript", true},
		{"workspace to link", ws, "packages/ws-a", "@internal/cli", "node_modules/@internal/cli", true},
		{"via link follows target", ws, "node_modules/ws-a", "is-number", "packages/ws-a/node_modules/is-number", true},
		{"scoped workspace folder", ws, "tools/@internal/cli", "is-number", "node_modules/is-number", true},
		{"sibling of nested", uni, "node_modules/a/node_modules/b", "a.b", "node_modules/a.b", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.l.Resolve(tt.from, tt.dep)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Resolve(%q, %q) = %q, %v; want %q, %v", tt.from, tt.dep, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestIsRegistrySpec(t *testing.T) {
	tests := []struct {
		spec string
		want bool
	}{
		{"^1.2.3", true}, {"1.2.3", true}, {"latest", true}, {"", true}, {"*", true},
		{">=1 <2 || 3.x", true}, {"npm:string-width@^4", true}, {"npm:@s/x@1", true},
		{"file:../x", false}, {"./x", false}, {"../x", false}, {"/abs/x", false}, {"~/x", false},
		{"https://registry.npmjs.org/a/-/a-1.0.0.tgz", false}, {"http://x/y.tgz", false},
		{"git+ssh://git@github.com/u/r.git#abc", false}, {"github:u/r", false}, {"u/r", false},
		{"u/r#semver:^1", false}, {"link:../x", false}, {"x.tgz", false}, {"C:\\x", false},
	}
	for _, tt := range tests {
		if got := IsRegistrySpec(tt.spec); got != tt.want {
			t.Errorf("IsRegistrySpec(%q) = %v, want %v", tt.spec, got, tt.want)
		}
	}
}
