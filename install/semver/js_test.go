package semver

import (
	"slices"
	"sync"
	"testing"
)

func TestJSHelpers(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", []string{""}},
		{"a", []string{"a"}},
		{"a  b", []string{"a", "b"}},
		{" a", []string{"", "a"}},
		{"a\t\u00a0", []string{"a", ""}},
		{"a\u3000b\ufeffc", []string{"a", "b", "c"}},
	} {
		if got := jsSplitSpace(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("jsSplitSpace(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for in, want := range map[string]string{
		"\u00a0 x \ufeff": "x", "x": "x", " ": "", "\u2000x\u200a": "x", "\u200bx": "\u200bx",
	} {
		if got := jsTrim(in); got != want {
			t.Errorf("jsTrim(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"a \t b": "a b", "a b": "a b", "a\u00a0b": "a b", "  ": " ",
	} {
		if got := jsCollapseSpace(in); got != want {
			t.Errorf("jsCollapseSpace(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"0": "1", "009": "10", "9007199254740991": "9007199254740992",
		"9007199254740992":        "9007199254740992", // 2^53 + 1 rounds back down
		"99999999999999999999":    "100000000000000000000",
		"999999999999999999999":   "1e+21",
		"1152921504606846975":     "1152921504606847000",
		"12345678901234567890123": "1.2345678901234568e+22",
	} {
		if got := jsIncr(in); got != want {
			t.Errorf("jsIncr(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]int{"abc": 3, "\u00a0": 1, "\U0001F600": 2, "é1": 2} {
		if got := jsLength(in); got != want {
			t.Errorf("jsLength(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestSortAndString(t *testing.T) {
	var vs []*Version
	for _, s := range []string{"1.2.3+b", "1.2.3-beta", "0.1.0", "1.2.3", "1.2.3+a", "1.2.3-alpha.10", "1.2.3-alpha.9"} {
		vs = append(vs, MustParse(s))
	}
	Sort(vs)
	var got []string
	for _, v := range vs {
		got = append(got, v.String())
	}
	want := []string{"0.1.0", "1.2.3-alpha.9", "1.2.3-alpha.10", "1.2.3-beta", "1.2.3", "1.2.3", "1.2.3"}
	if !slices.Equal(got, want) {
		t.Errorf("Sort: %q, want %q", got, want)
	}
	if len(vs[4].Build) != 0 || !slices.Equal(vs[5].Build, []string{"a"}) || !slices.Equal(vs[6].Build, []string{"b"}) {
		t.Errorf("Sort: builds not ordered: %v %v %v", vs[4].Build, vs[5].Build, vs[6].Build)
	}
	Rsort(vs)
	if vs[0].String() != "1.2.3" || vs[len(vs)-1].String() != "0.1.0" {
		t.Errorf("Rsort: %v ... %v", vs[0], vs[len(vs)-1])
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustParse(\"x\") did not panic")
		}
	}()
	MustParse("x")
}

func TestConcurrentParseRange(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				rng := []string{"^1.2.3", "~1.2", "1.2 - 3", ">=1 <2 || 3.x"}[(i+j)%4]
				if !Satisfies("1.2.5", rng, Options{Loose: j%2 == 0}) {
					t.Errorf("Satisfies(1.2.5, %q) = false", rng)
					return
				}
			}
		}()
	}
	wg.Wait()
}
