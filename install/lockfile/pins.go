package lockfile

import (
	"bytes"
	"slices"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/lockstep-dev/lockstep/internal/jsonlite"
	"github.com/lockstep-dev/lockstep/internal/nodetext"
)

// Pin is what a cache warm-up needs of one packages entry: where it is and
// what it pins. The fields mean what Package's fields of the same names
// mean.
type Pin struct {
	Loc, Name, Version, Resolved string
	Link, InBundle               bool
}

// ReadPins reads the packages entries of the lockfile of the project in
// dir, as Read would find and read them, sorted by location. It skips
// every other field (a warm-up runs it on each start, and the large
// fixture's full parse takes most of a warm-up's time once the manifest
// cache is fast), and falls back to Read's generic parse for anything its
// scan declines, so errors are Read's.
func ReadPins(dir string) ([]Pin, string, error) {
	data, p, err := readIn(dir)
	if err != nil {
		return nil, p, err
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if pins, ok := scanPins(data); ok {
		return pins, p, nil
	}
	l, err := parseGeneric(nodetext.Decode(data), p, decoderNoCopy)
	if err != nil {
		return nil, p, err
	}
	return l.Pins(), p, nil
}

// Pins lists l's packages entries as ReadPins does.
func (l *Lockfile) Pins() []Pin {
	out := make([]Pin, 0, len(l.Packages))
	for loc, p := range l.Packages {
		out = append(out, Pin{Loc: loc, Name: p.Name, Version: p.Version, Resolved: p.Resolved, Link: p.Link, InBundle: p.InBundle})
	}
	slices.SortFunc(out, func(a, b Pin) int { return strings.Compare(a.Loc, b.Loc) })
	return out
}

// scanPins is parseFast for pins, on the file's bytes before UTF-8
// decoding: it takes the documents parseFast takes and gives what
// (*Lockfile).Pins gives for them. It also takes repeated
// keys in values it skips; it declines a location or a pin field given
// twice.
func scanPins(data []byte) ([]Pin, bool) {
	if len(data) == 0 {
		return nil, false
	}
	// The strings view data, which the caller never changes.
	p := &jsonlite.Scanner{S: unsafe.String(&data[0], len(data))}
	p.WS()
	if !p.Eat('{') {
		return nil, false
	}
	ver, hasPkgs, hasVer := 0, false, false
	var pins []Pin
	ok := p.Members(func(k string) bool {
		switch k {
		case "lockfileVersion":
			if hasVer {
				return false
			}
			hasVer = true
			n, ok := p.SmallInt()
			ver = n
			return ok
		case "packages":
			if hasPkgs {
				return false
			}
			hasPkgs = true
			pins = make([]Pin, 0, bytes.Count(data, []byte(`"version"`))+8)
			p.WS()
			if !p.Eat('{') {
				return false
			}
			return p.Members(func(loc string) bool {
				pin, ok := scanPin(p)
				pin.Loc = loc
				pins = append(pins, pin)
				return ok
			})
		}
		return p.Skip()
	})
	if !ok || !p.End() || !hasPkgs || ver != 2 && ver != 3 {
		return nil, false
	}
	slices.SortFunc(pins, func(a, b Pin) int { return strings.Compare(a.Loc, b.Loc) })
	for i := range pins {
		if i > 0 && pins[i].Loc == pins[i-1].Loc {
			return nil, false
		}
		// npm decodes the file as UTF-8 first (nodetext.Decode). Invalid
		// bytes never touch the structure (they are not ASCII), so only the
		// strings kept need checking, not the whole file.
		if pin := &pins[i]; !utf8.ValidString(pin.Loc) || !utf8.ValidString(pin.Name) ||
			!utf8.ValidString(pin.Version) || !utf8.ValidString(pin.Resolved) {
			return nil, false
		}
	}
	return pins, true
}

// scanPin reads one packages entry's pin fields, skipping the rest. A
// field of another type than its typed field takes is left zero, as
// setField leaves it.
func scanPin(p *jsonlite.Scanner) (Pin, bool) {
	var pin Pin
	p.WS()
	if !p.Eat('{') {
		return pin, false
	}
	var seen uint8
	once := func(bit uint8) bool {
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	}
	str := func(dst *string) bool {
		if p.I < len(p.S) && p.S[p.I] == '"' {
			s, ok := p.Str()
			*dst = s
			return ok
		}
		return p.Skip()
	}
	flag := func(dst *bool) bool {
		if p.I < len(p.S) && p.S[p.I] == 't' {
			*dst = true
		}
		return p.Skip()
	}
	ok := p.Members(func(k string) bool {
		switch k {
		case "name":
			return once(1) && str(&pin.Name)
		case "version":
			return once(2) && str(&pin.Version)
		case "resolved":
			return once(4) && str(&pin.Resolved)
		case "link":
			return once(8) && flag(&pin.Link)
		case "inBundle":
			return once(16) && flag(&pin.InBundle)
		}
		return p.Skip()
	})
	return pin, ok
}
