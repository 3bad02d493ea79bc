package lockfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// marshalGeneric is the generic path Marshal replaced: the lockfile as a
// map tree, written by stringify. It is the oracle of the direct encoder.
func marshalGeneric(l *Lockfile) []byte {
	return stringify(l.toMap(), l.Indent, l.Newline, 0)
}

// formats are the Indent/Newline settings the differential tests write
// with: defaults, tab, four spaces, CRLF, a gap holding a newline (which
// DetectFormat can return for "{\n \n..."), one over ten characters (which
// JSON.stringify truncates), and none at all after a newline.
var formats = []struct{ indent, newline string }{
	{"", ""},
	{"\t", "\n"},
	{"    ", "\n"},
	{"  ", "\r\n"},
	{"\t", "\r\n"},
	{"    ", "\r\n"},
	{" \n", "\r\n"},
	{" \r\n ", "\n\n"},
	{"            ", "\n"},
	{"\u3000\u3000", "\r\n\r\n"},
}

// differentialLockfiles returns every lockfile the tests can find: this
// package's testdata, install/testdata, examples/*/package-lock.json and
// shared/fixtures/*/package-lock.json (each where present).
func differentialLockfiles(t *testing.T) map[string]*Lockfile {
	t.Helper()
	var files []string
	walk := func(root string) {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(p, ".json") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
	}
	walk("testdata")
	walk(filepath.Join("..", "testdata"))
	for _, pat := range []string{
		filepath.Join("..", "..", "examples", "*", "package-lock.json"),
		filepath.Join("..", "..", "..", "shared", "fixtures", "*", "package-lock.json"),
	} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	for _, fx := range []string{"small", "medium", "large"} {
		if p := findSharedFixture(fx); p != "" && !slices.Contains(files, p) {
			files = append(files, p)
		}
	}
	seen := map[string]bool{}
	out := map[string]*Lockfile{}
	for _, p := range files {
		if abs, err := filepath.Abs(p); err == nil {
			if seen[abs] {
				continue
			}
			seen[abs] = true
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if json.Unmarshal(data, &doc) != nil || doc["packages"] == nil {
			continue // not a lockfile (package.json, hidden.json of v1...)
		}
		l, err := Parse(data, p)
		if err != nil {
			continue
		}
		out[p] = l
	}
	return out
}

// findSharedFixture is sharedFixture without skipping: "" when absent.
func findSharedFixture(name string) string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, "shared", "fixtures", name, "package-lock.json")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// TestMarshalMatchesGeneric: Marshal writes exactly what the generic path
// writes, for every lockfile found, its hidden lockfiles (all entries, and
// a keep func dropping some) and every format.
func TestMarshalMatchesGeneric(t *testing.T) {
	locks := differentialLockfiles(t)
	if len(locks) < 10 {
		t.Fatalf("found %d lockfiles, want at least 10", len(locks))
	}
	large := 0
	for p, l := range locks {
		if len(l.Packages) > 1000 {
			large++
		}
		n := 0
		dropSome := func(key string) bool {
			n++
			return n%3 != 0 && !strings.Contains(key, "@")
		}
		variants := map[string]*Lockfile{
			"lock":             l,
			"hidden":           l.Hidden(nil, HiddenOptions{}),
			"hidden-omit":      l.Hidden(nil, HiddenOptions{OmitLockfileRegistryResolved: true}),
			"hidden-some":      l.Hidden(dropSome, HiddenOptions{OmitLockfileRegistryResolved: true, LegacyPeerDeps: true}),
			"hidden-none-kept": l.Hidden(func(string) bool { return false }, HiddenOptions{}),
		}
		for name, v := range variants {
			for _, f := range formats {
				c := *v
				c.Indent, c.Newline = f.indent, f.newline
				got, want := c.Marshal(), marshalGeneric(&c)
				if !bytes.Equal(got, want) {
					t.Errorf("%s %s indent %q newline %q: Marshal differs from the generic path %s", p, name, f.indent, f.newline, firstDiff(got, want))
				}
			}
		}
	}
	t.Logf("%d lockfiles, %d with over 1000 packages", len(locks), large)
}

