package lockfile

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse: Parse never panics; errors are "failed to …" lines; a parsed
// lockfile marshals to bytes that parse again and marshal identically.
// Seed corpus: testdata/fuzz/FuzzParse, plus testdata/roundtrip.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "roundtrip", "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"name":"x","lockfileVersion":3,"packages":{"":{"name":"x"},"node_modules/a":{"version":"1.0.0","link":true,"resolved":"../a"}}}`))
	f.Add([]byte(`{"lockfileVersion":2,"packages":{"node_modules/a/node_modules/b":{"version":"1","bin":{"b":"x"},"dependencies":{"c":"*"}}},"dependencies":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		lf, err := Parse(data, "package-lock.json")
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "failed to ") || strings.HasSuffix(msg, "\n") || len(msg) > 8*len(data)+512 {
				t.Errorf("malformed error: %q", msg)
			}
			return
		}
		out := lf.Marshal()
		lf2, err := Parse(out, "package-lock.json")
		if err != nil {
			t.Fatalf("Marshal output does not parse: %v\n%s", err, out)
		}
		if out2 := lf2.Marshal(); !bytes.Equal(out, out2) {
			t.Errorf("Marshal is not stable:\n%s\n---\n%s", out, out2)
		}
		for k := range lf.Packages {
			_ = lf.RealName(k)
			_, _ = lf.LinkTarget(k)
			_, _ = lf.Resolve(k, "x")
		}
	})
}

// fuzzBytes hands out the fuzzer's bytes as choices (zero when used up).
type fuzzBytes struct{ b []byte }

func (s *fuzzBytes) next() byte {
	if len(s.b) == 0 {
		return 0
	}
	c := s.b[0]
	s.b = s.b[1:]
	return c
}

func (s *fuzzBytes) flag() bool { return s.next()&1 == 1 }

// fuzzWords are keys and values that hit the ordering rules: integer-like
// keys, "__proto__", swKeyOrder's keys, known field names, case and accent
// pairs, ignorable and punctuation characters.
var fuzzWords = append([]string{
	"", "0", "1", "2", "10", "01", "-1", "4294967294", "4294967295", "__proto__",
	"é", "É", "e", "E", "Z", "z", "a", "A", "_x", "-x", "a-b", "a_b", "ab", "aB", "a.b", "a\x01b", "\x7f",
	"lockfileVersion", "requires", "packages", "node_modules/a", "node_modules/@s/b", "x\ny\"\\", "\u2028", "😀",
}, fieldNames[:]...)

func (s *fuzzBytes) word() string {
	c := s.next()
	if c >= 240 {
		// Raw bytes from the input, maybe not UTF-8.
		n := int(c - 240)
		if n > len(s.b) {
			n = len(s.b)
		}
		w := string(s.b[:n])
		s.b = s.b[n:]
		return w
	}
	return fuzzWords[int(c)%len(fuzzWords)]
}

func (s *fuzzBytes) strings() []string {
	if s.flag() {
		return nil
	}
	out := []string{}
	for range s.next() % 4 {
		out = append(out, s.word())
	}
	return out
}

func (s *fuzzBytes) stringMap() map[string]string {
	if s.flag() {
		return nil
	}
	m := map[string]string{}
	for range s.next() % 6 {
		m[s.word()] = s.word()
	}
	return m
}

// value is a JSON value of the kinds the encoder takes.
func (s *fuzzBytes) value(depth int) any {
	switch s.next() % 11 {
	case 0:
		return nil
	case 1:
		return s.flag()
	case 2:
		return json.Number([]string{"0", "-0", "1.50", "1e21", "3"}[s.next()%5])
	case 3:
		return int(s.next())
	case 4:
		if depth < 3 {
			var a []any
			for range s.next() % 3 {
				a = append(a, s.value(depth+1))
			}
			return a
		}
	case 5:
		return s.strings()
	case 6:
		if depth < 3 {
			m := map[string]any{}
			for range s.next() % 4 {
				m[s.word()] = s.value(depth + 1)
			}
			return m
		}
	case 7:
		return s.stringMap()
	}
	return s.word()
}

func (s *fuzzBytes) extra() map[string]any {
	if s.next()%3 != 0 {
		return nil
	}
	m := map[string]any{}
	for range s.next() % 4 {
		m[s.word()] = s.value(1)
	}
	return m
}

func (s *fuzzBytes) str() string {
	if s.flag() {
		return ""
	}
	return s.word()
}

// pkg is an entry with a random subset of fields.
func (s *fuzzBytes) pkg() *Package {
	if s.next() == 255 {
		return nil
	}
	p := &Package{
		Name: s.str(), Version: s.str(), Resolved: s.str(), Integrity: s.str(),
		License: s.str(), Deprecated: s.str(),
	}
	flags := uint16(s.next()) | uint16(s.next())<<8
	for i, b := range []*bool{&p.Link, &p.Dev, &p.Optional, &p.DevOptional, &p.Peer, &p.Extraneous, &p.InBundle, &p.HasInstallScript, &p.HasShrinkwrap} {
		*b = flags&(1<<i) != 0
	}
	for _, m := range []*map[string]string{&p.Dependencies, &p.DevDependencies, &p.OptionalDependencies, &p.PeerDependencies, &p.AcceptDependencies, &p.Bin, &p.Engines} {
		*m = s.stringMap()
	}
	if !s.flag() {
		p.PeerDependenciesMeta = map[string]PeerMeta{}
		for range s.next() % 3 {
			p.PeerDependenciesMeta[s.word()] = PeerMeta{Optional: s.flag()}
		}
	}
	for _, a := range []*[]string{&p.OS, &p.CPU, &p.Libc, &p.BundleDependencies} {
		*a = s.strings()
	}
	if s.flag() {
		p.Funding = s.value(1)
	}
	if s.flag() {
		p.Workspaces = s.value(1)
	}
	p.Extra = s.extra()
	return p
}

// FuzzMarshalDirect: Marshal (the direct encoder) writes what the generic
// path (toMap, then stringify) writes, for lockfiles with random field
// subsets, Extra keys, map contents and formats.
func FuzzMarshalDirect(f *testing.F) {
	f.Add([]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a"))
	f.Add([]byte("\x03\x05\x07\x00\x00\x02\x03\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff"))
	f.Add([]byte("\x02\x01\x00\x09\x08\x07\x06\x05\x04\x03\x02\x01\x00\xf3abc\xf2\xc3\xa9\x00\x00\x00"))
	f.Add(bytes.Repeat([]byte("\x01\x00\x02\x03\x09\x0b"), 40))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &fuzzBytes{b: data}
		fm := formats[int(s.next())%len(formats)]
		l := &Lockfile{
			Name: s.str(), Version: s.str(), LockfileVersion: int(s.next() % 4), Requires: s.flag(),
			Extra: s.extra(), Indent: fm.indent, Newline: fm.newline,
		}
		if s.flag() {
			l.Dependencies = s.value(1)
		}
		if !s.flag() {
			l.Packages = map[string]*Package{}
			for range s.next() % 8 {
				l.Packages[s.word()] = s.pkg()
			}
		}
		got, want := l.Marshal(), marshalGeneric(l)
		if !bytes.Equal(got, want) {
			t.Fatalf("Marshal differs from the generic path %s\ngot:\n%s\nwant:\n%s", firstDiff(got, want), got, want)
		}
	})
}

// FuzzHiddenEntryTyped: for entries without Extra keys, the typed hidden
// entry equals the one built through the generic object.
func FuzzHiddenEntryTyped(f *testing.F) {
	f.Add([]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a"), "node_modules/a", false)
	f.Add(bytes.Repeat([]byte("\x01\x00\x02\x03\x09\x0b"), 40), "packages/w", true)
	f.Fuzz(func(t *testing.T, data []byte, key string, registryDep bool) {
		p := (&fuzzBytes{b: data}).pkg()
		if p == nil || p.Link {
			return
		}
		p.Extra = nil
		got, want := hiddenEntryTyped(key, p, registryDep), hiddenEntryGeneric(key, p, registryDep)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("typed hidden entry differs:\ngot  %#v\nwant %#v", got, want)
		}
	})
}
