package lockfile

import (
	"bytes"
	"slices"
	"strings"
	"sync"
)

// The direct lockfile encoder. Marshal writes a Lockfile straight from its
// typed fields, producing the same bytes as stringify(l.toMap(), ...) (the
// generic path, which tests keep as the oracle) without building a map per
// entry or allocating per object:
//   - object keys (the packages object, string maps, and generic values in
//     Funding, Workspaces, Extra and the v2 dependencies tree) are ordered
//     in place by orderKeys, which applies the rules of
//     encoder.sortedKeys, comparing ASCII keys with the collation table
//     directly (asciiTable.compare) instead of making sort keys; keys of
//     generic objects live on a stack of scratch space while their values
//     are written;
//   - an entry's fields are written in fieldOrder, the order sortedKeys
//     gives the known field names (each as a non-object and as an object),
//     computed once by running sortedKeys itself. Any subset of those keys
//     is all ASCII, so sortedKeys orders it by the same comparison, and the
//     subset's order is fieldOrder's. Extra keys that are known field names
//     take their place in that order; an entry with any other Extra key
//     (unknown names, integer-like keys, "__proto__") has its keys ordered
//     by orderKeys (entrySorted).
//   - the newline is written directly, not replaced afterwards.

// field names a typed field of Package.
type field uint8

const (
	fName field = iota
	fVersion
	fResolved
	fIntegrity
	fLicense
	fDeprecated
	fLink
	fDev
	fOptional
	fDevOptional
	fPeer
	fExtraneous
	fInBundle
	fHasInstallScript
	fHasShrinkwrap
	fDependencies
	fDevDependencies
	fOptionalDependencies
	fPeerDependencies
	fAcceptDependencies
	fBin
	fEngines
	fPeerDependenciesMeta
	fOS
	fCPU
	fLibc
	fBundleDependencies
	fFunding
	fWorkspaces
	numFields
)

// fieldNames are the JSON keys of the typed fields, as Package.toMap
// writes them.
var fieldNames = [numFields]string{
	fName: "name", fVersion: "version", fResolved: "resolved", fIntegrity: "integrity",
	fLicense: "license", fDeprecated: "deprecated",
	fLink: "link", fDev: "dev", fOptional: "optional", fDevOptional: "devOptional",
	fPeer: "peer", fExtraneous: "extraneous", fInBundle: "inBundle",
	fHasInstallScript: "hasInstallScript", fHasShrinkwrap: "hasShrinkwrap",
	fDependencies: "dependencies", fDevDependencies: "devDependencies",
	fOptionalDependencies: "optionalDependencies", fPeerDependencies: "peerDependencies",
	fAcceptDependencies: "acceptDependencies", fBin: "bin", fEngines: "engines",
	fPeerDependenciesMeta: "peerDependenciesMeta",
	fOS:                   "os", fCPU: "cpu", fLibc: "libc", fBundleDependencies: "bundleDependencies",
	fFunding: "funding", fWorkspaces: "workspaces",
}

// quotedFieldNames[f] is fieldNames[f] as a JSON string (no name needs
// escaping).
var quotedFieldNames = func() (q [numFields]string) {
	for f, n := range fieldNames {
		q[f] = `"` + n + `"`
	}
	return q
}()

var fieldIndex = func() map[string]field {
	m := make(map[string]field, numFields)
	for f, n := range fieldNames {
		m[n] = field(f)
	}
	return m
}()

// fieldSlot is one position in an entry's key order: field f when its value
// is (obj) or is not an object.
type fieldSlot struct {
	f   field
	obj bool
}

// fieldOrder is the order encoder.sortedKeys gives every known field name
// as a non-object and as an object. Non-objects sort before objects, so of
// a name's two occurrences the first is the non-object one.
var fieldOrder = sync.OnceValue(func() []fieldSlot {
	e := &encoder{}
	keys := e.sortedKeys(2*int(numFields), func(yield func(string, bool)) {
		for _, n := range fieldNames {
			yield(n, false)
			yield(n, true)
		}
	})
	var seen [numFields]bool
	order := make([]fieldSlot, 0, len(keys))
	for _, k := range keys {
		f := fieldIndex[k]
		order = append(order, fieldSlot{f: f, obj: seen[f]})
		seen[f] = true
	}
	return order
})

