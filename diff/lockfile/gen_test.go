package lockfile

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
)

// A synthetic project for the benchmarks: a dependency graph of about n
// registry packages written in every supported format, so that each
// reader is measured on the same content. Generated, not committed.

type genPkg struct {
	name, version string
	deps          []int // indexes into project.pkgs
	dev, optional bool
	nestedUnder   int // >= 0: a second version installed under that package (npm/bun nesting)
}

type project struct {
	pkgs   []genPkg
	direct []int
}

// genProject builds a deterministic graph of n packages: about 15% scoped
// names, 5% of names in a second version nested under a dependent, each
// package depending on up to 5 later packages, 40 direct dependencies.
func genProject(n int, seed uint64) *project {
	r := rand.New(rand.NewPCG(seed, 42))
	p := &project{}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("pkg-%s-%d", words[r.IntN(len(words))], i)
		if r.IntN(100) < 15 {
			name = fmt.Sprintf("@scope-%d/%s-%d", r.IntN(40), words[r.IntN(len(words))], i)
		}
		p.pkgs = append(p.pkgs, genPkg{name: name, version: fmt.Sprintf("%d.%d.%d", r.IntN(5), r.IntN(30), r.IntN(20)), nestedUnder: -1,
			dev: r.IntN(100) < 30, optional: r.IntN(100) < 3})
	}
	isDirect := map[int]bool{}
	for i := 0; i < 40 && i < n; i++ {
		p.direct = append(p.direct, i*(n/40))
		isDirect[i*(n/40)] = true
	}
	// edges go to later packages and never to a direct one, and every
	// other package gets a dependent, so all is reachable from the direct
	// ones (yarn classic infers them as the entries nothing depends on)
	depended := make([]bool, n)
	for i := range p.pkgs {
		if i+1 >= n {
			break
		}
		k := r.IntN(6)
		for j := 0; j < k; j++ {
			d := i + 1 + r.IntN(min(n-i-1, 400))
			if !isDirect[d] && !slices.Contains(p.pkgs[i].deps, d) {
				depended[d] = true
				p.pkgs[i].deps = append(p.pkgs[i].deps, d)
			}
		}
	}
	for d := 1; d < n; d++ {
		if !depended[d] && !isDirect[d] {
			from := d - 1 - r.IntN(min(d, 400))
			p.pkgs[from].deps = append(p.pkgs[from].deps, d)
		}
	}
	// second versions, nested under a package that depends on the name
	for i := range p.pkgs {
		if r.IntN(100) >= 5 || len(p.pkgs[i].deps) == 0 {
			continue
		}
		d := p.pkgs[i].deps[0]
		if p.pkgs[d].nestedUnder != -1 {
			continue
		}
		dup := p.pkgs[d]
		dup.version = fmt.Sprintf("%d.0.0", 10+r.IntN(5))
		dup.nestedUnder = i
		dup.deps = nil
		p.pkgs = append(p.pkgs, dup)
		p.pkgs[d].nestedUnder = -2 // has a nested twin
		p.pkgs[i].deps[0] = len(p.pkgs) - 1
	}
	return p
}

var words = []string{"core", "util", "parse", "string", "array", "color", "fs", "path", "stream", "http", "json", "yaml", "glob", "minimatch", "debug", "chalk", "semver", "uuid", "lodash", "react", "babel", "eslint", "plugin", "types", "loader"}

