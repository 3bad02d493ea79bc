package semver

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// corpus mirrors testdata/corpus.json, node-semver's answers recorded by
// testdata/gen/corpus.js.
type corpus struct {
	Semver   string   `json:"semver"`
	Versions []string `json:"versions"`
	Ranges   []struct {
		Range             string  `json:"range"`
		Loose             bool    `json:"loose"`
		IncludePrerelease bool    `json:"includePrerelease"`
		Valid             *string `json:"valid"`
		Satisfies         string  `json:"satisfies"`
		Max               *string `json:"max"`
	} `json:"ranges"`
	Parse []struct {
		Version string  `json:"version"`
		Loose   bool    `json:"loose"`
		Valid   *string `json:"valid"`
		Clean   *string `json:"clean"`
	} `json:"parse"`
	Compare [][4]json.RawMessage `json:"compare"`
}

func loadCorpus(t *testing.T) *corpus {
	t.Helper()
	b, err := os.ReadFile("testdata/corpus.json")
	if err != nil {
		t.Fatal(err)
	}
	var c corpus
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Ranges) < 500 || len(c.Versions) < 50 || len(c.Parse) < 100 || len(c.Compare) < 1000 {
		t.Fatalf("corpus too small: %d ranges, %d versions", len(c.Ranges), len(c.Versions))
	}
	return &c
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func TestCorpusRanges(t *testing.T) {
	c := loadCorpus(t)
	for _, rc := range c.Ranges {
		o := Options{Loose: rc.Loose, IncludePrerelease: rc.IncludePrerelease}
		if got := ValidRange(rc.Range, o); got != str(rc.Valid) {
			t.Errorf("ValidRange(%q, %+v) = %q, want %q", rc.Range, o, got, str(rc.Valid))
		}
		for i, v := range c.Versions {
			want := rc.Satisfies[i] == '1'
			if got := Satisfies(v, rc.Range, o); got != want {
				t.Errorf("Satisfies(%q, %q, %+v) = %v, want %v", v, rc.Range, o, got, want)
			}
		}
		if got := MaxSatisfying(c.Versions, rc.Range, o); got != str(rc.Max) {
			t.Errorf("MaxSatisfying(%q, %+v) = %q, want %q", rc.Range, o, got, str(rc.Max))
		}
	}
}

func TestCorpusParse(t *testing.T) {
	c := loadCorpus(t)
	for _, pc := range c.Parse {
		if got := Valid(pc.Version, pc.Loose); got != str(pc.Valid) {
			t.Errorf("Valid(%q, %v) = %q, want %q", pc.Version, pc.Loose, got, str(pc.Valid))
		}
		if got := Clean(pc.Version, pc.Loose); got != str(pc.Clean) {
			t.Errorf("Clean(%q, %v) = %q, want %q", pc.Version, pc.Loose, got, str(pc.Clean))
		}
	}
}

func TestCorpusCompare(t *testing.T) {
	c := loadCorpus(t)
	for _, row := range c.Compare {
		a, b := un[string](t, row[0]), un[string](t, row[1])
		want, wantBuild := un[int](t, row[2]), un[int](t, row[3])
		va, err1 := Parse(a, true)
		vb, err2 := Parse(b, true)
		if err1 != nil || err2 != nil {
			t.Errorf("Parse(%q / %q, loose): %v / %v", a, b, err1, err2)
			continue
		}
		if got := Compare(va, vb); got != want {
			t.Errorf("Compare(%q, %q) = %d, want %d", a, b, got, want)
		}
		if got := CompareBuild(va, vb); got != wantBuild {
			t.Errorf("CompareBuild(%q, %q) = %d, want %d", a, b, got, wantBuild)
		}
	}
}

// TestParseValue checks that ParseValue agrees with Parse on every version
// of the corpus, loose and strict.
func TestParseValue(t *testing.T) {
	c := loadCorpus(t)
	inputs := append([]string{"", "v1.2.3", " =1.2.3 ", "1.2.3-beta.01", "1.2.3+build.1", "01.2.3", "1.2"}, c.Versions...)
	for _, pc := range c.Parse {
		inputs = append(inputs, pc.Version)
	}
	for _, s := range inputs {
		for _, loose := range []bool{false, true} {
			want, err := Parse(s, loose)
			got, ok := ParseValue(s, loose)
			if ok != (err == nil) {
				t.Fatalf("ParseValue(%q, %v) ok = %v, Parse error %v", s, loose, ok, err)
			}
			if ok && !reflect.DeepEqual(&got, want) {
				t.Errorf("ParseValue(%q, %v) = %+v, Parse gives %+v", s, loose, got, *want)
			}
		}
	}
}
