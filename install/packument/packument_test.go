package packument

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/internal/nodetext"
)

func TestDecodeFields(t *testing.T) {
	doc := `{
	  "_id": "@s/x", "name": "@s/x", "readme": "long text",
	  "dist-tags": {"latest": "1.0.0", "weird": 5},
	  "versions": {
	    "1.0.0": {
	      "name": "@s/x", "version": "1.0.0", "description": "d",
	      "dependencies": {"a": "^1", "b": "~2.0.0"},
	      "devDependencies": {"jest": "*"},
	      "optionalDependencies": {"fsevents": "^2"},
	      "peerDependencies": {"react": ">=18"},
	      "peerDependenciesMeta": {"react": {"optional": true}, "vue": {}},
	      "bundleDependencies": ["a"],
	      "bin": "./cli.js",
	      "engines": {"node": ">=18", "weird": 1},
	      "os": ["linux", "!win32"], "cpu": "x64", "libc": ["glibc"],
	      "scripts": {"test": "jest", "postinstall": "node x.js"},
	      "license": {"type": "MIT", "url": "u"},
	      "funding": "https://f.example",
	      "_hasShrinkwrap": true,
	      "dist": {"tarball": "https://r/x.tgz", "integrity": "sha512-abc", "shasum": "0a", "fileCount": 3}
	    },
	    "0.1.0": {
	      "name": "@s/x", "version": "0.1.0",
	      "dependencies": {"a": "^1", "bad": 7},
	      "bundledDependencies": true,
	      "bin": ["bin/one", "./two/"],
	      "engines": ["node >=0.4"],
	      "deprecated": "use 1.x",
	      "hasInstallScript": true, "gypfile": false,
	      "license": "ISC",
	      "dist": {"tarball": "https://r/x-0.1.0.tgz", "shasum": "0b"}
	    }
	  },
	  "time": {"created": "2020-01-01T00:00:00.000Z", "modified": "2021-01-01T00:00:00.000Z",
	           "1.0.0": "2020-06-01T12:00:00.000Z", "unpublished": {"time": "x"}}
	}`
	p, err := Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "@s/x" || !p.HasTime || !reflect.DeepEqual(p.DistTags, map[string]string{"latest": "1.0.0"}) {
		t.Errorf("top level: %+v", p)
	}
	if got := []string{p.Versions[0].Version, p.Versions[1].Version}; !reflect.DeepEqual(got, []string{"1.0.0", "0.1.0"}) {
		t.Errorf("order = %v, want document order", got)
	}
	if !p.Created.Equal(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)) || !p.Modified.Equal(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("created/modified = %v %v", p.Created, p.Modified)
	}
	want1 := &Manifest{
		Name:                 "@s/x",
		Dependencies:         map[string]string{"a": "^1", "b": "~2.0.0"},
		OptionalDependencies: map[string]string{"fsevents": "^2"},
		DevDependencies:      map[string]string{"jest": "*"},
		PeerDependencies:     map[string]string{"react": ">=18"},
		PeerDependenciesMeta: map[string]PeerMeta{"react": {Optional: true}, "vue": {}},
		BundleDependencies:   []string{"a"},
		Bin:                  map[string]string{"x": "cli.js"},
		Engines:              map[string]string{"node": ">=18"},
		OS:                   []string{"linux", "!win32"}, CPU: []string{"x64"}, Libc: []string{"glibc"},
		PlatformStrings:  2, // "cpu": "x64"
		Dist:             Dist{Tarball: "https://r/x.tgz", Integrity: "sha512-abc", Shasum: "0a"},
		HasInstallScript: true,
		License:          "MIT",
		Funding:          `"https://f.example"`,
		HasShrinkwrap:    true,
		EnginesRaw:       `{"node":"\u003e=18","weird":1}`,
	}
	sum1 := Summary{Version: "1.0.0", Published: time.Date(2020, 6, 1, 12, 0, 0, 0, time.UTC), EngineNode: ">=18"}
	if got := p.Version("1.0.0"); got.Summary != sum1 || !reflect.DeepEqual(got.Manifest(), want1) {
		t.Errorf("1.0.0 =\n%+v %+v\nwant\n%+v %+v", got.Summary, got.Manifest(), sum1, want1)
	}
	want0 := &Manifest{
		Name:               "@s/x",
		Dependencies:       map[string]string{"a": "^1"},
		BundleDependencies: []string{"a"},
		Bin:                map[string]string{"one": "bin/one", "two": "two/"},
		Dist:               Dist{Tarball: "https://r/x-0.1.0.tgz", Shasum: "0b"},
		HasInstallScript:   true,
		Gypfile:            -1,
		License:            "ISC",
		EnginesRaw:         `["node \u003e=0.4"]`,
	}
	sum0 := Summary{Version: "0.1.0", Deprecated: "use 1.x"}
	if got := p.Version("0.1.0"); got.Summary != sum0 || !reflect.DeepEqual(got.Manifest(), want0) {
		t.Errorf("0.1.0 =\n%+v %+v\nwant\n%+v %+v", got.Summary, got.Manifest(), sum0, want0)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, doc := range []string{"", "<html>nope</html>", "[1,2]", `{"name":"x","versions":[1]}`, `{"error":"not_found"}`, `{"name":"x","versions":{"1.0.0":{}`} {
		_, err := Decode([]byte(doc))
		if !errors.Is(err, ErrNotPackument) {
			t.Errorf("Decode(%q) = %v, want ErrNotPackument", doc, err)
		}
	}
	// A registry document without versions (fully unpublished) decodes.
	p, err := Decode([]byte(`{"name":"x","time":{"unpublished":{}}}`))
	if err != nil || len(p.Versions) != 0 {
		t.Errorf("unpublished: %v %v", p, err)
	}
}