// mutate returns the head of a change: every 10th version bumped, every
// 50th package removed, 100 added.
func (p *project) mutate() *project {
	q := &project{direct: p.direct}
	removed := map[int]bool{}
	for i := range p.pkgs {
		if i%50 == 7 && !isDirect(p, i) {
			removed[i] = true
		}
	}
	// a nested twin whose parent goes away goes too
	for i, pk := range p.pkgs {
		if pk.nestedUnder >= 0 && removed[pk.nestedUnder] {
			removed[i] = true
		}
	}
	remap := make([]int, len(p.pkgs))
	for i, pk := range p.pkgs {
		if removed[i] {
			remap[i] = -1
			continue
		}
		if i%10 == 3 {
			pk.version += "-next.1"
		}
		remap[i] = len(q.pkgs)
		q.pkgs = append(q.pkgs, pk)
	}
	for i := range q.pkgs {
		var deps []int
		for _, d := range q.pkgs[i].deps {
			if remap[d] >= 0 {
				deps = append(deps, remap[d])
			}
		}
		q.pkgs[i].deps = deps
		if q.pkgs[i].nestedUnder >= 0 {
			q.pkgs[i].nestedUnder = remap[q.pkgs[i].nestedUnder]
		}
	}
	q.direct = nil
	for _, d := range p.direct {
		if remap[d] >= 0 {
			q.direct = append(q.direct, remap[d])
		}
	}
	// what only a removed package depended on now hangs off its neighbour
	depended := make([]bool, len(q.pkgs))
	for _, d := range q.direct {
		depended[d] = true
	}
	for i := range q.pkgs {
		for _, d := range q.pkgs[i].deps {
			depended[d] = true
		}
	}
	for d := range q.pkgs {
		if !depended[d] && q.pkgs[d].nestedUnder < 0 {
			q.pkgs[d-1].deps = append(q.pkgs[d-1].deps, d)
		}
	}
	for i := 0; i < 100; i++ {
		q.pkgs = append(q.pkgs, genPkg{name: fmt.Sprintf("new-pkg-%d", i), version: "1.0.0", nestedUnder: -1})
		q.pkgs[i*7].deps = append(q.pkgs[i*7].deps, len(q.pkgs)-1)
	}
	return q
}

func isDirect(p *project, i int) bool {
	for _, d := range p.direct {
		if d == i {
			return true
		}
	}
	return false
}

func integrity(p *genPkg) string {
	h := sha512.Sum512([]byte(p.name + "@" + p.version))
	return "sha512-" + base64.StdEncoding.EncodeToString(h[:])
}

func shortName(name string) string { return name[strings.LastIndexByte(name, '/')+1:] }

func tarball(reg string, p *genPkg) string {
	return reg + p.name + "/-/" + shortName(p.name) + "-" + p.version + ".tgz"
}

// installPath is the npm location of a package.
func (p *project) installPath(i int) string {
	pk := &p.pkgs[i]
	if pk.nestedUnder >= 0 {
		return p.installPath(pk.nestedUnder) + "/node_modules/" + pk.name
	}
	return "node_modules/" + pk.name
}

// bunPath is bun's key of a package: "parent/name" for a nested one.
func (p *project) bunPath(i int) string {
	pk := &p.pkgs[i]
	if pk.nestedUnder >= 0 {
		return p.bunPath(pk.nestedUnder) + "/" + pk.name
	}
	return pk.name
}

func jsonMap(b *strings.Builder, indent, key string, m [][2]string, trailing bool) {
	if len(m) == 0 {
		return
	}
	fmt.Fprintf(b, "%s%q: {\n", indent, key)
	for i, kv := range m {
		comma := ","
		if i == len(m)-1 && !trailing {
			comma = ""
		}
		fmt.Fprintf(b, "%s  %q: %q%s\n", indent, kv[0], kv[1], comma)
	}
	b.WriteString(indent + "}")
}

func (p *project) depSpecs(i int, prefix string) [][2]string {
	var out [][2]string
	for _, d := range p.pkgs[i].deps {
		out = append(out, [2]string{p.pkgs[d].name, prefix + "^" + p.pkgs[d].version})
	}
	sort.Slice(out, func(a, b int) bool { return out[a][0] < out[b][0] })
	return out
}

func (p *project) directSpecs(prefix string) [][2]string {
	var out [][2]string
	for _, d := range p.direct {
		out = append(out, [2]string{p.pkgs[d].name, prefix + "^" + p.pkgs[d].version})
	}
	sort.Slice(out, func(a, b int) bool { return out[a][0] < out[b][0] })
	return out
}

