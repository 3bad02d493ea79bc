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
const FormatVersion = 5

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
// Shared strings (a version's fields mostly repeat the previous one's) are
// stored once in the table and referenced by index; decoded strings view
// the entry's buffer, so loading allocates no string at all.
func encode(m meta, p *packument.Packument) ([]byte, error) {
	e := &encoder{index: map[strKey]uint32{}, strs: []string{""}}
	size := 64
	for _, v := range p.Versions {
		size += len(v.Version) + 160 // summary, hashes, field references
	}
	e.body = make([]byte, 0, size)
	// Pass 1 collects strings and writes the structure into e.body.
	e.str(m.Registry)
	e.str(m.Name)
	e.str(m.Validators.ETag)
	e.str(m.Validators.LastModified)
	if err := e.packument(p); err != nil {
		return nil, err
	}

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
	return out, nil
}

type encoder struct {
	index    map[strKey]uint32
	strs     []string
	strBytes int
	body     []byte
	prefix   string // the last tarball prefix
}

// strKey identifies a string by its bytes' address: packuments intern the
// values versions share, so equal values are one string, and hashing two
// words is much cheaper than hashing the text. (The heap does not move;
// the strings live until encode returns.)
type strKey struct {
	p *byte
	n int
}

func (e *encoder) uv(x uint64) { e.body = binary.AppendUvarint(e.body, x) }

func (e *encoder) str(s string) {
	if s == "" {
		e.uv(0)
		return
	}
	k := strKey{unsafe.StringData(s), len(s)}
	i, ok := e.index[k]
	if !ok {
		i = uint32(len(e.strs))
		e.index[k] = i
		e.strs = append(e.strs, s)
		e.strBytes += len(s)
	}
	e.uv(uint64(i))
}

// inline writes a string that no other value shares, in place.
func (e *encoder) inline(s string) {
	e.uv(uint64(len(s)))
	e.body = append(e.body, s...)
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

// conventionalTarball is the tarball path npm publishes under, after the
// registry prefix: "@s/x/-/x-1.0.0.tgz".
func conventionalTarball(name, version string) string {
	base := name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		base = name[i+1:]
	}
	return name + "/-/" + base + "-" + version + ".tgz"
}

// cutConventional is strings.CutSuffix(tarball, conventionalTarball(name,
// version)) without building the suffix.
func cutConventional(tarball, name, version string) (string, bool) {
	base := name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		base = name[i+1:]
	}
	s, ok := strings.CutSuffix(tarball, ".tgz")
	for _, part := range [...]string{version, "-", base, "/-/", name} {
		if !ok {
			return "", false
		}
		s, ok = strings.CutSuffix(s, part)
	}
	if !ok {
		return "", false
	}
	return s, true
}

// appendSHA512 appends the tag and the 64 bytes of an integrity string
// that is exactly one canonical "sha512-<base64>" hash (strict decoding
// refuses non-zero padding bits, so the text comes back byte for byte).
func appendSHA512(body []byte, tag uint64, integrity string) ([]byte, bool) {
	b64, ok := strings.CutPrefix(integrity, "sha512-")
	if !ok || len(b64) != 88 || b64[86:] != "==" {
		return body, false
	}
	n := len(body)
	body = binary.AppendUvarint(body, tag)
	out, err := strictBase64.AppendDecode(body, []byte(b64))
	if err != nil || len(out)-len(body) != 64 {
		return body[:n], false
	}
	return out, true
}

var strictBase64 = base64.StdEncoding.Strict()

// appendSHA1 appends the tag and the 20 bytes of 40 lowercase hex digits.
func appendSHA1(body []byte, tag uint64, shasum string) ([]byte, bool) {
	if len(shasum) != 40 {
		return body, false
	}
	for i := 0; i < len(shasum); i++ {
		if c := shasum[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return body, false
		}
	}
	body = binary.AppendUvarint(body, tag)
	out, _ := hex.AppendDecode(body, []byte(shasum))
	return out, true
}

func (e *encoder) packument(p *packument.Packument) error {
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
	for _, v := range p.Versions {
		e.inline(v.Version)
		e.str(v.Deprecated)
		e.time(v.Published)
		e.str(v.EngineNode)
		e.str(v.EngineNPM)
		fields, err := v.Fields()
		if err != nil {
			return fmt.Errorf("version %q: %w", v.Version, err)
		}
		// The fields are a section decoded on demand, after its length
		// (four bytes, written once the section is).
		at := len(e.body)
		e.body = append(e.body, 0, 0, 0, 0)
		e.fields(fields, p.Name, v.Version)
		binary.LittleEndian.PutUint32(e.body[at:], uint32(len(e.body)-at-4))
	}
	return nil
}

