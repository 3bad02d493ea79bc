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
const FormatVersion = 9

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
//	body  = meta | name, dist-tags, times | table | versions
//	table = count | count × uint32 end | the strings, back to back
//	versions = count | count × uint32 record end | count × uint32 index,
//	           sorted by version | the records, back to back
//	record = version, deprecated, published, engines | section
//
// The table and the sections are the packument's own (packument.Table).
// A loaded entry is a packument.Source over the file's buffer: loading
// checks the bounds of every record but allocates nothing per version, and
// a version is materialized only when it is looked up (binary search over
// the sorted indexes) or when all are listed.
func encode(m meta, p *packument.Packument) ([]byte, error) {
	tab, secs, err := p.Compact()
	if err != nil {
		return nil, err
	}
	all := p.All()
	size := headerSize + 256 + 4*tab.Len()
	for i := range tab.Len() {
		size += len(tab.Str(i))
	}
	for i, v := range all {
		size += 12 + len(v.Version) + len(v.EngineNode) + len(v.EngineNPM) + len(v.Deprecated) + 16 + len(secs[i])
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
	e.uv(uint64(tab.Len()))
	end := 0
	for i := range tab.Len() {
		end += len(tab.Str(i))
		if end > 1<<32-1 {
			return nil, fmt.Errorf("failed to encode %q: string table over 4 GiB", p.Name)
		}
		e.body = binary.LittleEndian.AppendUint32(e.body, uint32(end))
	}
	for i := range tab.Len() {
		e.body = append(e.body, tab.Str(i)...)
	}
	e.uv(uint64(len(all)))
	ends := len(e.body)
	e.body = append(e.body, make([]byte, 4*len(all))...)
	order := make([]uint32, len(all))
	for i := range order {
		order[i] = uint32(i)
	}
	sort.SliceStable(order, func(a, b int) bool { return all[order[a]].Version < all[order[b]].Version })
	for _, i := range order {
		e.body = binary.LittleEndian.AppendUint32(e.body, i)
	}
	// The versions that parse, highest first (ties in the document's
	// order): a pick walks them down to the first that satisfies instead
	// of parsing every version (packument.Ranked).
	ranked := p.RankedIndexes()
	e.uv(uint64(len(ranked)))
	for _, i := range ranked {
		e.body = binary.LittleEndian.AppendUint32(e.body, uint32(i))
	}
	recs := len(e.body)
	for i, v := range all {
		e.str(v.Version)
		e.str(v.Deprecated)
		e.time(v.Published)
		e.str(v.EngineNode)
		e.str(v.EngineNPM)
		e.body = append(e.body, secs[i]...)
		if len(e.body)-recs > 1<<32-1 {
			return nil, fmt.Errorf("failed to encode %q: versions over 4 GiB", p.Name)
		}
		binary.LittleEndian.PutUint32(e.body[ends+4*i:], uint32(len(e.body)-recs))
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
	nstr := d.count()
	ends := d.bytes(4 * nstr)
	blobLen := 0
	if nstr > 0 && d.err == nil {
		blobLen = int(binary.LittleEndian.Uint32(ends[len(ends)-4:]))
	}
	blob := d.bytes(blobLen)
	if d.err != nil {
		return nil
	}
	tab, err := packument.NewTableView(blob, ends)
	if err != nil {
		d.err = err
		return nil
	}
	n := d.count()
	ends, order := d.bytes(4*n), d.bytes(4*n)
	ranked := d.bytes(4 * d.count())
	var recs []byte
	if n > 0 && d.err == nil {
		recs = d.bytes(int(binary.LittleEndian.Uint32(ends[len(ends)-4:])))
	}
	if d.err != nil {
		return nil
	}
	sp, err := packument.NewSpans(recs, ends)
	if err != nil {
		d.err = fmt.Errorf("version records: %w", err)
		return nil
	}
	src := &entrySource{recs: sp, order: order, ranked: ranked}
	if err := src.check(); err != nil {
		d.err = err
		return nil
	}
	p.SetSource(tab, src)
	return p
}

// entrySource is a loaded entry's versions (packument.Source): records
// viewed in the entry's buffer, found by binary search over their indexes
// sorted by version.
type entrySource struct {
	recs   packument.Spans // the records
	order  []byte          // record indexes sorted by version, uint32 little-endian
	ranked []byte          // indexes of the versions that parse, highest first, uint32 little-endian
}

func (s *entrySource) Ranked() int { return len(s.ranked) / 4 }

func (s *entrySource) RankedAt(k int) int { return int(binary.LittleEndian.Uint32(s.ranked[4*k:])) }

func (s *entrySource) Len() int { return s.recs.Len() }

// At decodes record i; check has made sure it decodes.
func (s *entrySource) At(i int) (packument.Summary, []byte) {
	d := decoder{buf: s.recs.At(i)}
	sum := packument.Summary{Version: d.str(), Deprecated: d.str(), Published: d.time(), EngineNode: d.str(), EngineNPM: d.str()}
	return sum, d.buf[:len(d.buf):len(d.buf)]
}

// version is record i's version string.
func (s *entrySource) version(i int) string {
	d := decoder{buf: s.recs.At(i)}
	return d.str()
}

func (s *entrySource) Find(v string) int {
	n := s.Len()
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.version(int(binary.LittleEndian.Uint32(s.order[4*m:]))) < v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < n {
		if i := int(binary.LittleEndian.Uint32(s.order[4*lo:])); s.version(i) == v {
			return i
		}
	}
	return -1
}

// check verifies what At and Find rely on (the spans are checked): every
// record's summary within it, and the sorted indexes a permutation in
// version order.
func (s *entrySource) check() error {
	n := s.Len()
	for i := range n {
		d := decoder{buf: s.recs.At(i)}
		d.str()
		d.str()
		d.time()
		d.str()
		d.str()
		if d.err != nil {
			return fmt.Errorf("version record %d: %v", i, d.err)
		}
	}
	last := ""
	for k := range n {
		i := binary.LittleEndian.Uint32(s.order[4*k:])
		if uint64(i) >= uint64(n) {
			return fmt.Errorf("sorted index %d is %d of %d versions", k, i, n)
		}
		v := s.version(int(i))
		if k > 0 && v <= last {
			return fmt.Errorf("sorted index %d: version %q after %q", k, v, last)
		}
		last = v
	}
	// The ranking is the encoder's (the checksum vouches for it); only its
	// bounds are checked here, since checking its order means parsing
	// every version, which is what it saves.
	for k := range s.Ranked() {
		if i := s.RankedAt(k); i >= n {
			return fmt.Errorf("ranked index %d is %d of %d versions", k, i, n)
		}
	}
	return nil
}
