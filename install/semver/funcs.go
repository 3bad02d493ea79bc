package semver

// Satisfies mirrors semver.satisfies: false when the range or the version
// is invalid.
func Satisfies(version, rng string, opts Options) bool {
	r, err := ParseRange(rng, opts)
	if err != nil {
		return false
	}
	return r.TestString(version, opts.Loose)
}

// TestString parses version (loose or strict) and tests it; an invalid
// version never satisfies.
func (r *Range) TestString(version string, loose bool) bool {
	if version == "" {
		return false
	}
	v, err := Parse(version, loose)
	if err != nil {
		return false
	}
	return r.Test(v)
}

// MaxSatisfying mirrors semver.maxSatisfying: the highest version in
// versions that satisfies rng, or "" if none does or rng is invalid.
func MaxSatisfying(versions []string, rng string, opts Options) string {
	return bestSatisfying(versions, rng, opts, -1)
}

// MinSatisfying mirrors semver.minSatisfying.
func MinSatisfying(versions []string, rng string, opts Options) string {
	return bestSatisfying(versions, rng, opts, 1)
}

func bestSatisfying(versions []string, rng string, opts Options, want int) string {
	r, err := ParseRange(rng, opts)
	if err != nil {
		return ""
	}
	var best string
	var bestV *Version
	for _, s := range versions {
		if s == "" {
			continue
		}
		v, err := Parse(s, opts.Loose)
		if err != nil || !r.Test(v) {
			continue
		}
		if bestV == nil || Compare(bestV, v) == want {
			best, bestV = s, v
		}
	}
	return best
}

// ValidRange mirrors semver.validRange: the normalised range ("*" when it
// matches everything), or "" when rng is invalid.
func ValidRange(rng string, opts Options) string {
	r, err := ParseRange(rng, opts)
	if err != nil {
		return ""
	}
	if r.str == "" {
		return "*"
	}
	return r.str
}
