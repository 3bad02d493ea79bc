package extract

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// fuzzSeeds are tarballs (gzip'd) that cover the interesting paths.
func fuzzSeeds(t testing.TB) [][]byte {
	return [][]byte{
		mkTar(t, craftedEntries()),
		mkTar(t, []ent{file("package/../../x", "x", 0o644)}),
		mkTar(t, []ent{file("/abs/x", "x", 0o4755), file(`package/C:\y`, "y", 0o644)}),
		mkTar(t, []ent{file("package/bin/a", "#!/x\r\ny", 0o644), file("package/bin/a/b", "z", 0o644)}),
	}
}

// gunzip returns the raw tar inside a seed so the fuzzer can also mutate
// tar headers directly.
func gunzip(t testing.TB, b []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// FuzzExtract feeds arbitrary input (gzip'd, or raw tar that the target
// compresses first) and checks that Extract never panics, never writes
// outside dest and never creates anything but regular files and
// directories. Seed corpus: testdata/fuzz/FuzzExtract. Run with
// -fuzzminimizetime=3s (and TMPDIR=/dev/shm): minimizing gzip inputs is slow.
func FuzzExtract(f *testing.F) {
	for i, s := range fuzzSeeds(f) {
		f.Add(s, true)
		if i > 0 { // the first seed is large uncompressed; keep minimization fast
			f.Add(gunzip(f, s), false)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, compressed bool) {
		if !compressed {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
			zw.Write(data)
			zw.Close()
			data = buf.Bytes()
		}
		parent := t.TempDir()
		dest := filepath.Join(parent, "dest")
		if err := os.Mkdir(dest, 0o755); err != nil {
			t.Fatal(err)
		}
		res, err := Extract(bytes.NewReader(data), dest, Options{Bins: []string{"bin/a", "a"}, MaxBytes: 1 << 20, MaxEntries: 1000})
		if entries, _ := os.ReadDir(parent); len(entries) != 1 {
			t.Fatalf("wrote outside dest: %v", entries)
		}
		files, dirs := 0, 0
		filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
			if err != nil || p == dest {
				return err
			}
			switch {
			case d.Type().IsRegular():
				files++
				info, _ := d.Info()
				if info.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
					t.Errorf("%s has special mode bits %v", p, info.Mode())
				}
			case d.IsDir():
				dirs++
			default:
				t.Errorf("%s is a %v", p, d.Type())
			}
			return nil
		})
		if err == nil && (files > res.Files || dirs > res.Dirs) {
			t.Errorf("tree has %d files %d dirs, Result %+v", files, dirs, res)
		}
	})
}

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzExtract when
// LOCKSTEP_WRITE_FUZZ_SEEDS=1, and otherwise checks the corpus is there.
func TestWriteFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzExtract")
	if os.Getenv("LOCKSTEP_WRITE_FUZZ_SEEDS") == "1" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, s := range fuzzSeeds(t) {
			for _, c := range []bool{true, false} {
				if i == 0 && !c {
					continue
				}
				data := s
				if !c {
					data = gunzip(t, s)
				}
				body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nbool(%v)\n", data, c)
				name := filepath.Join(dir, fmt.Sprintf("seed-%d-%v", i, c))
				if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		t.Fatalf("fuzz seed corpus missing in %s: %v", dir, err)
	}
}
