package semver

import "strings"

// Intersects reports whether some version satisfies both ranges, as
// node-semver's intersects(r1, r2, opts) decides it (comparator by
// comparator, not by enumerating versions). Invalid ranges intersect
// nothing.
func Intersects(r1, r2 string, opts Options) bool {
	a, err := ParseRange(r1, opts)
	if err != nil {
		return false
	}
	b, err := ParseRange(r2, opts)
	if err != nil {
		return false
	}
	return a.Intersects(b, opts)
}

// Intersects is node-semver's Range.intersects.
func (r *Range) Intersects(o *Range, opts Options) bool {
	for _, set := range r.Set {
		if !satisfiable(set, opts) {
			continue
		}
		for _, oset := range o.Set {
			if !satisfiable(oset, opts) {
				continue
			}
			all := true
			for i := range set {
				for j := range oset {
					if !set[i].Intersects(&oset[j], opts) {
						all = false
						break
					}
				}
				if !all {
					break
				}
			}
			if all {
				return true
			}
		}
	}
	return false
}

// satisfiable is node-semver's isSatisfiable: every pair of comparators of
// the set intersects.
func satisfiable(set []Comparator, opts Options) bool {
	rem := append([]Comparator(nil), set...)
	if len(rem) == 0 {
		return true
	}
	test := rem[len(rem)-1]
	rem = rem[:len(rem)-1]
	for len(rem) > 0 {
		for i := range rem {
			if !test.Intersects(&rem[i], opts) {
				return false
			}
		}
		test = rem[len(rem)-1]
		rem = rem[:len(rem)-1]
	}
	return true
}

// Intersects is node-semver's Comparator.intersects.
func (c *Comparator) Intersects(o *Comparator, opts Options) bool {
	if c.Op == OpEQ {
		if c.Version == nil {
			return true
		}
		r, err := ParseRange(o.value, opts)
		return err == nil && r.Test(c.Version)
	}
	if o.Op == OpEQ {
		if o.Version == nil {
			return true
		}
		r, err := ParseRange(c.value, opts)
		return err == nil && r.Test(o.Version)
	}
	if opts.IncludePrerelease && (c.value == "<0.0.0-0" || o.value == "<0.0.0-0") {
		return false
	}
	if !opts.IncludePrerelease && (strings.HasPrefix(c.value, "<0.0.0") || strings.HasPrefix(o.value, "<0.0.0")) {
		return false
	}
	gt := func(op Op) bool { return op == OpGT || op == OpGTE }
	lt := func(op Op) bool { return op == OpLT || op == OpLTE }
	incl := func(op Op) bool { return op == OpGTE || op == OpLTE }
	if gt(c.Op) && gt(o.Op) || lt(c.Op) && lt(o.Op) {
		return true
	}
	d := Compare(c.Version, o.Version)
	if c.Version.String() == o.Version.String() && incl(c.Op) && incl(o.Op) {
		return true
	}
	if d < 0 && gt(c.Op) && lt(o.Op) {
		return true
	}
	if d > 0 && lt(c.Op) && gt(o.Op) {
		return true
	}
	return false
}