// How a field's value is stored: its low two bits beside the kind.
const (
	modeString  = iota // a string-table index
	modeTarball        // "<prefix>" + conventionalTarball, quoted; the prefix is a string
	modeSHA512         // "sha512-<base64>", quoted; 64 raw bytes
	modeSHA1           // 40 lowercase hex digits, quoted; 20 raw bytes
)

func (e *encoder) fields(fields []packument.Field, name, version string) {
	e.uv(uint64(len(fields)))
	for _, f := range fields {
		k := uint64(f.Kind) << 2
		if inner, ok := plainString(f.Raw); ok {
			switch f.Kind {
			case packument.FieldDistTarball:
				if prefix, ok := cutConventional(inner, name, version); ok {
					e.uv(k | modeTarball)
					// Every version's prefix is the same text at another
					// address: keep the first.
					if prefix == e.prefix {
						prefix = e.prefix
					}
					e.prefix = prefix
					e.str(prefix)
					continue
				}
			case packument.FieldDistIntegrity:
				if body, ok := appendSHA512(e.body, k|modeSHA512, inner); ok {
					e.body = body
					continue
				}
			case packument.FieldDistShasum:
				if body, ok := appendSHA1(e.body, k|modeSHA1, inner); ok {
					e.body = body
					continue
				}
			}
		}
		e.uv(k | modeString)
		e.str(f.Raw)
	}
}

// plainString returns the text of a JSON string without escapes.
func plainString(raw string) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	if strings.ContainsAny(inner, "\\\"") {
		return "", false
	}
	return inner, true
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

// inline reads a string written in place; it views the entry's buffer.
func (d *decoder) inline() string {
	n := d.count()
	b := d.bytes(n)
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
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
	l := &loader{strs: d.strs, sections: make([][]byte, n), versions: make([]string, n), name: p.Name}
	p.Versions = make([]*packument.Version, n)
	for i := range n {
		s := packument.Summary{Version: d.inline(), Deprecated: d.str(), Published: d.time(), EngineNode: d.str(), EngineNPM: d.str()}
		var size uint64
		if b := d.bytes(4); b != nil {
			size = uint64(binary.LittleEndian.Uint32(b))
		}
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
		p.Versions[i] = packument.NewLazyVersion(s, l, i, p.Name)
	}
	p.Finish()
	return p
}

// loader decodes the fields of one entry's versions on demand.
type loader struct {
	strs     []string
	sections [][]byte
	versions []string
	name     string
}

// LoadFields implements packument.FieldLoader.
func (l *loader) LoadFields(i int) ([]packument.Field, error) {
	d := &decoder{buf: l.sections[i], strs: l.strs}
	f := d.fields(l.name, l.versions[i])
	if d.err == nil && len(d.buf) != 0 {
		d.err = fmt.Errorf("%d trailing bytes", len(d.buf))
	}
	if d.err != nil {
		return nil, fmt.Errorf("failed to decode a cached manifest: %w: %v", ErrCorrupt, d.err)
	}
	return f, nil
}

func (d *decoder) fields(name, version string) []packument.Field {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make([]packument.Field, 0, n)
	for range n {
		x := d.uv()
		f := packument.Field{Kind: packument.FieldKind(x >> 2)}
		if !f.Kind.Valid() && d.err == nil {
			d.err = fmt.Errorf("unknown field kind %d", f.Kind)
		}
		switch x & 3 {
		case modeString:
			f.Raw = d.str()
		case modeTarball:
			f.Raw = `"` + d.str() + conventionalTarball(name, version) + `"`
		case modeSHA512:
			if raw := d.bytes(64); raw != nil {
				f.Raw = `"sha512-` + base64.StdEncoding.EncodeToString(raw) + `"`
			}
		case modeSHA1:
			if raw := d.bytes(20); raw != nil {
				f.Raw = `"` + hex.EncodeToString(raw) + `"`
			}
		}
		if d.err != nil {
			return nil
		}
		out = append(out, f)
	}
	return out
}
