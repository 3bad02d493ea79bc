// Package jsonlite reads the subset of JSON that npm's lockfiles and the
// registry's documents are made of — strings without escapes, booleans,
// null, arrays and objects — into the values a JSON decoder gives an
// interface (string, bool, nil, []any, map[string]any), with strings
// viewing the input. It declines everything else: numbers, escapes,
// control characters in strings, a key repeated in one object, nesting
// deeper than MaxDepth. Callers then decode with a full decoder, so
// jsonlite is a fast path that is exact wherever it answers.
//
// The input must be valid JSON text for the declined cases to be the only
// differences: a Scanner does not validate what it skips.
package jsonlite

import "strings"

// MaxDepth is the deepest nesting Value reads.
const MaxDepth = 64

// Scanner reads values from S starting at I.
type Scanner struct {
	S string
	I int
}

// WS skips whitespace.
func (p *Scanner) WS() {
	for p.I < len(p.S) {
		switch p.S[p.I] {
		case ' ', '\t', '\n', '\r':
			p.I++
		default:
			return
		}
	}
}

// Eat consumes c if it is next.
func (p *Scanner) Eat(c byte) bool {
	if p.I < len(p.S) && p.S[p.I] == c {
		p.I++
		return true
	}
	return false
}

// End reports whether only whitespace is left.
func (p *Scanner) End() bool {
	p.WS()
	return p.I == len(p.S)
}

// Str reads a string without escapes or control characters.
func (p *Scanner) Str() (string, bool) {
	if !p.Eat('"') {
		return "", false
	}
	j := strings.IndexByte(p.S[p.I:], '"')
	if j < 0 {
		return "", false
	}
	s := p.S[p.I : p.I+j]
	for k := 0; k < len(s); k++ {
		if s[k] == '\\' || s[k] < 0x20 {
			return "", false
		}
	}
	p.I += j + 1
	return s, true
}

// Members reads the members of an object whose '{' was eaten, calling fn
// with each key once the scanner is at its value; fn reads the value.
func (p *Scanner) Members(fn func(k string) bool) bool {
	p.WS()
	if p.Eat('}') {
		return true
	}
	for {
		p.WS()
		k, ok := p.Str()
		if !ok {
			return false
		}
		p.WS()
		if !p.Eat(':') {
			return false
		}
		p.WS()
		if !fn(k) {
			return false
		}
		p.WS()
		if p.Eat('}') {
			return true
		}
		if !p.Eat(',') {
			return false
		}
	}
}

// StrMap reads an object of strings. On failure the position is where it
// started, so the caller can read the value another way.
func (p *Scanner) StrMap() (map[string]string, bool) {
	start := p.I
	if !p.Eat('{') {
		return nil, false
	}
	m := map[string]string{}
	ok := p.Members(func(k string) bool {
		if _, dup := m[k]; dup {
			return false
		}
		v, ok := p.Str()
		m[k] = v
		return ok
	})
	if !ok {
		p.I = start
		return nil, false
	}
	return m, true
}

// SmallInt reads a non-negative integer of at most 9 digits without
// leading zeros, fraction or exponent.
func (p *Scanner) SmallInt() (int, bool) {
	n, digits := 0, 0
	for p.I < len(p.S) && p.S[p.I] >= '0' && p.S[p.I] <= '9' && digits < 10 {
		n = n*10 + int(p.S[p.I]-'0')
		p.I++
		digits++
	}
	if digits == 0 || digits > 9 || digits > 1 && p.S[p.I-digits] == '0' {
		return 0, false
	}
	if p.I < len(p.S) {
		switch p.S[p.I] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	return n, true
}

// Value reads one value.
func (p *Scanner) Value() (any, bool) { return p.value(0) }

func (p *Scanner) value(depth int) (any, bool) {
	if depth > MaxDepth || p.I >= len(p.S) {
		return nil, false
	}
	switch p.S[p.I] {
	case '"':
		return p.Str()
	case 't':
		return true, p.word("true")
	case 'f':
		return false, p.word("false")
	case 'n':
		return nil, p.word("null")
	case '[':
		p.I++
		out := []any{}
		p.WS()
		if p.Eat(']') {
			return out, true
		}
		for {
			p.WS()
			v, ok := p.value(depth + 1)
			if !ok {
				return nil, false
			}
			out = append(out, v)
			p.WS()
			if p.Eat(']') {
				return out, true
			}
			if !p.Eat(',') {
				return nil, false
			}
		}
	case '{':
		p.I++
		out := map[string]any{}
		ok := p.Members(func(k string) bool {
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

// Skip passes over one value without building it. It accepts what Value
// accepts, and also objects that repeat a key: a caller that skips a value
// does not care which of its members would win.
func (p *Scanner) Skip() bool { return p.skip(0) }

func (p *Scanner) skip(depth int) bool {
	if depth > MaxDepth || p.I >= len(p.S) {
		return false
	}
	switch p.S[p.I] {
	case '"':
		_, ok := p.Str()
		return ok
	case 't':
		return p.word("true")
	case 'f':
		return p.word("false")
	case 'n':
		return p.word("null")
	case '[':
		p.I++
		p.WS()
		if p.Eat(']') {
			return true
		}
		for {
			p.WS()
			if !p.skip(depth + 1) {
				return false
			}
			p.WS()
			if p.Eat(']') {
				return true
			}
			if !p.Eat(',') {
				return false
			}
		}
	case '{':
		p.I++
		return p.Members(func(string) bool { return p.skip(depth + 1) })
	}
	return false
}

func (p *Scanner) word(w string) bool {
	if strings.HasPrefix(p.S[p.I:], w) {
		p.I += len(w)
		return true
	}
	return false
}

// Value reads s, which must hold one value and whitespace.
func Value(s string) (any, bool) {
	p := Scanner{S: s}
	p.WS()
	v, ok := p.Value()
	if !ok || !p.End() {
		return nil, false
	}
	return v, true
}

// StrMap reads s, which must hold an object of strings and whitespace.
func StrMap(s string) (map[string]string, bool) {
	p := Scanner{S: s}
	p.WS()
	m, ok := p.StrMap()
	if !ok || !p.End() {
		return nil, false
	}
	return m, true
}
