package pnpm

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseSynthetic(t *testing.T) {
	doc := `lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      alias:
        specifier: npm:real@^1
        version: real@1.0.0
      ws:
        specifier: workspace:*
        version: link:packages/ws
    devDependencies:
      react-dom:
        specifier: ^18
        version: 18.3.1(react@18.3.1)
packages:
  real@1.0.0:
    resolution: {integrity: sha512-r}
    deprecated: old
  react-dom@18.3.1:
    resolution: {integrity: sha512-d}
  react@18.3.1:
    resolution: {integrity: sha512-x}
  g@https://codeload.github.com/a/g/tar.gz/abc:
    resolution: {tarball: https://codeload.github.com/a/g/tar.gz/abc}
    version: 2.0.0
  gitdep@git+https://github.com/a/b.git#abc:
    resolution: {commit: abc, repo: https://github.com/a/b.git, type: git}
    version: 3.0.0
snapshots:
  real@1.0.0: {}
  react-dom@18.3.1(react@18.3.1):
    dependencies:
      react: 18.3.1
  react@18.3.1: {}
  g@https://codeload.github.com/a/g/tar.gz/abc: {}
  gitdep@git+https://github.com/a/b.git#abc: []
`
	l, err := Parse([]byte(doc), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range l.Packages {
		got[p.ID()] = p.Resolved + "|" + p.Deprecated + "|" + strings.Join(p.Dependencies, ",")
	}
	want := map[string]string{"real@1.0.0": "|old|", "react-dom@18.3.1": "||react", "react@18.3.1": "||",
		"g@2.0.0": "https://codeload.github.com/a/g/tar.gz/abc||"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("packages %v, want %v", got, want)
	}
	if len(l.Warnings) != 1 || !strings.HasPrefix(l.Warnings[0], "p.yaml:36:3: skipped entry") {
		t.Errorf("warnings %q", l.Warnings)
	}
	if d := map[string]string{"real": "prod", "react-dom": "dev"}; len(l.Direct) != 2 || string(l.Direct["real"]) != d["real"] || string(l.Direct["react-dom"]) != d["react-dom"] {
		t.Errorf("direct %v", l.Direct)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"lockfileVersion: '9.0'\npackages:\n  a: [\n", `failed to read "p.yaml": line 3: did not find expected node content`},
		{"lockfileVersion: '5.4'\n", `failed to read "p.yaml": 1:18: unsupported lockfileVersion "5.4"`},
		{"- a\n", `failed to read "p.yaml": 1:1: the document is not a YAML mapping`},
		{"foo: 1\n", `failed to read "p.yaml": 1:1: no lockfileVersion`},
		{"lockfileVersion: '9.0'\npackages: 3\n", `failed to read "p.yaml": 2:11: "packages" is not a mapping`},
	} {
		_, err := Parse([]byte(tc.doc), "p.yaml")
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.doc, err, tc.want)
		}
	}
}
