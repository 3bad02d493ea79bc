package packument

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Table is the string table a packument's versions share: every kept raw
// value once (consecutive versions mostly repeat their dependencies,
// engines and license). A version's fields are a section of bytes that
// refers to it. The manifest cache stores the table and the sections as
// they are, and a cached packument views them in the file's buffer, so the
// in-memory form is also the on-disk form.
//
// A section is:
//
//	uvarint count | count × (uvarint kind<<2|mode | value)
//
// where the value is, by mode: a uvarint table index (the raw JSON text);
// for a conventional tarball URL, the index of its prefix (the rest is
// name/-/base-version.tgz); for a canonical sha512 integrity, its 64
// bytes; for a lowercase hex shasum, its 20 bytes.
//
// A table is either built (Strs) or a view of an encoded one
// (NewTableView); Len and Str read both.
type Table struct {
	Strs []string
	view *Spans // set by NewTableView
}

// Len is the number of strings.
func (t *Table) Len() int {
	if t.view != nil {
		return t.view.Len()
	}
	return len(t.Strs)
}

// Str returns string i; i must be below Len.
func (t *Table) Str(i int) string {
	if t.view == nil {
		return t.Strs[i]
	}
	b := t.view.At(i)
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

const (
	modeString  = iota // a table index
	modeTarball        // "<prefix>" + ConventionalTarball, quoted; the prefix's index
	modeSHA512         // "sha512-<base64>", quoted; 64 raw bytes
	modeSHA1           // 40 lowercase hex digits, quoted; 20 raw bytes
)

// ErrSection marks a section that does not decode (a damaged cache entry:
// entries are checksummed, so this is a bug or a disk fault).
var ErrSection = errors.New("malformed version section")

// ConventionalTarball is the tarball path npm publishes under, after the
// registry prefix: "@s/x/-/x-1.0.0.tgz".
func ConventionalTarball(name, version string) string {
	base := name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		base = name[i+1:]
	}
	return name + "/-/" + base + "-" + version + ".tgz"
}

// cutConventional is strings.CutSuffix(tarball, ConventionalTarball(name,
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

// builder writes a packument's table and sections.
type builder struct {
	tab     *Table
	index   map[string]uint32
	arena   []byte // the sections, back to back
	invalid bool   // a kept string is not valid UTF-8
	copy    bool   // clone strings into the table (they view a buffer)
}

func newBuilder(copy bool) *builder {
	return &builder{tab: &Table{Strs: []string{""}}, index: map[string]uint32{"": 0}, copy: copy}
}

// ref returns raw's index, adding it to the table.
func (b *builder) ref(raw string) uint32 {
	if i, ok := b.index[raw]; ok {
		return i
	}
	if b.copy {
		if !b.invalid && !utf8.ValidString(raw) {
			b.invalid = true
		}
		raw = strings.Clone(raw)
	}
	i := uint32(len(b.tab.Strs))
	b.tab.Strs = append(b.tab.Strs, raw)
	b.index[raw] = i
	return i
}

// field appends one field to the section being written.
func (b *builder) field(k FieldKind, raw, name, version string) {
	tag := uint64(k) << 2
	if inner, ok := plainString(raw); ok {
		switch k {
		case FieldDistTarball:
			if prefix, ok := cutConventional(inner, name, version); ok {
				b.arena = binary.AppendUvarint(b.arena, tag|modeTarball)
				b.arena = binary.AppendUvarint(b.arena, uint64(b.ref(prefix)))
				return
			}
		case FieldDistIntegrity:
			if out, ok := appendSHA512(b.arena, tag|modeSHA512, inner); ok {
				b.arena = out
				return
			}
		case FieldDistShasum:
			if out, ok := appendSHA1(b.arena, tag|modeSHA1, inner); ok {
				b.arena = out
				return
			}
		}
	}
	b.arena = binary.AppendUvarint(b.arena, tag|modeString)
	b.arena = binary.AppendUvarint(b.arena, uint64(b.ref(raw)))
}

// section appends a whole section for fields and returns its bounds in
// the arena.
func (b *builder) section(fields []Field, name, version string) (int, int) {
	start := len(b.arena)
	b.arena = binary.AppendUvarint(b.arena, uint64(len(fields)))
	for _, f := range fields {
		b.field(f.Kind, f.Raw, name, version)
	}
	return start, len(b.arena)
}

// plainString returns the text of a JSON string without escapes.
func plainString(raw string) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	if strings.IndexByte(inner, '\\') >= 0 || strings.IndexByte(inner, '"') >= 0 {
		return "", false
	}
	return inner, true
}

var strictBase64 = base64.StdEncoding.Strict()

