package semver

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDifferentialNode compares this package with node-semver itself on
// thousands of random (range, version, options) inputs, answered by
// testdata/gen/oracle.js in a single node process. Skipped without node.
// SEMVER_DIFF_SEED picks the seed, SEMVER_DIFF_N the number of ranges, and
// SEMVER_DIFF_DUMP names a file to save the queries in.
func TestDifferentialNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not on PATH")
	}
	seed := uint64(20260619)
	if s := os.Getenv("SEMVER_DIFF_SEED"); s != "" {
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	n := 1500
	if s := os.Getenv("SEMVER_DIFF_N"); s != "" {
		if n, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	if testing.Short() {
		n /= 10
	}
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}

	type check struct {
		query []any
		got   any
	}
	var checks []check
	add := func(got any, q ...any) { checks = append(checks, check{q, got}) }
	orNil := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	for range n {
		rng := g.rangeString()
		o := Options{Loose: g.r.IntN(2) == 0, IncludePrerelease: g.r.IntN(3) == 0}
		add(orNil(ValidRange(rng, o)), "validRange", rng, o.Loose, o.IncludePrerelease)
		var vs []string
		for range 6 {
			v := g.version()
			vs = append(vs, v)
			add(Satisfies(v, rng, o), "satisfies", v, rng, o.Loose, o.IncludePrerelease)
		}
		add(orNil(MaxSatisfying(vs, rng, o)), "maxSatisfying", vs, rng, o.Loose, o.IncludePrerelease)
		if rng2 := g.rangeString(); ValidRange(rng, o) != "" && ValidRange(rng2, o) != "" {
			add(Intersects(rng, rng2, o), "intersects", rng, rng2, o.Loose, o.IncludePrerelease)
		}
		v, w := vs[0], vs[1]
		loose := g.r.IntN(2) == 0
		add(orNil(Valid(v, loose)), "valid", v, loose)
		add(orNil(Clean(v, loose)), "clean", v, loose)
		var cmp, cmpBuild any
		if a, err1 := Parse(v, loose); err1 == nil {
			if b, err2 := Parse(w, loose); err2 == nil {
				cmp, cmpBuild = float64(Compare(a, b)), float64(CompareBuild(a, b))
			}
		}
		add(cmp, "compare", v, w, loose)
		add(cmpBuild, "compareBuild", v, w, loose)
	}

	queries := make([][]any, len(checks))
	for i, c := range checks {
		queries[i] = c.query
	}
	in, err := json.Marshal(queries)
	if err != nil {
		t.Fatal(err)
	}
	if p := os.Getenv("SEMVER_DIFF_DUMP"); p != "" {
		_ = os.WriteFile(p, in, 0o644)
	}
	cmd := exec.Command(node, "testdata/gen/oracle.js")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		if strings.Contains(stderr.String(), "cannot find node-semver") {
			t.Skip("node-semver not installed")
		}
		t.Fatalf("failed to run oracle: %v\n%s", err, stderr.String())
	}
	t.Logf("seed %d: %d queries answered by node in %v", seed, len(checks), time.Since(start))
	var answers []any
	if err := json.Unmarshal(out, &answers); err != nil {
		t.Fatalf("failed to decode oracle output: %v", err)
	}
	if len(answers) != len(checks) {
		t.Fatalf("oracle gave %d answers for %d queries", len(answers), len(checks))
	}
	fails := 0
	for i, c := range checks {
		if answers[i] != c.got {
			q, _ := json.Marshal(c.query)
			t.Errorf("%s: go %#v, node %#v", q, c.got, answers[i])
			if fails++; fails > 40 {
				t.Fatal("too many differences")
			}
		}
	}
}

// gen produces random range and version strings biased towards the corners
// of node-semver's grammar.
// With tame set it sticks to the common, valid shapes (and so to the
// parser's fast path).
type gen struct {
	r    *rand.Rand
	tame bool
}