// TestDecodeSharesNoMemory checks that decoded strings do not alias the
// input (the cache and the pool reuse buffers).
func TestDecodeSharesNoMemory(t *testing.T) {
	doc := []byte(synthDoc("pkg", map[string]string{"latest": "1.0.0"}, []synthVersion{{Version: "1.0.0", Deprecated: "gone"}}, true))
	p := mustDecode(t, doc)
	for i := range doc {
		doc[i] = 'X'
	}
	v := p.Version("1.0.0")
	if p.Name != "pkg" || v == nil || v.Deprecated != "gone" || p.DistTags["latest"] != "1.0.0" || v.Manifest().Dist.Tarball != "https://r/pkg-1.0.0.tgz" {
		t.Errorf("decoded values changed with the input: %+v %+v", p, v)
	}
}

// TestBinDifferential checks bin normalization against the real
// npm-normalize-package-bin.
func TestBinDifferential(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	const mod = "/usr/lib/node_modules/npm/node_modules/npm-normalize-package-bin"
	if _, err := os.Stat(mod); err != nil {
		t.Skip("npm-normalize-package-bin not installed")
	}
	bins := []any{
		"./cli.js", "cli.js", "", "../../etc/passwd", `bin\win.js`, "/abs/x.js", "a/./b/../c.js", "dir/",
		[]any{"bin/a", "./b.js", "../c", ""},
		map[string]any{"a": "./a.js", "./b": "b.js", "c:d": "x", `e\f`: "y", "": "z", "..": "w", ".": "v", "g": 1, "h": "", "i": "/", "j": "../../k"},
		map[string]any{"dup/x": "1.js", "other/x": "2.js"},
		map[string]any{}, 7, true,
	}
	names := []string{"pkg", "@scope/pkg", ""}
	type tc struct {
		Name string `json:"name,omitempty"`
		Bin  any    `json:"bin"`
	}
	var cases []tc
	for _, b := range bins {
		for _, n := range names {
			cases = append(cases, tc{Name: n, Bin: b})
		}
	}
	dir := t.TempDir()
	in, _ := json.Marshal(cases)
	if err := os.WriteFile(filepath.Join(dir, "in.json"), in, 0o644); err != nil {
		t.Fatal(err)
	}
	script := `const n = require(process.argv[1]); const cs = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
process.stdout.write(JSON.stringify(cs.map(c => { const r = n({...c}); return r.bin || null })))`
	cmd := exec.Command(node, "-e", script, mod, filepath.Join(dir, "in.json"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v: %s", err, stderr.String())
	}
	var want []map[string]string
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		in := newInterner()
		raw := binMap(c.Bin, in)
		var got map[string]string
		if raw != nil {
			got = normalizeBin(raw, c.Name)
		}
		w := want[i]
		if len(w) == 0 {
			w = nil
		}
		// Duplicate base names depend on key order, which npm takes from
		// the document and Go does not keep: compare keys only there.
		if c.Bin != nil && reflect.DeepEqual(c.Bin, bins[10]) {
			if len(got) != len(w) {
				t.Errorf("bin %v name %q: got %v, npm %v", c.Bin, c.Name, got, w)
			}
			continue
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("bin %#v name %q: got %v, npm %v", c.Bin, c.Name, got, w)
		}
	}
}