// appendSHA512 appends the tag and the 64 bytes of an integrity string
// that is exactly one canonical "sha512-<base64>" hash (strict decoding
// refuses non-zero padding bits, so the text comes back byte for byte).
func appendSHA512(out []byte, tag uint64, integrity string) ([]byte, bool) {
	b64, ok := strings.CutPrefix(integrity, "sha512-")
	if !ok || len(b64) != 88 || b64[86:] != "==" {
		return out, false
	}
	n := len(out)
	out = binary.AppendUvarint(out, tag)
	// The string is viewed, not copied: AppendDecode only reads it.
	res, err := strictBase64.AppendDecode(out, unsafe.Slice(unsafe.StringData(b64), len(b64)))
	if err != nil || len(res)-len(out) != 64 {
		return out[:n], false
	}
	return res, true
}

// appendSHA1 appends the tag and the 20 bytes of 40 lowercase hex digits.
func appendSHA1(out []byte, tag uint64, shasum string) ([]byte, bool) {
	if len(shasum) != 40 {
		return out, false
	}
	var sum [20]byte
	for i := range sum {
		hi, ok1 := lowerHex(shasum[2*i])
		lo, ok2 := lowerHex(shasum[2*i+1])
		if !ok1 || !ok2 {
			return out, false
		}
		sum[i] = hi<<4 | lo
	}
	out = binary.AppendUvarint(out, tag)
	return append(out, sum[:]...), true
}

func lowerHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// decodeSection reads a section back into fields.
func decodeSection(sec []byte, tab *Table, name, version string) ([]Field, error) {
	uv := func() (uint64, bool) {
		x, n := binary.Uvarint(sec)
		if n <= 0 {
			return 0, false
		}
		sec = sec[n:]
		return x, true
	}
	str := func() (string, bool) {
		i, ok := uv()
		if !ok || i >= uint64(tab.Len()) {
			return "", false
		}
		return tab.Str(int(i)), true
	}
	bad := func(what string) ([]Field, error) {
		return nil, fmt.Errorf("%w: %s of %s@%s", ErrSection, what, name, version)
	}
	n, ok := uv()
	if !ok || n > uint64(len(sec)) {
		return bad("field count")
	}
	out := make([]Field, 0, n)
	for range n {
		x, ok := uv()
		f := Field{Kind: FieldKind(x >> 2)}
		if !ok || !f.Kind.Valid() {
			return bad("field kind")
		}
		switch x & 3 {
		case modeString:
			f.Raw, ok = str()
		case modeTarball:
			var prefix string
			prefix, ok = str()
			f.Raw = `"` + prefix + ConventionalTarball(name, version) + `"`
		case modeSHA512:
			ok = len(sec) >= 64
			if ok {
				f.Raw = `"sha512-` + base64.StdEncoding.EncodeToString(sec[:64]) + `"`
				sec = sec[64:]
			}
		case modeSHA1:
			ok = len(sec) >= 20
			if ok {
				f.Raw = `"` + hex.EncodeToString(sec[:20]) + `"`
				sec = sec[20:]
			}
		}
		if !ok {
			return bad("field value")
		}
		out = append(out, f)
	}
	if len(sec) != 0 {
		return bad("trailing bytes")
	}
	return out, nil
}

// SetSections sets p's versions to sums[i] with fields secs[i] over tab,
// allocated together (the manifest cache loads thousands at a time), and
// builds the index.
func (p *Packument) SetSections(tab *Table, sums []Summary, secs [][]byte) {
	vs := make([]Version, len(sums))
	p.Versions = make([]*Version, len(sums))
	for i := range vs {
		vs[i] = Version{Summary: sums[i], tab: tab, sec: secs[i], name: p.Name}
		p.Versions[i] = &vs[i]
	}
	p.Finish()
}

// Compact returns the table and each version's section: the packument's
// own when Decode (or the cache) made it, else built from the versions'
// fields.
func (p *Packument) Compact() (*Table, [][]byte, error) {
	all := p.All()
	secs := make([][]byte, len(all))
	own := p.table != nil
	for i, v := range all {
		if v.tab != p.table || v.tab == nil {
			own = false
			break
		}
		secs[i] = v.sec
	}
	if own {
		return p.table, secs, nil
	}
	b := newBuilder(false)
	bounds := make([][2]int, len(all))
	for i, v := range all {
		fields, err := v.Fields()
		if err != nil {
			return nil, nil, fmt.Errorf("version %q: %w", v.Version, err)
		}
		bounds[i][0], bounds[i][1] = b.section(fields, p.Name, v.Version)
	}
	for i, bd := range bounds {
		secs[i] = b.arena[bd[0]:bd[1]:bd[1]]
	}
	return b.tab, secs, nil
}
