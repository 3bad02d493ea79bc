package semver

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// PrereleaseID is one dot-separated prerelease identifier. node-semver keeps
// purely numeric identifiers below 2^53-1 as numbers and everything else as
// strings; IsNum mirrors that.
type PrereleaseID struct {
	Str   string // the identifier as node-semver prints it
	Num   uint64 // the numeric value when IsNum
	IsNum bool
}

// Version is a parsed semantic version (node-semver's SemVer).
type Version struct {
	Major, Minor, Patch uint64
	Prerelease          []PrereleaseID
	Build               []string
	Raw                 string // the input, as given to Parse
}

// ErrInvalidVersion is wrapped by every Parse error.
var ErrInvalidVersion = errors.New("invalid version")

func invalidVersion(s, why string) error {
	return fmt.Errorf("failed to parse version %q: %w: %s", s, ErrInvalidVersion, why)
}

// Parse parses s like `new SemVer(s, {loose})`: surrounding whitespace is
// trimmed, a leading "v" is accepted, and loose mode additionally accepts
// leading "=", "v" and whitespace, leading zeros and a prerelease without
// the hyphen ("1.2.3beta").
func Parse(s string, loose bool) (*Version, error) {
	if jsLength(s) > maxLength {
		return nil, invalidVersion(s, fmt.Sprintf("longer than %d characters", maxLength))
	}
	var p parts
	ok := matchVersion(jsTrim(s), loose, &p)
	if !ok {
		return nil, invalidVersion(s, "does not match the semver grammar")
	}
	v := &Version{}
	if why := v.fill(s, &p); why != "" {
		return nil, invalidVersion(s, why)
	}
	return v, nil
}

// ParseValue is Parse into a value: it allocates only for prerelease and
// build identifiers, and reports failure without an error (the callers
// parse every version of a document and skip the invalid ones).
func ParseValue(s string, loose bool) (Version, bool) {
	var p parts
	if jsLength(s) > maxLength || !matchVersion(jsTrim(s), loose, &p) {
		return Version{}, false
	}
	var v Version
	ok := v.fill(s, &p) == ""
	return v, ok
}

// fill sets v from the matched parts of s; it returns why they are not a
// version, or "".
func (v *Version) fill(s string, p *parts) string {
	v.Raw = s
	var err error
	if v.Major, err = mainNumber(p.major); err != nil {
		return "invalid major version"
	}
	if v.Minor, err = mainNumber(p.minor); err != nil {
		return "invalid minor version"
	}
	if v.Patch, err = mainNumber(p.patch); err != nil {
		return "invalid patch version"
	}
	if p.pre != "" {
		v.Prerelease = makePrerelease(p.pre)
	}
	if p.build != "" {
		v.Build = strings.Split(p.build, ".")
	}
	return ""
}

// MustParse is Parse(s, false) that panics on error.
func MustParse(s string) *Version {
	v, err := Parse(s, false)
	if err != nil {
		panic(err)
	}
	return v
}

