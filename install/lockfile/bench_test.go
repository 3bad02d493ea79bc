package lockfile

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

func largeLock(b *testing.B) []byte {
	data, err := os.ReadFile(sharedFixture(b, "large", "package-lock.json"))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkParse is Parse (sonic) into the model, on the 2.6 MB fixture.
func BenchmarkParse(b *testing.B) {
	data := largeLock(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data, "large"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeSonic is the sonic decode alone (what Parse builds on).
func BenchmarkDecodeSonic(b *testing.B) {
	data := largeLock(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var v map[string]any
		if err := decoder.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeStd is the same decode with encoding/json, for comparison.
func BenchmarkDecodeStd(b *testing.B) {
	data := largeLock(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var v map[string]any
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMarshal is Marshal of the large fixture (what `lockstep resolve`
// writes).
func BenchmarkMarshal(b *testing.B) {
	l, err := Parse(largeLock(b), "large")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		l.Marshal()
	}
}

// BenchmarkMarshalGeneric is the generic path (toMap, then stringify) that
// Marshal replaced, on the same lockfile, for comparison.
func BenchmarkMarshalGeneric(b *testing.B) {
	l, err := Parse(largeLock(b), "large")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		stringify(l.toMap(), l.Indent, l.Newline, 4096+600*len(l.Packages))
	}
}

// BenchmarkHiddenMarshal is Hidden followed by Marshal (what `lockstep ci`
// writes to node_modules/.package-lock.json).
func BenchmarkHiddenMarshal(b *testing.B) {
	l, err := Parse(largeLock(b), "large")
	if err != nil {
		b.Fatal(err)
	}
	opts := HiddenOptions{OmitLockfileRegistryResolved: true}
	for b.Loop() {
		l.Hidden(nil, opts).Marshal()
	}
}

// BenchmarkHiddenOnly is Hidden alone, to separate its cost from Marshal's
// in BenchmarkHiddenMarshal.
func BenchmarkHiddenOnly(b *testing.B) {
	l, err := Parse(largeLock(b), "large")
	if err != nil {
		b.Fatal(err)
	}
	opts := HiddenOptions{OmitLockfileRegistryResolved: true}
	for b.Loop() {
		l.Hidden(nil, opts)
	}
}

// BenchmarkParseGeneric is the path through a generic object, for
// comparison with BenchmarkParse (which reads npm's lockfiles directly).
func BenchmarkParseGeneric(b *testing.B) {
	data := largeLock(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := parseGeneric(bytes.Clone(data), "large", decoderNoCopy); err != nil {
			b.Fatal(err)
		}
	}
}
