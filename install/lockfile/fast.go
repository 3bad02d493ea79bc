package lockfile

import "github.com/lockstep-dev/lockstep/internal/jsonlite"

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
	p := &jsonlite.Scanner{S: string(data)}
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
	return p.Members(func(loc string) bool {
		pkg, ok := entry(p)
		l.Packages[loc] = pkg
		return ok
	})
}

// entry reads one packages entry like packageFromMap.
func entry(p *jsonlite.Scanner) (*Package, bool) {
	p.WS()
	if !p.Eat('{') {
		return nil, false
	}
	pkg := &Package{}
	var seen []string
	ok := p.Members(func(k string) bool {
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
