package pkgjson

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string
		check   func(t *testing.T, p *PackageJSON)
	}{
		{
			name: "optional wins over dependencies",
			in:   `{"name":"x","dependencies":{"a":"1","b":"2"},"optionalDependencies":{"b":"3"}}`,
			check: func(t *testing.T, p *PackageJSON) {
				if _, ok := p.Dependencies["b"]; ok {
					t.Errorf("b still in dependencies: %v", p.Dependencies)
				}
				if p.OptionalDependencies["b"] != "3" || p.Dependencies["a"] != "1" {
					t.Errorf("got %v %v", p.Dependencies, p.OptionalDependencies)
				}
			},
		},
		{
			name: "workspaces object form",
			in:   `{"workspaces":{"packages":["packages/*"]}}`,
			check: func(t *testing.T, p *PackageJSON) {
				if len(p.Workspaces) != 1 || p.Workspaces[0] != "packages/*" {
					t.Errorf("workspaces = %v", p.Workspaces)
				}
			},
		},
		{
			name: "workspaces array form and BOM",
			in:   "\xef\xbb\xbf" + `{"workspaces":["a","b"]}`,
			check: func(t *testing.T, p *PackageJSON) {
				if len(p.Workspaces) != 2 {
					t.Errorf("workspaces = %v", p.Workspaces)
				}
			},
		},
		{
			name: "workspaces of neither form parse but do not map",
			in:   `{"workspaces":{"nohoist":["x"]}}`,
			check: func(t *testing.T, p *PackageJSON) {
				if _, err := p.Workspaces.Map("."); err == nil || !strings.Contains(err.Error(), "expects an Array") {
					t.Errorf("Map err = %v", err)
				}
			},
		},
		{
			name: "workspaces packages not an array",
			in:   `{"workspaces":{"packages":"a/*"}}`,
			check: func(t *testing.T, p *PackageJSON) {
				if _, err := p.Workspaces.Folders("."); err == nil {
					t.Errorf("Folders gave no error for %q", p.Workspaces)
				}
			},
		},
		{
			name: "workspaces null is none",
			in:   `{"workspaces":null}`,
			check: func(t *testing.T, p *PackageJSON) {
				if f, err := p.Workspaces.Folders("."); err != nil || f != nil {
					t.Errorf("Folders = %v, %v", f, err)
				}
			},
		},
		{name: "syntax error has position", in: "{\n  \"name\": \"x\",\n  oops\n}", wantErr: `"package.json" (line 3, column 4)`},
		{name: "wrong type", in: `{"dependencies": ["a"]}`, wantErr: `field "dependencies" must not be a array`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.in), "package.json")
			if !checkErr(t, err, tt.wantErr) {
				return
			}
			tt.check(t, p)
		})
	}
}

