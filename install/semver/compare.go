package semver

import (
	"slices"
	"strings"
)

// Compare returns -1, 0 or 1 as a is lower than, equal to or greater than b
// (node-semver's compare: main version, then prerelease; build ignored).
func Compare(a, b *Version) int {
	if c := compareMain(a, b); c != 0 {
		return c
	}
	return comparePre(a, b)
}

// CompareBuild is Compare, then build metadata (semver.compareBuild).
func CompareBuild(a, b *Version) int {
	if c := Compare(a, b); c != 0 {
		return c
	}
	for i := 0; ; i++ {
		switch {
		case i >= len(a.Build) && i >= len(b.Build):
			return 0
		case i >= len(b.Build):
			return 1
		case i >= len(a.Build):
			return -1
		case a.Build[i] == b.Build[i]:
			continue
		}
		return compareStringIDs(a.Build[i], b.Build[i])
	}
}

// Rcompare is Compare(b, a).
func Rcompare(a, b *Version) int { return Compare(b, a) }

// Eq, Neq, Gt, Gte, Lt and Lte compare like Compare.
func Eq(a, b *Version) bool  { return Compare(a, b) == 0 }
func Neq(a, b *Version) bool { return Compare(a, b) != 0 }
func Gt(a, b *Version) bool  { return Compare(a, b) > 0 }
func Gte(a, b *Version) bool { return Compare(a, b) >= 0 }
func Lt(a, b *Version) bool  { return Compare(a, b) < 0 }
func Lte(a, b *Version) bool { return Compare(a, b) <= 0 }

func compareMain(a, b *Version) int {
	switch {
	case a.Major != b.Major:
		return cmpU(a.Major, b.Major)
	case a.Minor != b.Minor:
		return cmpU(a.Minor, b.Minor)
	case a.Patch != b.Patch:
		return cmpU(a.Patch, b.Patch)
	}
	return 0
}

func cmpU(a, b uint64) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

func comparePre(a, b *Version) int {
	ap, bp := a.Prerelease, b.Prerelease
	switch {
	case len(ap) == 0 && len(bp) == 0:
		return 0
	case len(ap) == 0:
		return 1 // not having a prerelease is greater
	case len(bp) == 0:
		return -1
	}
	for i := 0; ; i++ {
		switch {
		case i >= len(ap) && i >= len(bp):
			return 0
		case i >= len(bp):
			return 1
		case i >= len(ap):
			return -1
		}
		x, y := &ap[i], &bp[i]
		if x.IsNum && y.IsNum {
			if x.Num == y.Num {
				continue
			}
			return cmpU(x.Num, y.Num)
		}
		if !x.IsNum && !y.IsNum && x.Str == y.Str {
			continue
		}
		// node returns here even when compareIdentifiers says 0 (two
		// different numeric strings that round to the same double).
		return compareStringIDs(x.Str, y.Str)
	}
}

// compareStringIDs mirrors node-semver's compareIdentifiers for two
// identifiers in their string form.
func compareStringIDs(a, b string) int {
	an, bn := allDigits(a), allDigits(b)
	switch {
	case an && bn:
		fa, fb := jsNumber(a), jsNumber(b)
		switch {
		case fa == fb:
			return 0
		case fa < fb:
			return -1
		}
		return 1
	case an:
		return -1
	case bn:
		return 1
	}
	return strings.Compare(a, b)
}

// Sort sorts versions ascending by CompareBuild (semver.sort).
func Sort(vs []*Version) {
	slices.SortStableFunc(vs, CompareBuild)
}

// Rsort sorts versions descending by CompareBuild (semver.rsort).
func Rsort(vs []*Version) {
	slices.SortStableFunc(vs, func(a, b *Version) int { return CompareBuild(b, a) })
}
