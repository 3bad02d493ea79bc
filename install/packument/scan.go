package packument

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"unsafe"

	"github.com/bytedance/sonic"
)

// errNotJSON is scanDoc's error for text that is not JSON; Decode asks
// sonic where the text goes wrong.
var errNotJSON = errors.New("not JSON")

// scanDoc checks and decodes a document in one walk of its text, jumping
// over strings eight bytes at a time, and keeps of each version only the
// raw text of its Fields: a full registry document is mostly descriptions,
// maintainers, signatures and readmes nobody reads. Duplicate keys resolve
// like JSON.parse: the last value wins, in the first one's place. Text that
// is not JSON fails with errNotJSON.
func scanDoc(doc string) (p *Packument, in *interner, err error) {
	c := scanner{s: doc}
	var name, tags, times, modified, errv, versions string
	in = newInterner()
	p = &Packument{}
	var built *builder   // the "versions" object, when scanned in place
	var builtName string // the raw "name" it was scanned with
	c.ws()
	if c.peek() != '{' {
		if !c.skip() || !c.end() {
			return nil, nil, errNotJSON
		}
		return nil, nil, fmt.Errorf("failed to decode packument: %w: not an object", ErrNotPackument)
	}
	c.i++
	if !c.object(func(key string) bool {
		start := c.i
		if key == "versions" && name != "" && c.peek() == '{' {
			// Registry documents name the package first: the versions can
			// be cut down as they are read.
			if n, ok := rawString(name); ok {
				p.Name = in.s(n)
			}
			b, ok := p.scanVersions(&c, in)
			built, builtName, versions = b, name, c.s[start:c.i]
			return ok
		}
		if !c.skip() {
			return false
		}
		raw := c.s[start:c.i]
		switch key {
		case "name":
			name = raw
		case "dist-tags":
			tags = raw
		case "time":
			times = raw
		case "modified":
			modified = raw
		case "error":
			errv = raw
		case "versions":
			versions, built = raw, nil
		}
		return true
	}) || !c.end() {
		return nil, nil, errNotJSON
	}
	if errv != "" && errv != "null" && (versions == "" || versions == "null") {
		return nil, nil, fmt.Errorf("failed to decode packument: %w: registry error %s", ErrNotPackument, shortErr(errors.New(errv)))
	}
	p.Name = ""
	if n, ok := rawString(name); ok {
		p.Name = in.s(n)
	}
	if tags != "" {
		var m map[string]any
		if sonic.UnmarshalString(tags, &m) == nil {
			p.DistTags = distTags(m, in)
		}
	}
	if len(times) > 0 && times[0] == '{' {
		p.HasTime = true
	} else {
		p.Modified = parseRawTime(modified)
	}
	switch {
	case built != nil && builtName == name:
		in.invalid = in.invalid || built.invalid
	case versions != "" && versions != "null":
		// "versions" came before "name" (or "name" changed after it).
		if versions[0] != '{' {
			return nil, nil, fmt.Errorf("failed to decode packument %q: %w: \"versions\" is not an object", p.Name, ErrNotPackument)
		}
		v := scanner{s: versions}
		b, _ := p.scanVersions(&v, in)
		in.invalid = in.invalid || b.invalid
	default:
		p.Finish()
	}
	if len(p.index) < len(p.Versions) {
		p.dedupe()
	}
	if p.HasTime {
		t := scanner{s: times}
		t.eat('{')
		t.object(func(key string) bool {
			start := t.i
			if !t.skip() {
				return false
			}
			switch raw := t.s[start:t.i]; key {
			case "created":
				p.Created = parseRawTime(raw)
			case "modified":
				p.Modified = parseRawTime(raw)
			default:
				if v := p.index[key]; v != nil {
					v.Published = parseRawTime(raw)
				}
			}
			return true
		})
	}
	return p, in, nil
}

// scanVersions reads the "versions" object at v and makes p's versions
// from it. The scanner stops after the object; ok is false when it is
// malformed.
func (p *Packument) scanVersions(v *scanner, in *interner) (*builder, bool) {
	sl := slimmer{in: in, b: newBuilder(true)}
	sl.b.arena = make([]byte, 0, (len(v.s)-v.i)/20)
	var bounds [][2]int
	var sums []Summary
	v.eat('{')
	ok := v.object(func(key string) bool {
		sum := Summary{Version: in.s(key)}
		var bd [2]int
		if v.peek() == '{' {
			var ok bool
			if bd, sum.Deprecated, sum.EngineNode, sum.EngineNPM, ok = sl.scan(v, p.Name, sum.Version); !ok {
				return false
			}
		} else {
			if !v.skip() {
				return false
			}
			bd[0], bd[1] = sl.b.section(nil, p.Name, sum.Version)
		}
		bounds = append(bounds, bd)
		sums = append(sums, sum)
		return true
	})
	// The arena is complete: the sections can view it.
	secs := make([][]byte, len(bounds))
	for i, bd := range bounds {
		secs[i] = sl.b.arena[bd[0]:bd[1]:bd[1]]
	}
	p.SetSections(sl.b.tab, sums, secs)
	return sl.b, ok
}

