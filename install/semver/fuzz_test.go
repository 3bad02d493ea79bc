package semver

import (
	"strings"
	"testing"
)

// fuzzErrOK checks an error's form: "failed to …", one line, bounded.
func fuzzErrOK(t *testing.T, err error, input string) {
	t.Helper()
	msg := err.Error()
	if !strings.HasPrefix(msg, "failed to ") || strings.HasSuffix(msg, "\n") || len(msg) > 8*len(input)+512 {
		t.Errorf("malformed error for %q: %q", input, msg)
	}
}

// FuzzParseVersion: Parse never panics; a parsed version prints as a
// strict version that parses back to an equal one; Valid agrees with Parse.
// Seed corpus: testdata/fuzz/FuzzParseVersion.
func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"1.2.3", "v1.2.3-beta.1+build.5", "=1.2.3", " 1.2.3 ", "1.2", "01.2.3", "1.2.3-0a.-", "99999999999999999999.0.0", "1.2.3----RC-SNAPSHOT.12.9.1--.12+788"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, loose bool) {
		v, err := Parse(s, loose)
		if err != nil {
			fuzzErrOK(t, err, s)
			if Valid(s, loose) != "" {
				t.Errorf("Valid(%q) = %q but Parse failed: %v", s, Valid(s, loose), err)
			}
			return
		}
		str := v.String()
		if Valid(s, loose) != str {
			t.Errorf("Valid(%q) = %q, String() = %q", s, Valid(s, loose), str)
		}
		w, err := Parse(str, false)
		if err != nil && loose && leadingZeroID(v) {
			// node-semver too: a loose numeric identifier past
			// MAX_SAFE_INTEGER keeps its text, leading zeros and all
			// ("0.0.00.010000000000000000" → "0.0.0-0.010000000000000000",
			// which semver.valid rejects).
			return
		}
		if err != nil {
			t.Fatalf("%q parsed (loose=%v) to %q, which does not parse strictly: %v", s, loose, str, err)
		}
		if Compare(v, w) != 0 || w.String() != str {
			t.Errorf("%q → %q → %q: not a fixed point", s, str, w.String())
		}
	})
}

// FuzzSatisfies: Satisfies never panics and agrees with ParseRange + Test,
// and a range's normalised string means the same range.
// Seed corpus: testdata/fuzz/FuzzSatisfies.
func FuzzSatisfies(f *testing.F) {
	for _, c := range [][2]string{{"1.2.3", "^1.0.0"}, {"2.0.0-rc.1", ">=2.0.0-0"}, {"1.2.3", "1.x || >=2.5.0 || 5.0.0 - 7.2.3"}, {"0.0.1", "~0.0.1"}, {"1.2.3", "*"}, {"1.2.3-pre", "<1.2.3"}} {
		f.Add(c[0], c[1], false, false)
		f.Add(c[0], c[1], true, true)
	}
	f.Fuzz(func(t *testing.T, version, rng string, loose, pre bool) {
		o := Options{Loose: loose, IncludePrerelease: pre}
		got := Satisfies(version, rng, o)
		r, err := ParseRange(rng, o)
		if err != nil {
			fuzzErrOK(t, err, rng)
			if got {
				t.Errorf("Satisfies(%q, %q) with an invalid range", version, rng)
			}
			return
		}
		if want := r.TestString(version, loose); got != want {
			t.Errorf("Satisfies(%q, %q) = %v, Range.TestString = %v", version, rng, got, want)
		}
		// The normalised range is itself a range with the same meaning.
		r2, err := ParseRange(r.String(), o)
		if err != nil {
			t.Fatalf("range %q normalised to %q, which does not parse: %v", rng, r.String(), err)
		}
		if v, err := Parse(version, loose); err == nil && r.Test(v) != r2.Test(v) {
			t.Errorf("range %q and its normal form %q disagree on %q", rng, r.String(), version)
		}
	})
}

// leadingZeroID reports a non-numeric prerelease identifier made of digits
// with a leading zero (kept as text by loose parsing when too big).
func leadingZeroID(v *Version) bool {
	for _, id := range v.Prerelease {
		if !id.IsNum && len(id.Str) > 1 && id.Str[0] == '0' && strings.Trim(id.Str, "0123456789") == "" {
			return true
		}
	}
	return false
}