// Field states for one entry.
const (
	stPresent uint8 = 1 << iota
	stObject
	stExtra // the value is p.Extra[name], not a typed field
)

func boolState(b bool) uint8 {
	if b {
		return stPresent
	}
	return 0
}

func objState(b bool) uint8 {
	if b {
		return stPresent | stObject
	}
	return 0
}

func anyState(v any) uint8 {
	if v == nil {
		return 0
	}
	if isObject(v) {
		return stPresent | stObject
	}
	return stPresent
}

// typedStates records which typed fields Package.toMap would write, and
// whether their values are objects.
func (p *Package) typedStates(st *[numFields]uint8) {
	st[fName] = boolState(p.Name != "")
	st[fVersion] = boolState(p.Version != "")
	st[fResolved] = boolState(p.Resolved != "")
	st[fIntegrity] = boolState(p.Integrity != "")
	st[fLicense] = boolState(p.License != "")
	st[fDeprecated] = boolState(p.Deprecated != "")
	st[fLink] = boolState(p.Link)
	st[fDev] = boolState(p.Dev)
	st[fOptional] = boolState(p.Optional)
	st[fDevOptional] = boolState(p.DevOptional)
	st[fPeer] = boolState(p.Peer)
	st[fExtraneous] = boolState(p.Extraneous)
	st[fInBundle] = boolState(p.InBundle)
	st[fHasInstallScript] = boolState(p.HasInstallScript)
	st[fHasShrinkwrap] = boolState(p.HasShrinkwrap)
	st[fDependencies] = objState(p.Dependencies != nil)
	st[fDevDependencies] = objState(p.DevDependencies != nil)
	st[fOptionalDependencies] = objState(p.OptionalDependencies != nil)
	st[fPeerDependencies] = objState(p.PeerDependencies != nil)
	st[fAcceptDependencies] = objState(p.AcceptDependencies != nil)
	st[fBin] = objState(p.Bin != nil)
	st[fEngines] = objState(p.Engines != nil)
	st[fPeerDependenciesMeta] = objState(p.PeerDependenciesMeta != nil)
	st[fOS] = boolState(p.OS != nil)
	st[fCPU] = boolState(p.CPU != nil)
	st[fLibc] = boolState(p.Libc != nil)
	st[fBundleDependencies] = boolState(p.BundleDependencies != nil)
	st[fFunding] = anyState(p.Funding)
	st[fWorkspaces] = anyState(p.Workspaces)
}

// Marshal writes the lockfile byte for byte as npm does: json-stringify-nice
// ordering with ICU "en" collation, JSON.stringify escaping, l.Indent and
// l.Newline (defaults "  " and "\n"), and a trailing newline.
func (l *Lockfile) Marshal() []byte {
	indent, newline := l.Indent, l.Newline
	if indent == "" {
		indent = "  "
	}
	if newline == "" {
		newline = "\n"
	}
	// stringify writes "\n" and replaces every one afterwards; the only
	// raw newlines it writes are line breaks and those inside the gap
	// (strings escape theirs), so writing newline there is the same.
	gap := jsGap(indent)
	if newline != "\n" {
		gap = strings.ReplaceAll(gap, "\n", newline)
	}
	e := &encoder{gap: gap, nl: newline, order: fieldOrder()}
	t := asciiCollation()
	e.cmpASCII = func(a, b string) int {
		if c := t.compare(a, b); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	}
	e.buf.Grow(l.sizeEstimate(len(gap), len(newline)))
	e.lockfile(l)
	e.buf.WriteString(newline)
	return e.buf.Bytes()
}

