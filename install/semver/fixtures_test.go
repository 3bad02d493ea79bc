package semver

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

type jsonOpts struct {
	Loose             bool `json:"loose"`
	IncludePrerelease bool `json:"includePrerelease"`
}

func (o jsonOpts) opts() Options { return Options(o) }

// fixtures mirrors testdata/fixtures.json, converted from node-semver's own
// test fixtures by testdata/gen/fixtures.js.
type fixtures struct {
	RangeParse      [][3]json.RawMessage `json:"rangeParse"`
	RangeInclude    [][3]json.RawMessage `json:"rangeInclude"`
	RangeExclude    [][3]json.RawMessage `json:"rangeExclude"`
	Comparisons     [][3]json.RawMessage `json:"comparisons"`
	Equality        [][3]json.RawMessage `json:"equality"`
	ValidVersions   [][6]json.RawMessage `json:"validVersions"`
	InvalidVersions [][3]json.RawMessage `json:"invalidVersions"`
}

func loadFixtures(t *testing.T) *fixtures {
	t.Helper()
	b, err := os.ReadFile("testdata/fixtures.json")
	if err != nil {
		t.Fatal(err)
	}
	var f fixtures
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

func un[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

func TestFixtureRangeParse(t *testing.T) {
	f := loadFixtures(t)
	if len(f.RangeParse) < 100 {
		t.Fatalf("only %d range-parse fixtures", len(f.RangeParse))
	}
	for _, c := range f.RangeParse {
		rng, want, o := un[string](t, c[0]), un[*string](t, c[1]), un[jsonOpts](t, c[2]).opts()
		got := ValidRange(rng, o)
		r, err := ParseRange(rng, o)
		if want == nil {
			if got != "" || err == nil {
				t.Errorf("ValidRange(%q, %+v) = %q, err %v; want invalid", rng, o, got, err)
			}
			continue
		}
		if got != *want {
			t.Errorf("ValidRange(%q, %+v) = %q, want %q", rng, o, got, *want)
			continue
		}
		// Parsing the canonical form gives the same canonical form.
		r2, err2 := ParseRange(*want, Options{})
		if err != nil || err2 != nil || r.String() != r2.String() {
			t.Errorf("range %q: %v / %v: %q != %q", rng, err, err2, r, r2)
		}
	}
}

func TestFixtureRangeIncludeExclude(t *testing.T) {
	f := loadFixtures(t)
	for _, tc := range []struct {
		name  string
		rows  [][3]json.RawMessage
		want  bool
		least int
	}{{"include", f.RangeInclude, true, 100}, {"exclude", f.RangeExclude, false, 90}} {
		if len(tc.rows) < tc.least {
			t.Fatalf("%s: only %d fixtures", tc.name, len(tc.rows))
		}
		for _, c := range tc.rows {
			rng, ver, o := un[string](t, c[0]), un[string](t, c[1]), un[jsonOpts](t, c[2]).opts()
			if got := Satisfies(ver, rng, o); got != tc.want {
				t.Errorf("%s: Satisfies(%q, %q, %+v) = %v", tc.name, ver, rng, o, got)
			}
		}
	}
}

func TestFixtureComparisons(t *testing.T) {
	f := loadFixtures(t)
	for _, c := range f.Comparisons {
		a, b, loose := un[string](t, c[0]), un[string](t, c[1]), un[bool](t, c[2])
		va, err1 := Parse(a, loose)
		vb, err2 := Parse(b, loose)
		if err1 != nil || err2 != nil {
			t.Errorf("parse %q / %q: %v / %v", a, b, err1, err2)
			continue
		}
		if Compare(va, vb) != 1 || Compare(vb, va) != -1 || !Gt(va, vb) || !Lt(vb, va) || Eq(va, vb) ||
			Rcompare(va, vb) != -1 || !Neq(va, vb) || !Gte(va, vb) || !Lte(vb, va) {
			t.Errorf("%q should be greater than %q", a, b)
		}
		if Compare(va, va) != 0 || !Eq(vb, vb) {
			t.Errorf("%q / %q not equal to itself", a, b)
		}
	}
}

func TestFixtureEquality(t *testing.T) {
	f := loadFixtures(t)
	for _, c := range f.Equality {
		a, b, loose := un[string](t, c[0]), un[string](t, c[1]), un[bool](t, c[2])
		va, err1 := Parse(a, loose)
		vb, err2 := Parse(b, loose)
		if err1 != nil || err2 != nil {
			t.Errorf("parse %q / %q: %v / %v", a, b, err1, err2)
			continue
		}
		if Compare(va, vb) != 0 || !Eq(va, vb) || Neq(va, vb) || Gt(va, vb) || Lt(va, vb) {
			t.Errorf("%q should equal %q", a, b)
		}
	}
}

func TestFixtureValidVersions(t *testing.T) {
	f := loadFixtures(t)
	for _, c := range f.ValidVersions {
		s := un[string](t, c[0])
		v, err := Parse(s, false)
		if err != nil {
			t.Errorf("Parse(%q): %v", s, err)
			continue
		}
		var pre []string
		for _, id := range v.Prerelease {
			pre = append(pre, id.Str)
		}
		wantPre, wantBuild := un[[]string](t, c[4]), un[[]string](t, c[5])
		if v.Major != un[uint64](t, c[1]) || v.Minor != un[uint64](t, c[2]) || v.Patch != un[uint64](t, c[3]) ||
			!slices.Equal(pre, wantPre) || !slices.Equal(v.Build, wantBuild) {
			t.Errorf("Parse(%q) = %+v", s, v)
		}
	}
}

func TestFixtureInvalidVersions(t *testing.T) {
	f := loadFixtures(t)
	for _, c := range f.InvalidVersions {
		s, why, loose := un[string](t, c[0]), un[string](t, c[1]), un[bool](t, c[2])
		if v, err := Parse(s, loose); err == nil {
			t.Errorf("Parse(%q, %v) = %v, want error (%s)", s, loose, v, why)
		}
		if got := Valid(s, loose); got != "" {
			t.Errorf("Valid(%q) = %q, want \"\"", s, got)
		}
	}
}
