package semver

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestFastPathMatchesPipeline checks that the regexp-free fast path and the
// uncapped expressions agree with node-semver's capped rewrite pipeline on
// random || parts, under every option combination.
func TestFastPathMatchesPipeline(t *testing.T) {
	g := &gen{r: rand.New(rand.NewPCG(7, 11))}
	fastHits := 0
	for i := range 1500 {
		rng := g.rangeString()
		if i%2 == 0 {
			g.tame = true
			rng = g.set()
		}
		raw := jsCollapseSpace(jsTrim(rng))
		for _, part := range strings.Split(raw, "||") {
			part = jsTrim(part)
			for _, o := range []Options{{}, {Loose: true}, {IncludePrerelease: true}, {Loose: true, IncludePrerelease: true}} {
				// The capped expressions are slow (very slow under -race):
				// check the uncapped ones against them on a sample only.
				want := slowComparators(part, o, regexpsFor(raw))
				if i%16 == 0 && regexpsFor(raw) == uncappedRE() {
					if capped := slowComparators(part, o, cappedRE()); !slices.Equal(want, capped) {
						t.Errorf("uncapped %q %+v: %q, capped %q", part, o, want, capped)
					}
				}
				if got, ok := fastComparators(part, o); ok {
					fastHits++
					if !slices.Equal(got, want) {
						t.Errorf("fast %q %+v: %q, pipeline %q", part, o, got, want)
					}
				}
			}
		}
	}
	if fastHits < 800 {
		t.Errorf("fast path taken only %d times", fastHits)
	}
}

func TestFastToken(t *testing.T) {
	for _, tc := range []struct {
		tok              string
		op, M, mi, p, pr string
		ok               bool
	}{
		{"^1.2.3", "^", "1", "2", "3", "", true},
		{"~>1.2", "~>", "1", "2", "", "", true},
		{">=1.2.3-beta.1", ">=", "1", "2", "3", "beta.1", true},
		{"1.x", "", "1", "x", "", "", true},
		{"*", "", "*", "", "", "", true},
		{"<=10.0.0", "<=", "10", "0", "0", "", true},
		{"01.2.3", "", "", "", "", "", false},
		{"1.2.3+b", "", "", "", "", "", false},
		{"1.2.x-beta", "", "", "", "", "", false},
		{"1.2.3-01", "", "", "", "", "", false},
		{"v1.2.3", "", "", "", "", "", false},
		{"1.2.3.4", "", "", "", "", "", false},
		{"1.2.", "", "", "", "", "", false},
		{"^", "", "", "", "", "", false},
		{"1234567890123456", "", "", "", "", "", false},
		{"-", "", "", "", "", "", false},
		{"", "", "", "", "", "", false},
	} {
		op, M, mi, p, pr, ok := fastToken(tc.tok)
		if ok != tc.ok || (ok && (op != tc.op || M != tc.M || mi != tc.mi || p != tc.p || pr != tc.pr)) {
			t.Errorf("fastToken(%q) = %q %q %q %q %q %v", tc.tok, op, M, mi, p, pr, ok)
		}
	}
}

// FuzzParseRange checks the fast path and the uncapped expressions against
// the capped pipeline on arbitrary input.
func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"^1.2.3", "1.2 - 3", ">=1.2.3 <2 || ~1.x", "1.2.3beta", " = v1.2.3+b", "*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rng string) {
		raw := jsCollapseSpace(jsTrim(rng))
		for _, part := range strings.Split(raw, "||") {
			part = jsTrim(part)
			for _, o := range []Options{{}, {Loose: true, IncludePrerelease: true}} {
				want := slowComparators(part, o, cappedRE())
				if regexpsFor(raw) == uncappedRE() {
					if got := slowComparators(part, o, uncappedRE()); !slices.Equal(got, want) {
						t.Errorf("uncapped %q %+v: %q, capped %q", part, o, got, want)
					}
				}
				if got, ok := fastComparators(part, o); ok && !slices.Equal(got, want) {
					t.Errorf("fast %q %+v: %q, pipeline %q", part, o, got, want)
				}
			}
		}
	})
}

// TestFastPathSpacedOperators: an operator separated from its version by a
// space takes the fast path and gives what node-semver's trims give; shapes
// the fast path declines go to the pipeline.
func TestFastPathSpacedOperators(t *testing.T) {
	for _, tc := range []struct {
		part string
		fast bool
	}{
		{">= 4.21.0", true},
		{">= 2.3.0 < 3", true},
		{">= 1.43.0 < 2", true},
		{"<= 2", true},
		{"> 1.x", true},
		{"= 1.2.3", true},
		{"~ 1.2.3", true},
		{"~> 1.2", true},
		{"^ 1.2.3", true},
		{">= 1.2.3-beta.1 < 2", true},
		{"^1.0.0 >= 1.2.0", true},
		{">= v1.2.3", false},
		{">=", false},
		{">= ~1", false},
		{"1.2.3 >=", false},
		{"> = 1.2.3", false},
		{"1 - 3", false},
	} {
		for _, o := range []Options{{}, {Loose: true}, {IncludePrerelease: true}, {Loose: true, IncludePrerelease: true}} {
			want := slowComparators(tc.part, o, cappedRE())
			got, ok := fastComparators(tc.part, o)
			if ok != tc.fast {
				t.Errorf("fast path for %q %+v: %v, want %v", tc.part, o, ok, tc.fast)
			}
			if ok && !slices.Equal(got, want) {
				t.Errorf("fast %q %+v: %q, pipeline %q", tc.part, o, got, want)
			}
		}
	}
}
