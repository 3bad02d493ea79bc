package manifest

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"time"
	"unsafe"

	"github.com/lockstep-dev/lockstep/install/packument"
)

// FormatVersion is the version of the on-disk entry format. Entries of
// another version are misses (and are overwritten).
const FormatVersion = 4

var magic = [4]byte{'L', 'S', 'M', 'C'}

// headerSize is magic, format version (uint16) and the CRC-32C of the rest.
const headerSize = 4 + 2 + 4

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crcOf(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// ErrCorrupt marks an entry that fails its checksum or does not decode.
var ErrCorrupt = errors.New("corrupt cache entry")

// errVersion marks an entry written by another format version.
var errVersion = errors.New("cache entry format version differs")

// meta is stored with each entry.
type meta struct {
	Registry, Name string
	Validators     Validators
}

// Encode serializes p with its metadata into the entry format:
//
//	"LSMC" | uint16 format | uint32 crc32c(body) | body
//	body = strings table | meta | packument
//
// Every string is stored once in the table and referenced by index, so the
// decoder allocates one string for the whole table.
func encode(m meta, p *packument.Packument) []byte {
	e := &encoder{index: map[string]uint32{"": 0}, strs: []string{""}}
	// Pass 1 collects strings and writes the structure into e.body.
	e.str(m.Registry)
	e.str(m.Name)
	e.str(m.Validators.ETag)
	e.str(m.Validators.LastModified)
	e.packument(p)

	out := make([]byte, headerSize, headerSize+len(e.body)+e.strBytes+2*len(e.strs)+16)
	copy(out, magic[:])
	binary.LittleEndian.PutUint16(out[4:], FormatVersion)
	out = binary.AppendUvarint(out, uint64(len(e.strs)))
	for _, s := range e.strs {
		out = binary.AppendUvarint(out, uint64(len(s)))
	}
	for _, s := range e.strs {
		out = append(out, s...)
	}
	out = append(out, e.body...)
	binary.LittleEndian.PutUint32(out[6:], crcOf(out[headerSize:]))
	return out
}

type encoder struct {
	index    map[string]uint32
	strs     []string
	strBytes int
	body     []byte
}

func (e *encoder) uv(x uint64) { e.body = binary.AppendUvarint(e.body, x) }

func (e *encoder) str(s string) {
	i, ok := e.index[s]
	if !ok {
		i = uint32(len(e.strs))
		e.index[s] = i
		e.strs = append(e.strs, s)
		e.strBytes += len(s)
	}
	e.uv(uint64(i))
}

func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.uv(0)
		return
	}
	e.body = binary.AppendVarint(e.body, t.UnixNano())
	// A real time of exactly the epoch is not distinguishable from zero;
	// registries have none.
}

func (e *encoder) strMap(m map[string]string) {
	e.uv(uint64(len(m)))
	for k, v := range m {
		e.str(k)
		e.str(v)
	}
}

func (e *encoder) list(l []string) {
	e.uv(uint64(len(l)))
	for _, s := range l {
		e.str(s)
	}
}

const (
	flagInstallScript = 1 << iota
	flagShrinkwrap
	flagGypTrue
	flagGypFalse
	flagTarballConventional // Dist.Tarball is prefix + name/-/base-version.tgz
	flagSHA512Raw           // Dist.Integrity is one sha512, stored as 64 raw bytes
	flagSHA1Raw             // Dist.Shasum is 40 lowercase hex digits, stored as 20 bytes
)

// conventionalTarball is the tarball path npm publishes under, after the
// registry prefix: "@s/x/-/x-1.0.0.tgz".
func conventionalTarball(name, version string) string {
	base := name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		base = name[i+1:]
	}
	return name + "/-/" + base + "-" + version + ".tgz"
}

