package npm

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/diff"
	"github.com/lockstep-dev/lockstep/install/lockfile"
)

func read(t *testing.T, name string) *diff.Lockfile {
	t.Helper()
	p := filepath.Join("testdata", name)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	l, err := Parse(data, p)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return l
}

func ids(l *diff.Lockfile) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range l.Packages {
		if p.Local || seen[p.ID()] {
			continue
		}
		seen[p.ID()] = true
		out = append(out, p.ID())
	}
	sort.Strings(out)
	return out
}

// The fixtures were written by npm 11 (diff/testdata/gen.sh); the expected
// sets are what `npm ls --all --package-lock-only` lists for the projects.
func TestParseFixtures(t *testing.T) {
	headIDs := []string{"ansi-regex@5.0.1", "ansi-styles@4.3.0", "chalk@4.1.0", "color-convert@2.0.1",
		"color-name@1.1.4", "core-js@3.37.0", "debug@4.4.0", "emoji-regex@8.0.0", "has-flag@4.0.0",
		"is-fullwidth-code-point@3.0.0", "left-pad@1.3.0", "lodash@4.17.21", "ms@1.0.0", "ms@2.1.3",
		"string-width@4.2.3", "strip-ansi@6.0.1", "supports-color@7.2.0"}
	headDirect := map[string]diff.DepType{"chalk": diff.Prod, "core-js": diff.Prod, "debug": diff.Prod,
		"left-pad": diff.Prod, "lodash": diff.Prod, "string-width": diff.Prod, "ms": diff.Optional}
	baseIDs := []string{"ansi-styles@4.3.0", "chalk@4.1.2", "color-convert@2.0.1", "color-name@1.1.4",
		"debug@4.3.4", "has-flag@4.0.0", "is-number@6.0.0", "is-odd@3.0.1", "lodash@4.17.20", "ms@2.1.2",
		"supports-color@7.2.0"}
	baseDirect := map[string]diff.DepType{"chalk": diff.Prod, "debug": diff.Prod, "lodash": diff.Prod, "is-odd": diff.Dev}
	for _, tc := range []struct {
		file, format string
		ids          []string
		direct       map[string]diff.DepType
	}{
		{"basic-head.v1.json", "npm-v1", headIDs, headDirect},
		{"basic-head.v2.json", "npm-v2", headIDs, headDirect},
		{"basic-head.v3.json", "npm-v3", headIDs, headDirect},
		{"basic-base.v1.json", "npm-v1", baseIDs, baseDirect},
		{"basic-base.v2.json", "npm-v2", baseIDs, baseDirect},
		{"basic-base.v3.json", "npm-v3", baseIDs, baseDirect},
	} {
		t.Run(tc.file, func(t *testing.T) {
			l := read(t, tc.file)
			if l.Format != tc.format {
				t.Errorf("format = %q, want %q", l.Format, tc.format)
			}
			if got := ids(l); !reflect.DeepEqual(got, tc.ids) {
				t.Errorf("ids =\n%v\nwant\n%v", got, tc.ids)
			}
			if !reflect.DeepEqual(l.Direct, tc.direct) {
				t.Errorf("direct = %v, want %v", l.Direct, tc.direct)
			}
			if len(l.Warnings) > 0 {
				t.Errorf("warnings: %v", l.Warnings)
			}
			for _, p := range l.Packages {
				if p.Integrity == "" || !strings.HasPrefix(p.Resolved, "https://registry.npmjs.org/") {
					t.Errorf("%s: resolved %q integrity %q", p.ID(), p.Resolved, p.Integrity)
				}
				if p.Name == "debug" && !reflect.DeepEqual(p.Dependencies, []string{"ms"}) {
					t.Errorf("debug dependencies = %v", p.Dependencies)
				}
				if p.Name == "is-odd" && !p.Dev {
					t.Errorf("is-odd not dev")
				}
				if p.Name == "ms" && p.Version == "1.0.0" && !p.Optional {
					t.Errorf("ms@1.0.0 not optional")
				}
			}
		})
	}
}

func TestV3Details(t *testing.T) {
	l := read(t, "basic-head.v3.json")
	byID := map[string]diff.Package{}
	for _, p := range l.Packages {
		byID[p.ID()] = p
	}
	if !byID["core-js@3.37.0"].InstallScript {
		t.Error("core-js: InstallScript not set")
	}
	if byID["lodash@4.17.21"].License != "MIT" {
		t.Errorf("lodash license = %q", byID["lodash@4.17.21"].License)
	}
	if p := byID["string-width@4.2.3"]; p.Path != "node_modules/sw" {
		t.Errorf("alias path = %q", p.Path)
	}
	if p := byID["ms@2.1.3"]; p.Path != "node_modules/debug/node_modules/ms" {
		t.Errorf("nested path = %q", p.Path)
	}
}

