package inflate

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"
)

// tarballs loads the *.tgz files of $LOCKSTEP_TGZ_DIR (skipping when unset)
// and their decompressed size according to compress/gzip.
func tarballs(tb testing.TB) (names []string, files [][]byte, total int64) {
	dir := os.Getenv("LOCKSTEP_TGZ_DIR")
	if dir == "" {
		tb.Skip("LOCKSTEP_TGZ_DIR not set")
	}
	ms, err := filepath.Glob(filepath.Join(dir, "*.tgz"))
	if err != nil || len(ms) == 0 {
		tb.Fatalf("no *.tgz in %q (err %v)", dir, err)
	}
	for _, m := range ms {
		d, err := os.ReadFile(m)
		if err != nil {
			tb.Fatal(err)
		}
		r, err := gzip.NewReader(bytes.NewReader(d))
		if err != nil {
			tb.Fatalf("%s: %v", m, err)
		}
		n, err := io.Copy(io.Discard, r)
		if err != nil {
			tb.Fatalf("%s: %v", m, err)
		}
		names = append(names, filepath.Base(m))
		files = append(files, d)
		total += n
	}
	return names, files, total
}

func TestTarballs(t *testing.T) {
	names, files, _ := tarballs(t)
	var z *Reader
	for i, d := range files {
		r, err := gzip.NewReader(bytes.NewReader(d))
		if err != nil {
			t.Fatal(err)
		}
		want, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		if z == nil {
			z, err = NewReader(bytes.NewReader(d))
		} else {
			err = z.Reset(bytes.NewReader(d))
		}
		if err != nil {
			t.Fatalf("%s: %v", names[i], err)
		}
		got, err := io.ReadAll(z)
		if err != nil {
			t.Fatalf("%s: %v", names[i], err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: output differs (got %d bytes, want %d)", names[i], len(got), len(want))
		}
	}
}

// BenchmarkInflate compares this package with klauspost and compress/gzip
// on real npm tarballs; MB/s is of decompressed output.
func BenchmarkInflate(b *testing.B) {
	_, files, total := tarballs(b)
	decoders := []struct {
		name string
		new  func() func(io.Reader) (io.Reader, error) // a reader reused across streams
	}{
		{"inflate", func() func(io.Reader) (io.Reader, error) {
			z := new(Reader)
			return func(r io.Reader) (io.Reader, error) { return z, z.Reset(r) }
		}},
		{"klauspost", func() func(io.Reader) (io.Reader, error) {
			var z *kgzip.Reader
			return func(r io.Reader) (io.Reader, error) {
				if z == nil {
					var err error
					z, err = kgzip.NewReader(r)
					return z, err
				}
				return z, z.Reset(r)
			}
		}},
		{"stdlib", func() func(io.Reader) (io.Reader, error) {
			var z *gzip.Reader
			return func(r io.Reader) (io.Reader, error) {
				if z == nil {
					var err error
					z, err = gzip.NewReader(r)
					return z, err
				}
				return z, z.Reset(r)
			}
		}},
	}
	buf := make([]byte, 32<<10)
	for _, d := range decoders {
		b.Run(d.name, func(b *testing.B) {
			b.SetBytes(total)
			reset := d.new()
			for b.Loop() {
				for _, f := range files {
					z, err := reset(bytes.NewReader(f))
					if err != nil {
						b.Fatal(err)
					}
					if _, err := io.CopyBuffer(io.Discard, z, buf); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