// rawSHA512 returns the 64 bytes of an integrity string that is exactly
// one canonical "sha512-<base64>" hash.
func rawSHA512(integrity string) ([]byte, bool) {
	b64, ok := strings.CutPrefix(integrity, "sha512-")
	if !ok || len(b64) != 88 {
		return nil, false
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != 64 || base64.StdEncoding.EncodeToString(raw) != b64 {
		return nil, false
	}
	return raw, true
}

func rawSHA1(shasum string) ([]byte, bool) {
	if len(shasum) != 40 {
		return nil, false
	}
	raw, err := hex.DecodeString(shasum)
	if err != nil || hex.EncodeToString(raw) != shasum {
		return nil, false
	}
	return raw, true
}

func (e *encoder) packument(p *packument.Packument) {
	e.str(p.Name)
	e.strMap(p.DistTags)
	if p.HasTime {
		e.uv(1)
	} else {
		e.uv(0)
	}
	e.time(p.Modified)
	e.time(p.Created)
	e.uv(uint64(len(p.Versions)))
	var mb encoder
	for _, v := range p.Versions {
		e.str(v.Version)
		e.str(v.Deprecated)
		e.time(v.Published)
		e.str(v.EngineNode)
		e.str(v.EngineNPM)
		// The manifest is a length-prefixed section, decoded on demand.
		mb.index, mb.strs, mb.strBytes, mb.body = e.index, e.strs, e.strBytes, mb.body[:0]
		mb.manifest(v.Manifest(), v.Version)
		e.strs, e.strBytes = mb.strs, mb.strBytes
		e.uv(uint64(len(mb.body)))
		e.body = append(e.body, mb.body...)
	}
}

func (e *encoder) manifest(m *packument.Manifest, version string) {
	e.str(m.Name)
	e.strMap(m.Dependencies)
	e.strMap(m.OptionalDependencies)
	e.strMap(m.PeerDependencies)
	e.uv(uint64(len(m.PeerDependenciesMeta)))
	for k, pm := range m.PeerDependenciesMeta {
		e.str(k)
		if pm.Optional {
			e.uv(1)
		} else {
			e.uv(0)
		}
	}
	e.strMap(m.AcceptDependencies)
	e.list(m.BundleDependencies)
	e.strMap(m.Bin)
	e.strMap(m.Engines)
	e.list(m.OS)
	e.list(m.CPU)
	e.list(m.Libc)
	var f uint64
	tarball, sha512, sha1 := m.Dist.Tarball, []byte(nil), []byte(nil)
	if prefix, ok := strings.CutSuffix(tarball, conventionalTarball(m.Name, version)); ok {
		tarball = prefix
		f |= flagTarballConventional
	}
	if raw, ok := rawSHA512(m.Dist.Integrity); ok {
		sha512 = raw
		f |= flagSHA512Raw
	}
	if raw, ok := rawSHA1(m.Dist.Shasum); ok {
		sha1 = raw
		f |= flagSHA1Raw
	}
	if m.HasInstallScript {
		f |= flagInstallScript
	}
	if m.HasShrinkwrap {
		f |= flagShrinkwrap
	}
	switch m.Gypfile {
	case 1:
		f |= flagGypTrue
	case -1:
		f |= flagGypFalse
	}
	e.uv(f)
	e.str(tarball)
	if sha512 != nil {
		e.body = append(e.body, sha512...)
	} else {
		e.str(m.Dist.Integrity)
	}
	if sha1 != nil {
		e.body = append(e.body, sha1...)
	} else {
		e.str(m.Dist.Shasum)
	}
	e.str(m.License)
	e.str(m.Funding)
	e.str(m.Workspaces)
	e.str(m.EnginesRaw)
	e.str(m.LicenseRaw)
	e.str(m.PeerMetaRaw)
}

// decode parses an entry; it verifies the checksum first.
func decode(data []byte) (meta, *packument.Packument, error) {
	if len(data) < headerSize || [4]byte(data[:4]) != magic {
		return meta{}, nil, fmt.Errorf("%w: bad magic", ErrCorrupt)
	}
	if v := binary.LittleEndian.Uint16(data[4:]); v != FormatVersion {
		return meta{}, nil, fmt.Errorf("%w: %d, want %d", errVersion, v, FormatVersion)
	}
	if crcOf(data[headerSize:]) != binary.LittleEndian.Uint32(data[6:]) {
		return meta{}, nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	d := &decoder{buf: data[headerSize:]}
	n := d.uv()
	if n > uint64(len(d.buf)) || n == 0 {
		return meta{}, nil, fmt.Errorf("%w: bad string table", ErrCorrupt)
	}
	lens := make([]uint64, n)
	total := uint64(0)
	for i := range lens {
		lens[i] = d.uv()
		total += lens[i]
	}
	if d.err != nil || total > uint64(len(d.buf)) {
		return meta{}, nil, fmt.Errorf("%w: bad string table", ErrCorrupt)
	}
	// The strings view the entry's buffer, which decode's caller hands
	// over and never modifies: no copy, no allocation per string.
	blob := unsafe.String(unsafe.SliceData(d.buf), int(total))
	d.buf = d.buf[total:]
	d.strs = make([]string, n)
	off := uint64(0)
	for i, l := range lens {
		d.strs[i] = blob[off : off+l]
		off += l
	}
	var m meta
	m.Registry, m.Name = d.str(), d.str()
	m.Validators.ETag, m.Validators.LastModified = d.str(), d.str()
	p := d.packument()
	if d.err != nil {
		return meta{}, nil, fmt.Errorf("%w: %v", ErrCorrupt, d.err)
	}
	if len(d.buf) != 0 {
		return meta{}, nil, fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(d.buf))
	}
	return m, p, nil
}

type decoder struct {
	buf  []byte
	strs []string
	err  error
}

var errShort = errors.New("truncated")

func (d *decoder) uv() uint64 {
	x, n := binary.Uvarint(d.buf)
	if n <= 0 {
		if d.err == nil {
			d.err = errShort
		}
		d.buf = nil
		return 0
	}
	d.buf = d.buf[n:]
	return x
}

func (d *decoder) str() string {
	i := d.uv()
	if i >= uint64(len(d.strs)) {
		if d.err == nil {
			d.err = fmt.Errorf("string index %d out of range", i)
		}
		return ""
	}
	return d.strs[i]
}

// count reads a length, bounded by the bytes left (each element takes at
// least one byte), so corrupt input cannot make huge allocations.
func (d *decoder) count() int {
	n := d.uv()
	if n > uint64(len(d.buf)) {
		if d.err == nil {
			d.err = fmt.Errorf("count %d exceeds the %d bytes left", n, len(d.buf))
		}
		d.buf = nil
		return 0
	}
	return int(n)
}

func (d *decoder) bytes(n int) []byte {
	if len(d.buf) < n {
		if d.err == nil {
			d.err = errShort
		}
		d.buf = nil
		return nil
	}
	b := d.buf[:n]
	d.buf = d.buf[n:]
	return b
}

func (d *decoder) time() time.Time {
	x, n := binary.Varint(d.buf)
	if n <= 0 {
		if d.err == nil {
			d.err = errShort
		}
		d.buf = nil
		return time.Time{}
	}
	d.buf = d.buf[n:]
	if x == 0 {
		return time.Time{}
	}
	return time.Unix(0, x).UTC()
}

func (d *decoder) strMap() map[string]string {
	n := d.count()
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		k := d.str()
		m[k] = d.str()
	}
	return m
}