// sizeEstimate is about the length of Marshal's output (a little more
// unless values need escapes or Extra holds much) for gap and newline
// lengths, so that the buffer is allocated once: it counts the lines
// Marshal writes, with their indentation, quotes and punctuation.
func (l *Lockfile) sizeEstimate(gap, nl int) int {
	// A line at depth d holding a key of length k: the line break and
	// indentation, the quoted key, ": " and a comma.
	line := func(d, k int) int { return nl + d*gap + k + 5 }
	n := 4096
	for key, p := range l.Packages {
		n += line(2, len(key)) + line(2, 0) + 1
		if p == nil {
			continue
		}
		// The fields in each list are consecutive in fieldNames.
		for i, s := range [...]string{p.Name, p.Version, p.Resolved, p.Integrity, p.License, p.Deprecated} {
			if s != "" {
				n += line(3, len(fieldNames[fName+field(i)])) + len(s) + 2
			}
		}
		for i, b := range [...]bool{p.Link, p.Dev, p.Optional, p.DevOptional, p.Peer, p.Extraneous, p.InBundle, p.HasInstallScript, p.HasShrinkwrap} {
			if b {
				n += line(3, len(fieldNames[fLink+field(i)])) + 4
			}
		}
		for i, m := range [...]map[string]string{p.Dependencies, p.DevDependencies, p.OptionalDependencies, p.PeerDependencies, p.AcceptDependencies, p.Bin, p.Engines} {
			if m == nil {
				continue
			}
			n += line(3, len(fieldNames[fDependencies+field(i)])) + line(3, 0)
			for k, v := range m {
				n += line(4, len(k)) + len(v) + 2
			}
		}
		if m := p.PeerDependenciesMeta; m != nil {
			n += line(3, 20) + line(3, 0)
			for k := range m {
				n += line(4, len(k)) + line(5, 8) + 4 + line(4, 0)
			}
		}
		for i, a := range [...][]string{p.OS, p.CPU, p.Libc, p.BundleDependencies} {
			if a == nil {
				continue
			}
			n += line(3, len(fieldNames[fOS+field(i)])) + line(3, 0)
			for _, x := range a {
				n += line(4, 0) + len(x)
			}
		}
		if p.Funding != nil {
			n += line(3, 7) + line(4, 3) + 60 + line(3, 0)
		}
		if p.Workspaces != nil {
			n += line(3, 10) + line(4, 0) + 20 + line(3, 0)
		}
		n += len(p.Extra) * (line(3, 10) + 40)
	}
	return n + n/64
}

// lockfile writes the top-level object as stringify(l.toMap(), ...) does.
func (e *encoder) lockfile(l *Lockfile) {
	typed := func(k string) bool {
		switch k {
		case "name":
			return l.Name != ""
		case "version":
			return l.Version != ""
		case "lockfileVersion":
			return l.LockfileVersion != 0
		case "requires":
			return l.Requires
		case "packages":
			return l.Packages != nil
		case "dependencies":
			return l.Dependencies != nil
		}
		return false
	}
	keys := e.sortedKeys(6+len(l.Extra), func(yield func(string, bool)) {
		for k, v := range l.Extra {
			if !typed(k) {
				yield(k, isObject(v))
			}
		}
		for _, k := range [...]string{"name", "version", "lockfileVersion", "requires"} {
			if typed(k) {
				yield(k, false)
			}
		}
		if l.Packages != nil {
			yield("packages", true)
		}
		if l.Dependencies != nil {
			yield("dependencies", isObject(l.Dependencies))
		}
	})
	e.object(keys, 0, func(k string) {
		if !typed(k) {
			e.anyValue(l.Extra[k], 1)
			return
		}
		switch k {
		case "name":
			writeJSString(&e.buf, l.Name)
		case "version":
			writeJSString(&e.buf, l.Version)
		case "lockfileVersion":
			e.buf.WriteString(formatJSNumber(float64(l.LockfileVersion)))
		case "requires":
			e.buf.WriteString("true")
		case "packages":
			e.packages(l.Packages, 1)
		case "dependencies":
			e.anyValue(l.Dependencies, 1)
		}
	})
}