func (p *project) npmV3() []byte {
	var b strings.Builder
	b.WriteString("{\n  \"name\": \"bench\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {\n")
	b.WriteString("    \"\": {\n      \"name\": \"bench\",\n      \"version\": \"1.0.0\",\n")
	jsonMap(&b, "      ", "dependencies", p.directSpecs(""), false)
	b.WriteString("\n    }")
	type ent struct {
		path string
		i    int
	}
	ents := make([]ent, len(p.pkgs))
	for i := range p.pkgs {
		ents[i] = ent{p.installPath(i), i}
	}
	sort.Slice(ents, func(a, c int) bool { return ents[a].path < ents[c].path })
	for _, e := range ents {
		pk := &p.pkgs[e.i]
		fmt.Fprintf(&b, ",\n    %q: {\n      \"version\": %q,\n      \"resolved\": %q,\n      \"integrity\": %q,\n", e.path, pk.version, tarball("https://registry.npmjs.org/", pk), integrity(pk))
		if pk.dev {
			b.WriteString("      \"dev\": true,\n")
		}
		if pk.optional {
			b.WriteString("      \"optional\": true,\n")
		}
		if deps := p.depSpecs(e.i, ""); len(deps) > 0 {
			jsonMap(&b, "      ", "dependencies", deps, false)
			b.WriteString(",\n")
		}
		b.WriteString("      \"license\": \"MIT\"\n    }")
	}
	b.WriteString("\n  }\n}\n")
	return []byte(b.String())
}

// yarn lockfiles key entries by descriptor; the generator's ranges are
// "^version", one per name@version.
func (p *project) yarnV1() []byte {
	var b strings.Builder
	b.WriteString("# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n")
	for _, i := range p.sortedByName() {
		pk := &p.pkgs[i]
		h := sha512.Sum512([]byte(pk.name + pk.version))
		desc := pk.name + "@^" + pk.version
		if strings.HasPrefix(pk.name, "@") {
			desc = strconvQuote(desc)
		}
		fmt.Fprintf(&b, "\n%s:\n  version %q\n  resolved %q\n  integrity %s\n", desc, pk.version,
			"https://registry.yarnpkg.com/"+pk.name+"/-/"+shortName(pk.name)+"-"+pk.version+".tgz#"+hex.EncodeToString(h[:20]), integrity(pk))
		if deps := p.depSpecs(i, ""); len(deps) > 0 {
			b.WriteString("  dependencies:\n")
			for _, d := range deps {
				k := d[0]
				if strings.HasPrefix(k, "@") {
					k = strconvQuote(k)
				}
				fmt.Fprintf(&b, "    %s %q\n", k, d[1])
			}
		}
	}
	return []byte(b.String())
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }

func (p *project) yarnBerry() []byte {
	var b strings.Builder
	b.WriteString("# This file is generated by running \"yarn install\" inside your project.\n# Manual changes might be lost - proceed with caution!\n\n__metadata:\n  version: 8\n  cacheKey: 10c0\n")
	for _, i := range p.sortedByName() {
		pk := &p.pkgs[i]
		h := sha512.Sum512([]byte(pk.name + pk.version))
		fmt.Fprintf(&b, "\n\"%s@npm:^%s\":\n  version: %s\n  resolution: \"%s@npm:%s\"\n", pk.name, pk.version, pk.version, pk.name, pk.version)
		if deps := p.depSpecs(i, "npm:"); len(deps) > 0 {
			b.WriteString("  dependencies:\n")
			for _, d := range deps {
				fmt.Fprintf(&b, "    %s: %q\n", d[0], d[1])
			}
		}
		fmt.Fprintf(&b, "  checksum: 10c0/%s\n  languageName: node\n  linkType: hard\n", hex.EncodeToString(h[:]))
	}
	b.WriteString("\n\"bench@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"bench@workspace:.\"\n  dependencies:\n")
	for _, d := range p.directSpecs("npm:") {
		fmt.Fprintf(&b, "    %s: %q\n", d[0], d[1])
	}
	b.WriteString("  languageName: unknown\n  linkType: soft\n")
	return []byte(b.String())
}

