package lockfile

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Each testdata/hidden/<case> holds what real `npm ci --ignore-scripts`
// (npm 11.19.1) did to a project: package-lock.json and package.json (or
// those of testdata/hidden/small), npmrc (the settings in force),
// installed.txt (the lock keys found on disk afterwards, listed from the
// node_modules tree, not from the hidden lockfile) and hidden.json (the
// node_modules/.package-lock.json npm wrote).
func TestHiddenMatchesNpm(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/hidden/*")
	if len(dirs) == 0 {
		t.Fatal("no testdata/hidden cases")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			lockPath := filepath.Join(dir, PackageLock)
			pkgPath := filepath.Join(dir, "package.json")
			if _, err := os.Stat(lockPath); err != nil {
				lockPath = filepath.Join("testdata/hidden/small", PackageLock)
				pkgPath = filepath.Join("testdata/hidden/small", "package.json")
			}
			l, err := ReadFile(lockPath)
			if err != nil {
				t.Fatal(err)
			}
			pkgJSON, err := os.ReadFile(pkgPath)
			if err != nil {
				t.Fatal(err)
			}
			installed := readLines(t, filepath.Join(dir, "installed.txt"))
			rc := readNpmrc(t, filepath.Join(dir, "npmrc"))
			opts := HiddenOptions{
				OmitLockfileRegistryResolved: rc["omit-lockfile-registry-resolved"] == "true",
				LegacyPeerDeps:               rc["legacy-peer-deps"] == "true",
			}
			opts.Indent, opts.Newline = DetectFormat(pkgJSON)
			want, err := os.ReadFile(filepath.Join(dir, "hidden.json"))
			if err != nil {
				t.Fatal(err)
			}
			h := l.Hidden(func(key string) bool { return installed[key] }, opts)
			if got := h.Marshal(); !bytes.Equal(got, want) {
				t.Fatalf("Hidden().Marshal() differs from npm's %s", firstDiff(got, want))
			}
			if h.Packages[""] != nil || h.LockfileVersion != 3 || h.Dependencies != nil {
				t.Errorf("hidden lockfile keeps root entry, version %d or legacy dependencies", h.LockfileVersion)
			}
			if l.Packages[""] == nil {
				t.Error("Hidden changed its receiver")
			}
		})
	}
}

func readLines(t *testing.T, path string) map[string]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			out[s] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func readNpmrc(t *testing.T, path string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for line := range readLines(t, path) {
		k, v, _ := strings.Cut(line, "=")
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out
}

// TestHiddenEntries checks single rules of Hidden on a hand-made lockfile.
func TestHiddenEntries(t *testing.T) {
	l := mustParseFile(t, "testdata/roundtrip/funding-arrays.v3.json")
	ws := mustParseFile(t, "testdata/roundtrip/workspaces-links.v3.json")
	h := l.Hidden(nil, HiddenOptions{})
	hw := ws.Hidden(func(k string) bool { return k != "node_modules/typescript" }, HiddenOptions{OmitLockfileRegistryResolved: true})
	c := h.Packages["node_modules/c"]
	d := h.Packages["node_modules/d"]
	x := h.Packages["node_modules/d/node_modules/x"]
	y := h.Packages["node_modules/d/node_modules/y"]
	checks := []struct {
		name string
		ok   bool
	}{
		{"root dropped", h.Packages[""] == nil && len(h.Packages) == len(l.Packages)-1},
		{"license object to type", c.License == "MIT" && c.Extra["license"] == nil},
		{"engines array kept", c.Extra["engines"] != nil},
		{"extraneous alone", d.Extraneous && !d.Dev && !d.Optional},
		{"unknown field dropped", x.Extra["unknownField"] == nil},
		{"false flag dropped", x.Extra["dev"] == nil && x.Extra["optional"] == nil},
		{"empty values dropped", y.Version == "" && y.Extra == nil && y.Engines == nil && y.OS == nil && y.Bin == nil},
		{"filter", hw.Packages["node_modules/typescript"] == nil && hw.Packages["packages/ws-a"] != nil},
		{"workspace devDependencies kept", hw.Packages["packages/ws-a"].DevDependencies["typescript"] == "^5"},
		{"empty workspace devDependencies kept", hw.Packages["tools/@internal/cli"].DevDependencies != nil},
		{"scoped folder name dropped", hw.Packages["tools/@internal/cli"].Name == ""},
		{"link kept", hw.Packages["node_modules/ws-a"].Link && hw.Packages["node_modules/ws-a"].Resolved == "packages/ws-a"},
		{"registry resolved dropped", hw.Packages["packages/ws-a/node_modules/is-number"].Resolved == ""},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: failed", c.name)
		}
	}
}

func TestHiddenEntryRules(t *testing.T) {
	l, err := Parse([]byte(`{"lockfileVersion":2,"requires":true,"packages":{
		"": {"name": "r", "dependencies": {"a": "^1", "b": "npm:c@1", "t": "https://x/t.tgz"}},
		"node_modules/a": {"name": "a", "version": "1.0.0", "devDependencies": {"x": "1"}, "dev": true, "devOptional": true, "resolved": "https://r/a.tgz"},
		"node_modules/b": {"name": "c", "version": "1.0.0", "resolved": "https://r/c.tgz", "peer": true, "optional": true},
		"node_modules/t": {"version": "1.0.0", "resolved": "https://x/t.tgz"},
		"node_modules/orphan": {"version": "1.0.0", "resolved": "https://r/o.tgz", "extraneous": true, "dev": true}
	}, "dependencies": {"a": {"version": "1.0.0"}}}`), "x")
	if err != nil {
		t.Fatal(err)
	}
	h := l.Hidden(nil, HiddenOptions{OmitLockfileRegistryResolved: true})
	a, b, tb, o := h.Packages["node_modules/a"], h.Packages["node_modules/b"], h.Packages["node_modules/t"], h.Packages["node_modules/orphan"]
	checks := []struct {
		name string
		ok   bool
	}{
		{"devDependencies dropped in node_modules", a.DevDependencies == nil},
		{"name equal to folder dropped", a.Name == ""},
		{"alias name kept", b.Name == "c"},
		{"devOptional dropped beside dev", a.Dev && !a.DevOptional},
		{"peer and optional kept", b.Peer && b.Optional},
		{"registry resolved dropped", a.Resolved == "" && b.Resolved == ""},
		{"remote tarball resolved kept", tb.Resolved == "https://x/t.tgz"},
		{"no incoming edge keeps resolved", o.Resolved == "https://r/o.tgz" && o.Extraneous && !o.Dev},
		{"legacy dependencies dropped", h.Dependencies == nil && h.LockfileVersion == 3},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: failed", c.name)
		}
	}
}

// TestHiddenMatchesNpmOnFixtures checks Hidden on shared/fixtures projects
// too large to copy here: testdata/hidden-fixtures/<name> holds installed.txt
// and npmrc as above, the SHA-256 of the fixture's package-lock.json that npm
// ran on (lock.sha256; the test skips if the fixture has changed since) and
// the SHA-256 of the hidden lockfile npm wrote (hidden.sha256).
func TestHiddenMatchesNpmOnFixtures(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/hidden-fixtures/*")
	if len(dirs) == 0 {
		t.Fatal("no testdata/hidden-fixtures cases")
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			lockPath := sharedFixture(t, name, PackageLock)
			data, err := os.ReadFile(lockPath)
			if err != nil {
				t.Fatal(err)
			}
			if sha256hex(data) != readFirstLine(t, filepath.Join(dir, "lock.sha256")) {
				t.Skipf("%s changed since npm ran on it", lockPath)
			}
			pkgJSON, err := os.ReadFile(filepath.Join(filepath.Dir(lockPath), "package.json"))
			if err != nil {
				t.Fatal(err)
			}
			l, err := Parse(data, lockPath)
			if err != nil {
				t.Fatal(err)
			}
			installed := readLines(t, filepath.Join(dir, "installed.txt"))
			rc := readNpmrc(t, filepath.Join(dir, "npmrc"))
			opts := HiddenOptions{
				OmitLockfileRegistryResolved: rc["omit-lockfile-registry-resolved"] == "true",
				LegacyPeerDeps:               rc["legacy-peer-deps"] == "true",
			}
			opts.Indent, opts.Newline = DetectFormat(pkgJSON)
			h := l.Hidden(func(key string) bool { return installed[key] }, opts)
			if len(h.Packages) != len(installed) {
				t.Errorf("hidden lockfile has %d entries, %d installed", len(h.Packages), len(installed))
			}
			if got := sha256hex(h.Marshal()); got != readFirstLine(t, filepath.Join(dir, "hidden.sha256")) {
				t.Errorf("Hidden().Marshal() has SHA-256 %s, not that of npm's hidden lockfile", got)
			}
		})
	}
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func readFirstLine(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(line)
}

// TestHiddenEntryTypedMatchesGeneric: over every entry of the differential
// lockfiles (fixtures included) without Extra keys, as registry dependency
// or not, the typed hidden entry is the generic one.
func TestHiddenEntryTypedMatchesGeneric(t *testing.T) {
	n := 0
	for name, l := range differentialLockfiles(t) {
		for key, p := range l.Packages {
			if p == nil || p.Link || len(p.Extra) > 0 {
				continue
			}
			for _, reg := range []bool{false, true} {
				got, want := hiddenEntryTyped(key, p, reg), hiddenEntryGeneric(key, p, reg)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s %q (registry dep %v):\ngot  %#v\nwant %#v", name, key, reg, got, want)
				}
			}
			n++
		}
	}
	if n == 0 {
		t.Error("no entries compared")
	}
	t.Logf("compared %d entries", n)
}
