package lockfile

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// swKeyOrder is npm's preferred key order (arborist shrinkwrap.js), applied
// by json-stringify-nice at every depth.
var swKeyOrder = map[string]int{
	"name":            0,
	"version":         1,
	"lockfileVersion": 2,
	"resolved":        3,
	"integrity":       4,
	"requires":        5,
	"packages":        6,
	"dependencies":    7,
}

// The values the encoder understands. Objects are map[string]any or
// map[string]string; arrays are []any or []string; numbers are json.Number,
// int or float64; plus string, bool and nil.

// Stringify renders v as npm's json-stringify-nice(v, swKeyOrder, indent)
// does, followed by a newline, with every "\n" then replaced by newline (as
// Shrinkwrap.toString does). An empty indent means two spaces and an empty
// newline means "\n", as in npm.
func Stringify(v any, indent, newline string) []byte {
	return stringify(v, indent, newline, 1<<16)
}

func stringify(v any, indent, newline string, sizeHint int) []byte {
	if indent == "" {
		indent = "  "
	}
	if newline == "" {
		newline = "\n"
	}
	e := &encoder{gap: jsGap(indent), nl: "\n"}
	e.buf.Grow(sizeHint)
	e.value(v, 0)
	e.buf.WriteByte('\n')
	out := e.buf.Bytes()
	if newline != "\n" {
		out = bytes.ReplaceAll(out, []byte("\n"), []byte(newline))
	}
	return out
}

// jsGap is JSON.stringify's gap for a string space argument: its first ten
// UTF-16 code units.
func jsGap(s string) string {
	n := 0
	for i, r := range s {
		w := 1
		if r > 0xFFFF {
			w = 2
		}
		if n+w > 10 {
			return s[:i]
		}
		n += w
	}
	return s
}

type encoder struct {
	buf    bytes.Buffer
	sorter *keySorter // made on first use (see keySorter)
	gap    string
	// nl is written for each line break: "\n" for stringify, which
	// replaces newlines afterwards; Marshal writes its newline directly.
	nl string
	// indents[d] is nl followed by d gaps, made on first use.
	indents []string

	// Scratch of the direct lockfile encoder (marshal.go).
	keys     []sortKey
	ints     []string
	mapKeys  []string
	stack    []string // keys of the objects being written (anyMap)
	order    []fieldSlot
	cmpASCII func(a, b string) int
}

// keySorter returns the encoder's ICU key cache, made on first use: most
// objects of a lockfile have ASCII keys only and never need it.
func (e *encoder) keySorter() *keySorter {
	if e.sorter == nil {
		e.sorter = newKeySorter()
	}
	return e.sorter
}

type sortKey struct {
	key  string
	obj  bool
	pref int    // index in swKeyOrder, or -1
	ck   []byte // ICU sort key
}

func isObject(v any) bool {
	switch v.(type) {
	case map[string]any, map[string]string:
		return true
	}
	return false
}

func (e *encoder) newline(depth int) {
	if e.gap == "" {
		return
	}
	for len(e.indents) <= depth {
		if n := len(e.indents); n == 0 {
			e.indents = append(e.indents, e.nl)
		} else {
			e.indents = append(e.indents, e.indents[n-1]+e.gap)
		}
	}
	e.buf.WriteString(e.indents[depth])
}

func (e *encoder) value(v any, depth int) {
	switch x := v.(type) {
	case nil:
		e.buf.WriteString("null")
	case bool:
		if x {
			e.buf.WriteString("true")
		} else {
			e.buf.WriteString("false")
		}
	case string:
		writeJSString(&e.buf, x)
	case json.Number:
		e.buf.WriteString(jsNumberLiteral(string(x)))
	case int:
		e.buf.WriteString(formatJSNumber(float64(x)))
	case float64:
		e.buf.WriteString(formatJSNumber(x))
	case []string:
		e.strings(x, depth)
	case []any:
		e.array(x, depth, e.value)
	case map[string]string:
		keys := e.sortedKeys(len(x), func(yield func(string, bool)) {
			for k := range x {
				yield(k, false)
			}
		})
		e.object(keys, depth, func(k string) { writeJSString(&e.buf, x[k]) })
	case map[string]any:
		keys := e.sortedKeys(len(x), func(yield func(string, bool)) {
			for k, v := range x {
				yield(k, isObject(v))
			}
		})
		e.object(keys, depth, func(k string) { e.value(x[k], depth+1) })
	default:
		// Unknown Go types never come from Parse; write null as
		// JSON.stringify does for values it cannot represent.
		e.buf.WriteString("null")
	}
}

// strings writes an array of strings.
func (e *encoder) strings(x []string, depth int) {
	if len(x) == 0 {
		e.buf.WriteString("[]")
		return
	}
	e.buf.WriteByte('[')
	for i, s := range x {
		if i > 0 {
			e.buf.WriteByte(',')
		}
		e.newline(depth + 1)
		writeJSString(&e.buf, s)
	}
	e.newline(depth)
	e.buf.WriteByte(']')
}

// array writes a generic array; item writes each element.
func (e *encoder) array(x []any, depth int, item func(v any, depth int)) {
	if len(x) == 0 {
		e.buf.WriteString("[]")
		return
	}
	e.buf.WriteByte('[')
	for i, v := range x {
		if i > 0 {
			e.buf.WriteByte(',')
		}
		e.newline(depth + 1)
		item(v, depth+1)
	}
	e.newline(depth)
	e.buf.WriteByte(']')
}

