package lockfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/internal/nodetext"
)

// fastAndGeneric parses data both ways; fast is nil when parseFast
// declined it.
func fastAndGeneric(t testing.TB, data []byte) (fast, generic *Lockfile, genErr error) {
	t.Helper()
	data = nodetext.Decode(bytes.TrimPrefix(data, []byte("\uFEFF")))
	if fl := (&Lockfile{}); parseFast(data, fl) {
		fl.Indent, fl.Newline = DetectFormat(data)
		fast = fl
	}
	generic, genErr = parseGeneric(data, "package-lock.json", decoderNoCopy)
	return fast, generic, genErr
}

// lockfilesInRepo lists the lockfiles in the repository's testdata.
func lockfilesInRepo(t *testing.T) []string {
	var files []string
	filepath.WalkDir("../..", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(p) == ".json" && filepath.Base(filepath.Dir(filepath.Dir(p))) != "fuzz" &&
			(d.Name() == "package-lock.json" || d.Name() == ".package-lock.json" || d.Name() == "npm-shrinkwrap.json" || filepath.Base(filepath.Dir(p)) == "roundtrip") {
			files = append(files, p)
		}
		return nil
	})
	return files
}

// TestParseFastMatches checks that the direct parse gives the model the
// generic one gives, on every lockfile in the repository's testdata and the
// shared fixtures, and that it takes the fixtures (real npm lockfiles).
func TestParseFastMatches(t *testing.T) {
	files := lockfilesInRepo(t)
	var fixtures []string
	for _, fx := range []string{"small", "medium", "large"} {
		fixtures = append(fixtures, sharedFixture(t, fx, "package-lock.json"))
	}
	if len(files) < 10 {
		t.Fatalf("only %d lockfiles found", len(files))
	}
	taken := 0
	for _, f := range append(files, fixtures...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fast, generic, err := fastAndGeneric(t, data)
		if fast == nil {
			continue
		}
		taken++
		if err != nil {
			t.Errorf("%s: the direct parse took a document the generic one refuses: %v", f, err)
			continue
		}
		if !reflect.DeepEqual(fast, generic) {
			t.Errorf("%s: the direct parse differs from the generic one", f)
		}
	}
	for _, f := range fixtures {
		data, _ := os.ReadFile(f)
		if fast, _, _ := fastAndGeneric(t, data); fast == nil {
			t.Errorf("%s: the direct parse declined a real npm lockfile", f)
		}
	}
	t.Logf("%d of %d lockfiles parsed directly", taken, len(files)+len(fixtures))
}

// FuzzParseFast: whatever the direct parse takes, the generic parse takes
// too and reads the same.
func FuzzParseFast(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "roundtrip", "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"lockfileVersion":3,"packages":{"":{"name":"x","engines":["node"],"dependencies":null},"node_modules/a":{"version":"1.0.0","funding":{"url":"u"},"x":[true,null,{}]}}}`))
	f.Add([]byte(`{"lockfileVersion":2,"requires":true,"packages":{},"dependencies":{"a":{"version":"1","requires":{"b":"2"}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, generic, err := fastAndGeneric(t, data)
		if fast == nil {
			return
		}
		if err != nil {
			t.Fatalf("the direct parse took a document the generic one refuses: %v", err)
		}
		if !reflect.DeepEqual(fast, generic) {
			t.Fatalf("the direct parse differs from the generic one:\n%+v\n%+v", fast, generic)
		}
	})
}

// pinsBothWays scans data for pins and reads them from the generic parse;
// scanned is nil when the scan declined.
func pinsBothWays(t testing.TB, data []byte) (scanned, generic []Pin, genErr error) {
	t.Helper()
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	scanned, ok := scanPins(data) // before decoding, as ReadPins does
	if ok && scanned == nil {
		t.Fatal("scanPins took a document and returned nil")
	}
	l, genErr := parseGeneric(nodetext.Decode(data), "package-lock.json", decoderNoCopy)
	if genErr == nil {
		generic = l.Pins()
	}
	return scanned, generic, genErr
}

// TestScanPinsMatches: the pin scan gives the generic parse's pins on every
// lockfile of the repository and the shared fixtures, and takes the
// fixtures.
func TestScanPinsMatches(t *testing.T) {
	files := lockfilesInRepo(t)
	for _, fx := range []string{"small", "medium", "large"} {
		files = append(files, sharedFixture(t, fx, "package-lock.json"))
	}
	taken := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		scanned, generic, err := pinsBothWays(t, data)
		if scanned == nil {
			if strings.Contains(f, "fixtures") {
				t.Errorf("%s: the pin scan declined a real npm lockfile", f)
			}
			continue
		}
		taken++
		if err != nil {
			t.Errorf("%s: the pin scan took a document the generic parse refuses: %v", f, err)
		} else if !reflect.DeepEqual(scanned, generic) {
			t.Errorf("%s: the pin scan differs from the generic parse", f)
		}
	}
	t.Logf("%d of %d lockfiles scanned", taken, len(files))
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, PackageLock), []byte(`{"lockfileVersion":3,"packages":{"":{"name":"x"},"node_modules/a":{"version":"1.0.0","link":"yes","inBundle":true,"n":1}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	pins, _, err := ReadPins(dir) // a number: the scan declines, Read's parse answers
	want := []Pin{{Name: "x"}, {Loc: "node_modules/a", Version: "1.0.0", InBundle: true}}
	if err != nil || !reflect.DeepEqual(pins, want) {
		t.Errorf("ReadPins = %+v, %v; want %+v", pins, err, want)
	}
	if err := os.WriteFile(filepath.Join(dir, PackageLock), []byte(`{"lockfileVersion":1,"dependencies":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadPins(dir); !errors.Is(err, ErrVersion1) {
		t.Errorf("ReadPins of a v1 lockfile: %v, want ErrVersion1", err)
	}
}

// FuzzScanPins: whatever the pin scan takes, the generic parse takes too
// and gives the same pins.
func FuzzScanPins(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "roundtrip", "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"lockfileVersion":3,"packages":{"":{"name":"x","version":""},"node_modules/a":{"version":"1.0.0","resolved":"r","link":true,"inBundle":false,"x":[true,null,{"a":"b","a":"c"}]}}}`))
	f.Add([]byte("{\"lockfileVersion\":3,\"packages\":{\"node_modules/a\":{\"version\":\"1.0.0\",\"license\":\"\xff\"},\"node_modules/\xfe\":{}}}"))
	f.Add([]byte(`{"lockfileVersion":2,"requires":true,"packages":{"a":{"name":null}},"dependencies":{"a":{"version":"1","requires":{"b":"2"}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		scanned, generic, err := pinsBothWays(t, data)
		if scanned == nil {
			return
		}
		if err != nil {
			t.Fatalf("the pin scan took a document the generic parse refuses: %v", err)
		}
		if !reflect.DeepEqual(scanned, generic) {
			t.Fatalf("the pin scan differs from the generic parse:\n%+v\n%+v", scanned, generic)
		}
	})
}
