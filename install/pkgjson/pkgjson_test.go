package pkgjson

import (
	"os"
	"path/filepath"
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
		{name: "syntax error has position", in: "{\n  \"name\": \"x\",\n  oops\n}", wantErr: `"package.json" (line 3, column 4)`},
		{name: "wrong type", in: `{"dependencies": ["a"]}`, wantErr: `field "dependencies" must not be a array`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.in), "package.json")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
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

func TestWorkspacesFolders(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"packages/b", "packages/a", "apps/web", "tools"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(d)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		patterns Workspaces
		want     []string
	}{
		{Workspaces{"packages/*"}, []string{"packages/a", "packages/b"}},
		{Workspaces{"./apps/*/", "tools"}, []string{"apps/web", "tools"}},
		{Workspaces{"missing/*"}, nil},
	} {
		got, err := c.patterns.Folders(dir)
		if err != nil {
			t.Fatalf("%v: %v", c.patterns, err)
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%v.Folders = %v, want %v", c.patterns, got, c.want)
		}
	}
	if _, err := (Workspaces{"packages/["}).Folders(dir); err == nil {
		t.Error("a malformed pattern gave no error")
	}
}