// object writes an object of the keys given, in order; val writes the
// value of a key.
func (e *encoder) object(keys []string, depth int, val func(k string)) {
	if len(keys) == 0 {
		e.buf.WriteString("{}")
		return
	}
	e.buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			e.buf.WriteByte(',')
		}
		e.newline(depth + 1)
		writeJSString(&e.buf, k)
		e.colon()
		val(k)
	}
	e.newline(depth)
	e.buf.WriteByte('}')
}

// sortedKeys orders an object's keys as json-stringify-nice and then a
// JavaScript object do: integer-like keys first in numeric order (property
// order of the rebuilt object), then non-object values before objects, then
// swKeyOrder, then ICU "en" collation.
func (e *encoder) sortedKeys(n int, each func(yield func(string, bool))) []string {
	ks := make([]sortKey, 0, n)
	var ints []string
	each(func(k string, obj bool) {
		if k == "__proto__" {
			// json-stringify-nice rebuilds objects with set[k] = v, which
			// sets the prototype instead: npm never writes this key.
			return
		}
		if isArrayIndex(k) {
			ints = append(ints, k)
			return
		}
		pref, ok := swKeyOrder[k]
		if !ok {
			pref = -1
		}
		ks = append(ks, sortKey{key: k, obj: obj, pref: pref})
	})
	if len(ks) > 1 {
		// Keys from asciiKey order ASCII strings as ICU keys do but only
		// compare among themselves.
		key := e.keySorter().asciiKey
		for i := range ks {
			if ks[i].pref < 0 && !isASCII(ks[i].key) {
				key = e.sorter.key
				break
			}
		}
		for i := range ks {
			if ks[i].pref < 0 {
				ks[i].ck = key(ks[i].key)
			}
		}
	}
	slices.SortFunc(ks, func(a, b sortKey) int {
		if a.obj != b.obj {
			if a.obj {
				return 1
			}
			return -1
		}
		switch {
		case a.pref >= 0 && b.pref >= 0:
			return a.pref - b.pref
		case a.pref >= 0:
			return -1
		case b.pref >= 0:
			return 1
		}
		if c := bytes.Compare(a.ck, b.ck); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	out := make([]string, 0, len(ints)+len(ks))
	if len(ints) > 0 {
		slices.SortFunc(ints, func(a, b string) int {
			if len(a) != len(b) {
				return len(a) - len(b)
			}
			return strings.Compare(a, b)
		})
		out = append(out, ints...)
	}
	for _, k := range ks {
		out = append(out, k.key)
	}
	return out
}

// isArrayIndex reports whether k is a canonical array index (0 to 2^32-2),
// which JavaScript objects enumerate before all other string keys.
func isArrayIndex(k string) bool {
	if k == "" || len(k) > 10 {
		return false
	}
	if k[0] == '0' {
		return k == "0"
	}
	for i := 0; i < len(k); i++ {
		if k[i] < '0' || k[i] > '9' {
			return false
		}
	}
	n, err := strconv.ParseUint(k, 10, 64)
	return err == nil && n < math.MaxUint32
}

const hexDigits = "0123456789abcdef"

// writeJSString writes s quoted as JSON.stringify does: only '"', '\\' and
// control characters are escaped; '<', '>', '&', U+2028 and U+2029 are not.
// Invalid UTF-8 bytes become U+FFFD, as Node's UTF-8 decoding of the file
// would have made them, except for encoded lone surrogates (WTF-8), which are
// written as \udxxx escapes like JSON.stringify does.
func writeJSString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b.WriteString(s[start:i])
			switch c {
			case '"':
				b.WriteString(`\"`)
			case '\\':
				b.WriteString(`\\`)
			case '\b':
				b.WriteString(`\b`)
			case '\f':
				b.WriteString(`\f`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(s[start:i])
			if i+2 < len(s) && s[i] == 0xED && s[i+1] >= 0xA0 && s[i+1] <= 0xBF && s[i+2] >= 0x80 && s[i+2] <= 0xBF {
				// WTF-8 lone surrogate.
				cp := rune(s[i]&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F)
				b.WriteString(`\u`)
				b.WriteString(strconv.FormatInt(int64(cp), 16))
				i += 3
			} else {
				b.WriteString("\uFFFD")
				i++
			}
			start = i
			continue
		}
		i += size
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}

// jsNumberLiteral converts a JSON number literal to what JSON.stringify
// writes for the JavaScript number JSON.parse made of it.
func jsNumberLiteral(lit string) string {
	if isSimpleInt(lit) {
		return lit
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return formatJSNumber(f) // ±Inf → null, underflow → 0
		}
		return "null"
	}
	return formatJSNumber(f)
}

// isSimpleInt reports a canonical integer literal that is exact as a double
// and printed unchanged by JavaScript.
func isSimpleInt(lit string) bool {
	s := strings.TrimPrefix(lit, "-")
	if s == "" || len(s) > 15 || (s[0] == '0' && len(s) > 1) || s == "0" && lit != s {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// formatJSNumber is ECMAScript Number::toString for finite numbers, and
// "null" for NaN and ±Infinity (as JSON.stringify writes them).
func formatJSNumber(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "null"
	}
	if f == 0 {
		return "0"
	}
	if f < 0 {
		return "-" + formatJSNumber(-f)
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, exp, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	x, _ := strconv.Atoi(exp)
	k := len(digits)
	n := x + 1
	switch {
	case k <= n && n <= 21:
		return digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		return digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		return "0." + strings.Repeat("0", -n) + digits
	}
	sign := "+"
	if n-1 < 0 {
		sign = "-"
	}
	ex := n - 1
	if ex < 0 {
		ex = -ex
	}
	if k == 1 {
		return digits + "e" + sign + strconv.Itoa(ex)
	}
	return digits[:1] + "." + digits[1:] + "e" + sign + strconv.Itoa(ex)
}
