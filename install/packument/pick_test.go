package packument

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/lockstep-dev/lockstep/install/semver"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// synthVersion is one version of a generated packument.
type synthVersion struct {
	Version    string
	Engines    any // nil, a map or an array
	Deprecated any // nil, a string, or another JSON value
	Time       string
}

// synthDoc writes a packument with versions in the given order.
func synthDoc(name string, tags map[string]string, vs []synthVersion, withTime bool) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `{"name":%q,"dist-tags":`, name)
	tj, _ := json.Marshal(tags)
	b.Write(tj)
	b.WriteString(`,"versions":{`)
	for i, v := range vs {
		if i > 0 {
			b.WriteByte(',')
		}
		m := map[string]any{"name": name, "version": v.Version,
			"dist": map[string]any{"tarball": "https://r/" + name + "-" + v.Version + ".tgz", "shasum": "00"}}
		if v.Engines != nil {
			m["engines"] = v.Engines
		}
		if v.Deprecated != nil {
			m["deprecated"] = v.Deprecated
		}
		vj, _ := json.Marshal(m)
		fmt.Fprintf(&b, "%q:%s", v.Version, vj)
	}
	b.WriteString("}")
	if withTime {
		b.WriteString(`,"time":{"created":"2015-01-01T00:00:00.000Z","modified":"2025-01-01T00:00:00.000Z"`)
		for _, v := range vs {
			if v.Time != "" {
				fmt.Fprintf(&b, ",%q:%q", v.Version, v.Time)
			}
		}
		b.WriteString("}")
	}
	b.WriteString("}")
	return []byte(b.String())
}

func mustDecode(t testing.TB, data []byte) *Packument {
	t.Helper()
	p, err := Decode(data)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return p
}

func TestPickRules(t *testing.T) {
	vs := []synthVersion{
		{Version: "1.0.0", Time: "2020-01-01T00:00:00.000Z"},
		{Version: "1.1.0", Time: "2020-02-01T00:00:00.000Z"},
		{Version: "1.2.0", Time: "2020-03-01T00:00:00.000Z", Deprecated: "do not use"},
		{Version: "1.3.0", Time: "2020-04-01T00:00:00.000Z", Engines: map[string]string{"node": ">=99"}},
		{Version: "2.0.0-beta.1", Time: "2020-05-01T00:00:00.000Z"},
		{Version: "2.0.0", Time: "2020-06-01T00:00:00.000Z"},
		{Version: "3.0.0", Time: "2020-07-01T00:00:00.000Z", Deprecated: "old"},
	}
	p := mustDecode(t, synthDoc("a", map[string]string{"latest": "1.1.0", "next": "2.0.0-beta.1"}, vs, true))
	node := "20.19.0"
	cases := []struct {
		spec   string
		before string
		node   string
		want   string // "" means an ErrNoMatch error; "!" ErrInvalidSpec
	}{
		{spec: "^1.0.0", node: node, want: "1.1.0"},        // latest satisfies: it wins over 1.3.0
		{spec: "^1.2.0", node: node, want: "1.2.0"},        // 1.3.0 fails engines, 1.2.0 is deprecated: deprecated beats engine failure
		{spec: "^1.2.0", node: "", want: "1.3.0"},          // no node version: engines not judged
		{spec: ">=1.0.0", node: node, want: "1.1.0"},       // latest satisfies, newer versions do not matter
		{spec: "*", node: node, want: "1.1.0"},             // '*' takes latest
		{spec: "", node: node, want: "1.1.0"},              // empty spec: the default tag
		{spec: "next", node: node, want: "2.0.0-beta.1"},   // tag
		{spec: "nope", node: node, want: ""},               // missing tag
		{spec: "v1.0.0", node: node, want: "1.0.0"},        // exact version, loose
		{spec: "9.9.9", node: node, want: ""},              // missing version
		{spec: "^3.0.0", node: node, want: "3.0.0"},        // only a deprecated version: taken
		{spec: "^4", node: node, want: ""},                 // nothing satisfies
		{spec: "^2.0.0-0", node: node, want: "2.0.0"},      // prerelease range
		{spec: "~2.0.0-beta.0", node: node, want: "2.0.0"}, // highest non-deprecated
		{spec: "bad tag", node: node, want: "!"},           // not a range, not a tag
		{spec: "^1.0.0", before: "2020-01-15T00:00:00Z", node: node, want: "1.0.0"},
		{spec: "next", before: "2020-04-15T00:00:00Z", node: "", want: "1.1.0"}, // tag newer than before: <=tag, where latest wins
		{spec: "1.1.0", before: "2020-01-15T00:00:00Z", node: node, want: ""},
		{spec: "*", before: "2019-01-01T00:00:00Z", node: node, want: ""},
	}
	for _, c := range cases {
		t.Run(c.spec+"/"+c.before+"/"+c.node, func(t *testing.T) {
			o := PickOptions{NodeVersion: c.node}
			if c.before != "" {
				o.Before, _ = time.Parse(time.RFC3339, c.before)
			}
			v, err := Pick(p, c.spec, o)
			switch c.want {
			case "":
				if !errors.Is(err, ErrNoMatch) {
					t.Fatalf("Pick = %v, %v; want ErrNoMatch", v, err)
				}
				if !strings.Contains(err.Error(), `"a"`) {
					t.Errorf("error %q does not name the package", err)
				}
			case "!":
				if !errors.Is(err, ErrInvalidSpec) {
					t.Fatalf("Pick = %v, %v; want ErrInvalidSpec", v, err)
				}
			default:
				if err != nil {
					t.Fatalf("Pick: %v", err)
				}
				if v.Version != c.want {
					t.Errorf("Pick(%q) = %s, want %s", c.spec, v.Version, c.want)
				}
			}
		})
	}
}

