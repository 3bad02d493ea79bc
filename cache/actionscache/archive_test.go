package actionscache

import (
	"archive/tar"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(content, "->") {
			if err := os.Symlink(strings.TrimPrefix(content, "->"), p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readTree lists regular files (content) and links ("->target").
func readTree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out[rel] = "->" + l
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestArchiveRoundTrip(t *testing.T) {
	src := t.TempDir()
	files := map[string]string{
		"a.txt":                       "alpha",
		"sub/b.bin":                   strings.Repeat("\x00\x01beta", 10000),
		"sub/deep/c":                  "",
		"sub/link":                    "->b.bin",
		"sub/deep/up":                 "->../../a.txt",
		"tmp/skipped":                 "must not travel",
		"node_modules/.bin/x":         "->../x/cli.js",
		"node_modules/x/cli.js":       "#!/usr/bin/env node",
		"node_modules/x/package.json": "{}",
	}
	writeTree(t, src, files)
	if err := os.Chmod(filepath.Join(src, "node_modules/x/cli.js"), 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteArchive(&buf, src, func(rel string, d fs.DirEntry) bool { return rel == "tmp" }); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "restored")
	writeTree(t, dst, map[string]string{"stale": "old content"})
	if err := Extract(bytes.NewReader(buf.Bytes()), dst); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for k, v := range files {
		if !strings.HasPrefix(k, "tmp/") {
			want[k] = v
		}
	}
	got := readTree(t, dst)
	if len(got) != len(want) {
		t.Errorf("restored %d entries, want %d: %v", len(got), len(want), got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %.40q, want %.40q", k, got[k], v)
		}
	}
	st, err := os.Stat(filepath.Join(dst, "node_modules/x/cli.js"))
	if err != nil || st.Mode().Perm()&0o100 == 0 {
		t.Errorf("executable bit lost: %v %v", st.Mode(), err)
	}
	// no temporary or old directories left beside the target
	ents, _ := os.ReadDir(filepath.Dir(dst))
	if len(ents) != 1 {
		t.Errorf("left beside the target: %v", ents)
	}
}

type entry struct {
	name, link string
	typ        byte
	body       string
}

func rawArchive(t *testing.T, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := zstd.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func TestExtractRefusesUnsafeEntries(t *testing.T) {
	ok := entry{name: "fine.txt", typ: tar.TypeReg, body: "fine"}
	tests := []struct {
		name    string
		entries []entry
	}{
		{"absolute path", []entry{ok, {name: "/etc/evil", typ: tar.TypeReg, body: "x"}}},
		{"dot-dot", []entry{ok, {name: "../evil", typ: tar.TypeReg, body: "x"}}},
		{"dot-dot inside", []entry{ok, {name: "a/../../evil", typ: tar.TypeReg, body: "x"}}},
		{"absolute link", []entry{ok, {name: "l", link: "/etc", typ: tar.TypeSymlink}}},
		{"link leaving the root", []entry{ok, {name: "a/l", link: "../../x", typ: tar.TypeSymlink}}},
		{"link dot-dot after a name", []entry{ok, {name: "d/x", typ: tar.TypeDir}, {name: "l", link: "d/../..", typ: tar.TypeSymlink}}},
		{"write through a link", []entry{ok, {name: "l", link: ".", typ: tar.TypeSymlink}, {name: "l/evil", typ: tar.TypeReg, body: "x"}}},
		{"link then same name", []entry{ok, {name: "l", link: "fine.txt", typ: tar.TypeSymlink}, {name: "l", link: "fine.txt", typ: tar.TypeSymlink}}},
		{"duplicate file", []entry{ok, ok}},
		{"hard link", []entry{ok, {name: "h", link: "fine.txt", typ: tar.TypeLink}}},
		{"device", []entry{ok, {name: "dev", typ: tar.TypeChar}}},
		{"fifo", []entry{ok, {name: "fifo", typ: tar.TypeFifo}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			dst := filepath.Join(parent, "target")
			writeTree(t, dst, map[string]string{"keep": "old"})
			err := Extract(bytes.NewReader(rawArchive(t, tc.entries)), dst)
			if err == nil {
				t.Fatal("extracted an unsafe archive")
			}
			if got := readTree(t, dst); len(got) != 1 || got["keep"] != "old" {
				t.Errorf("target changed after a failed extraction: %v", got)
			}
			ents, _ := os.ReadDir(parent)
			if len(ents) != 1 {
				t.Errorf("left beside the target: %v", ents)
			}
			if _, err := os.Lstat(filepath.Join(filepath.Dir(parent), "evil")); err == nil {
				t.Error("wrote outside the target")
			}
		})
	}
	// the same shapes, made safe, extract
	good := []entry{ok, {name: "d/x", typ: tar.TypeDir}, {name: "d/l", link: "../fine.txt", typ: tar.TypeSymlink}, {name: "d/x/f", typ: tar.TypeReg, body: "f"}}
	dst := filepath.Join(t.TempDir(), "target")
	if err := Extract(bytes.NewReader(rawArchive(t, good)), dst); err != nil {
		t.Fatalf("safe archive refused: %v", err)
	}
}

func TestExtractSizeLimit(t *testing.T) {
	old := MaxExtractSize
	MaxExtractSize = 10
	defer func() { MaxExtractSize = old }()
	for _, tc := range []struct {
		body    string
		wantErr bool
	}{{"0123456789", false}, {"0123456789A", true}} {
		err := Extract(bytes.NewReader(rawArchive(t, []entry{{name: "f", typ: tar.TypeReg, body: tc.body}})), filepath.Join(t.TempDir(), "x"))
		if (err != nil) != tc.wantErr || (err != nil && !errors.Is(err, errUnsafe)) {
			t.Errorf("%d bytes: err = %v, want error %v", len(tc.body), err, tc.wantErr)
		}
	}
}