// parts are the capture groups of the FULL / LOOSE expressions.
type parts struct {
	major, minor, patch, pre, build string
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentChar(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'
}

// parseStrict matches s against node-semver's FULL expression without the
// leading "v?" (the caller strips it).
func parseStrict(s string, p *parts) bool {
	i := 0
	num := func() (string, bool) {
		start := i
		if i >= len(s) || !isDigit(s[i]) {
			return "", false
		}
		if s[i] == '0' {
			i++
		} else {
			for i < len(s) && isDigit(s[i]) {
				i++
			}
		}
		return s[start:i], true
	}
	var ok bool
	if p.major, ok = num(); !ok || i >= len(s) || s[i] != '.' {
		return false
	}
	i++
	if p.minor, ok = num(); !ok || i >= len(s) || s[i] != '.' {
		return false
	}
	i++
	if p.patch, ok = num(); !ok {
		return false
	}
	if i < len(s) && s[i] == '-' {
		i++
		start := i
		for {
			idStart := i
			allDigits := true
			for i < len(s) && isIdentChar(s[i]) {
				if !isDigit(s[i]) {
					allDigits = false
				}
				i++
			}
			if i == idStart {
				return false
			}
			if allDigits && s[idStart] == '0' && i-idStart > 1 {
				return false
			}
			if i < len(s) && s[i] == '.' {
				i++
				continue
			}
			break
		}
		p.pre = s[start:i]
	}
	if i < len(s) && s[i] == '+' {
		i++
		start := i
		for {
			idStart := i
			for i < len(s) && isIdentChar(s[i]) {
				i++
			}
			if i == idStart {
				return false
			}
			if i < len(s) && s[i] == '.' {
				i++
				continue
			}
			break
		}
		p.build = s[start:i]
	}
	return i == len(s)
}

// matchVersion matches s against node-semver's FULL (strict) or LOOSE
// expression and fills in the capture groups.
func matchVersion(s string, loose bool, p *parts) bool {
	if !loose {
		return parseStrict(strings.TrimPrefix(s, "v"), p)
	}
	// Strip the loose prefix [v=\s]*; a version that is otherwise strict
	// decomposes exactly as the LOOSE expression would.
	i := 0
	for i < len(s) {
		if c := s[i]; c == 'v' || c == '=' || asciiSpace(c) {
			i++
			continue
		}
		if r, size := utf8.DecodeRuneInString(s[i:]); r >= utf8.RuneSelf && isJSSpace(r) {
			i += size
			continue
		}
		break
	}
	if parseStrict(s[i:], p) {
		return true
	}
	// Versions are at most 256 characters, so the uncapped LOOSE expression
	// accepts exactly what node-semver's capped one does.
	m := uncappedRE().loose.get().FindStringSubmatch(s)
	if m == nil {
		return false
	}
	p.major, p.minor, p.patch, p.pre, p.build = m[1], m[2], m[3], m[4], m[5]
	return true
}

var errTooBig = errors.New("number too big")

// mainNumber mirrors +digits with node-semver's MAX_SAFE_INTEGER check.
func mainNumber(digits string) (uint64, error) {
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || n > maxSafeInteger {
		return 0, errTooBig
	}
	return n, nil
}

func makePrerelease(pre string) []PrereleaseID {
	ids := strings.Split(pre, ".")
	out := make([]PrereleaseID, len(ids))
	for i, id := range ids {
		out[i] = PrereleaseID{Str: id}
		if allDigits(id) {
			// node keeps numbers strictly below MAX_SAFE_INTEGER as numbers.
			if n, err := strconv.ParseUint(id, 10, 64); err == nil && n < maxSafeInteger {
				out[i] = PrereleaseID{Str: strconv.FormatUint(n, 10), Num: n, IsNum: true}
			}
		}
	}
	return out
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// String returns node-semver's .version: major.minor.patch[-prerelease],
// without build metadata.
func (v *Version) String() string {
	var buf [64]byte
	b := strconv.AppendUint(buf[:0], v.Major, 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, v.Minor, 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, v.Patch, 10)
	for i, id := range v.Prerelease {
		if i == 0 {
			b = append(b, '-')
		} else {
			b = append(b, '.')
		}
		b = append(b, id.Str...)
	}
	return string(b)
}

// IsPrerelease reports whether v has prerelease identifiers.
func (v *Version) IsPrerelease() bool { return len(v.Prerelease) > 0 }

// Valid mirrors semver.valid: the normalised version, or "" if s is invalid.
func Valid(s string, loose bool) string {
	v, err := Parse(s, loose)
	if err != nil {
		return ""
	}
	return v.String()
}

// Clean mirrors semver.clean: trims, strips leading "=" and "v", and returns
// the normalised version, or "" if invalid.
func Clean(s string, loose bool) string {
	t := strings.TrimLeft(jsTrim(s), "=v")
	return Valid(t, loose)
}