// TestMarshalEdgeCases: hand-built lockfiles whose Extra maps and values
// exercise every ordering rule.
func TestMarshalEdgeCases(t *testing.T) {
	obj := map[string]any{"b": "1", "a": map[string]any{}}
	tests := []struct {
		name string
		l    *Lockfile
	}{
		{"empty", &Lockfile{}},
		{"nil packages entry", &Lockfile{Packages: map[string]*Package{"a": nil, "": {}}}},
		{"top extra overridden", &Lockfile{
			Name: "n", LockfileVersion: 3, Requires: true, Packages: map[string]*Package{},
			Extra: map[string]any{"name": map[string]any{}, "packages": "x", "requires": false, "zzz": obj, "0": 1, "__proto__": 1, "É": true},
		}},
		{"top extra packages", &Lockfile{Extra: map[string]any{"packages": map[string]any{"x": map[string]any{}}, "dependencies": "d"}}},
		{"dependencies scalar", &Lockfile{Dependencies: "s", Packages: map[string]*Package{}}},
		{"dependencies typed nil map", &Lockfile{Dependencies: map[string]any(nil)}},
		{"package keys", &Lockfile{Packages: map[string]*Package{
			"": {}, "0": {}, "10": {}, "2": {}, "01": {}, "__proto__": {}, "name": {}, "packages": {}, "version": {},
			"node_modules/b": {}, "node_modules/B": {}, "node_modules/a-b": {}, "node_modules/a_b": {}, "node_modules/ab": {},
			"node_modules/@s/x": {}, "node_modules/a\x01b": {}, "node_modules/a.b": {}, "4294967295": {}, "4294967294": {},
		}}},
		{"non-ASCII package key", &Lockfile{Packages: map[string]*Package{
			"node_modules/é": {}, "node_modules/e": {}, "node_modules/f": {}, "node_modules/E": {}, "node_modules/z": {},
		}}},
		{"every field", &Lockfile{Packages: map[string]*Package{"node_modules/x": {
			Name: "x", Version: "1", Resolved: "r", Integrity: "i", License: "MIT", Deprecated: "d",
			Link: true, Dev: true, Optional: true, DevOptional: true, Peer: true, Extraneous: true,
			InBundle: true, HasInstallScript: true, HasShrinkwrap: true,
			Dependencies:    map[string]string{"b": "1", "a": "2", "A": "3", "é": "4", "0": "5", "__proto__": "6", "version": "7", "name": "8"},
			DevDependencies: map[string]string{}, OptionalDependencies: map[string]string{"__proto__": "x"},
			PeerDependencies: map[string]string{"p": "1"}, AcceptDependencies: map[string]string{"q": "1"},
			PeerDependenciesMeta: map[string]PeerMeta{"p": {Optional: true}, "o": {}, "10": {Optional: true}},
			Bin:                  map[string]string{"x": "bin/x"}, Engines: map[string]string{"node": ">=1"},
			OS: []string{"linux", "!win32"}, CPU: []string{}, Libc: []string{"glibc"},
			BundleDependencies: []string{"b"},
			Funding:            map[string]any{"url": "u"}, Workspaces: []any{"packages/*"},
		}}}},
		{"scalar funding, object workspaces", &Lockfile{Packages: map[string]*Package{"a": {
			Funding: "https://x", Workspaces: map[string]any{"packages": []any{"a"}}, Version: "1",
		}}}},
		{"known extra keys", &Lockfile{Packages: map[string]*Package{"a": {
			Version: "1",
			Extra: map[string]any{"license": map[string]any{"type": "MIT"}, "engines": []any{"node"}, "dev": false,
				"version": "shadowed", "deprecated": "", "os": nil, "bin": map[string]string{"z": "1", "y": "2"}},
		}}}},
		{"unknown extra keys", &Lockfile{Packages: map[string]*Package{"a": {
			Version: "1", Dependencies: map[string]string{"x": "1"},
			Extra: map[string]any{"0": "zero", "10": obj, "__proto__": 1, "é": "e", "Z": map[string]any{}, "a": []any{}, "_x": nil,
				"dependencies": "shadowed", "engines": []any{}},
		}}}},
		{"unknown extra object only", &Lockfile{Packages: map[string]*Package{"a": {Extra: map[string]any{"zz": obj}}}}},
		{"proto only", &Lockfile{Packages: map[string]*Package{"a": {Extra: map[string]any{"__proto__": obj}}}}},
	}
	for _, tt := range tests {
		for _, f := range formats {
			l := *tt.l
			l.Indent, l.Newline = f.indent, f.newline
			got, want := l.Marshal(), marshalGeneric(&l)
			if !bytes.Equal(got, want) {
				t.Errorf("%s indent %q newline %q: Marshal differs from the generic path %s\ngot:\n%s\nwant:\n%s", tt.name, f.indent, f.newline, firstDiff(got, want), got, want)
			}
		}
	}
}