func TestWorkspaces(t *testing.T) {
	for _, v := range []string{"v2", "v3"} {
		l := read(t, "workspaces-head."+v+".json")
		want := map[string]diff.DepType{"is-odd": diff.Dev, "react": diff.Prod, "react-dom": diff.Prod,
			"is-number": diff.Prod, "ms": diff.Prod}
		if !reflect.DeepEqual(l.Direct, want) {
			t.Errorf("%s: direct = %v, want %v", v, l.Direct, want)
		}
		var local []string
		for _, p := range l.Packages {
			if p.Local {
				local = append(local, p.Path)
			}
		}
		sort.Strings(local)
		if want := []string{"node_modules/a", "node_modules/b", "packages/a", "packages/b"}; !reflect.DeepEqual(local, want) {
			t.Errorf("%s: local = %v, want %v", v, local, want)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"syntax", "{\n  \"lockfileVersion\": 3,\n  \"packages\": {,}\n}", `failed to read "x.json": 3:16: invalid character ','`},
		{"syntax v1", "{\n  \"lockfileVersion\": 1,\n  \"dependencies\": {\n  \"a\": }\n}", `failed to read "x.json": 4:8: invalid character '}'`},
		{"not object", "[1]", `failed to read "x.json": 1:1: the document is not a JSON object`},
		{"future", `{"lockfileVersion": 9, "packages": {}}`, `failed to read "x.json": unsupported lockfileVersion 9`},
		{"not a lockfile", `{"name": "x"}`, `failed to read "x.json": 1:1: no "lockfileVersion"`},
		{"entry not object", `{"lockfileVersion": 3, "packages": {"node_modules/a": 1}}`, `failed to read "x.json": packages entry "node_modules/a"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc), "x.json")
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("err = %v, want prefix %q", err, tc.want)
			}
		})
	}
}

// A v1 entry of the wrong shape is skipped with a located warning; the
// others are kept.
func TestV1BadEntry(t *testing.T) {
	doc := "{\n\"lockfileVersion\": 1,\n\"dependencies\": {\n\"a\": {\"version\": \"1.0.0\"},\n\"b\": {\"version\": 7},\n\"c\": {\"version\": \"2.0.0\"}\n}\n}"
	l, err := Parse([]byte(doc), "x.json")
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(l); !reflect.DeepEqual(got, []string{"a@1.0.0", "c@2.0.0"}) {
		t.Errorf("ids = %v", got)
	}
	if len(l.Warnings) != 1 || !strings.HasPrefix(l.Warnings[0], `x.json:5:6: skipped entry "node_modules/b"`) {
		t.Errorf("warnings = %q", l.Warnings)
	}
}

// TestFastDecodeMatchesExact checks that the sonic fast path reads every
// v2/v3 fixture as the installer's exact reader does, and that a document
// with a field of an unexpected shape leaves the fast path.
func TestFastDecodeMatchesExact(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.v[23].json")
	more, _ := filepath.Glob("../../testdata/crosscheck/npm/package-lock.json")
	files = append(files, more...)
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			fast, ok := parseFast(data, 3)
			if !ok {
				t.Fatal("the fast path refused a lockfile npm wrote")
			}
			exact, err := lockfile.Parse(data, f)
			if err != nil {
				t.Fatal(err)
			}
			got, want := fromLockfile(fast, f, 3), fromLockfile(exact, f, 3)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("fast path differs:\n got %+v\nwant %+v", got, want)
			}
		})
	}
	for name, doc := range map[string]string{
		"license object": `{"lockfileVersion":3,"packages":{"node_modules/a":{"version":"1.0.0","license":{"type":"MIT"}}}}`,
		"string flag":    `{"lockfileVersion":3,"packages":{"node_modules/a":{"version":"1.0.0","dev":"true"}}}`,
		"null entry":     `{"lockfileVersion":3,"packages":{"node_modules/a":null}}`,
		"no packages":    `{"lockfileVersion":3}`,
	} {
		t.Run("refuses "+name, func(t *testing.T) {
			if _, ok := parseFast([]byte(doc), 3); ok {
				t.Errorf("fast path accepted %s", doc)
			}
		})
	}
	// fields the diff does not read may have any shape
	odd := `{"lockfileVersion":3,"packages":{"":{"name":"p","dependencies":{"a":"1"}},"node_modules/a":{"version":"1.0.0","engines":["node >= 0.4"],"bundleDependencies":true}}}`
	fast, ok := parseFast([]byte(odd), 3)
	if !ok {
		t.Fatal("the fast path refused fields it does not read")
	}
	exact, err := lockfile.Parse([]byte(odd), "package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fromLockfile(fast, "x", 3), fromLockfile(exact, "x", 3); !reflect.DeepEqual(got, want) {
		t.Errorf("fast path differs:\n got %+v\nwant %+v", got, want)
	}
}
