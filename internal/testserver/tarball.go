package testserver

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"
)

// PackTime is the mtime npm pack writes on every tarball entry
// (1985-10-26T08:15:00Z); every tarball built here uses it too.
var PackTime = time.Date(1985, time.October, 26, 8, 15, 0, 0, time.UTC)

// TarEntry is one entry of a hand-made tarball (see MustTarball). Name is
// used verbatim: no root directory is added, and "../x", "/abs" or names
// with backslashes are written as given, for extraction-safety tests.
type TarEntry struct {
	Name     string
	Body     string
	Mode     int64 // 0 means 0644 for files and links, 0755 for directories
	Type     byte  // tar.TypeReg when 0; tar.TypeDir, tar.TypeSymlink, tar.TypeLink, ...
	Linkname string
}

// TarBytes returns the uncompressed tar archive of entries, in the given
// order, with npm pack's fixed mtime and owner 0/0. It panics if an entry
// cannot be encoded (which archive/tar only refuses for NUL bytes in names).
func TarBytes(entries ...TarEntry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		typ := e.Type
		if typ == 0 {
			typ = tar.TypeReg
		}
		mode := e.Mode
		if mode == 0 {
			mode = 0o644
			if typ == tar.TypeDir {
				mode = 0o755
			}
		}
		h := &tar.Header{
			Typeflag: typ,
			Name:     e.Name,
			Linkname: e.Linkname,
			Mode:     mode,
			ModTime:  PackTime,
		}
		if typ == tar.TypeReg {
			h.Size = int64(len(e.Body))
		}
		if err := tw.WriteHeader(h); err != nil {
			panic(fmt.Sprintf("failed to write tar header %q: %v", e.Name, err))
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.Body)); err != nil {
				panic(fmt.Sprintf("failed to write tar entry %q: %v", e.Name, err))
			}
		}
	}
	if err := tw.Close(); err != nil {
		panic(fmt.Sprintf("failed to close tar archive: %v", err))
	}
	return buf.Bytes()
}

var gzipPool = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return zw
}}

// Gzip compresses b deterministically (no name, no timestamp).
func Gzip(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzipPool.Get().(*gzip.Writer)
	defer gzipPool.Put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(b); err != nil {
		panic(fmt.Sprintf("failed to gzip tarball: %v", err))
	}
	if err := zw.Close(); err != nil {
		panic(fmt.Sprintf("failed to gzip tarball: %v", err))
	}
	return buf.Bytes()
}

// MustTarball returns the gzip'd tar of entries: a ready RawTarball for
// malformed-archive tests (path traversal, links, absolute paths).
func MustTarball(entries ...TarEntry) []byte { return Gzip(TarBytes(entries...)) }

// SRI returns the sha512 subresource-integrity string of b.
func SRI(b []byte) string {
	sum := sha512.Sum512(b)
	return "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
}

// SHA1Hex returns the hex sha1 of b, the form of dist.shasum.
func SHA1Hex(b []byte) string {
	sum := sha1.Sum(b)
	return hex.EncodeToString(sum[:])
}

// packageJSON returns the package.json written into p's tarball.
func (p *Package) packageJSON() ([]byte, error) {
	if s, ok := p.Files["package.json"]; ok {
		return []byte(s), nil
	}
	m := p.manifest()
	b, err := marshal(m, true)
	if err != nil {
		return nil, fmt.Errorf("failed to encode package.json of %q: %w", p.Name+"@"+p.Version, err)
	}
	return b, nil
}

// build produces p's served tarball and its file statistics.
func (p *Package) build() (tgz []byte, fileCount, unpacked int, err error) {
	if p.RawTarball != nil {
		return p.RawTarball, -1, -1, nil
	}
	pj, err := p.packageJSON()
	if err != nil {
		return nil, 0, 0, err
	}
	files := map[string]string{"package.json": string(pj)}
	for k, v := range p.Files {
		if k != "package.json" {
			files[k] = v
		}
	}
	names := make([]string, 0, len(files))
	for k := range files {
		names = append(names, k)
	}
	sort.Strings(names)
	root := p.TarRoot
	if root == "" {
		root = "package"
	}
	entries := make([]TarEntry, 0, len(names))
	for _, n := range names {
		entries = append(entries, TarEntry{Name: root + "/" + n, Body: files[n], Mode: p.Modes[n]})
		unpacked += len(files[n])
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("failed to build tarball of %q: %v", p.Name+"@"+p.Version, v)
		}
	}()
	return MustTarball(entries...), len(entries), unpacked, nil
}

// marshal encodes v like JSON.stringify would (no HTML escaping); indent
// gives npm's two-space package.json layout with a trailing newline.
func marshal(v any, indent bool) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	if !indent {
		b = bytes.TrimSuffix(b, []byte("\n"))
	}
	return b, nil
}
