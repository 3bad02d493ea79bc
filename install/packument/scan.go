package packument

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/bytedance/sonic"
)

// scanDoc decodes a document that sonic has validated. It walks the text
// once, jumping over strings with IndexByte, and keeps of each version only
// the raw text of its Fields: a full registry document is mostly
// descriptions, maintainers, signatures and readmes nobody reads.
// Duplicate keys resolve like JSON.parse: the last value wins, in the
// first one's place.
func scanDoc(doc string) (*Packument, *interner, error) {
	c := scanner{s: doc}
	var name, tags, times, modified, errv, versions string
	c.ws()
	if !c.eat('{') {
		return nil, nil, fmt.Errorf("failed to decode packument: %w: not an object", ErrNotPackument)
	}
	err := c.object(func(key string) bool {
		start := c.i
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
			versions = raw
		}
		return true
	})
	if !err {
		return nil, nil, fmt.Errorf("failed to decode packument: %w: malformed JSON", ErrNotPackument)
	}
	if errv != "" && errv != "null" && (versions == "" || versions == "null") {
		return nil, nil, fmt.Errorf("failed to decode packument: %w: registry error %s", ErrNotPackument, shortErr(errors.New(errv)))
	}
	in := newInterner()
	p := &Packument{}
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
	if versions != "" && versions != "null" {
		if versions[0] != '{' {
			return nil, nil, fmt.Errorf("failed to decode packument %q: %w: \"versions\" is not an object", p.Name, ErrNotPackument)
		}
		b, ok := p.scanVersions(versions, in)
		if !ok {
			return nil, nil, fmt.Errorf("failed to decode packument %q: %w: malformed versions", p.Name, ErrNotPackument)
		}
		in.invalid = in.invalid || b.invalid
	} else {
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

func (p *Packument) scanVersions(versions string, in *interner) (*builder, bool) {
	sl := slimmer{in: in, b: newBuilder(true)}
	sl.b.arena = make([]byte, 0, len(versions)/16)
	var bounds [][2]int
	var sums []Summary
	v := scanner{s: versions}
	v.eat('{')
	ok := v.object(func(key string) bool {
		sum := Summary{Version: in.s(key)}
		var bd [2]int
		if v.peek() == '{' {
			var ok bool
			if bd, sum.Deprecated, sum.EngineNode, sum.EngineNPM, ok = sl.scan(&v, p.Name, sum.Version); !ok {
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
	var hasInstall, dep, scripts string
	c.eat('{')
	ok = c.object(func(key string) bool {
		start := c.i
		if !c.skip() {
			return false
		}
		val := c.s[start:c.i]
		switch key {
		case "dist":
			vals[FieldDistTarball], vals[FieldDistIntegrity], vals[FieldDistShasum] = "", "", ""
			if val[0] == '{' {
				d := scanner{s: val}
				d.eat('{')
				return d.object(func(key string) bool {
					start := d.i
					if !d.skip() {
						return false
					}
					switch key {
					case "tarball":
						vals[FieldDistTarball] = d.s[start:d.i]
					case "integrity":
						vals[FieldDistIntegrity] = d.s[start:d.i]
					case "shasum":
						vals[FieldDistShasum] = d.s[start:d.i]
					}
					return true
				})
			}
		case "scripts":
			scripts = val
		case "deprecated":
			dep = val
		case "hasInstallScript":
			hasInstall = val
		default:
			if k, found := topKinds[key]; found {
				vals[k] = val
			}
		}
		return true
	})
	if !ok {
		return bounds, "", "", "", false
	}
	if rawTruthy(sonic.NoCopyRawMessage(hasInstall)) || scriptsInstall(scripts) {
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

// scriptsInstall reports a truthy preinstall, install or postinstall in a
// raw scripts value (arborist's Node.hasInstallScript).
func scriptsInstall(raw string) bool {
	if raw == "" || raw[0] != '{' {
		return false
	}
	var pre, ins, post string
	c := scanner{s: raw}
	c.eat('{')
	c.object(func(key string) bool {
		start := c.i
		if !c.skip() {
			return false
		}
		switch key {
		case "preinstall":
			pre = c.s[start:c.i]
		case "install":
			ins = c.s[start:c.i]
		case "postinstall":
			post = c.s[start:c.i]
		}
		return true
	})
	return rawTruthy(sonic.NoCopyRawMessage(pre)) || rawTruthy(sonic.NoCopyRawMessage(ins)) || rawTruthy(sonic.NoCopyRawMessage(post))
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

type scanner struct {
	s string
	i int
}

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

// str skips a string at c.i and returns its raw text without the quotes.
func (c *scanner) str() (string, bool) {
	if !c.eat('"') {
		return "", false
	}
	start := c.i
	for {
		j := strings.IndexByte(c.s[c.i:], '"')
		if j < 0 {
			return "", false
		}
		c.i += j + 1
		// The quote ends the string unless an odd run of backslashes
		// escapes it.
		n := 0
		for k := c.i - 2; k >= start && c.s[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return c.s[start : c.i-1], true
		}
	}
}

// key reads an object key, unescaped.
func (c *scanner) key() (string, bool) {
	start := c.i
	raw, ok := c.str()
	if !ok {
		return "", false
	}
	if strings.IndexByte(raw, '\\') < 0 {
		return raw, true
	}
	var k string
	if err := sonic.UnmarshalString(c.s[start:c.i], &k); err != nil {
		return "", false
	}
	return k, true
}

// skip skips one value. Containers are skipped by depth, not validated;
// sonic has validated the document already.
func (c *scanner) skip() bool {
	switch c.peek() {
	case '"':
		_, ok := c.str()
		return ok
	case '{', '[':
		depth := 0
		for c.i < len(c.s) {
			switch c.s[c.i] {
			case '"':
				if _, ok := c.str(); !ok {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					c.i++
					return true
				}
			}
			c.i++
		}
		return false
	case 0:
		return false
	}
	for c.i < len(c.s) {
		switch c.s[c.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return true
		}
		c.i++
	}
	return true
}