// colon writes the separator between a key and its value.
func (e *encoder) colon() {
	if e.gap != "" {
		e.buf.WriteString(": ")
	} else {
		e.buf.WriteByte(':')
	}
}

// packages writes the packages object.
func (e *encoder) packages(pkgs map[string]*Package, depth int) {
	keys := make([]string, 0, len(pkgs))
	for k := range pkgs {
		keys = append(keys, k)
	}
	keys = e.sortUniform(keys)
	e.object(keys, depth, func(k string) { e.entry(pkgs[k], depth+1) })
}

// entry writes one packages entry as stringify(p.toMap(), ...) does.
func (e *encoder) entry(p *Package, depth int) {
	if p == nil {
		e.buf.WriteString("{}")
		return
	}
	var st [numFields]uint8
	p.typedStates(&st)
	for k := range p.Extra {
		if _, ok := fieldIndex[k]; !ok {
			e.entrySorted(p, &st, depth)
			return
		}
	}
	for k, v := range p.Extra {
		if f := fieldIndex[k]; st[f] == 0 {
			st[f] = stExtra | anyState(v) | stPresent
		}
	}
	n := 0
	for _, s := range e.order {
		x := st[s.f]
		if x&stPresent == 0 || (x&stObject != 0) != s.obj {
			continue
		}
		if n == 0 {
			e.buf.WriteByte('{')
		} else {
			e.buf.WriteByte(',')
		}
		n++
		e.newline(depth + 1)
		e.buf.WriteString(quotedFieldNames[s.f])
		e.colon()
		if x&stExtra != 0 {
			e.anyValue(p.Extra[fieldNames[s.f]], depth+1)
		} else {
			e.typed(p, s.f, depth+1)
		}
	}
	if n == 0 {
		e.buf.WriteString("{}")
		return
	}
	e.newline(depth)
	e.buf.WriteByte('}')
}

// entrySorted writes an entry whose Extra holds keys other than the known
// field names; st holds the typed fields' states. Its keys live on e.stack
// while its values are written.
func (e *encoder) entrySorted(p *Package, st *[numFields]uint8, depth int) {
	start := len(e.stack)
	e.pushEntryKeys(p, st, false)
	split := len(e.stack) - start
	e.pushEntryKeys(p, st, true)
	keys := e.orderKeys(e.stack[start:], split)
	e.object(keys, depth, func(k string) {
		if f, ok := fieldIndex[k]; ok && st[f] != 0 {
			e.typed(p, f, depth+1)
		} else {
			e.anyValue(p.Extra[k], depth+1)
		}
	})
	clear(e.stack[start:])
	e.stack = e.stack[:start]
}

// pushEntryKeys pushes the keys of the entry's object (obj) or non-object
// values: present typed fields, and Extra keys they do not override.
func (e *encoder) pushEntryKeys(p *Package, st *[numFields]uint8, obj bool) {
	for k, v := range p.Extra {
		if f, ok := fieldIndex[k]; (!ok || st[f] == 0) && isObject(v) == obj {
			e.stack = append(e.stack, k)
		}
	}
	for f, x := range st {
		if x != 0 && (x&stObject != 0) == obj {
			e.stack = append(e.stack, fieldNames[f])
		}
	}
}

