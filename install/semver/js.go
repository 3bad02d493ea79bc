package semver

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// jsSpaceClass is the body of a character class matching exactly the
// characters JavaScript's \s matches (WhiteSpace and LineTerminator).
const jsSpaceClass = `\t\n\v\f\r \x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}`

// isJSSpace reports whether r is matched by JavaScript's \s and removed by
// String.prototype.trim.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// jsTrim mirrors String.prototype.trim.
func jsTrim(s string) string {
	// Fast path for the common all-ASCII, already-trimmed case.
	if s == "" {
		return s
	}
	if c, d := s[0], s[len(s)-1]; c < utf8.RuneSelf && d < utf8.RuneSelf && !asciiSpace(c) && !asciiSpace(d) {
		return s
	}
	return strings.TrimFunc(s, isJSSpace)
}

func asciiSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// jsCollapseSpace mirrors s.replace(/\s+/g, ' ').
func jsCollapseSpace(s string) string {
	needs := false
	prevSpace := false
	for _, r := range s {
		sp := isJSSpace(r)
		if sp && (r != ' ' || prevSpace) {
			needs = true
			break
		}
		prevSpace = sp
	}
	if !needs {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	prevSpace = false
	for _, r := range s {
		if isJSSpace(r) {
			if !prevSpace {
				b.WriteByte(' ')
			}
			prevSpace = true
			continue
		}
		prevSpace = false
		b.WriteRune(r)
	}
	return b.String()
}

// jsSplitSpace mirrors s.split(/\s+/): empty leading and trailing fields are
// kept, and "" yields [""].
func jsSplitSpace(s string) []string {
	var out []string
	start := 0
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isJSSpace(r) {
			i += size
			continue
		}
		out = append(out, s[start:i])
		for i < len(s) {
			r, size = utf8.DecodeRuneInString(s[i:])
			if !isJSSpace(r) {
				break
			}
			i += size
		}
		start = i
	}
	return append(out, s[start:])
}

// jsLength is the length of s in UTF-16 code units, as JavaScript counts it.
func jsLength(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			n = 0
			for _, r := range s {
				if r >= 0x10000 {
					n += 2
				} else {
					n++
				}
			}
			return n
		}
	}
	return len(s)
}

// jsNumberString formats f like JavaScript's Number.prototype.toString.
func jsNumberString(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	if a := math.Abs(f); a >= 1e21 || (a != 0 && a < 1e-6) {
		return strconv.FormatFloat(f, 'e', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// jsNumber mirrors +s for a string of ASCII digits.
func jsNumber(digits string) float64 {
	if len(digits) <= 15 {
		var n uint64
		for i := 0; i < len(digits); i++ {
			n = n*10 + uint64(digits[i]-'0')
		}
		return float64(n)
	}
	f, _ := strconv.ParseFloat(digits, 64) // ±Inf on overflow, like JS
	return f
}

// jsIncr mirrors `${+s + 1}` for a string of ASCII digits.
func jsIncr(digits string) string {
	if len(digits) <= 15 {
		var n uint64
		for i := 0; i < len(digits); i++ {
			n = n*10 + uint64(digits[i]-'0')
		}
		return strconv.FormatUint(n+1, 10)
	}
	return jsNumberString(jsNumber(digits) + 1)
}