func TestReadMissing(t *testing.T) {
	dir := t.TempDir()
	_, err := Read(dir)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "package.json")) {
		t.Fatalf("err = %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"ok"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Read(dir)
	if err != nil || p.Name != "ok" {
		t.Fatalf("p=%v err=%v", p, err)
	}
}

// wsTree lays out a project for the workspaces tests: "dir/" makes a
// folder, "dir=name" a folder with a package.json naming name ("" for no
// name), "dir@bad" an unparsable package.json, "file" a file and
// "link->target" a symlink. The expected results were read off npm 11's
// @npmcli/map-workspaces on the same tree.
func wsTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, e := range []string{
		"packages/b=b", "packages/a=a", "packages/skip=skip", "packages/skip/sub=skipsub",
		"packages/nopkg/", "packages/file.txt", "packages/a/node_modules/x=x",
		"packages/node_modules=nm", "packages/.hidden=hidden", "packages/deep=deep",
		"packages/deep/er/c=c", "apps/web=web", "libs/util=util", "libs/@sc/noname=",
		"tools=tools", "other/a=a2", "dup1/p=dup", "dup2/p=dup", "bad@bad",
		"x1=x1", "x2=x2", "x10=x10", "B=bigb", "a=smalla",
		"ext/one=one", "ext/one/two=two",
		"packages/link->../apps/web", "packages/extlink->../ext",
	} {
		p := filepath.Join(dir, filepath.FromSlash(e))
		var err error
		switch {
		case strings.HasSuffix(e, "/"):
			err = os.MkdirAll(p, 0o755)
		case strings.Contains(e, "->"):
			from, to, _ := strings.Cut(e, "->")
			if err = os.MkdirAll(filepath.Dir(filepath.Join(dir, from)), 0o755); err == nil {
				if err = os.Symlink(filepath.FromSlash(to), filepath.Join(dir, filepath.FromSlash(from))); err != nil {
					t.Skipf("no symlinks: %v", err)
				}
			}
		case strings.Contains(e, "=") || strings.Contains(e, "@bad"):
			d, name, ok := strings.Cut(e, "=")
			content := `{}`
			if !ok {
				d, content = strings.TrimSuffix(e, "@bad"), "{oops\n"
			} else if name != "" {
				content = `{"name":"` + name + `"}`
			}
			d = filepath.Join(dir, filepath.FromSlash(d))
			if err = os.MkdirAll(d, 0o755); err == nil {
				err = os.WriteFile(filepath.Join(d, "package.json"), []byte(content), 0o644)
			}
		default:
			if err = os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
				err = os.WriteFile(p, nil, 0o644)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestWorkspacesFolders(t *testing.T) {
	dir := wsTree(t)
	tests := []struct {
		name     string
		patterns Workspaces
		want     string // folders, comma-separated, in npm's order
		wantErr  string
	}{
		{name: "star skips files, folders without package.json, dot folders and node_modules",
			patterns: Workspaces{"packages/*"}, want: "packages/a,packages/b,packages/deep,packages/link,packages/skip"},
		{name: "globstar", patterns: Workspaces{"packages/**"},
			want: "packages/a,packages/b,packages/deep,packages/deep/er/c,packages/link,packages/skip,packages/skip/sub"},
		{name: "braces", patterns: Workspaces{"{apps,libs}/*"}, want: "apps/web,libs/util"},
		{name: "nested braces", patterns: Workspaces{"{x{1,2},B}"}, want: "B,x1,x2"},
		{name: "numeric range", patterns: Workspaces{"x{1..3}"}, want: "x1,x2"},
		{name: "lone brace is literal", patterns: Workspaces{"x{}", "x1{0,}"}, want: "x1,x10"},
		{name: "negation ignores the folder only", patterns: Workspaces{"packages/**", "!packages/skip"},
			want: "packages/a,packages/b,packages/deep,packages/deep/er/c,packages/link,packages/skip/sub"},
		{name: "negation with globstar ignores the subtree", patterns: Workspaces{"packages/**", "!packages/skip/**"},
			want: "packages/a,packages/b,packages/deep,packages/deep/er/c,packages/link"},
		{name: "negation before the pattern", patterns: Workspaces{"!packages/skip", "packages/*"},
			want: "packages/a,packages/b,packages/deep,packages/link"},
		{name: "later pattern revives a negation", patterns: Workspaces{"packages/*", "!packages/skip", "packages/skip"},
			want: "packages/a,packages/b,packages/deep,packages/link,packages/skip"},
		{name: "double bang is no negation", patterns: Workspaces{"packages/*/", "!!packages/skip"},
			want: "packages/a,packages/b,packages/deep,packages/link,packages/skip"},
		{name: "negated brace", patterns: Workspaces{"packages/*", "!packages/{a,b}"}, want: "packages/deep,packages/link,packages/skip"},
		{name: "negation removes a literal pattern", patterns: Workspaces{"!*", "x1"}, want: "x1"},
		// map-workspaces splices while it loops, so the second "!x1" survives
		{name: "npm's splice skip", patterns: Workspaces{"!x1", "!x1", "x1", "x2"}, want: "x2"},
		{name: "./, / and trailing slash; dot folder named literally",
			patterns: Workspaces{"./packages/a/", "/tools", "packages/.hidden"}, want: "packages/a,tools,packages/.hidden"},
		{name: "backslash and repeated slashes", patterns: Workspaces{".//packages/b", `packages\a`}, want: "packages/b,packages/a"},
		{name: "pattern order first, then locale order", patterns: Workspaces{"tools", "packages/a", "apps/*"},
			want: "tools,packages/a,apps/web"},
		{name: "case-insensitive locale order", patterns: Workspaces{"x*", "B", "a"}, want: "x1,x10,x2,B,a"},
		{name: "partial match orders a parent first", patterns: Workspaces{"packages/deep/**/c", "packages/deep"},
			want: "packages/deep,packages/deep/er/c"},
		{name: "classes", patterns: Workspaces{"packages/[ab]", "packages/?kip", "x[[:digit:]]", "x[!2]*"},
			want: "packages/a,packages/b,packages/skip,x1,x2,x10"},
		{name: "unclosed bracket is literal", patterns: Workspaces{"packages/["}},
		{name: "nothing inside node_modules", patterns: Workspaces{"packages/a/node_modules/x", "packages/node_modules", "**/node_modules/*"}},
		{name: "no match", patterns: Workspaces{"missing/*", "nope"}},
		{name: "globstar ends at a symlink", patterns: Workspaces{"packages/**/one"}, want: "packages/extlink/one"},
		{name: "globstar does not pass a symlink", patterns: Workspaces{"packages/**/two"}},
		{name: "globstar below a named symlink", patterns: Workspaces{"packages/extlink/**"},
			want: "packages/extlink/one,packages/extlink/one/two"},
		{name: "leading globstar matches no symlink", patterns: Workspaces{"**/web"}, want: "apps/web"},
		{name: "bad package.json", patterns: Workspaces{"bad"},
			wantErr: `failed to map workspaces: failed to parse "` + filepath.Join(dir, "bad", "package.json")},
		{name: "duplicate names", patterns: Workspaces{"dup*/*"},
			wantErr: "failed to map workspaces: must not have multiple workspaces with the same name\n" +
				`package "dup" has conflicts in the following paths:` + "\n" +
				"    " + strconv.Quote(filepath.Join(dir, "dup1", "p")) + "\n" +
				"    " + strconv.Quote(filepath.Join(dir, "dup2", "p"))},
		{name: "a symlink and its target share a name", patterns: Workspaces{"*/*"},
			wantErr: `package "web" has conflicts in the following paths:`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.patterns.Folders(dir)
			if !checkErr(t, err, tt.wantErr) {
				return
			}
			if g := strings.Join(got, ","); g != tt.want {
				t.Errorf("%q.Folders = %s, want %s", tt.patterns, g, tt.want)
			}
		})
	}
}

func TestWorkspacesMapNames(t *testing.T) {
	dir := wsTree(t)
	got, err := Workspaces{"libs/**", "packages/link"}.Map(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []Workspace{{"@sc/noname", "libs/@sc/noname"}, {"util", "libs/util"}, {"web", "packages/link"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Map = %v, want %v", got, want)
	}
}

// checkErr fails t unless err contains want (or, with want empty, is nil),
// and reports whether the case goes on to check a result.
func checkErr(t *testing.T, err error, want string) bool {
	t.Helper()
	if want != "" {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v, want it to contain %q", err, want)
		}
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}
