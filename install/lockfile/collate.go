package lockfile

import (
	"bytes"
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
	c    *collate.Collator
	buf  collate.Buffer
	keys map[string][]byte
}

func newKeySorter() *keySorter {
	return &keySorter{c: collate.New(language.English), keys: make(map[string][]byte, 256)}
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
	if r := bytes.Compare(s.key(a), s.key(b)); r != 0 {
		return r
	}
	return strings.Compare(a, b)
}
