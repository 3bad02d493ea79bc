package testserver

import (
	"sort"
	"strconv"
	"strings"
)

// version is a parsed semver 2.0 version, just enough to order the versions
// of a fake package and to pick "latest". Invalid versions sort before all
// valid ones, by plain string order among themselves.
type version struct {
	valid bool
	num   [3]uint64
	pre   []string
	raw   string
}

func parseVersion(s string) version {
	v := version{raw: s}
	core := strings.TrimPrefix(s, "v")
	if i := strings.IndexByte(core, '+'); i >= 0 {
		core = core[:i]
	}
	if i := strings.IndexByte(core, '-'); i >= 0 {
		if core[i+1:] == "" {
			return v
		}
		v.pre = strings.Split(core[i+1:], ".")
		core = core[:i]
	}
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return v
	}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return v
		}
		v.num[i] = n
	}
	v.valid = true
	return v
}

func (v version) prerelease() bool { return v.valid && len(v.pre) > 0 }

// compareVersions orders a and b by semver precedence (build metadata is
// ignored, so ties fall back to string order to keep sorting total).
func compareVersions(a, b string) int {
	va, vb := parseVersion(a), parseVersion(b)
	if c := compareParsed(va, vb); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func compareParsed(a, b version) int {
	switch {
	case !a.valid && !b.valid:
		return strings.Compare(a.raw, b.raw)
	case !a.valid:
		return -1
	case !b.valid:
		return 1
	}
	for i := range a.num {
		if a.num[i] != b.num[i] {
			if a.num[i] < b.num[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a.pre) == 0 && len(b.pre) == 0:
		return 0
	case len(a.pre) == 0:
		return 1
	case len(b.pre) == 0:
		return -1
	}
	for i := 0; i < len(a.pre) && i < len(b.pre); i++ {
		if c := compareIdent(a.pre[i], b.pre[i]); c != 0 {
			return c
		}
	}
	switch {
	case len(a.pre) < len(b.pre):
		return -1
	case len(a.pre) > len(b.pre):
		return 1
	}
	return 0
}

func compareIdent(a, b string) int {
	na, ea := strconv.ParseUint(a, 10, 64)
	nb, eb := strconv.ParseUint(b, 10, 64)
	switch {
	case ea == nil && eb == nil:
		if na < nb {
			return -1
		} else if na > nb {
			return 1
		}
		return 0
	case ea == nil:
		return -1
	case eb == nil:
		return 1
	}
	return strings.Compare(a, b)
}

// sortVersions sorts vs in ascending semver order.
func sortVersions(vs []string) {
	sort.Slice(vs, func(i, j int) bool { return compareVersions(vs[i], vs[j]) < 0 })
}

// highest returns the highest stable version of vs, or the highest version
// of any kind when none is stable.
func highest(vs []string) string {
	best, bestStable := "", ""
	for _, v := range vs {
		if best == "" || compareVersions(v, best) > 0 {
			best = v
		}
		if p := parseVersion(v); p.valid && !p.prerelease() && (bestStable == "" || compareVersions(v, bestStable) > 0) {
			bestStable = v
		}
	}
	if bestStable != "" {
		return bestStable
	}
	return best
}
