package lockfile

import (
	"strings"
)

// parseFast reads a well-formed lockfileVersion 2 or 3 document straight
// into the model, without building a generic object per entry: strings
// without escapes, booleans, null, arrays and objects of those, and an
// integral lockfileVersion. It reports false for anything else — numbers
// elsewhere, escapes, repeated keys, another lockfileVersion, no packages —
// and the caller then takes the generic path, which also explains errors.
// Strings view data. The result is what fromDoc makes of the same document
// (checked by TestParseFastMatches on every lockfile in testdata and the
// shared fixtures).
func parseFast(data []byte, l *Lockfile) bool {
	p := scan{s: string(data)}
	p.ws()
	if !p.eat('{') {
		return false
	}
	ver, hasPkgs := 0, false
	seen := map[string]bool{}
	doc := map[string]any{}
	ok := p.members(func(k string) bool {
		if seen[k] {
			return false
		}
		seen[k] = true
		switch k {
		case "lockfileVersion":
			n, ok := p.smallInt()
			ver = n
			return ok
		case "packages":
			hasPkgs = true
			return p.packages(l)
		}
		v, ok := p.value(0)
		doc[k] = v
		return ok
	})
	if !ok || !p.end() || !hasPkgs || ver != 2 && ver != 3 {
		return false
	}
	l.LockfileVersion = ver
	for k, v := range doc {
		l.topField(k, v)
	}
	return true
}

// packages reads the packages object into l.Packages.
func (p *scan) packages(l *Lockfile) bool {
	p.ws()
	if !p.eat('{') {
		return false
	}
	l.Packages = map[string]*Package{}
	return p.members(func(loc string) bool {
		pkg, ok := p.entry()
		l.Packages[loc] = pkg
		return ok
	})
}

// entry reads one packages entry like packageFromMap.
func (p *scan) entry() (*Package, bool) {
	p.ws()
	if !p.eat('{') {
		return nil, false
	}
	pkg := &Package{}
	var seen []string
	ok := p.members(func(k string) bool {
		for _, s := range seen {
			if s == k {
				return false
			}
		}
		seen = append(seen, k)
		var v any
		switch k {
		case "dependencies", "devDependencies", "optionalDependencies", "peerDependencies",
			"acceptDependencies", "bin", "engines":
			if m, ok := p.strMap(); ok {
				v = m
				break
			}
			fallthrough
		default:
			var ok bool
			if v, ok = p.value(0); !ok {
				return false
			}
		}
		if !pkg.setField(k, v) {
			if pkg.Extra == nil {
				pkg.Extra = map[string]any{}
			}
			pkg.Extra[k] = v
		}
		return true
	})
	return pkg, ok
}

// scan reads the subset of JSON parseFast accepts.
type scan struct {
	s string
	i int
}

func (p *scan) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *scan) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *scan) end() bool {
	p.ws()
	return p.i == len(p.s)
}

// members reads the members of an object whose '{' was eaten, calling
// fn with each key once the parser is at its value.
func (p *scan) members(fn func(k string) bool) bool {
	p.ws()
	if p.eat('}') {
		return true
	}
	for {
		p.ws()
		k, ok := p.str()
		if !ok {
			return false
		}
		p.ws()
		if !p.eat(':') {
			return false
		}
		p.ws()
		if !fn(k) {
			return false
		}
		p.ws()
		if p.eat('}') {
			return true
		}
		if !p.eat(',') {
			return false
		}
	}
}

// str reads a string without escapes or control characters.
func (p *scan) str() (string, bool) {
	if !p.eat('"') {
		return "", false
	}
	j := strings.IndexByte(p.s[p.i:], '"')
	if j < 0 {
		return "", false
	}
	s := p.s[p.i : p.i+j]
	for k := 0; k < len(s); k++ {
		if s[k] == '\\' || s[k] < 0x20 {
			return "", false
		}
	}
	p.i += j + 1
	return s, true
}

// strMap reads an object of strings; on failure the position is kept, so
// the caller can read the value another way.
func (p *scan) strMap() (map[string]string, bool) {
	start := p.i
	if !p.eat('{') {
		return nil, false
	}
	m := map[string]string{}
	ok := p.members(func(k string) bool {
		if _, dup := m[k]; dup {
			return false
		}
		v, ok := p.str()
		m[k] = v
		return ok
	})
	if !ok {
		p.i = start
		return nil, false
	}
	return m, true
}

// smallInt reads a non-negative integer of at most 9 digits.
func (p *scan) smallInt() (int, bool) {
	n, digits := 0, 0
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' && digits < 10 {
		n = n*10 + int(p.s[p.i]-'0')
		p.i++
		digits++
	}
	if digits == 0 || digits > 9 || digits > 1 && p.s[p.i-digits] == '0' {
		return 0, false
	}
	if p.i < len(p.s) {
		switch p.s[p.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	return n, true
}

const maxDepth = 64

// value reads a value as the generic decoder would into an interface.
func (p *scan) value(depth int) (any, bool) {
	if depth > maxDepth || p.i >= len(p.s) {
		return nil, false
	}
	switch p.s[p.i] {
	case '"':
		return p.str()
	case 't':
		return true, p.word("true")
	case 'f':
		return false, p.word("false")
	case 'n':
		return nil, p.word("null")
	case '[':
		p.i++
		out := []any{}
		p.ws()
		if p.eat(']') {
			return out, true
		}
		for {
			p.ws()
			v, ok := p.value(depth + 1)
			if !ok {
				return nil, false
			}
			out = append(out, v)
			p.ws()
			if p.eat(']') {
				return out, true
			}
			if !p.eat(',') {
				return nil, false
			}
		}
	case '{':
		p.i++
		out := map[string]any{}
		ok := p.members(func(k string) bool {
			if _, dup := out[k]; dup {
				return false
			}
			v, ok := p.value(depth + 1)
			out[k] = v
			return ok
		})
		return out, ok
	}
	return nil, false // numbers and anything unexpected
}

func (p *scan) word(w string) bool {
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}