// TestFieldNamesMatchToMap: the direct encoder knows exactly the keys
// Package.toMap writes, so a field added to one is noticed in the other.
func TestFieldNamesMatchToMap(t *testing.T) {
	p := &Package{
		Name: "x", Version: "1", Resolved: "r", Integrity: "i", License: "MIT", Deprecated: "d",
		Link: true, Dev: true, Optional: true, DevOptional: true, Peer: true, Extraneous: true,
		InBundle: true, HasInstallScript: true, HasShrinkwrap: true,
		Dependencies: map[string]string{}, DevDependencies: map[string]string{}, OptionalDependencies: map[string]string{},
		PeerDependencies: map[string]string{}, AcceptDependencies: map[string]string{},
		PeerDependenciesMeta: map[string]PeerMeta{}, Bin: map[string]string{}, Engines: map[string]string{},
		OS: []string{}, CPU: []string{}, Libc: []string{}, BundleDependencies: []string{},
		Funding: "f", Workspaces: "w",
	}
	var got []string
	for k := range p.toMap() {
		got = append(got, k)
	}
	want := slices.Clone(fieldNames[:])
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("toMap keys %q, fieldNames %q", got, want)
	}
	var st [numFields]uint8
	p.typedStates(&st)
	for f, x := range st {
		if x&stPresent == 0 {
			t.Errorf("typedStates misses %q", fieldNames[f])
		}
	}
	if len(fieldOrder()) != 2*int(numFields) {
		t.Errorf("fieldOrder has %d slots, want %d", len(fieldOrder()), 2*numFields)
	}
}

// TestASCIICompare: asciiTable.compare orders ASCII strings as the
// asciiKeys sortedKeys builds.
func TestASCIICompare(t *testing.T) {
	var words []string
	for c := 0; c < 128; c++ {
		ch := string(rune(c))
		words = append(words, ch, "a"+ch, ch+"a", "a"+ch+"b", "A"+ch+"B", "node_modules/"+ch+"x")
	}
	words = append(words, "", "ab", "Ab", "aB", "AB", "a-b", "a_b", "a.b", "a b", "a\x00b", "\x01", "\x01\x02", "@s/x", "a/b")
	ks := newKeySorter()
	t1 := asciiCollation()
	sign := func(n int) int { return min(max(n, -1), 1) }
	for _, a := range words {
		for _, b := range words {
			got, want := sign(t1.compare(a, b)), bytes.Compare(ks.asciiKey(a), ks.asciiKey(b))
			if got != want {
				t.Fatalf("compare(%q, %q) = %d, asciiKey comparison %d", a, b, got, want)
			}
		}
	}
}

// TestSizeEstimate: for real lockfiles the buffer Marshal sizes up front
// holds the whole output (one allocation) without wasting much.
func TestSizeEstimate(t *testing.T) {
	checked := 0
	for p, l := range differentialLockfiles(t) {
		if len(l.Packages) < 100 {
			continue
		}
		for _, v := range []*Lockfile{l, l.Hidden(nil, HiddenOptions{OmitLockfileRegistryResolved: true})} {
			for _, f := range formats[:6] {
				c := *v
				c.Indent, c.Newline = f.indent, f.newline
				out := c.Marshal()
				gap, nl := jsGap(f.indent), f.newline
				if f.indent == "" {
					gap = "  "
				}
				if nl == "" {
					nl = "\n"
				}
				est := c.sizeEstimate(len(gap), len(nl))
				if est < len(out) || est > len(out)*5/4 {
					t.Errorf("%s indent %q newline %q: estimate %d for %d bytes", p, f.indent, f.newline, est, len(out))
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Skip("no lockfile with 100 packages or more")
	}
}

// TestMarshalConcurrent: Marshal only reads the Lockfile and the shared
// tables (run with -race), and concurrent calls agree.
func TestMarshalConcurrent(t *testing.T) {
	l, err := ReadFile(filepath.Join("testdata", "roundtrip", "funding-arrays.v3.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := marshalGeneric(l)
	outs := make([][]byte, 4)
	done := make(chan int)
	for i := range outs {
		go func() {
			outs[i] = l.Marshal()
			done <- i
		}()
	}
	for range outs {
		<-done
	}
	for i, got := range outs {
		if !bytes.Equal(got, want) {
			t.Errorf("goroutine %d: Marshal differs from the generic path %s", i, firstDiff(got, want))
		}
	}
}