func (d *decoder) list() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	l := make([]string, n)
	for i := range l {
		l[i] = d.str()
	}
	return l
}

func (d *decoder) packument() *packument.Packument {
	p := &packument.Packument{Name: d.str(), DistTags: d.strMap()}
	p.HasTime = d.uv() == 1
	p.Modified = d.time()
	p.Created = d.time()
	n := d.count()
	if n == 0 || d.err != nil {
		p.Finish()
		return p
	}
	l := &loader{strs: d.strs, sections: make([][]byte, n), versions: make([]string, n)}
	p.Versions = make([]*packument.Version, n)
	for i := range n {
		s := packument.Summary{Version: d.str(), Deprecated: d.str(), Published: d.time(), EngineNode: d.str(), EngineNPM: d.str()}
		size := d.uv()
		if size > uint64(len(d.buf)) {
			if d.err == nil {
				d.err = fmt.Errorf("manifest of %d bytes exceeds the %d left", size, len(d.buf))
			}
			return nil
		}
		l.sections[i] = d.buf[:size:size]
		l.versions[i] = s.Version
		d.buf = d.buf[size:]
		if d.err != nil {
			return nil
		}
		p.Versions[i] = packument.NewLazyVersion(s, l, i)
	}
	p.Finish()
	return p
}

// loader decodes the manifests of one entry on demand.
type loader struct {
	strs     []string
	sections [][]byte
	versions []string
}

// LoadManifest implements packument.ManifestLoader.
func (l *loader) LoadManifest(i int) *packument.Manifest {
	d := &decoder{buf: l.sections[i], strs: l.strs}
	m := d.manifest(l.versions[i])
	if d.err == nil && len(d.buf) != 0 {
		d.err = fmt.Errorf("%d trailing bytes", len(d.buf))
	}
	if d.err != nil {
		return &packument.Manifest{Err: fmt.Errorf("failed to decode a cached manifest: %w: %v", ErrCorrupt, d.err)}
	}
	return m
}

func (d *decoder) manifest(version string) *packument.Manifest {
	m := &packument.Manifest{Name: d.str()}
	m.Dependencies = d.strMap()
	m.OptionalDependencies = d.strMap()
	m.PeerDependencies = d.strMap()
	if k := d.count(); k > 0 {
		m.PeerDependenciesMeta = make(map[string]packument.PeerMeta, k)
		for range k {
			name := d.str()
			m.PeerDependenciesMeta[name] = packument.PeerMeta{Optional: d.uv() == 1}
		}
	}
	m.AcceptDependencies = d.strMap()
	m.BundleDependencies = d.list()
	m.Bin = d.strMap()
	m.Engines = d.strMap()
	m.OS, m.CPU, m.Libc = d.list(), d.list(), d.list()
	f := d.uv()
	m.Dist.Tarball = d.str()
	if f&flagTarballConventional != 0 {
		m.Dist.Tarball += conventionalTarball(m.Name, version)
	}
	if f&flagSHA512Raw != 0 {
		if raw := d.bytes(64); raw != nil {
			m.Dist.Integrity = "sha512-" + base64.StdEncoding.EncodeToString(raw)
		}
	} else {
		m.Dist.Integrity = d.str()
	}
	if f&flagSHA1Raw != 0 {
		if raw := d.bytes(20); raw != nil {
			m.Dist.Shasum = hex.EncodeToString(raw)
		}
	} else {
		m.Dist.Shasum = d.str()
	}
	m.HasInstallScript = f&flagInstallScript != 0
	m.HasShrinkwrap = f&flagShrinkwrap != 0
	switch {
	case f&flagGypTrue != 0:
		m.Gypfile = 1
	case f&flagGypFalse != 0:
		m.Gypfile = -1
	}
	m.License, m.Funding = d.str(), d.str()
	m.Workspaces, m.EnginesRaw = d.str(), d.str()
	m.LicenseRaw, m.PeerMetaRaw = d.str(), d.str()
	if d.err != nil {
		return nil
	}
	return m
}