// TestLazyMatchesEager checks that a manifest decoded later from the kept
// fields equals the one decoded from the whole version object, for every
// version of the documents in testdata and in $LOCKSTEP_PACKUMENT_DIR
// (real registry documents).
func TestLazyMatchesEager(t *testing.T) {
	docs, _ := filepath.Glob("testdata/docs/*.json")
	if dir := os.Getenv("LOCKSTEP_PACKUMENT_DIR"); dir != "" {
		more, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		docs = append(docs, more...)
	}
	if len(docs) == 0 {
		t.Fatal("no documents in testdata/docs")
	}
	versions := 0
	for _, f := range docs {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var doc struct {
			Versions map[string]json.RawMessage `json:"versions"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for key, raw := range doc.Versions {
			versions++
			v := p.Version(key)
			if v == nil {
				t.Fatalf("%s: version %q missing", f, key)
			}
			if len(raw) == 0 || raw[0] != '{' {
				continue
			}
			want, dep := eagerManifest(raw, p.Name)
			if got := v.Manifest(); !reflect.DeepEqual(got, want) {
				t.Errorf("%s@%s: lazy manifest\n%+v\nwant\n%+v", p.Name, key, got, want)
			}
			if v.Deprecated != dep || v.EngineNode != want.Engines["node"] || v.EngineNPM != want.Engines["npm"] {
				t.Errorf("%s@%s: summary %+v, want deprecated %q engines %v", p.Name, key, v.Summary, dep, want.Engines)
			}
			// A version made from its manifest writes fields that decode
			// to the same manifest (the cache stores those).
			fields, _ := NewVersion(v.Summary, want).Fields()
			if got := decodeFields(fields, p.Name); !reflect.DeepEqual(got, want) {
				t.Errorf("%s@%s: manifest written back as fields\n%+v\nwant\n%+v", p.Name, key, got, want)
			}
		}
	}
	t.Logf("%d documents, %d versions", len(docs), versions)
}

// FuzzDecode checks the scanner against encoding/json: it takes for JSON
// exactly what Valid does, and on any document both accept, the versions are the document's, with the same
// manifests as decoding each whole version object; nothing panics.
func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/docs/*.json")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"name":"a","versions":{"1.0.0":{"name":"a\"b","dist":{"tarball":"t\\"}},"1.0.0":{}}}`))
	f.Add([]byte(`{"versions":{"2":{"dependencies":{"x":"1"},"scripts":{"install":"\\\\"}}},"time":{"2":"2020-01-01T00:00:00Z"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, _, err := scanDoc(string(data)); (err == errNotJSON) != !json.Valid(data) {
			t.Fatalf("scanDoc: %v, but encoding/json's Valid says %v", err, json.Valid(data))
		}
		p, err := Decode(data)
		var top map[string]json.RawMessage
		var std struct{ Versions map[string]json.RawMessage }
		// Decode reads the text as Node decodes the body: invalid UTF-8
		// in what is kept becomes U+FFFD (json.RawMessage keeps raw bytes).
		stdErr := json.Unmarshal(nodetext.Decode(data), &top)
		if stdErr == nil && top["versions"] != nil {
			stdErr = json.Unmarshal(top["versions"], &std.Versions)
		}
		if err != nil {
			return
		}
		if stdErr != nil {
			// encoding/json is stricter (types, UTF-8); nothing to
			// compare.
			return
		}
		if len(p.Versions) != len(std.Versions) {
			t.Fatalf("%d versions, encoding/json sees %d", len(p.Versions), len(std.Versions))
		}
		for _, v := range p.Versions {
			raw, ok := std.Versions[v.Version]
			if !ok {
				t.Fatalf("version %q not in the document", v.Version)
			}
			if len(raw) == 0 || raw[0] != '{' || foldedKeys(raw) {
				continue
			}
			want, _ := eagerManifest(raw, p.Name)
			if got := v.Manifest(); !reflect.DeepEqual(got, want) {
				t.Fatalf("%q: manifest\n%+v\nwant\n%+v", v.Version, got, want)
			}
		}
	})
}

// foldedKeys reports keys of a version (or of its dist or scripts) that
// Go's struct decoding, which decodeVersion uses, reads unlike JSON.parse
// and the scanner: one that differs only in case from a key Decode reads
// ("Dist", "shAsum"), or a repeated one (Go merges repeated objects).
func foldedKeys(raw []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	known := []string{"dist", "scripts", "deprecated", "tarball", "integrity", "shasum", "preinstall", "install", "postinstall"}
	for k := FieldName; k < fieldEnd; k++ {
		known = append(known, fieldKeys[k])
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		k, _ := tok.(string)
		if seen[k] {
			return true
		}
		seen[k] = true
		for _, want := range known {
			if k != want && strings.EqualFold(k, want) {
				return true
			}
		}
		var v json.RawMessage
		if dec.Decode(&v) != nil {
			return false
		}
		if (k == "dist" || k == "scripts") && foldedKeys(v) {
			return true
		}
	}
	return false
}

// eagerManifest decodes a whole version object at once, as Decode did
// before manifests became lazy: the reference the lazy ones must equal.
func eagerManifest(raw []byte, pkgName string) (*Manifest, string) {
	m, dep := decodeVersion(string(raw), newInterner())
	if m.Name == "" {
		m.Name = pkgName
	}
	if m.Bin != nil {
		m.Bin = normalizeBin(m.Bin, m.Name)
	}
	return m, dep
}