// typed writes the value of a typed field that typedStates reports present.
func (e *encoder) typed(p *Package, f field, depth int) {
	switch f {
	case fName:
		writeJSString(&e.buf, p.Name)
	case fVersion:
		writeJSString(&e.buf, p.Version)
	case fResolved:
		writeJSString(&e.buf, p.Resolved)
	case fIntegrity:
		writeJSString(&e.buf, p.Integrity)
	case fLicense:
		writeJSString(&e.buf, p.License)
	case fDeprecated:
		writeJSString(&e.buf, p.Deprecated)
	case fLink, fDev, fOptional, fDevOptional, fPeer, fExtraneous, fInBundle, fHasInstallScript, fHasShrinkwrap:
		e.buf.WriteString("true")
	case fDependencies:
		e.stringMap(p.Dependencies, depth)
	case fDevDependencies:
		e.stringMap(p.DevDependencies, depth)
	case fOptionalDependencies:
		e.stringMap(p.OptionalDependencies, depth)
	case fPeerDependencies:
		e.stringMap(p.PeerDependencies, depth)
	case fAcceptDependencies:
		e.stringMap(p.AcceptDependencies, depth)
	case fBin:
		e.stringMap(p.Bin, depth)
	case fEngines:
		e.stringMap(p.Engines, depth)
	case fPeerDependenciesMeta:
		e.peerMeta(p.PeerDependenciesMeta, depth)
	case fOS:
		e.strings(p.OS, depth)
	case fCPU:
		e.strings(p.CPU, depth)
	case fLibc:
		e.strings(p.Libc, depth)
	case fBundleDependencies:
		e.strings(p.BundleDependencies, depth)
	case fFunding:
		e.anyValue(p.Funding, depth)
	case fWorkspaces:
		e.anyValue(p.Workspaces, depth)
	}
}

// stringMap writes an object of strings.
func (e *encoder) stringMap(m map[string]string, depth int) {
	keys := e.mapKeys[:0]
	for k := range m {
		keys = append(keys, k)
	}
	keys = e.sortUniform(keys)
	e.mapKeys = keys[:0]
	e.object(keys, depth, func(k string) { writeJSString(&e.buf, m[k]) })
}

// peerMeta writes peerDependenciesMeta as toMap renders it: {"optional":
// true} or {} per name.
func (e *encoder) peerMeta(m map[string]PeerMeta, depth int) {
	keys := e.mapKeys[:0]
	for k := range m {
		keys = append(keys, k)
	}
	keys = e.sortUniform(keys)
	e.mapKeys = keys[:0]
	e.object(keys, depth, func(k string) {
		if !m[k].Optional {
			e.buf.WriteString("{}")
			return
		}
		e.buf.WriteByte('{')
		e.newline(depth + 2)
		e.buf.WriteString(`"optional"`)
		e.colon()
		e.buf.WriteString("true")
		e.newline(depth + 1)
		e.buf.WriteByte('}')
	})
}

// sortUniform orders, in place, the keys of an object whose values are all
// objects or all non-objects, as sortedKeys does, and returns them
// shortened by the keys dropped (see orderKeys).
func (e *encoder) sortUniform(keys []string) []string {
	return e.orderKeys(keys, len(keys))
}

// orderKeys orders, in place, the keys of an object as sortedKeys does:
// keys[:split] hold non-object values and keys[split:] objects. "__proto__"
// is dropped; integer-like keys come first in numeric order; then each
// group in turn: swKeyOrder's keys in its order, then the rest by ICU "en"
// collation with a bytewise tie break (compared as ASCII when every such
// key of the object is ASCII, as sortedKeys does). It returns keys
// shortened by the keys dropped.
func (e *encoder) orderKeys(keys []string, split int) []string {
	var pref [2][8]string
	var npref [2]int
	var nrest [2]int
	ints := e.ints[:0]
	w := 0 // the rest of both groups is compacted into keys[:w]
	ascii := true
	for r, k := range keys {
		if k == "__proto__" {
			continue
		}
		if isArrayIndex(k) {
			ints = append(ints, k)
			continue
		}
		g := 0
		if r >= split {
			g = 1
		}
		if i, ok := swKeyOrder[k]; ok {
			pref[g][i] = k
			npref[g]++
			continue
		}
		if ascii && !isASCII(k) {
			ascii = false
		}
		keys[w] = k
		w++
		nrest[g]++
	}
	rest := [2][]string{keys[:nrest[0]], keys[nrest[0]:w]}
	for _, r := range rest {
		if len(r) > 1 {
			if ascii {
				slices.SortFunc(r, e.cmpASCII)
			} else {
				e.sortICU(r)
			}
		}
	}
	if len(ints) > 1 {
		slices.SortFunc(ints, func(a, b string) int {
			if len(a) != len(b) {
				return len(a) - len(b)
			}
			return strings.Compare(a, b)
		})
	}
	// Final layout: ints, group 0's preferred keys and rest, group 1's.
	// Moving the rests right, the second first, overwrites nothing unread.
	at0 := len(ints) + npref[0]
	at1 := at0 + nrest[0] + npref[1]
	n := at1 + nrest[1]
	out := keys[:n]
	copy(out[at1:], rest[1])
	copy(out[at0:], rest[0])
	copy(out, ints)
	i := len(ints)
	for g := range pref {
		for _, k := range pref[g] {
			if k != "" {
				out[i] = k
				i++
			}
		}
		i += nrest[g]
	}
	e.ints = ints[:0]
	return out
}

