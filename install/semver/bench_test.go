package semver

import "testing"

var benchRanges = []string{
	"^1.2.3", "~1.2.3", ">=1.2.3 <2.0.0", "1.x || >=2.5.0 || 5.0.0 - 7.2.3",
	"*", "1.2.3", "^0.0.1-beta", ">= 1.2.3 < 2", "^1.2.3 || ^2.0.0 || ^3.0.0-rc.1",
}

func BenchmarkParseRange(b *testing.B) {
	for _, rng := range benchRanges {
		b.Run(rng, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := parseRange(rng, Options{Loose: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseRangeCached(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseRange("^1.2.3", Options{Loose: true}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseVersion(b *testing.B) {
	for _, s := range []string{"1.2.3", "1.2.3-beta.4+build.5", "v1.2.3"} {
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(s, true); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRangeTest(b *testing.B) {
	versions := []*Version{
		MustParse("1.2.3"), MustParse("1.9.0"), MustParse("2.0.0"), MustParse("0.9.9"),
		MustParse("1.2.4-beta.1"), MustParse("6.1.0"), MustParse("3.0.0-rc.2"),
	}
	for _, rng := range benchRanges {
		r, err := ParseRange(rng, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(rng, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, v := range versions {
					r.Test(v)
				}
			}
		})
	}
}

func BenchmarkSatisfies(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Satisfies("1.2.5", "^1.2.3", Options{Loose: true})
	}
}