// pickCase is one differential case, shared with the node script.
type pickCase struct {
	File   string `json:"file"`
	Spec   string `json:"spec"`
	Node   string `json:"node,omitempty"`
	NPM    string `json:"npm,omitempty"`
	Before string `json:"before,omitempty"`
	Tag    string `json:"tag,omitempty"`
}

const pickScript = `
const pick = require(process.argv[2]);
const cases = JSON.parse(require('fs').readFileSync(process.argv[3], 'utf8'));
const docs = {};
const out = cases.map(c => {
  const doc = docs[c.file] || (docs[c.file] = JSON.parse(require('fs').readFileSync(c.file, 'utf8')));
  const opts = { nodeVersion: c.node || null, npmVersion: c.npm || null };
  if (c.before) opts.before = c.before;
  if (c.tag) opts.defaultTag = c.tag;
  try { const m = pick(doc, c.spec, opts); return m ? m.version : 'ERR:null'; }
  catch (e) { return 'ERR:' + (e.code || e.message); }
});
process.stdout.write(JSON.stringify(out));
`

const npmPickManifest = "/usr/lib/node_modules/npm/node_modules/npm-pick-manifest"

// runNodePick runs the real npm-pick-manifest over cases.
func runNodePick(t *testing.T, cases []pickCase) []string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	if _, err := os.Stat(npmPickManifest); err != nil {
		t.Skip("npm-pick-manifest not installed")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "pick.js")
	in := filepath.Join(dir, "cases.json")
	cj, _ := json.Marshal(cases)
	if err := os.WriteFile(script, []byte(pickScript), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, cj, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, script, npmPickManifest, in).Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var res []string
	if err := json.Unmarshal(out, &res); err != nil || len(res) != len(cases) {
		t.Fatalf("node output: %v (%d results for %d cases)", err, len(res), len(cases))
	}
	return res
}

