package semver

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Options are node-semver's options object.
type Options struct {
	Loose             bool
	IncludePrerelease bool
}

// Op is a comparator operator.
type Op uint8

// Comparator operators. OpEQ prints as "" (node-semver drops "=").
const (
	OpEQ Op = iota
	OpGT
	OpGTE
	OpLT
	OpLTE
)

func (o Op) String() string {
	switch o {
	case OpGT:
		return ">"
	case OpGTE:
		return ">="
	case OpLT:
		return "<"
	case OpLTE:
		return "<="
	}
	return ""
}

// Comparator is one primitive comparison such as ">=1.2.3". A nil Version
// means ANY (the empty comparator, which matches every version).
type Comparator struct {
	Op      Op
	Version *Version
	value   string
}

// String returns node-semver's comparator.value ("" for ANY).
func (c *Comparator) String() string { return c.value }

// IsAny reports whether c matches every version.
func (c *Comparator) IsAny() bool { return c.Version == nil }

// Test reports whether v satisfies c (without the prerelease rule, which
// applies to whole comparator sets).
func (c *Comparator) Test(v *Version) bool {
	if c.Version == nil {
		return true
	}
	d := Compare(v, c.Version)
	switch c.Op {
	case OpGT:
		return d > 0
	case OpGTE:
		return d >= 0
	case OpLT:
		return d < 0
	case OpLTE:
		return d <= 0
	}
	return d == 0
}

// Range is a parsed range: a union (||) of comparator sets (intersections).
type Range struct {
	Set               [][]Comparator
	Raw               string // input after trimming and whitespace collapsing
	includePrerelease bool
	str               string
}

// ErrInvalidRange is wrapped by every ParseRange error.
var ErrInvalidRange = errors.New("invalid range")

// ParseRange parses rng like `new Range(rng, opts)`. Results are memoised;
// the returned *Range must not be modified.
func ParseRange(rng string, opts Options) (*Range, error) {
	key := cacheKey{rng, opts}
	if e, ok := rangeCache.get(key); ok {
		return e.r, e.err
	}
	r, err := parseRange(rng, opts)
	rangeCache.put(key, memoEntry{r, err})
	return r, err
}

func parseRange(rng string, opts Options) (*Range, error) {
	raw := jsCollapseSpace(jsTrim(rng))
	re := regexpsFor(raw)
	r := &Range{Raw: raw, includePrerelease: opts.IncludePrerelease}
	for _, part := range strings.Split(raw, "||") {
		set, err := parseSet(jsTrim(part), opts, re)
		if err != nil {
			return nil, fmt.Errorf("failed to parse range %q: %w", rng, err)
		}
		if len(set) > 0 {
			r.Set = append(r.Set, set)
		}
	}
	if len(r.Set) == 0 {
		return nil, fmt.Errorf("failed to parse range %q: %w", rng, ErrInvalidRange)
	}
	if len(r.Set) > 1 {
		// Drop null sets unless all are null; then a lone "*" set wins.
		first := r.Set[0]
		kept := r.Set[:0:0]
		for _, s := range r.Set {
			if !isNullSet(&s[0]) {
				kept = append(kept, s)
			}
		}
		if len(kept) == 0 {
			kept = [][]Comparator{first}
		} else if len(kept) > 1 {
			for _, s := range kept {
				if len(s) == 1 && s[0].value == "" {
					kept = [][]Comparator{s}
					break
				}
			}
		}
		r.Set = kept
	}
	var b strings.Builder
	for i, s := range r.Set {
		if i > 0 {
			b.WriteString("||")
		}
		for k := range s {
			if k > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(s[k].value)
		}
	}
	r.str = b.String()
	return r, nil
}

func isNullSet(c *Comparator) bool { return c.value == "<0.0.0-0" }

// String returns node-semver's range.range: the normalised comparator sets,
// "" for a range that matches everything.
func (r *Range) String() string { return r.str }

// IncludePrerelease reports the option the range was parsed with.
func (r *Range) IncludePrerelease() bool { return r.includePrerelease }

// Test reports whether v satisfies r, applying node-semver's prerelease
// rule: unless the range was parsed with IncludePrerelease, a prerelease
// version only matches a comparator set that has a comparator with a
// prerelease on the same major.minor.patch.
func (r *Range) Test(v *Version) bool {
	if v == nil {
		return false
	}
	for i := range r.Set {
		if testSet(r.Set[i], v, r.includePrerelease) {
			return true
		}
	}
	return false
}

