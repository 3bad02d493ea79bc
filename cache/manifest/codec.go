package manifest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"sort"
	"time"
	"unsafe"

	"github.com/lockstep-dev/lockstep/install/packument"
)

// FormatVersion is the version of the on-disk entry format. Entries of
// another version are misses (and are overwritten).
const FormatVersion = 6

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
//	body = meta | name, dist-tags, times | table | versions
//	table = count | count × length | the strings, back to back
//	version = version, deprecated, published, engines | uint32 size | section
//
// The table and the sections are the packument's own (packument.Table):
// writing an entry copies them, and a loaded entry views them in the
// file's buffer, so loading allocates no string and decodes no manifest
// until a version is picked.
func encode(m meta, p *packument.Packument) ([]byte, error) {
	tab, secs, err := p.Compact()
	if err != nil {
		return nil, err
	}
	size := headerSize + 256 + 2*len(tab.Strs)
	for _, s := range tab.Strs {
		size += len(s)
	}
	for i, v := range p.Versions {
		size += len(v.Version) + len(v.EngineNode) + len(v.EngineNPM) + len(v.Deprecated) + 24 + len(secs[i])
	}
	e := &encoder{body: make([]byte, headerSize, size)}
	copy(e.body, magic[:])
	binary.LittleEndian.PutUint16(e.body[4:], FormatVersion)
	e.str(m.Registry)
	e.str(m.Name)
	e.str(m.Validators.ETag)
	e.str(m.Validators.LastModified)
	e.str(p.Name)
	tags := make([]string, 0, len(p.DistTags))
	for k := range p.DistTags {
		tags = append(tags, k)
	}
	sort.Strings(tags)
	e.uv(uint64(len(tags)))
	for _, k := range tags {
		e.str(k)
		e.str(p.DistTags[k])
	}
	if p.HasTime {
		e.uv(1)
	} else {
		e.uv(0)
	}
	e.time(p.Modified)
	e.time(p.Created)
	e.uv(uint64(len(tab.Strs)))
	for _, s := range tab.Strs {
		e.uv(uint64(len(s)))
	}
	for _, s := range tab.Strs {
		e.body = append(e.body, s...)
	}
	e.uv(uint64(len(p.Versions)))
	for i, v := range p.Versions {
		e.str(v.Version)
		e.str(v.Deprecated)
		e.time(v.Published)
		e.str(v.EngineNode)
		e.str(v.EngineNPM)
		e.body = binary.LittleEndian.AppendUint32(e.body, uint32(len(secs[i])))
		e.body = append(e.body, secs[i]...)
	}
	binary.LittleEndian.PutUint32(e.body[6:], crcOf(e.body[headerSize:]))
	return e.body, nil
}

type encoder struct {
	body []byte
}

func (e *encoder) uv(x uint64) { e.body = binary.AppendUvarint(e.body, x) }

// str writes a string in place.
func (e *encoder) str(s string) {
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

// decode parses an entry; it verifies the checksum first. The packument
// views data, which the caller hands over and never modifies.
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
	buf []byte
	err error
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

// str reads a string written in place; it views the entry's buffer.
func (d *decoder) str() string {
	n := d.count()
	b := d.bytes(n)
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
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

func (d *decoder) packument() *packument.Packument {
	p := &packument.Packument{Name: d.str()}
	if n := d.count(); n > 0 {
		p.DistTags = make(map[string]string, n)
		for range n {
			k := d.str()
			p.DistTags[k] = d.str()
		}
	}
	p.HasTime = d.uv() == 1
	p.Modified = d.time()
	p.Created = d.time()
	tab := &packument.Table{}
	if n := d.count(); n > 0 && d.err == nil {
		lens := make([]uint64, n)
		total := uint64(0)
		for i := range lens {
			lens[i] = d.uv()
			if lens[i] > uint64(len(d.buf)) {
				d.err = fmt.Errorf("string of %d bytes exceeds the %d left", lens[i], len(d.buf))
				return nil
			}
			total += lens[i]
		}
		blob := d.bytes(int(min(total, uint64(len(d.buf)+1))))
		if d.err != nil {
			return nil
		}
		tab.Strs = make([]string, n)
		off := uint64(0)
		for i, l := range lens {
			if l > 0 {
				tab.Strs[i] = unsafe.String(&blob[off], int(l))
			}
			off += l
		}
	}
	n := d.count()
	if n == 0 || d.err != nil {
		p.Finish()
		return p
	}
	sums := make([]packument.Summary, n)
	secs := make([][]byte, n)
	for i := range n {
		sums[i] = packument.Summary{Version: d.str(), Deprecated: d.str(), Published: d.time(), EngineNode: d.str(), EngineNPM: d.str()}
		var size int
		if b := d.bytes(4); b != nil {
			size = int(binary.LittleEndian.Uint32(b))
		}
		sec := d.bytes(size)
		if d.err != nil {
			return nil
		}
		secs[i] = sec[:size:size]
	}
	p.SetSections(tab, sums, secs)
	return p
}