// anyValue writes a decoded JSON value as value does, ordering object keys
// with orderKeys and its scratch instead of sortedKeys.
func (e *encoder) anyValue(v any, depth int) {
	switch x := v.(type) {
	case map[string]any:
		e.anyMap(x, depth)
	case map[string]string:
		e.stringMap(x, depth)
	case []any:
		e.array(x, depth, e.anyValue)
	default:
		e.value(v, depth)
	}
}

// anyMap writes a generic object. Its keys live on e.stack while its
// values are written.
func (e *encoder) anyMap(m map[string]any, depth int) {
	start := len(e.stack)
	for k, v := range m {
		if !isObject(v) {
			e.stack = append(e.stack, k)
		}
	}
	split := len(e.stack) - start
	for k, v := range m {
		if isObject(v) {
			e.stack = append(e.stack, k)
		}
	}
	keys := e.orderKeys(e.stack[start:], split)
	e.object(keys, depth, func(k string) { e.anyValue(m[k], depth+1) })
	clear(e.stack[start:])
	e.stack = e.stack[:start]
}

// sortICU sorts keys by their ICU sort keys, with a bytewise tie break.
func (e *encoder) sortICU(keys []string) {
	ks := e.keys[:0]
	s := e.keySorter()
	for _, k := range keys {
		ks = append(ks, sortKey{key: k, ck: s.key(k)})
	}
	slices.SortFunc(ks, func(a, b sortKey) int {
		if c := bytes.Compare(a.ck, b.ck); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	for i := range ks {
		keys[i] = ks[i].key
	}
	clear(ks)
	e.keys = ks[:0]
}

// compare orders ASCII strings as bytes.Compare orders their asciiKeys,
// without making the keys: the primary weights of the characters that are
// not ignorable, compared from the left (a prefix first), then their case
// weights. A common byte prefix contributes equal weights to both and is
// skipped.
func (t *asciiTable) compare(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	a, b = a[i:], b[i:]
	i, j := 0, 0
	for {
		for i < len(a) && t.primary[a[i]] == 0 {
			i++
		}
		for j < len(b) && t.primary[b[j]] == 0 {
			j++
		}
		if i == len(a) || j == len(b) {
			break
		}
		if pa, pb := t.primary[a[i]], t.primary[b[j]]; pa != pb {
			return int(pa) - int(pb)
		}
		i++
		j++
	}
	switch {
	case i < len(a):
		return 1
	case j < len(b):
		return -1
	}
	// Equal primary weights: as many characters that are not ignorable on
	// both sides; compare their case weights.
	i, j = 0, 0
	for {
		for i < len(a) && t.primary[a[i]] == 0 {
			i++
		}
		for j < len(b) && t.primary[b[j]] == 0 {
			j++
		}
		if i == len(a) || j == len(b) {
			return 0
		}
		if ua, ub := t.upper[a[i]], t.upper[b[j]]; ua != ub {
			return int(ua) - int(ub)
		}
		i++
		j++
	}
}