func testSet(set []Comparator, v *Version, includePrerelease bool) bool {
	for i := range set {
		if !set[i].Test(v) {
			return false
		}
	}
	if len(v.Prerelease) == 0 || includePrerelease {
		return true
	}
	for i := range set {
		a := set[i].Version
		if a != nil && len(a.Prerelease) > 0 && a.Major == v.Major && a.Minor == v.Minor && a.Patch == v.Patch {
			return true
		}
	}
	return false
}

// parseSet mirrors node-semver's Range.parseRange for one || part.
func parseSet(rng string, opts Options, re *regexps) ([]Comparator, error) {
	list, ok := fastComparators(rng, opts)
	if !ok {
		list = slowComparators(rng, opts, re)
	}
	return makeSet(list, opts.Loose, re)
}

// slowComparators is node-semver's rewrite pipeline, expression by
// expression: it turns one || part into primitive comparator strings.
func slowComparators(rng string, opts Options, re *regexps) []string {
	rng = buildStripRE().ReplaceAllLiteralString(rng, "")
	hr := re.hyphenRange
	if opts.Loose {
		hr = re.hyphenRangeLoose
	}
	if m := hr.get().FindStringSubmatch(rng); m != nil {
		rng = hyphenReplace(m, opts.IncludePrerelease)
	}
	rng = re.comparatorTrim.get().ReplaceAllString(rng, "${1}${2}${3}")
	rng = re.tildeTrim.get().ReplaceAllString(rng, "${1}~")
	rng = re.caretTrim.get().ReplaceAllString(rng, "${1}^")

	pieces := strings.Split(rng, " ")
	for i, p := range pieces {
		pieces[i] = parseComparatorString(p, opts, re)
	}
	list := jsSplitSpace(strings.Join(pieces, " "))
	gte0 := re.gte0
	if opts.IncludePrerelease {
		gte0 = re.gte0Pre
	}
	for i, c := range list {
		list[i] = replaceFirst(gte0.get(), jsTrim(c), "")
	}
	return list
}

