package packument

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDecodeReal decodes the packuments in $LOCKSTEP_PACKUMENT_DIR
// (e.g. real documents fetched from the registry); skipped when unset.
func BenchmarkDecodeReal(b *testing.B) {
	dir := os.Getenv("LOCKSTEP_PACKUMENT_DIR")
	if dir == "" {
		b.Skip("LOCKSTEP_PACKUMENT_DIR not set")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(filepath.Base(f), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				p, err := Decode(data)
				if err != nil || len(p.Versions) == 0 {
					b.Fatalf("decode: %v", err)
				}
			}
		})
	}
}

// BenchmarkDecodeAll decodes every packument in $LOCKSTEP_PACKUMENT_DIR
// in turn, as one resolve does: its MB/s is the decoder's throughput over
// a real mix of documents.
func BenchmarkDecodeAll(b *testing.B) {
	dir := os.Getenv("LOCKSTEP_PACKUMENT_DIR")
	if dir == "" {
		b.Skip("LOCKSTEP_PACKUMENT_DIR not set")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	var docs [][]byte
	var n int64
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, data)
		n += int64(len(data))
	}
	b.SetBytes(n)
	for b.Loop() {
		for _, d := range docs {
			if _, err := Decode(d); err != nil {
				b.Fatal(err)
			}
		}
	}
}
