package lockfile

import (
	"unsafe"

	"github.com/lockstep-dev/lockstep/internal/jsonlite"
)

// parseFast reads a well-formed lockfileVersion 2 or 3 document straight
// into the model, without building a generic object per entry: strings
// without escapes, booleans, null, arrays and objects of those, and an
// integral lockfileVersion. It reports false for anything else — numbers
// elsewhere, escapes, repeated keys, another lockfileVersion, no packages —
// and the caller then takes the generic path, which also explains errors.
// Strings view data, which the caller must not modify afterwards (the
// scanner reads it in place rather than copying the whole file). The
// result is what fromDoc makes of the same document (checked by
// TestParseFastMatches on every lockfile in testdata and the shared
// fixtures).
func parseFast(data []byte, l *Lockfile) bool {
	if len(data) == 0 {
		return false
	}
	p := &jsonlite.Scanner{S: unsafe.String(&data[0], len(data))}
	p.WS()
	if !p.Eat('{') {
		return false
	}
	ver, hasPkgs := 0, false
	seen := map[string]bool{}
	doc := map[string]any{}
	ok := p.Members(func(k string) bool {
		if seen[k] {
			return false
		}
		seen[k] = true
		switch k {
		case "lockfileVersion":
			n, ok := p.SmallInt()
			ver = n
			return ok
		case "packages":
			hasPkgs = true
			return packages(p, l)
		}
		v, ok := p.Value()
		doc[k] = v
		return ok
	})
	if !ok || !p.End() || !hasPkgs || ver != 2 && ver != 3 {
		return false
	}
	l.LockfileVersion = ver
	for k, v := range doc {
		l.topField(k, v)
	}
	return true
}

// packages reads the packages object into l.Packages.
func packages(p *jsonlite.Scanner, l *Lockfile) bool {
	p.WS()
	if !p.Eat('{') {
		return false
	}
	l.Packages = map[string]*Package{}
	var seen []string // scratch for entry, reused
	return p.Members(func(loc string) bool {
		pkg, ok := entry(p, &seen)
		l.Packages[loc] = pkg
		return ok
	})
}

// entry reads one packages entry like packageFromMap. seen is scratch
// space for the keys read, reused from entry to entry.
func entry(p *jsonlite.Scanner, seen *[]string) (*Package, bool) {
	p.WS()
	if !p.Eat('{') {
		return nil, false
	}
	pkg := &Package{}
	*seen = (*seen)[:0]
	ok := p.Members(func(k string) bool {
		for _, s := range *seen {
			if s == k {
				return false
			}
		}
		*seen = append(*seen, k)
		var v any
		switch k {
		case "name", "version", "resolved", "integrity", "license", "deprecated":
			// The common case, read without boxing the string in an any.
			if p.I < len(p.S) && p.S[p.I] == '"' {
				s, ok := p.Str()
				if !ok {
					return false
				}
				if s != "" {
					pkg.setString(k, s)
					return true
				}
				v = s // kept in Extra, as setField does
				break
			}
			var ok bool
			if v, ok = p.Value(); !ok {
				return false
			}
		case "dependencies", "devDependencies", "optionalDependencies", "peerDependencies",
			"acceptDependencies", "bin", "engines":
			if m, ok := p.StrMap(); ok {
				v = m
				break
			}
			fallthrough
		default:
			var ok bool
			if v, ok = p.Value(); !ok {
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