// makeSet builds the comparators of one set: it validates them all, then
// reduces a set holding the null set to it, drops duplicates, and drops
// ANY from a set with other comparators.
func makeSet(list []string, loose bool, re *regexps) ([]Comparator, error) {
	if loose {
		// In loose mode, invalid comparators are dropped, not errors.
		n := 0
		for _, c := range list {
			if isLooseComparator(c, re) {
				list[n] = c
				n++
			}
		}
		list = list[:n]
	}
	// node-semver constructs (and so validates) every comparator before it
	// looks for a null set.
	comps := make([]Comparator, len(list))
	for i, s := range list {
		c, err := newComparator(s, loose, re)
		if err != nil {
			return nil, err
		}
		comps[i] = c
	}
	out := comps[:0]
	hasAny := false
	for _, c := range comps {
		if isNullSet(&c) {
			return []Comparator{c}, nil
		}
		dup := false
		for i := range out {
			if out[i].value == c.value {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		if c.value == "" {
			hasAny = true
		}
		out = append(out, c)
	}
	if hasAny && len(out) > 1 {
		n := 0
		for _, c := range out {
			if c.value != "" {
				out[n] = c
				n++
			}
		}
		out = out[:n]
	}
	return out, nil
}

// replaceFirst mirrors s.replace(re, repl) for a non-global re and a literal
// replacement.
func replaceFirst(re *regexp.Regexp, s, repl string) string {
	loc := re.FindStringIndex(s)
	if loc == nil {
		return s
	}
	return s[:loc[0]] + repl + s[loc[1]:]
}

func isX(id string) bool { return id == "" || id == "x" || id == "X" || id == "*" }

// parseComparatorString mirrors node-semver's parseComparator: it turns
// carets, tildes, x-ranges and stars into primitive comparators.
func parseComparatorString(comp string, opts Options, re *regexps) string {
	comp = replaceFirst(re.build.get(), comp, "")
	comp = mapSpaceSplit(jsTrim(comp), func(c string) string { return replaceCaret(c, opts, re) })
	comp = mapSpaceSplit(jsTrim(comp), func(c string) string { return replaceTilde(c, opts, re) })
	comp = mapSpaceSplit(comp, func(c string) string { return replaceXRange(c, opts, re) })
	return replaceFirst(re.star.get(), jsTrim(comp), "")
}

func mapSpaceSplit(s string, f func(string) string) string {
	parts := jsSplitSpace(s)
	for i, p := range parts {
		parts[i] = f(p)
	}
	return strings.Join(parts, " ")
}

func replaceTilde(comp string, opts Options, re *regexps) string {
	r := re.tilde
	if opts.Loose {
		r = re.tildeLoose
	}
	m := r.get().FindStringSubmatch(comp)
	if m == nil {
		return comp
	}
	return tildeString(m[1], m[2], m[3], m[4], opts.IncludePrerelease)
}

// tildeString mirrors node-semver's replaceTilde callback.
func tildeString(M, mi, p, pr string, incPr bool) string {
	z := ""
	if incPr {
		z = "-0"
	}
	switch {
	case isX(M):
		return ""
	case isX(mi):
		return ">=" + M + ".0.0" + z + " <" + jsIncr(M) + ".0.0-0"
	case isX(p):
		return ">=" + M + "." + mi + ".0" + z + " <" + M + "." + jsIncr(mi) + ".0-0"
	case pr != "":
		return ">=" + M + "." + mi + "." + p + "-" + pr + " <" + M + "." + jsIncr(mi) + ".0-0"
	}
	return ">=" + M + "." + mi + "." + p + " <" + M + "." + jsIncr(mi) + ".0-0"
}

func replaceCaret(comp string, opts Options, re *regexps) string {
	r := re.caret
	if opts.Loose {
		r = re.caretLoose
	}
	m := r.get().FindStringSubmatch(comp)
	if m == nil {
		return comp
	}
	return caretString(m[1], m[2], m[3], m[4], opts.IncludePrerelease)
}

// caretString mirrors node-semver's replaceCaret callback.
func caretString(M, mi, p, pr string, incPr bool) string {
	z := ""
	if incPr {
		z = "-0"
	}
	switch {
	case isX(M):
		return ""
	case isX(mi):
		return ">=" + M + ".0.0" + z + " <" + jsIncr(M) + ".0.0-0"
	case isX(p):
		if M == "0" {
			return ">=" + M + "." + mi + ".0" + z + " <" + M + "." + jsIncr(mi) + ".0-0"
		}
		return ">=" + M + "." + mi + ".0" + z + " <" + jsIncr(M) + ".0.0-0"
	}
	lo := ">=" + M + "." + mi + "." + p
	if pr != "" {
		lo += "-" + pr
	}
	if M == "0" {
		if mi == "0" {
			return lo + " <" + M + "." + mi + "." + jsIncr(p) + "-0"
		}
		return lo + " <" + M + "." + jsIncr(mi) + ".0-0"
	}
	return lo + " <" + jsIncr(M) + ".0.0-0"
}

func replaceXRange(comp string, opts Options, re *regexps) string {
	comp = jsTrim(comp)
	r := re.xRange
	if opts.Loose {
		r = re.xRangeLoose
	}
	m := r.get().FindStringSubmatch(comp)
	if m == nil {
		return comp
	}
	return xRangeString(comp, m[1], m[2], m[3], m[4], opts.IncludePrerelease)
}

// xRangeString mirrors node-semver's replaceXRange callback; comp is the
// whole match, returned when there is nothing to rewrite.
func xRangeString(comp, gtlt, M, mi, p string, incPr bool) string {
	if (isX(M) && !isX(mi)) || (isX(mi) && p != "" && !isX(p)) {
		return comp // invalid x-range order
	}
	xM := isX(M)
	xm := xM || isX(mi)
	xp := xm || isX(p)
	if gtlt == "=" && xp {
		gtlt = ""
	}
	pr := ""
	if incPr {
		pr = "-0"
	}
	switch {
	case xM:
		if gtlt == ">" || gtlt == "<" {
			return "<0.0.0-0" // nothing is allowed
		}
		return "*"
	case gtlt != "" && xp:
		if xm {
			mi = "0"
		}
		p = "0"
		switch gtlt {
		case ">":
			gtlt = ">="
			if xm {
				M = jsIncr(M)
				mi = "0"
			} else {
				mi = jsIncr(mi)
			}
		case "<=":
			gtlt = "<"
			if xm {
				M = jsIncr(M)
			} else {
				mi = jsIncr(mi)
			}
		}
		if gtlt == "<" {
			pr = "-0"
		}
		return gtlt + M + "." + mi + "." + p + pr
	case xm:
		return ">=" + M + ".0.0" + pr + " <" + jsIncr(M) + ".0.0-0"
	case xp:
		return ">=" + M + "." + mi + ".0" + pr + " <" + M + "." + jsIncr(mi) + ".0-0"
	}
	return comp
}

// hyphenReplace mirrors node-semver's hyphenReplace for a HYPHENRANGE match.
func hyphenReplace(m []string, incPr bool) string {
	from, fM, fm, fp, fpr := m[1], m[2], m[3], m[4], m[5]
	to, tM, tm, tp, tpr := m[7], m[8], m[9], m[10], m[11]
	z := ""
	if incPr {
		z = "-0"
	}
	switch {
	case isX(fM):
		from = ""
	case isX(fm):
		from = ">=" + fM + ".0.0" + z
	case isX(fp):
		from = ">=" + fM + "." + fm + ".0" + z
	case fpr != "":
		from = ">=" + from
	default:
		from = ">=" + from + z
	}
	switch {
	case isX(tM):
		to = ""
	case isX(tm):
		to = "<" + jsIncr(tM) + ".0.0-0"
	case isX(tp):
		to = "<" + tM + "." + jsIncr(tm) + ".0-0"
	case tpr != "":
		to = "<=" + tM + "." + tm + "." + tp + "-" + tpr
	case incPr:
		to = "<" + tM + "." + tm + "." + jsIncr(tp) + "-0"
	default:
		to = "<=" + to
	}
	return jsTrim(from + " " + to)
}

// isLooseComparator mirrors comp.match(re[COMPARATORLOOSE]).
func isLooseComparator(comp string, re *regexps) bool {
	if comp == "" {
		return true
	}
	if len(comp) <= maxLength && !hasSpace(comp) {
		var p parts
		return matchVersion(comp[len(gtlt(comp)):], true, &p)
	}
	return re.comparatorLoose.get().MatchString(comp)
}

// gtlt returns the ((?:<|>)?=?) prefix of s.
func gtlt(s string) string {
	i := 0
	if i < len(s) && (s[i] == '<' || s[i] == '>') {
		i++
	}
	if i < len(s) && s[i] == '=' {
		i++
	}
	return s[:i]
}

func hasSpace(s string) bool {
	for _, r := range s {
		if isJSSpace(r) {
			return true
		}
	}
	return false
}

// newComparator mirrors `new Comparator(comp, loose)`.
func newComparator(comp string, loose bool, re *regexps) (Comparator, error) {
	comp = strings.Join(jsSplitSpace(jsTrim(comp)), " ")
	var op, ver string
	if !hasSpace(comp) {
		// Without whitespace the COMPARATOR expression reduces to a greedy
		// operator followed by a version, which Parse checks exactly.
		op = gtlt(comp)
		ver = comp[len(op):]
		if ver == "" && op != "" {
			return Comparator{}, fmt.Errorf("%w: invalid comparator %q", ErrInvalidRange, comp)
		}
	} else {
		r := re.comparator
		if loose {
			r = re.comparatorLoose
		}
		m := r.get().FindStringSubmatch(comp)
		if m == nil {
			return Comparator{}, fmt.Errorf("%w: invalid comparator %q", ErrInvalidRange, comp)
		}
		op, ver = m[1], m[2]
	}
	if ver == "" {
		return Comparator{}, nil // ANY
	}
	var c Comparator
	switch op {
	case ">":
		c.Op = OpGT
	case ">=":
		c.Op = OpGTE
	case "<":
		c.Op = OpLT
	case "<=":
		c.Op = OpLTE
	}
	v, err := Parse(ver, loose)
	if err != nil {
		return Comparator{}, fmt.Errorf("%w: %w", ErrInvalidRange, err)
	}
	c.Version = v
	c.value = c.Op.String() + v.String()
	return c, nil
}