// goPick runs Pick with a case's options and renders the result like the
// node script does.
func goPick(p *Packument, c pickCase) string {
	o := PickOptions{NodeVersion: c.Node, NPMVersion: c.NPM, DefaultTag: c.Tag}
	if c.Before != "" {
		o.Before, _ = time.Parse(time.RFC3339, c.Before)
	}
	v, err := Pick(p, c.Spec, o)
	switch {
	case errors.Is(err, ErrInvalidSpec):
		return "ERR:EINVALIDTAGNAME"
	case errors.Is(err, ErrNoMatch):
		return "ERR:ETARGET"
	case err != nil:
		return "ERR:" + err.Error()
	}
	return v.Version
}

// normalizeNodeResult maps npm's error codes to the two lockstep has.
func normalizeNodeResult(s string) string {
	switch s {
	case "ERR:ENOVERSIONS", "ERR:null":
		return "ERR:ETARGET"
	}
	return s
}

func randomDocs(r *rand.Rand, dir string, n int) ([]string, [][]string) {
	pool := []string{"0.0.1", "0.0.2", "0.1.0", "0.1.5", "0.2.0", "1.0.0-alpha", "1.0.0-beta.2", "1.0.0",
		"1.0.1", "1.1.0", "1.2.0-rc.1", "1.2.0", "1.2.3", "1.10.0", "2.0.0-0", "2.0.0", "2.1.0", "2.1.0+build.5",
		"3.0.0-next.1", "3.0.0", "3.1.4", "4.0.0", "10.0.0", "10.2.1"}
	engines := []any{nil, nil, nil, map[string]string{"node": ">=18"}, map[string]string{"node": ">=22"},
		map[string]string{"node": "^14 || ^16"}, map[string]string{"node": ">=20.0.0-0"}, map[string]string{"npm": ">=12"},
		map[string]string{"npm": "^6"}, []string{"node >= 0.4"}, map[string]string{"node": "not a range"},
		map[string]string{"node": "*", "npm": ">=10"}}
	deps := []any{nil, nil, nil, nil, "deprecated!", "", false, true}
	var files []string
	var versions [][]string
	for i := range n {
		var vs []synthVersion
		var names []string
		perm := r.Perm(len(pool))
		k := 1 + r.IntN(len(pool))
		for _, j := range perm[:k] {
			v := synthVersion{Version: pool[j], Engines: engines[r.IntN(len(engines))], Deprecated: deps[r.IntN(len(deps))]}
			if r.IntN(8) != 0 {
				v.Time = time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(2000)) * 24 * time.Hour).Format("2006-01-02T15:04:05.000Z")
			}
			vs = append(vs, v)
			names = append(names, v.Version)
		}
		tags := map[string]string{}
		if r.IntN(10) != 0 {
			tags["latest"] = names[r.IntN(len(names))]
		}
		if r.IntN(3) == 0 {
			tags["next"] = pool[r.IntN(len(pool))]
		}
		if r.IntN(4) == 0 {
			tags["beta"] = names[r.IntN(len(names))]
		}
		f := filepath.Join(dir, fmt.Sprintf("p%d.json", i))
		if err := os.WriteFile(f, synthDoc(fmt.Sprintf("p%d", i), tags, vs, r.IntN(5) != 0), 0o644); err != nil {
			panic(err)
		}
		files = append(files, f)
		versions = append(versions, names)
	}
	return files, versions
}

func randomSpec(r *rand.Rand, names []string) string {
	v := names[r.IntN(len(names))]
	base := strings.SplitN(v, "-", 2)[0]
	parts := strings.Split(base, ".")
	switch r.IntN(18) {
	case 0:
		return "^" + v
	case 1:
		return "~" + v
	case 2:
		return ">=" + v
	case 3:
		return "<=" + v
	case 4:
		return "*"
	case 5:
		return ""
	case 6:
		return []string{"latest", "next", "beta", "nope"}[r.IntN(4)]
	case 7:
		return v
	case 8:
		return "v" + v
	case 9:
		return parts[0] + ".x"
	case 10:
		return ">=" + parts[0] + " <" + names[r.IntN(len(names))]
	case 11:
		return v + " - " + names[r.IntN(len(names))]
	case 12:
		return "^" + parts[0] + " || ^" + strings.SplitN(names[r.IntN(len(names))], ".", 2)[0]
	case 13:
		return "^" + parts[0] + "." + parts[1] + ".0-0"
	case 14:
		return "bad tag"
	case 15:
		return ">=" + v + " <=" + v
	case 16:
		return "~" + parts[0] + "." + parts[1]
	default:
		return "x"
	}
}

