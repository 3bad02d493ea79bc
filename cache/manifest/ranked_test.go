package manifest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lockstep-dev/lockstep/install/packument"
)

// TestRankedPickMatches: a pick from a loaded entry, which walks the
// entry's ranking down to the first satisfying version, agrees with the
// full ranking over every version (which TestPickDifferential checks
// against npm-pick-manifest), on random documents whose versions tie,
// carry prereleases, build metadata, loose prefixes, deprecations and
// engines, and on the real packuments in $LOCKSTEP_PACKUMENT_DIR.
func TestRankedPickMatches(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 21))
	var docs [][]byte
	for n := range 300 {
		docs = append(docs, randomDoc(r, fmt.Sprintf("p%d", n)))
	}
	for _, b := range realDocs(t) {
		docs = append(docs, b)
	}
	specs := []string{"*", "^1", "^1.2.0", "~1.1", ">=2 <3", "<1.0.0", "^2.0.0-0", "1.x || >=3.1", ">1.1.1-beta.1",
		"<=2.0.0", "^0.1", "~0.0.3", "2", ">=1.0.0-alpha <1.0.0", "^4", "^19.0.0-0", "x.x.x", "!!"}
	nodes := []string{"20.19.0", "14.0.0", ""}
	compared, walked := 0, 0
	for _, doc := range docs {
		p, err := packument.Decode(doc)
		if err != nil {
			t.Fatal(err)
		}
		_, loaded, err := decode(mustEncode(t, meta{Registry: "https://r.example/", Name: p.Name}, p))
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		for _, spec := range specs {
			for _, node := range nodes {
				o := packument.PickOptions{NodeVersion: node}
				a, errA := packument.Pick(p, spec, o)
				b, errB := packument.Pick(loaded, spec, o)
				compared++
				if b != nil {
					walked++
				}
				if (errA == nil) != (errB == nil) || (a != nil) != (b != nil) || a != nil && a.Version != b.Version {
					t.Errorf("%s: Pick(%q, node %q) = %v %v from the document, %v %v from the entry", p.Name, spec, node, a, errA, b, errB)
				}
			}
		}
	}
	if walked < compared/4 {
		t.Errorf("only %d of %d picks found a version: the documents are too sparse to test anything", walked, compared)
	}
	t.Logf("%d picks compared, %d found a version", compared, walked)
}

// randomDoc is a registry document whose versions are drawn from a small
// space, so that ties in precedence (build metadata, a loose "v" prefix)
// and prereleases are common.
func randomDoc(r *rand.Rand, name string) []byte {
	versions := map[string]any{}
	var latest string
	for range 1 + r.IntN(25) {
		v := fmt.Sprintf("%d.%d.%d", r.IntN(4), r.IntN(3), r.IntN(3))
		switch r.IntN(8) {
		case 0:
			v += []string{"-alpha", "-beta.1", "-beta.2", "-0", "-rc.1"}[r.IntN(5)]
		case 1:
			v += []string{"+build", "+b.2"}[r.IntN(2)]
		case 2:
			v = "v" + v
		case 3:
			v = "not-a-version"
		}
		m := map[string]any{"name": name, "version": v, "dist": map[string]any{"tarball": "https://r.example/" + name + ".tgz"}}
		if r.IntN(5) == 0 {
			m["deprecated"] = "old"
		}
		if r.IntN(5) == 0 {
			m["engines"] = map[string]any{"node": []string{">=18", "<16", ">=10 <15", "*"}[r.IntN(4)]}
		}
		versions[v] = m
		if latest == "" || r.IntN(3) == 0 {
			latest = v
		}
	}
	tags := map[string]any{"latest": latest}
	if r.IntN(3) == 0 {
		tags = map[string]any{}
	}
	doc, _ := json.Marshal(map[string]any{"name": name, "dist-tags": tags, "versions": versions})
	return doc
}
