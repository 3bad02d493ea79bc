package lockfile

import (
	"bytes"
	"slices"
	"strings"
	"sync"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// collators holds collate.Collators for the "en" locale. A Collator keeps
// iterator state, so each one is used by one goroutine at a time.
var collators = sync.Pool{New: func() any { return collate.New(language.English) }}

// LocaleCompare compares a and b as npm's @isaacs/string-locale-compare('en')
// (Node's Intl.Collator('en')) does, breaking ICU ties bytewise so the order
// is total. It is safe for concurrent use.
func LocaleCompare(a, b string) int {
	c := collators.Get().(*collate.Collator)
	r := c.CompareString(a, b)
	collators.Put(c)
	if r == 0 {
		r = strings.Compare(a, b)
	}
	return r
}

// keySorter caches ICU sort keys for one marshal run. It is not safe for
// concurrent use.
type keySorter struct {
	c     *collate.Collator
	buf   collate.Buffer
	keys  map[string][]byte
	ascii map[string][]byte // asciiKey's, cached
}

func newKeySorter() *keySorter {
	return &keySorter{c: collate.New(language.English), keys: make(map[string][]byte, 256), ascii: make(map[string][]byte, 256)}
}

// asciiKey returns a sort key for an ASCII string, ordered like the ICU
// keys of key among ASCII strings (not comparable with those): the primary
// weights of its characters, then a 0, then one case weight per character.
// For ASCII, "en" collation has no contractions, expansions or accents, so
// that is the whole comparison: primary weights first, then lowercase
// before uppercase from the left. The weights are read off the collator
// (asciiCollation). TestASCIIKeys compares the order with the collator's.
func (s *keySorter) asciiKey(str string) []byte {
	if k, ok := s.ascii[str]; ok {
		return k
	}
	t := asciiCollation()
	k := make([]byte, 0, 2*len(str)+1)
	for i := 0; i < len(str); i++ {
		if w := t.primary[str[i]]; w != 0 {
			k = append(k, w)
		}
	}
	k = append(k, 0)
	for i := 0; i < len(str); i++ {
		if c := str[i]; t.primary[c] != 0 {
			k = append(k, t.upper[c])
		}
	}
	s.ascii[str] = k
	return k
}

// asciiTable is the en collation of ASCII characters: a primary weight per
// byte (0 for the ignorable control characters; a letter's cases share
// one) and 1 for uppercase letters.
type asciiTable struct {
	primary, upper [128]byte
}

var asciiCollation = sync.OnceValue(func() *asciiTable {
	t := &asciiTable{}
	full := collate.New(language.English)
	noCase := collate.New(language.English, collate.IgnoreCase)
	var chars []string
	for c := 0; c < 128; c++ {
		ch := string(rune(c))
		if full.CompareString("a"+ch+"b", "ab") == 0 {
			continue // ignorable
		}
		chars = append(chars, ch)
		if 'A' <= c && c <= 'Z' {
			t.upper[c] = 1
		}
	}
	slices.SortStableFunc(chars, func(a, b string) int { return noCase.CompareString(a, b) })
	w := byte(0)
	for i, ch := range chars {
		if i == 0 || noCase.CompareString(chars[i-1], ch) != 0 {
			w++
		}
		t.primary[ch[0]] = w
	}
	return t
})

// isASCII reports whether s is all ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func (s *keySorter) key(str string) []byte {
	if k, ok := s.keys[str]; ok {
		return k
	}
	k := append([]byte(nil), s.c.KeyFromString(&s.buf, str)...)
	s.buf.Reset()
	s.keys[str] = k
	return k
}

// compare is localeCompare(a, b, 'en') with a bytewise tie break.
func (s *keySorter) compare(a, b string) int {
	ka, kb := s.key, s.key
	if isASCII(a) && isASCII(b) {
		ka, kb = s.asciiKey, s.asciiKey
	}
	if r := bytes.Compare(ka(a), kb(b)); r != 0 {
		return r
	}
	return strings.Compare(a, b)
}