func (g *gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g *gen) num() string {
	if g.tame {
		return g.pick("0", "1", "2", "3", "1", "2", "10", "x", "*")
	}
	if g.r.IntN(6) > 0 {
		return strconv.Itoa(g.r.IntN(4))
	}
	return g.pick("10", "01", "00", "x", "X", "*", "9007199254740991", "9007199254740990",
		"9007199254740992", "99999999999999999999", "1e3", "")
}

func (g *gen) pre() string {
	if g.r.IntN(3) > 0 {
		return ""
	}
	if g.tame {
		return g.pick("-0", "-1", "-alpha", "-beta.1", "-rc.1.2", "-alpha-1", "-1a")
	}
	return g.pick("-0", "-1", "-alpha", "-beta.1", "-rc.1.2", "alpha", "beta.2", "-01", "-x", "-alpha-1",
		"-1a", "-", "-a.", "-a..b", "-0.0", "-9007199254740991", "-9007199254740993", "0", "-ALPHA", "--")
}

func (g *gen) build() string {
	if g.tame || g.r.IntN(5) > 0 {
		return ""
	}
	return g.pick("+build", "+b.1", "+", "+a..b", "+001", "+x-y")
}

func (g *gen) prefix() string {
	if g.tame || g.r.IntN(4) > 0 {
		return ""
	}
	return g.pick("v", "=", "v ", "= ", "vv", "=v", " ", "V")
}

func (g *gen) partial() string {
	parts := []string{g.num()}
	for k := g.r.IntN(4); k > 0 && len(parts) < 3; k-- {
		parts = append(parts, g.num())
	}
	if !g.tame && g.r.IntN(30) == 0 {
		parts = append(parts, g.num())
	}
	return g.prefix() + strings.Join(parts, ".") + g.pre() + g.build()
}

func (g *gen) comparator() string {
	op := ""
	if g.tame {
		if g.r.IntN(4) > 0 {
			op = g.pick("^", "~", "~>", ">", ">=", "<", "<=", "=")
		}
		return op + g.partial()
	}
	if g.r.IntN(4) > 0 {
		op = g.pick("^", "~", "~>", ">", ">=", "<", "<=", "=", "==", "!", "<>", "^~")
	}
	sp := ""
	if g.r.IntN(5) == 0 {
		sp = g.pick(" ", "  ", "\t")
	}
	return op + sp + g.partial()
}

func (g *gen) set() string {
	s := g.comparator()
	for k := g.r.IntN(3); k > 0; k-- {
		if g.tame {
			s += " " + g.comparator()
			continue
		}
		s += g.pick(" ", " ", " ", "  ", "\t", " - ", " - ", "-", " -", "\u00a0") + g.comparator()
	}
	return s
}

func (g *gen) rangeString() string {
	g.tame = g.r.IntN(2) == 0
	if g.r.IntN(40) == 0 {
		return g.pick("", " ", "*", "||", "x || ", "latest", "a||b")
	}
	s := g.set()
	for k := g.r.IntN(3); k > 0 && g.r.IntN(2) == 0; k-- {
		s += g.pick("||", " || ", "|| ", " |", "|||") + g.set()
	}
	if g.r.IntN(10) == 0 {
		s = g.pick(" ", "\t", "\n", "\u3000") + s + g.pick("", " ", "\r\n", "\ufeff")
	}
	return s
}

func (g *gen) version() string {
	if g.r.IntN(25) == 0 {
		return g.pick("", "x", "1.2", "foo", "1.2.3.4", "1.2.34.5", " ", "1.2.3-")
	}
	n := func() string {
		if g.r.IntN(12) == 0 {
			return g.pick("01", "10", "9007199254740991", "9007199254740992")
		}
		return strconv.Itoa(g.r.IntN(4))
	}
	v := n() + "." + n() + "." + n()
	if g.r.IntN(3) == 0 {
		v += g.pick("-0", "-1", "-alpha", "-beta.1", "-rc.1.2", "alpha", "-01", "-alpha.0", "-9007199254740992")
	}
	if g.r.IntN(8) == 0 {
		v += g.pick("+build", "+1.2")
	}
	if g.r.IntN(8) == 0 {
		v = g.pick("v", "=", " v", "v ", "\u00a0") + v
	}
	return v
}