func (p *project) sortedByName() []int {
	idx := make([]int, len(p.pkgs))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, c int) bool {
		x, y := &p.pkgs[idx[a]], &p.pkgs[idx[c]]
		if x.name != y.name {
			return x.name < y.name
		}
		return x.version < y.version
	})
	return idx
}

func yamlKey(s string) string {
	if strings.HasPrefix(s, "@") {
		return "'" + s + "'"
	}
	return s
}

func (p *project) pnpmV9() []byte {
	var b strings.Builder
	b.WriteString("lockfileVersion: '9.0'\n\nsettings:\n  autoInstallPeers: true\n  excludeLinksFromLockfile: false\n\nimporters:\n\n  .:\n    dependencies:\n")
	for _, d := range p.directSpecs("") {
		fmt.Fprintf(&b, "      %s:\n        specifier: %s\n        version: %s\n", yamlKey(d[0]), d[1], d[1][1:])
	}
	b.WriteString("\npackages:\n")
	order := p.sortedByName()
	for _, i := range order {
		pk := &p.pkgs[i]
		fmt.Fprintf(&b, "\n  %s:\n    resolution: {integrity: %s}\n    engines: {node: '>=8'}\n", yamlKey(pk.name+"@"+pk.version), integrity(pk))
	}
	b.WriteString("\nsnapshots:\n")
	for _, i := range order {
		pk := &p.pkgs[i]
		fmt.Fprintf(&b, "\n  %s:", yamlKey(pk.name+"@"+pk.version))
		deps := p.depSpecs(i, "")
		if len(deps) == 0 {
			b.WriteString(" {}\n")
			continue
		}
		b.WriteString("\n    dependencies:\n")
		for _, d := range deps {
			fmt.Fprintf(&b, "      %s: %s\n", yamlKey(d[0]), d[1][1:])
		}
	}
	return []byte(b.String())
}

func (p *project) bunLock() []byte {
	var b strings.Builder
	b.WriteString("{\n  \"lockfileVersion\": 1,\n  \"workspaces\": {\n    \"\": {\n      \"name\": \"bench\",\n")
	jsonMap(&b, "      ", "dependencies", p.directSpecs(""), true)
	b.WriteString(",\n    },\n  },\n  \"packages\": {\n")
	type ent struct {
		path string
		i    int
	}
	ents := make([]ent, len(p.pkgs))
	for i := range p.pkgs {
		ents[i] = ent{p.bunPath(i), i}
	}
	sort.Slice(ents, func(a, c int) bool { return ents[a].path < ents[c].path })
	for _, e := range ents {
		pk := &p.pkgs[e.i]
		meta := "{}"
		if deps := p.depSpecs(e.i, ""); len(deps) > 0 {
			parts := make([]string, len(deps))
			for j, d := range deps {
				parts[j] = fmt.Sprintf("%q: %q", d[0], d[1])
			}
			meta = "{ \"dependencies\": { " + strings.Join(parts, ", ") + " } }"
		}
		fmt.Fprintf(&b, "    %q: [%q, \"\", %s, %q],\n\n", e.path, pk.name+"@"+pk.version, meta, integrity(pk))
	}
	b.WriteString("  }\n}\n")
	return []byte(b.String())
}

// benchFormats are the formats benchmarked, with the file name that picks
// the reader.
var benchFormats = []struct {
	name, file string
	write      func(*project) []byte
}{
	{"npm-v3", "package-lock.json", (*project).npmV3},
	{"yarn-v1", "yarn.lock", (*project).yarnV1},
	{"yarn-berry", "yarn.lock", (*project).yarnBerry},
	{"pnpm-v9", "pnpm-lock.yaml", (*project).pnpmV9},
	{"bun", "bun.lock", (*project).bunLock},
}
