package pnpm

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// sameTree compares what the reader looks at: kind, value, line, column.
func sameTree(a, b *yaml.Node, at string) error {
	if a.Kind != b.Kind || a.Value != b.Value || a.Line != b.Line || a.Column != b.Column {
		return fmt.Errorf("%s: fast %v %q %d:%d, yaml.v3 %v %q %d:%d", at, a.Kind, a.Value, a.Line, a.Column, b.Kind, b.Value, b.Line, b.Column)
	}
	if len(a.Content) != len(b.Content) {
		return fmt.Errorf("%s (%q line %d): fast has %d children, yaml.v3 %d", at, a.Value, a.Line, len(a.Content), len(b.Content))
	}
	for i := range a.Content {
		if err := sameTree(a.Content[i], b.Content[i], fmt.Sprintf("%s/%d", at, i)); err != nil {
			return err
		}
	}
	return nil
}

// TestFastParseMatchesYAML checks the fast decoder against yaml.v3 on
// every pnpm lockfile in testdata and on documents at the edge of the
// subset; documents outside it must be refused.
func TestFastParseMatchesYAML(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.yaml")
	more, _ := filepath.Glob("../../testdata/crosscheck/pnpm/*.yaml")
	files = append(files, more...)
	if len(files) == 0 {
		t.Fatal("no testdata")
	}
	cases := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cases[f] = string(b)
	}
	inSubset := map[string]string{
		"quotes":     "a: 'it''s'\nb: \"x y\"\n'@s/c@1.0.0':\n  d: {integrity: 'sha1-x', e: \"f\"}\n",
		"flow":       "cpu: [x64, 'arm64']\nempty: {}\nnone: []\nres: {tarball: https://x.test/a.tgz, integrity: sha512-a==}\n",
		"null":       "a:\nb:\n  c:\n  d: 1\ne: 2\n",
		"seq":        "a:\n- x\n- y\nb:\n  - z\nc: 3\n",
		"comments":   "# top\na: 1 # one\n\n  # indented comment\nb:\n  c: d\n",
		"crlf":       "a: 1\r\nb:\r\n  c: 2\r\n",
		"peers":      "snapshots:\n  debug@4.4.0(supports-color@7.2.0):\n    dependencies:\n      ms: 2.1.3\n  foo@1.0.0: {}\n",
		"negative":   "a: -1\nb: x-y\n",
		"url values": "a: https://x.test:8080/p\n",
	}
	for name, doc := range inSubset {
		cases[name] = doc
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			fast, ok := fastParse([]byte(doc))
			if !ok {
				t.Fatalf("fastParse refused a document in its subset")
			}
			var slow yaml.Node
			if err := yaml.Unmarshal([]byte(doc), &slow); err != nil {
				t.Fatal(err)
			}
			if err := sameTree(fast, &slow, "doc"); err != nil {
				t.Fatal(err)
			}
		})
	}
	refused := map[string]string{
		"anchor":         "a: &x 1\nb: *x\n",
		"block scalar":   "a: |\n  text\n",
		"multi-line":     "a: one\n  two\n",
		"nested flow":    "a: {b: {c: d}}\n",
		"open flow":      "a: {b: c,\n  d: e}\n",
		"escape":         "a: \"x\\ty\"\n",
		"duplicate":      "a: 1\na: 2\n",
		"duplicate deep": "a:\n  b: 1\n  b: 2\n",
		"documents":      "---\na: 1\n---\nb: 2\n",
		"tab":            "a:\n\tb: 1\n",
		"tag":            "a: !!str 1\n",
		"colon value":    "a: b: c\n",
		"bad indent":     "a:\n    b: 1\n  c: 2\n",
		"top sequence":   "- a\n",
	}
	for name, doc := range refused {
		t.Run("refuses "+name, func(t *testing.T) {
			if _, ok := fastParse([]byte(doc)); ok {
				t.Errorf("fastParse accepted %q", doc)
			}
		})
	}
}

// TestFastParseFallback checks that a document outside the subset is still
// read, by the general decoder.
func TestFastParseFallback(t *testing.T) {
	data, err := os.ReadFile("testdata/basic-head.v9.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want, err := Parse(data, "pnpm-lock.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// an anchor-free block scalar comment field takes the document out of
	// the subset without changing what is read
	odd := strings.Replace(string(data), "settings:\n", "x-note: |\n  hand edited\nsettings:\n", 1)
	if _, ok := fastParse([]byte(odd)); ok {
		t.Fatal("the edited document should be outside the subset")
	}
	got, err := Parse([]byte(odd), "pnpm-lock.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Packages) != len(want.Packages) || len(got.Direct) != len(want.Direct) {
		t.Errorf("fallback read %d packages and %d direct, want %d and %d", len(got.Packages), len(got.Direct), len(want.Packages), len(want.Direct))
	}
}

// FuzzFastParse: whatever fastParse accepts, yaml.v3 decodes to the same
// tree.
func FuzzFastParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("a: 'x''y'\nb: {c: d, e: [f]}\nseq:\n- 1\n- '2'\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := fastParse(data)
		if !ok {
			return
		}
		var slow yaml.Node
		if err := yaml.Unmarshal(data, &slow); err != nil {
			t.Fatalf("fastParse accepted a document yaml.v3 rejects: %v", err)
		}
		if err := sameTree(fast, &slow, "doc"); err != nil {
			t.Fatal(err)
		}
	})
}
