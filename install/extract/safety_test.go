package extract

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExtractHostileArchives: tarballs built to escape the destination or
// plant dangerous files. Whatever happens (error or not), nothing appears
// outside dest, nothing inside is a link, device or setuid file, and
// `outside` (a directory next to dest that links point at) stays empty.
func TestExtractHostileArchives(t *testing.T) {
	tests := []struct {
		name  string
		ents  func(outside string) []ent
		err   string            // "" when extraction succeeds
		files map[string]string // files expected in dest (when no error)
	}{
		{name: "write through a symlink to outside", ents: func(outside string) []ent {
			return []ent{
				{name: "package/ln", typ: tar.TypeSymlink, link: outside},
				file("package/ln/pwn", "pwned", 0o644),
			}
		}, files: map[string]string{"ln/pwn": "pwned"}},
		{name: "write through a relative symlink to the parent", ents: func(string) []ent {
			return []ent{
				{name: "package/up", typ: tar.TypeSymlink, link: "../../.."},
				file("package/up/outside/pwn", "pwned", 0o644),
			}
		}, files: map[string]string{"up/outside/pwn": "pwned"}},
		{name: "symlink then file of the same name", ents: func(outside string) []ent {
			return []ent{
				{name: "package/f", typ: tar.TypeSymlink, link: filepath.Join(outside, "target")},
				file("package/f", "mine", 0o644),
			}
		}, files: map[string]string{"f": "mine"}},
		{name: "hardlink to an absolute outside file", ents: func(outside string) []ent {
			return []ent{{name: "package/h", typ: tar.TypeLink, link: "/etc/passwd"}, file("package/ok", "ok", 0o644)}
		}, files: map[string]string{"ok": "ok"}},
		{name: "hardlink with traversal", ents: func(string) []ent {
			return []ent{{name: "package/h", typ: tar.TypeLink, link: "package/../../../outside/x"}, file("package/ok", "ok", 0o644)}
		}, files: map[string]string{"ok": "ok"}},
		{name: "devices and fifos", ents: func(string) []ent {
			return []ent{
				{name: "package/null", typ: tar.TypeChar, mode: 0o666},
				{name: "package/sda", typ: tar.TypeBlock, mode: 0o666},
				{name: "package/fifo", typ: tar.TypeFifo, mode: 0o666},
				file("package/ok", "ok", 0o644),
			}
		}, files: map[string]string{"ok": "ok"}},
		{name: "setuid setgid sticky", ents: func(string) []ent {
			return []ent{file("package/suid", "x", 0o4755), file("package/sgid", "x", 0o2755), file("package/sticky", "x", 0o1777)}
		}, files: map[string]string{"suid": "x", "sgid": "x", "sticky": "x"}},
		{name: "traversal", ents: func(string) []ent {
			return []ent{file("package/../../outside/pwn", "x", 0o644)}
		}, err: "contains '..'"},
		{name: "absolute path", ents: func(outside string) []ent {
			return []ent{file(filepath.Join(outside, "pwn"), "x", 0o644)}
		}, files: nil /* stripped to a relative path inside dest */},
		{name: "case-fold collision", ents: func(string) []ent {
			return []ent{file("package/Index.js", "A", 0o644), file("package/index.js", "b", 0o644)}
		}, files: map[string]string{"Index.js": "A", "index.js": "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			dest := filepath.Join(parent, "dest")
			outside := filepath.Join(parent, "outside")
			for _, d := range []string{dest, outside} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Extract(bytes.NewReader(mkTar(t, tt.ents(outside))), dest, Options{})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Extract error = %v, want %q", err, tt.err)
				}
			} else if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			checkContained(t, parent, dest, outside)
			for rel, body := range tt.files {
				if b, err := os.ReadFile(filepath.Join(dest, rel)); err != nil || string(b) != body {
					t.Errorf("%s = %q, %v; want %q", rel, b, err, body)
				}
			}
		})
	}
}

// checkContained: parent holds only dest and an empty outside; dest holds
// only plain files (no special bits) and directories.
func checkContained(t *testing.T, parent, dest, outside string) {
	t.Helper()
	if entries, _ := os.ReadDir(parent); len(entries) != 2 {
		t.Errorf("wrote next to dest: %v", entries)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("wrote into %s: %v", outside, entries)
	}
	filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dest {
			return err
		}
		info, _ := d.Info()
		switch {
		case d.IsDir():
		case !d.Type().IsRegular():
			t.Errorf("%s is a %v", p, d.Type())
		case info.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0:
			t.Errorf("%s keeps special bits %v", p, info.Mode())
		}
		return nil
	})
}

// TestExtractOversizedEntry: a header claiming a huge size fails on the
// limit before anything large is allocated or written.
func TestExtractOversizedEntry(t *testing.T) {
	tests := []struct {
		name string
		size int64
		opt  Options
		err  string
	}{
		{name: "over MaxBytes", size: 1 << 20, opt: Options{MaxBytes: 1 << 10}, err: "limit"},
		{name: "over the default limit", size: DefaultMaxBytes + 1, err: "limit"},
		{name: "a terabyte", size: 1 << 40, err: "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var raw bytes.Buffer
			zw := gzip.NewWriter(&raw)
			// Write the header by hand: archive/tar would insist on the body.
			tw := tar.NewWriter(zw)
			tw.WriteHeader(&tar.Header{Name: "package/big", Mode: 0o644, Size: tt.size, Typeflag: tar.TypeReg})
			tw.Write(make([]byte, 4096)) // a little of the promised body
			tw.Flush()                   // errors on the short body; the header is out
			zw.Close()
			dest := t.TempDir()
			_, err := Extract(bytes.NewReader(raw.Bytes()), dest, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("Extract error = %v, want %q", err, tt.err)
			}
			var total int64
			filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() {
					info, _ := d.Info()
					total += info.Size()
				}
				return nil
			})
			if total > 1<<20 {
				t.Errorf("wrote %d bytes before failing", total)
			}
		})
	}
}