// TestPickDifferential compares Pick with the real npm-pick-manifest on
// generated packuments, specs, node versions and cut-off dates, and on the
// real packuments in $LOCKSTEP_PACKUMENT_DIR when set.
func TestPickDifferential(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed")
	}
	r := rand.New(rand.NewPCG(3, 14))
	dir := t.TempDir()
	files, versions := randomDocs(r, dir, 150)
	nodes := []string{"v20.19.0", "18.0.0", "22.1.0", "", "16.20.2", "v23.0.0-pre"}
	npms := []string{"", "", "11.19.1", "6.14.0"}
	var cases []pickCase
	for i, f := range files {
		for range 25 {
			c := pickCase{File: f, Spec: randomSpec(r, versions[i]), Node: nodes[r.IntN(len(nodes))], NPM: npms[r.IntN(len(npms))]}
			if r.IntN(4) == 0 {
				c.Before = time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(2100)) * 24 * time.Hour).Format(time.RFC3339)
			}
			if r.IntN(10) == 0 {
				c.Tag = "beta"
			}
			cases = append(cases, c)
		}
	}
	if real := os.Getenv("LOCKSTEP_PACKUMENT_DIR"); real != "" {
		realFiles, _ := filepath.Glob(filepath.Join(real, "*.json"))
		for _, f := range realFiles {
			for _, spec := range []string{"*", "latest", "^1.0.0", "^4", ">=2 <5", "~3.1.0", "next", "beta", "canary", "^19.0.0-0", "<=2.0.0", "1.0.0"} {
				for _, n := range []string{"v20.19.0", "12.0.0", ""} {
					cases = append(cases, pickCase{File: f, Spec: spec, Node: n})
				}
			}
			cases = append(cases, pickCase{File: f, Spec: "*", Node: "v20.19.0", Before: "2021-06-01T00:00:00Z"})
		}
	}
	want := runNodePick(t, cases)
	docs := map[string]*Packument{}
	bad := 0
	for i, c := range cases {
		p := docs[c.File]
		if p == nil {
			data, err := os.ReadFile(c.File)
			if err != nil {
				t.Fatal(err)
			}
			p = mustDecode(t, data)
			docs[c.File] = p
		}
		got, w := goPick(p, c), normalizeNodeResult(want[i])
		if got != w {
			bad++
			if bad <= 20 {
				t.Errorf("%s spec %q node %q npm %q before %q tag %q: got %s, npm-pick-manifest %s", filepath.Base(c.File), c.Spec, c.Node, c.NPM, c.Before, c.Tag, got, w)
			}
		}
	}
	t.Logf("%d cases, %d mismatches", len(cases), bad)
}

// TestPlainVersion checks the shortcut against semver: a plain version is
// valid and cleans to itself.
func TestPlainVersion(t *testing.T) {
	for _, s := range []string{"1.2.3", "0.0.0", "10.20.30", "999999999999999.0.1", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.03",
		"1.2.3-beta", "1.2.3+b", "v1.2.3", " 1.2.3", "1.2.3 ", "", "1..3", ".1.2", "1.2.", "9999999999999999.0.0", "a.b.c", "1.2.x"} {
		got := plainVersion(s)
		want := s != "" && semver.Valid(s, true) == s && semver.Clean(s, true) == s && !strings.ContainsAny(s, "-+v= ")
		if got != want {
			t.Errorf("plainVersion(%q) = %v, want %v", s, got, want)
		}
	}
}
