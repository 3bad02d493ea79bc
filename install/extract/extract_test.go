package extract

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/cache/store"
	"github.com/lockstep-dev/lockstep/install/integrity"
)

// ent is one tar entry to write into a test tarball.
type ent struct {
	name string
	body string
	mode int64
	typ  byte
	link string
	size int64 // header size override when > 0 (for lying headers)
}

func file(name, body string, mode int64) ent {
	return ent{name: name, body: body, mode: mode, typ: tar.TypeReg}
}

func mkTar(t testing.TB, ents []ent) []byte {
	t.Helper()
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	var patches []string
	for _, e := range ents {
		name := e.name
		if e.typ == tar.TypeReg && strings.HasSuffix(name, "/") {
			// archive/tar refuses this; write a placeholder and patch it below
			name = strings.TrimSuffix(name, "/") + "#"
			patches = append(patches, name)
		}
		h := &tar.Header{Name: name, Mode: e.mode, Typeflag: e.typ, Linkname: e.link, Format: tar.FormatGNU}
		if e.typ == tar.TypeReg || e.typ == tar.TypeCont {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("WriteHeader %q: %v", e.name, err)
		}
		if h.Size > 0 {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	b := raw.Bytes()
	for _, name := range patches {
		i := bytes.Index(b, []byte(name+"\x00"))
		if i < 0 || i%512 != 0 {
			t.Fatalf("cannot patch %q", name)
		}
		b[i+len(name)-1] = '/'
		fixChecksum(b[i : i+512])
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fixChecksum recomputes a ustar header block's checksum.
func fixChecksum(blk []byte) {
	copy(blk[148:156], "        ")
	sum := 0
	for _, c := range blk {
		sum += int(c)
	}
	copy(blk[148:156], fmt.Sprintf("%06o\x00 ", sum))
}

// fmode is what npm gives a file with tar mode m (umask applied by the kernel).
func fmode(m os.FileMode) os.FileMode { return (m | 0o666) &^ os.FileMode(processUmask) }

var (
	dmode = os.FileMode(0o777 &^ processUmask)
	xmode = os.FileMode(0o777 &^ processUmask)
)

type want struct {
	body string
	mode os.FileMode // permission bits plus setuid/setgid/sticky
}

// tree lists dest: files with body and mode, directories with mode ("/" suffix).
func tree(t testing.TB, dest string) map[string]want {
	t.Helper()
	got := map[string]want{}
	err := filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dest {
			return nil
		}
		rel, _ := filepath.Rel(dest, p)
		rel = filepath.ToSlash(rel)
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		mode := info.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
		switch {
		case info.IsDir():
			got[rel+"/"] = want{mode: mode}
		case info.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			got[rel] = want{body: string(b), mode: mode}
		default:
			got[rel+"?"] = want{body: info.Mode().String()}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func diffTree(t *testing.T, got, exp map[string]want) {
	t.Helper()
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	for k := range exp {
		if _, ok := got[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		g, gok := got[k]
		w, wok := exp[k]
		switch {
		case !gok:
			t.Errorf("missing %q", k)
		case !wok:
			t.Errorf("unexpected %q (%q, %v)", k, g.body, g.mode)
		case g != w:
			t.Errorf("%q = (%q, %v), want (%q, %v)", k, g.body, g.mode, w.body, w.mode)
		}
	}
}

func TestExtract(t *testing.T) {
	tests := []struct {
		name   string
		ents   []ent
		bins   []string
		want   map[string]want
		err    string // substring of the expected error
		warn   string // substring of an expected warning
		caseCo string // expected case collision
	}{
		{
			name: "package root, missing dir entries",
			ents: []ent{file("package/package.json", "{}", 0o644), file("package/lib/deep/a.js", "a", 0o644)},
			want: map[string]want{
				"package.json": {"{}", fmode(0o644)}, "lib/": {"", dmode}, "lib/deep/": {"", dmode},
				"lib/deep/a.js": {"a", fmode(0o644)},
			},
		},
		{
			name: "non-package root (@types style) and ./package",
			ents: []ent{
				{name: "react", typ: tar.TypeDir, mode: 0o755},
				file("react/index.d.ts", "d", 0o644),
				file("./package/x", "dotted", 0o644),
				file("other//dbl", "dbl", 0o644),
			},
			want: map[string]want{
				"index.d.ts": {"d", fmode(0o644)}, "package/": {"", dmode}, "package/x": {"dotted", fmode(0o644)},
				"dbl": {"dbl", fmode(0o644)},
			},
		},
		{
			name: "top-level file without a directory is dropped",
			ents: []ent{file("toplevel", "t", 0o644), file("package/a", "a", 0o644)},
			want: map[string]want{"a": {"a", fmode(0o644)}},
		},
		{
			name: "modes follow (mode|0666)&^umask",
			ents: []ent{
				file("package/m644", "x", 0o644), file("package/m755", "x", 0o755), file("package/m777", "x", 0o777),
				file("package/m700", "x", 0o700), file("package/m600", "x", 0o600), file("package/m444", "x", 0o444),
				file("package/m000", "x", 0), file("package/m010", "x", 0o010),
			},
			want: map[string]want{
				"m644": {"x", fmode(0o644)}, "m755": {"x", fmode(0o755)}, "m777": {"x", fmode(0o777)},
				"m700": {"x", fmode(0o700)}, "m600": {"x", fmode(0o600)}, "m444": {"x", fmode(0o444)},
				"m000": {"x", fmode(0)}, "m010": {"x", fmode(0o010)},
			},
		},
		{
			name: "setuid setgid sticky dropped",
			ents: []ent{file("package/suid", "x", 0o4755), file("package/sgid", "x", 0o2755), file("package/sticky", "x", 0o1644)},
			want: map[string]want{"suid": {"x", fmode(0o755)}, "sgid": {"x", fmode(0o755)}, "sticky": {"x", fmode(0o644)}},
		},
		{
			name: "directory entries ignored, their modes too",
			ents: []ent{
				{name: "package/d700", typ: tar.TypeDir, mode: 0o700}, file("package/d700/f", "f", 0o644),
				{name: "package/empty", typ: tar.TypeDir, mode: 0o755},
				file("package/regslash/", "", 0o644),
			},
			want: map[string]want{"d700/": {"", dmode}, "d700/f": {"f", fmode(0o644)}},
		},
		{
			name: "links and special files dropped",
			ents: []ent{
				file("package/real", "r", 0o644),
				{name: "package/sym", typ: tar.TypeSymlink, link: "real"},
				{name: "package/evil", typ: tar.TypeSymlink, link: "/etc/passwd"},
				{name: "package/hard", typ: tar.TypeLink, link: "package/real"},
				{name: "package/fifo", typ: tar.TypeFifo},
				{name: "package/chr", typ: tar.TypeChar},
				{name: "package/blk", typ: tar.TypeBlock},
			},
			want: map[string]want{"real": {"r", fmode(0o644)}},
		},
		{
			name: "contiguous files are files",
			ents: []ent{{name: "package/cont", body: "c", mode: 0o644, typ: tar.TypeCont}},
			want: map[string]want{"cont": {"c", fmode(0o644)}},
		},
		{
			name: "bins are 0755 and CRLF shebang fixed",
			ents: []ent{
				file("package/bin/a", "#!/usr/bin/env node\r\nconsole.log(1)\r\n", 0o644),
				file("package/bin/b", "#!\r\nx\r\n", 0o644),
				file("package/bin/c", "#!/bin/sh\r\r\nx\r\n", 0o600),
				file("package/bin/d", "\ufeff#!/bin/sh\r\nx\r\n", 0o644),
				file("package/bin/e", "#!/bin/sh\r\nnot a bin\r\n", 0o644),
				file("package/cli.js", "#!/bin/sh\nx\r\n", 0o644),
				file("package/long", "#!"+strings.Repeat("x", 3000)+"\r\nrest", 0o644),
				file("package/edge", "#!"+strings.Repeat("x", 2044)+"\r\nrest", 0o644),
			},
			bins: []string{"./bin/a", "bin/b", "bin//c", "bin/d", "cli.js", "long", "edge", "missing", "../../../escape"},
			want: map[string]want{
				"bin/":   {"", dmode},
				"bin/a":  {"#!/usr/bin/env node\nconsole.log(1)\r\n", xmode},
				"bin/b":  {"#!\r\nx\r\n", xmode},
				"bin/c":  {"#!/bin/sh\r\nx\r\n", xmode},
				"bin/d":  {"\ufeff#!/bin/sh\r\nx\r\n", xmode},
				"bin/e":  {"#!/bin/sh\r\nnot a bin\r\n", fmode(0o644)},
				"cli.js": {"#!/bin/sh\nx\r\n", xmode},
				"long":   {"#!" + strings.Repeat("x", 3000) + "\r\nrest", xmode},
				"edge":   {"#!" + strings.Repeat("x", 2044) + "\nrest", xmode},
			},
		},
		{
			name: ".gitignore renamed unless .npmignore came first",
			ents: []ent{
				file("package/g1/.npmignore", "npmignore-first", 0o644), file("package/g1/.gitignore", "gitignore-second", 0o644),
				file("package/g2/.gitignore", "gitignore-first", 0o644), file("package/g2/.npmignore", "npmignore-second", 0o644),
				file("package/g3/.gitignore", "gitignore-only", 0o644),
				file("package/.gitignore", "root-gitignore", 0o644),
			},
			want: map[string]want{
				"g1/": {"", dmode}, "g1/.npmignore": {"npmignore-first", fmode(0o644)},
				"g2/": {"", dmode}, "g2/.npmignore": {"npmignore-second", fmode(0o644)},
				"g3/": {"", dmode}, "g3/.npmignore": {"gitignore-only", fmode(0o644)},
				".npmignore": {"root-gitignore", fmode(0o644)},
			},
		},
		{
			name: "duplicates: later content wins, first mode stays",
			ents: []ent{
				file("package/dup", "first", 0o755), file("package/dup", "second-longer", 0o644),
				file("package/dup2", "first-long", 0o644), file("package/dup2", "2nd", 0o755),
				file("package/b", "old", 0o644), file("package/b", "#!/x\r\nnew", 0o644),
			},
			bins: []string{"b"},
			want: map[string]want{
				"dup": {"second-longer", fmode(0o755)}, "dup2": {"2nd", fmode(0o644)},
				"b": {"#!/x\nnew", xmode},
			},
		},
		{
			name: "file replaces empty dir, not a non-empty one",
			ents: []ent{
				file("package/e/x/f", "f", 0o644),
				file("package/sub/file", "f", 0o644), file("package/sub", "now a file", 0o644),
				file("package/e/x/f/g", "under a file", 0o644),
			},
			want: map[string]want{
				"e/": {"", dmode}, "e/x/": {"", dmode}, "e/x/f": {"f", fmode(0o644)},
				"sub/": {"", dmode}, "sub/file": {"f", fmode(0o644)},
			},
			warn: "cannot replace directory",
		},
		{
			name: "absolute paths are stripped",
			ents: []ent{file("/abs/x", "abs", 0o644), file("package//etc/y", "y", 0o644), file(`package/C:\z`, "z", 0o644)},
			want: map[string]want{
				"abs/": {"", dmode}, "abs/x": {"abs", fmode(0o644)},
				"etc/": {"", dmode}, "etc/y": {"y", fmode(0o644)},
				"z": {"z", fmode(0o644)},
			},
			warn: "stripping / from absolute path",
		},
		{
			name:   "case-fold collisions are kept and reported",
			ents:   []ent{file("package/README.md", "upper", 0o644), file("package/readme.md", "lower", 0o644)},
			want:   map[string]want{"README.md": {"upper", fmode(0o644)}, "readme.md": {"lower", fmode(0o644)}},
			caseCo: "readme.md",
		},
		{name: "traversal", ents: []ent{file("package/../../x", "x", 0o644)}, err: "contains '..'"},
		{name: "traversal mid path", ents: []ent{file("package/a/./b/../../../c", "x", 0o644)}, err: "contains '..'"},
		{name: "traversal backslash", ents: []ent{file(`package/a\..\..\c`, "x", 0o644)}, err: "contains '..'"},
		{name: "traversal after absolute", ents: []ent{file("package//../x", "x", 0o644)}, err: "contains '..'"},
		{name: "traversal in root component is stripped away", ents: []ent{file("../x", "x", 0o644)}, want: map[string]want{"x": {"x", fmode(0o644)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			dest := filepath.Join(parent, "dest")
			if err := os.Mkdir(dest, 0o755); err != nil {
				t.Fatal(err)
			}
			res, err := Extract(bytes.NewReader(mkTar(t, tc.ents)), dest, Options{Bins: tc.bins})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Extract error = %v, want containing %q", err, tc.err)
				}
				if !strings.HasPrefix(err.Error(), "failed to ") {
					t.Errorf("error %q lacks the 'failed to' prefix", err)
				}
			} else if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if entries, _ := os.ReadDir(parent); len(entries) != 1 {
				t.Errorf("something was written outside dest: %v", entries)
			}
			if tc.err != "" {
				return
			}
			got := tree(t, dest)
			diffTree(t, got, tc.want)
			nf, nd := 0, 0
			for k := range got {
				if strings.HasSuffix(k, "/") {
					nd++
				} else {
					nf++
				}
			}
			if res.Dirs != nd || res.Files < nf {
				t.Errorf("Result = %+v, tree has %d files %d dirs", res, nf, nd)
			}
			if tc.warn != "" && !strings.Contains(strings.Join(res.Warnings, "\n"), tc.warn) {
				t.Errorf("warnings %q lack %q", res.Warnings, tc.warn)
			}
			if tc.caseCo != "" && (len(res.CaseCollisions) != 1 || res.CaseCollisions[0] != tc.caseCo) {
				t.Errorf("CaseCollisions = %q, want [%q]", res.CaseCollisions, tc.caseCo)
			}
			// The index Extract reports is the tree on disk: the store
			// writes it as the entry's index, and Verify compares the two.
			s, err := store.Open(filepath.Join(parent, "store"))
			if err != nil {
				t.Fatal(err)
			}
			key := "sha512-" + strings.Repeat("ab", 64)
			if _, err := s.PutIndexed(key, func(tmp string) ([]store.IndexEntry, error) {
				res, err := Extract(bytes.NewReader(mkTar(t, tc.ents)), tmp, Options{Bins: tc.bins, Index: true})
				if err == nil && res.Index == nil {
					t.Error("Index requested, none reported")
				}
				return res.Index, err
			}); err != nil {
				t.Fatalf("PutIndexed: %v", err)
			}
			if err := s.Verify(key); err != nil {
				t.Errorf("the index Extract reported differs from the tree: %v", err)
			}
		})
	}
}

func TestExtractDestMustBeEmpty(t *testing.T) {
	dest := t.TempDir()
	if err := os.WriteFile(filepath.Join(dest, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Extract(bytes.NewReader(mkTar(t, []ent{file("package/a", "a", 0o644)})), dest, Options{})
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("Extract into non-empty dir: %v", err)
	}
	if _, err := Extract(bytes.NewReader(nil), filepath.Join(dest, "nope"), Options{}); err == nil {
		t.Fatal("Extract into a missing dir succeeded")
	}
}

func TestExtractCorrupt(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 8192) // 128 KiB, compresses well
	good := mkTar(t, []ent{file("package/package.json", "{}", 0o644), file("package/big", big, 0o644)})
	trailing := append(append([]byte{}, good...), []byte("garbage after the gzip member")...)

	// a tar whose header claims more bytes than follow
	var lying bytes.Buffer
	zw := gzip.NewWriter(&lying)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "package/x", Mode: 0o644, Size: 1000, Typeflag: tar.TypeReg})
	tw.Write([]byte("short"))
	zw.Close() // no tw.Close: the entry is incomplete

	tests := []struct {
		name string
		data []byte
		opt  Options
		err  string
	}{
		{"truncated gzip mid-file", good[:len(good)/2], Options{}, "unexpected EOF"},
		{"truncated gzip trailer", good[:len(good)-4], Options{}, "unexpected EOF"},
		{"not gzip", []byte("plain text, not gzip"), Options{}, "gzip"},
		{"empty input", nil, Options{}, "gzip"},
		{"corrupt deflate", corruptMiddle(good), Options{}, "failed to read"},
		{"short entry", lying.Bytes(), Options{}, "unexpected EOF"},
		{"entry over MaxBytes", good, Options{MaxBytes: 1000}, "exceeds the 1000 byte limit"},
		{"too many entries", good, Options{MaxEntries: 1}, "more than 1 entries"},
		{"trailing garbage is ignored", trailing, Options{}, ""},
		{"exact limits pass", good, Options{MaxBytes: int64(len(big) + 2), MaxEntries: 2}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Extract(bytes.NewReader(tc.data), t.TempDir(), tc.opt)
			if tc.err == "" {
				if err != nil {
					t.Fatalf("Extract: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("Extract error = %v, want containing %q", err, tc.err)
			}
		})
	}
}

func corruptMiddle(b []byte) []byte {
	c := append([]byte{}, b...)
	for i := len(c) / 3; i < len(c)/3+64 && i < len(c); i++ {
		c[i] ^= 0x5a
	}
	return c
}

// TestExtractReadsEverything checks that a Verifier fed through a TeeReader
// sees the whole input, tar padding and gzip trailer included.
func TestExtractReadsEverything(t *testing.T) {
	data := mkTar(t, []ent{file("package/a", strings.Repeat("a", 10000), 0o644)})
	sum := sha512.Sum512(data)
	sri, err := integrity.Parse(integrity.SRI{Algo: "sha512", Digest: sum[:]}.String())
	if err != nil {
		t.Fatal(err)
	}
	v := sri.NewVerifier()
	if _, err := Extract(io.TeeReader(bytes.NewReader(data), v), t.TempDir(), Options{}); err != nil {
		t.Fatal(err)
	}
	if v.N() != int64(len(data)) {
		t.Fatalf("verifier saw %d of %d bytes", v.N(), len(data))
	}
	if err := v.Verify(); err != nil {
		t.Fatal(err)
	}
}

// TestExtractPooledReuse runs many extractions concurrently so pooled gzip
// readers and buffers are shared; run with -race.
func TestExtractPooledReuse(t *testing.T) {
	datas := [][]byte{
		mkTar(t, []ent{file("package/a", "alpha", 0o644), file("package/d/b", strings.Repeat("b", 70000), 0o755)}),
		mkTar(t, []ent{file("package/c", "gamma", 0o644)}),
	}
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		go func(i int) {
			dest := t.TempDir()
			data := datas[i%2]
			if _, err := Extract(bytes.NewReader(data), dest, Options{}); err != nil {
				errs <- err
				return
			}
			name := "a"
			if i%2 == 1 {
				name = "c"
			}
			if _, err := os.Stat(filepath.Join(dest, name)); err != nil {
				errs <- err
				return
			}
			errs <- nil
		}(i)
	}
	for i := 0; i < 16; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestHelpers(t *testing.T) {
	for _, tc := range []struct {
		in, rest, root string
	}{
		{"a/b", "a/b", ""}, {"/a", "a", "/"}, {"//a", "a", "//"}, {`\a`, "a", `\`},
		{"c:a", "a", "c:"}, {`C:\a`, "a", `C:\`}, {"1:a", "1:a", ""}, {"", "", ""},
	} {
		rest, root := stripAbsolute(tc.in)
		if rest != tc.rest || root != tc.root {
			t.Errorf("stripAbsolute(%q) = %q, %q; want %q, %q", tc.in, rest, root, tc.rest, tc.root)
		}
	}
	for _, tc := range []struct {
		in   string
		want bool
	}{{"a/../b", true}, {"..", true}, {`a\..`, true}, {"..a/b..", false}, {"a/./b", false}, {"", false}} {
		if got := hasDotDot(tc.in); got != tc.want {
			t.Errorf("hasDotDot(%q) = %v", tc.in, got)
		}
	}
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"#!x\r\n", 4}, {"#!\r\n", 0}, {"#!\r\r\n", 4}, {"#!x\n", 0}, {"#!x\r\ny\r\n", 4}, {"x#!\r\n", 0},
		{"#!" + strings.Repeat("y", 2043) + "\r\n", 2046}, {"#!" + strings.Repeat("y", 2044) + "\r\n", 2047},
		{"#!" + strings.Repeat("y", 2045) + "\r\n", 0},
	} {
		if got := crlfShebang([]byte(tc.in)); got != tc.want {
			t.Errorf("crlfShebang(%.10q...) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