// dedupe resolves duplicate version keys like JSON.parse: the last value,
// in the first one's place.
func (p *Packument) dedupe() {
	first := map[string]int{}
	out := p.Versions[:0]
	for _, v := range p.Versions {
		if i, ok := first[v.Version]; ok {
			out[i] = v
			continue
		}
		first[v.Version] = len(out)
		out = append(out, v)
	}
	clear(p.Versions[len(out):])
	p.Versions = out
	p.Finish()
}

// rawString returns the text of a raw JSON string.
func rawString(raw string) (string, bool) {
	if s, ok := plainString(raw); ok {
		return s, true
	}
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	var s string
	if sonic.UnmarshalString(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// scan cuts the version object at c down to its fields, consuming it, and
// writes them as a section; it returns the section's bounds in the arena.
func (s *slimmer) scan(c *scanner, name, version string) (bounds [2]int, deprecated, engineNode, engineNPM string, ok bool) {
	var vals [fieldEnd]string
	var hasInstall, dep string
	var scripts bool // a truthy preinstall, install or postinstall
	c.eat('{')
	ok = c.object(func(key string) bool {
		// "dist" and "scripts" are read as they are walked.
		switch {
		case key == "dist":
			vals[FieldDistTarball], vals[FieldDistIntegrity], vals[FieldDistShasum] = "", "", ""
			if c.eat('{') {
				return c.members(fieldKeys[FieldDistTarball:FieldDistShasum+1], vals[FieldDistTarball:FieldDistShasum+1])
			}
		case key == "scripts":
			scripts = false
			if c.eat('{') {
				var hooks [len(installHooks)]string
				ok := c.members(installHooks[:], hooks[:])
				for _, h := range hooks {
					scripts = scripts || rawTruthy(sonic.NoCopyRawMessage(h))
				}
				return ok
			}
		}
		start := c.i
		if !c.skip() {
			return false
		}
		val := c.s[start:c.i]
		switch key {
		case "dist", "scripts":
		case "deprecated":
			dep = val
		case "hasInstallScript":
			hasInstall = val
		default:
			if k := topKind(key); k != 0 {
				vals[k] = val
			}
		}
		return true
	})
	if !ok {
		return bounds, "", "", "", false
	}
	if scripts || rawTruthy(sonic.NoCopyRawMessage(hasInstall)) {
		vals[FieldHasInstallScript] = "true"
	}
	n := 0
	for _, v := range vals {
		if v != "" {
			n++
		}
	}
	b := s.b
	bounds[0] = len(b.arena)
	b.arena = binary.AppendUvarint(b.arena, uint64(n))
	for k := FieldName; k < fieldEnd; k++ {
		if v := vals[k]; v != "" {
			b.field(k, v, name, version)
		}
	}
	bounds[1] = len(b.arena)
	var eng [2]string
	if e := vals[FieldEngines]; e != "" {
		eng = s.engine(e)
	}
	if dep != "" {
		deprecated = deprecatedRaw(dep, s.in)
	}
	return bounds, deprecated, eng[0], eng[1], true
}

// installHooks are the scripts that make arborist's Node.hasInstallScript.
var installHooks = [...]string{"preinstall", "install", "postinstall"}

// members reads the object whose '{' was just eaten, keeping in vals[i]
// the raw value of the member named keys[i] (the last one, when repeated).
func (c *scanner) members(keys, vals []string) bool {
	return c.object(func(key string) bool {
		start := c.i
		if !c.skip() {
			return false
		}
		for i, k := range keys {
			if k == key {
				vals[i] = c.s[start:c.i]
			}
		}
		return true
	})
}

// object walks the members of the object whose '{' was just eaten: for
// each key, value calls visit with c at the value, which visit must
// consume. It returns false on malformed input or when visit does.
func (c *scanner) object(visit func(key string) bool) bool {
	c.ws()
	if c.eat('}') {
		return true
	}
	for {
		c.ws()
		k, ok := c.key()
		if !ok {
			return false
		}
		c.ws()
		if !c.eat(':') {
			return false
		}
		c.ws()
		if !visit(k) {
			return false
		}
		c.ws()
		if c.eat('}') {
			return true
		}
		if !c.eat(',') {
			return false
		}
	}
}

// scanner walks JSON text and checks it as it goes, so a document is read
// once: it accepts what encoding/json's Valid accepts (RFC 8259 grammar,
// no control characters inside strings, nesting to maxDepth) and, like
// JSON.parse on text Node decoded with replacement characters, does not
// check UTF-8. Strings are searched eight bytes at a time.
type scanner struct {
	s   string
	i   int
	esc bool // whether the last string str read had an escape
}

// maxDepth bounds nesting, as encoding/json's decoder does.
const maxDepth = 10000

func (c *scanner) peek() byte {
	if c.i < len(c.s) {
		return c.s[c.i]
	}
	return 0
}

func (c *scanner) eat(b byte) bool {
	if c.i < len(c.s) && c.s[c.i] == b {
		c.i++
		return true
	}
	return false
}

func (c *scanner) ws() {
	for c.i < len(c.s) {
		switch c.s[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

// end reports whether only whitespace is left.
func (c *scanner) end() bool {
	c.ws()
	return c.i == len(c.s)
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// mark sets the high bit of each byte of x that is a quote, a backslash or
// below 0x20, and maybe of bytes above such a byte (borrows), so its lowest
// mark is exact.
func mark(x uint64) uint64 {
	q := x ^ (ones * '"')
	e := x ^ (ones * '\\')
	return (((q - ones) &^ q) | ((e - ones) &^ e) | ((x - ones*0x20) &^ x)) & highs
}

// special returns the index of the first byte at or after i that is a
// quote, a backslash or a control character, or len(s).
func special(s string, i int) int {
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	// Most strings in a document are short: try one word first.
	if i+8 <= len(b) {
		if m := mark(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
		i += 8
	}
	for ; i+16 <= len(b); i += 16 {
		mx := mark(binary.LittleEndian.Uint64(b[i:]))
		my := mark(binary.LittleEndian.Uint64(b[i+8:]))
		if mx|my != 0 {
			if mx != 0 {
				return i + bits.TrailingZeros64(mx)/8
			}
			return i + 8 + bits.TrailingZeros64(my)/8
		}
	}
	for ; i+8 <= len(b); i += 8 {
		if m := mark(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\\' || c < 0x20 {
			return i
		}
	}
	return i
}

// str consumes a string at c.i and returns its raw text without the
// quotes. Escapes are checked, not decoded.
func (c *scanner) str() (string, bool) {
	if !c.eat('"') {
		return "", false
	}
	start := c.i
	c.esc = false
	for {
		j := special(c.s, c.i)
		if j >= len(c.s) {
			return "", false
		}
		switch c.s[j] {
		case '"':
			c.i = j + 1
			return c.s[start:j], true
		case '\\':
			c.esc = true
			if !c.escape(j + 1) {
				return "", false
			}
		default:
			return "", false // a control character
		}
	}
}

// escape checks the escape whose letter is at i and moves past it.
func (c *scanner) escape(i int) bool {
	if i >= len(c.s) {
		return false
	}
	switch c.s[i] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		c.i = i + 1
		return true
	case 'u':
		if i+5 > len(c.s) {
			return false
		}
		for _, h := range []byte(c.s[i+1 : i+5]) {
			if !isHex(h) {
				return false
			}
		}
		c.i = i + 5
		return true
	}
	return false
}

func isHex(b byte) bool {
	return '0' <= b && b <= '9' || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F'
}

// key reads an object key, unescaped.
func (c *scanner) key() (string, bool) {
	start := c.i
	raw, ok := c.str()
	if !ok {
		return "", false
	}
	if !c.esc {
		return raw, true
	}
	var k string
	if err := sonic.UnmarshalString(c.s[start:c.i], &k); err != nil {
		return "", false
	}
	return k, true
}

// skip consumes one value, checking it.
func (c *scanner) skip() bool { return c.value(0) }

func (c *scanner) value(depth int) bool {
	switch c.peek() {
	case '"':
		_, ok := c.str()
		return ok
	case '{':
		if depth >= maxDepth {
			return false
		}
		c.i++
		c.ws()
		if c.eat('}') {
			return true
		}
		for {
			if _, ok := c.str(); !ok {
				return false
			}
			c.ws()
			if !c.eat(':') {
				return false
			}
			c.ws()
			if !c.value(depth + 1) {
				return false
			}
			c.ws()
			if c.eat('}') {
				return true
			}
			if !c.eat(',') {
				return false
			}
			c.ws()
		}
	case '[':
		if depth >= maxDepth {
			return false
		}
		c.i++
		c.ws()
		if c.eat(']') {
			return true
		}
		for {
			if !c.value(depth + 1) {
				return false
			}
			c.ws()
			if c.eat(']') {
				return true
			}
			if !c.eat(',') {
				return false
			}
			c.ws()
		}
	case 't':
		return c.literal("true")
	case 'f':
		return c.literal("false")
	case 'n':
		return c.literal("null")
	}
	return c.number()
}

func (c *scanner) literal(lit string) bool {
	if strings.HasPrefix(c.s[c.i:], lit) {
		c.i += len(lit)
		return true
	}
	return false
}

// number consumes a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (c *scanner) number() bool {
	c.eat('-')
	switch b := c.peek(); {
	case b == '0':
		c.i++
	case '1' <= b && b <= '9':
		c.digits()
	default:
		return false
	}
	if c.eat('.') && !c.digits() {
		return false
	}
	if b := c.peek(); b == 'e' || b == 'E' {
		c.i++
		if b := c.peek(); b == '+' || b == '-' {
			c.i++
		}
		if !c.digits() {
			return false
		}
	}
	return true
}

// digits consumes a run of digits and reports whether there was one.
func (c *scanner) digits() bool {
	start := c.i
	for c.i < len(c.s) && '0' <= c.s[c.i] && c.s[c.i] <= '9' {
		c.i++
	}
	return c.i > start
}
