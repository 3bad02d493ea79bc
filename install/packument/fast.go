package packument

import "strings"

// rawFromFields fills r from a version's fields the way decoding their JSON
// object with sonic would, for the shapes real documents use: strings
// without escapes, true, false, null, and arrays and objects of those. It
// reports false for anything else (numbers, escapes, a type the field's Go
// type cannot hold), and the caller then decodes the JSON instead.
// (Checked against that path on every version of 2,851 real documents by
// TestLazyMatchesEager with LOCKSTEP_PACKUMENT_DIR.)
func rawFromFields(fields []Field, r *rawVersion) bool {
	for _, f := range fields {
		var ok bool
		switch f.Kind {
		case FieldName:
			r.Name, ok = simpleString(f.Raw)
		case FieldDependencies:
			r.Dependencies, ok = simpleStrMap(f.Raw)
		case FieldOptionalDependencies:
			r.OptionalDependencies, ok = simpleStrMap(f.Raw)
		case FieldPeerDependencies:
			r.PeerDependencies, ok = simpleStrMap(f.Raw)
		case FieldAcceptDependencies:
			r.AcceptDependencies, ok = simpleStrMap(f.Raw)
		case FieldPeerDependenciesMeta:
			r.PeerDependenciesMeta, ok = rawMessage(f.Raw), true
		case FieldFunding:
			r.Funding, ok = rawMessage(f.Raw), true
		case FieldDistTarball:
			r.Dist.Tarball, ok = simpleString(f.Raw)
		case FieldDistIntegrity:
			r.Dist.Integrity, ok = simpleString(f.Raw)
		case FieldDistShasum:
			r.Dist.Shasum, ok = simpleString(f.Raw)
		default:
			var v any
			if v, ok = simpleAny(f.Raw); !ok {
				return false
			}
			switch f.Kind {
			case FieldBundleDependencies:
				r.BundleDependencies = v
			case FieldBundledDependencies:
				r.BundledDependencies = v
			case FieldBin:
				r.Bin = v
			case FieldEngines:
				r.Engines = v
			case FieldOS:
				r.OS = v
			case FieldCPU:
				r.CPU = v
			case FieldLibc:
				r.Libc = v
			case FieldHasInstallScript:
				r.HasInstallScript = v
			case FieldGypfile:
				r.Gypfile = v
			case FieldLicense:
				r.License = v
			case FieldHasShrinkwrap:
				r.HasShrinkwrap = v
			case FieldWorkspaces:
				r.Workspaces = v
			default:
				return false
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// rawMessage is raw as the raw message sonic would keep: the value's text.
func rawMessage(raw string) []byte {
	if raw == "" {
		return nil
	}
	return []byte(raw)
}

// simpleString reads a string field: a JSON string without escapes, or
// null (which leaves a Go string empty).
func simpleString(raw string) (string, bool) {
	if raw == "null" {
		return "", true
	}
	return plainString(raw)
}

// simpleStrMap reads an object of strings without escapes, or null.
func simpleStrMap(raw string) (map[string]string, bool) {
	if raw == "null" {
		return nil, true
	}
	p := simpleParser{s: raw}
	p.ws()
	if !p.eat('{') {
		return nil, false
	}
	m := map[string]string{}
	p.ws()
	if p.eat('}') {
		return m, p.end()
	}
	for {
		k, ok := p.str()
		if !ok {
			return nil, false
		}
		p.ws()
		if !p.eat(':') {
			return nil, false
		}
		p.ws()
		v, ok := p.str()
		if !ok {
			return nil, false
		}
		m[k] = v
		p.ws()
		if p.eat('}') {
			return m, p.end()
		}
		if !p.eat(',') {
			return nil, false
		}
		p.ws()
	}
}

// simpleAny reads a value as sonic decodes it into an interface, when it
// is made of strings without escapes, booleans, null, arrays and objects.
func simpleAny(raw string) (any, bool) {
	p := simpleParser{s: raw}
	p.ws()
	v, ok := p.value(0)
	if !ok || !p.end() {
		return nil, false
	}
	return v, true
}

type simpleParser struct {
	s string
	i int
}

func (p *simpleParser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *simpleParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// end reports whether only whitespace is left.
func (p *simpleParser) end() bool {
	p.ws()
	return p.i == len(p.s)
}

// str reads a string without escapes or control characters.
func (p *simpleParser) str() (string, bool) {
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

const maxSimpleDepth = 16

func (p *simpleParser) value(depth int) (any, bool) {
	if depth > maxSimpleDepth || p.i >= len(p.s) {
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
			p.ws()
		}
	case '{':
		p.i++
		out := map[string]any{}
		p.ws()
		if p.eat('}') {
			return out, true
		}
		for {
			k, ok := p.str()
			if !ok {
				return nil, false
			}
			p.ws()
			if !p.eat(':') {
				return nil, false
			}
			p.ws()
			v, ok := p.value(depth + 1)
			if !ok {
				return nil, false
			}
			out[k] = v
			p.ws()
			if p.eat('}') {
				return out, true
			}
			if !p.eat(',') {
				return nil, false
			}
			p.ws()
		}
	}
	return nil, false // numbers and anything unexpected
}

func (p *simpleParser) word(w string) bool {
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}
