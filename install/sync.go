package install

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lockstep-dev/lockstep/install/semver"
)

// overrideSpecs collects every spec that package.json "overrides" can set
// for a name, at any nesting depth ("$name" references resolved against
// the root's dependencies). Checking an edge accepts the original spec or
// any override for its name: lenient, but it never refuses a lockfile that
// npm accepts because of an override.
func overrideSpecs(raw json.RawMessage, rootDeps map[string]string) map[string][]string {
	out := map[string][]string{}
	if len(raw) == 0 {
		return out
	}
	var walk func(v any)
	add := func(name, spec string) {
		if ref, ok := strings.CutPrefix(spec, "$"); ok {
			spec = rootDeps[ref]
		}
		if spec != "" {
			out[name] = append(out[name], spec)
		}
	}
	walk = func(v any) {
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		for key, val := range m {
			name := overrideName(key)
			switch x := val.(type) {
			case string:
				add(name, x)
			case map[string]any:
				if s, ok := x["."].(string); ok {
					add(name, s)
				}
				walk(x)
			}
		}
	}
	var v any
	if json.Unmarshal(raw, &v) == nil {
		walk(v)
	}
	return out
}

// overrideName strips a version selector from an overrides key:
// "foo@1.x" → "foo", "@s/foo@^2" → "@s/foo".
func overrideName(key string) string {
	if i := strings.LastIndex(key, "@"); i > 0 {
		return key[:i]
	}
	return key
}

// syncProblems is npm ci's validate-lockfile, reached without a resolver:
// every edge of the tree that npm would re-resolve (missing, or not
// satisfied by the locked package) means npm's ideal tree differs from the
// lockfile, so the two are out of sync. Missing peerOptional edges are fine.
//
// An unsatisfied peer edge is a problem only where npm would refuse it:
// arborist's place-dep tries to place the wanted peer and, finding the
// lock's package in the way, warns "ERESOLVE overriding peer dependency" and
// keeps the lockfile's tree unless the dependent is the project's own (the
// root, a workspace, or a package they depend on directly: isMine) or
// strict-peer-deps is set; --force keeps it always. ci has no packuments to
// try the placement, so it takes npm's word recorded in the lockfile: an
// npm-written lock with such an edge is one where npm could not place it.
//
// overridden lists the peer edges kept that way, for the warning npm
// prints about each.
func (g *graph) syncProblems(dir string, overrides map[string][]string, strictPeer, force bool) (problems, overridden []string) {
	for _, n := range g.order {
		if n.inert {
			continue
		}
		for _, e := range n.out {
			if e.typ == edgePeerOptional {
				continue // npm ci trusts the lockfile for peerOptional edges
			}
			if n.pkg != nil && n.pkg.Link {
				continue
			}
			if e.to == nil {
				problems = append(problems, fmt.Sprintf("Missing: %s@%s from lock file", e.name, e.spec))
				continue
			}
			if e.valid(dir, e.spec) {
				continue
			}
			ok := false
			for _, s := range overrides[e.name] {
				if e.valid(dir, s) {
					ok = true
					break
				}
			}
			if !ok && e.typ == edgePeer && (force || !strictPeer && !n.peerMine(dir)) {
				// npm warns "ERESOLVE overriding peer dependency" and
				// keeps the lock's package.
				overridden = append(overridden, fmt.Sprintf("%s@%s (%q) wants peer %s@%q; the lockfile's %s@%s (%q) is kept",
					n.name, n.version(), n.key, e.name, e.spec, e.to.name, e.to.version(), e.to.key))
				continue
			}
			if !ok {
				problems = append(problems, fmt.Sprintf("Invalid: lock file's %s@%s does not satisfy %s@%s",
					e.to.name, e.to.version(), e.name, e.spec))
			}
		}
	}
	sort.Strings(problems)
	sort.Strings(overridden)
	return dedupe(problems), dedupe(overridden)
}

// peerMine is place-dep's isMine for an unsatisfied peer edge out of n: n
// is the project root or a workspace, a non-peer edge from one of those
// reaches n, or n sits in a peer set that such an edge enters.
func (n *node) peerMine(dir string) bool {
	top := func(x *node) bool { return x.isRoot || x.isWS }
	if top(n) {
		return true
	}
	hasPeerIn := false
	for _, e := range n.in {
		if e.typ.peer() {
			hasPeerIn = true
			continue
		}
		if top(e.from) {
			return true
		}
	}
	if !hasPeerIn {
		return false
	}
	valid := func(e *edge) bool { return e.to != nil && e.valid(dir, e.spec) }
	// arborist's peer-entry-sets: the peers joined to n by valid peer
	// edges either way; n is the project's if a valid edge from the root or
	// a workspace enters one of them whose peer closure holds n.
	union := []*node{n}
	seen := map[*node]bool{n: true}
	add := func(x *node) {
		if x != nil && !seen[x] {
			seen[x] = true
			union = append(union, x)
		}
	}
	for i := 0; i < len(union); i++ {
		x := union[i]
		for _, e := range x.out {
			if e.typ.peer() && valid(e) {
				add(e.to)
			}
		}
		for _, e := range x.in {
			if e.typ.peer() && valid(e) {
				add(e.from)
			}
		}
	}
	for _, p := range union {
		entered := false
		for _, e := range p.in {
			if top(e.from) && valid(e) {
				entered = true
				break
			}
		}
		if entered && p.peerClosureHas(n, dir) {
			return true
		}
	}
	return false
}

// peerClosureHas reports whether target is reachable from n by valid peer
// edges (n included).
func (n *node) peerClosureHas(target *node, dir string) bool {
	sub := []*node{n}
	seen := map[*node]bool{n: true}
	for i := 0; i < len(sub); i++ {
		if sub[i] == target {
			return true
		}
		for _, e := range sub[i].out {
			if e.typ.peer() && e.to != nil && !seen[e.to] && e.valid(dir, e.spec) {
				seen[e.to] = true
				sub = append(sub, e.to)
			}
		}
	}
	return false
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func (n *node) version() string {
	if n.pkg == nil {
		return ""
	}
	if n.linkTo != nil && n.linkTo.pkg != nil {
		return n.linkTo.pkg.Version
	}
	return n.pkg.Version
}

func validRange(s string) bool {
	_, err := semver.ParseRange(s, semver.Options{Loose: true})
	return err == nil
}

// valid is arborist's dep-valid.js for the spec kinds a lockfile can hold.
func (e *edge) valid(dir, spec string) bool {
	to := e.to
	kind, aliasName, aliasRange := classifySpec(spec, validRange)
	switch kind {
	case specRange:
		if strings.TrimSpace(spec) == "" || strings.TrimSpace(spec) == "*" {
			return true
		}
		if to.pkg != nil && to.pkg.Link {
			return true // workspaces are linked whatever the range says
		}
		return semver.Satisfies(to.version(), spec, semver.Options{Loose: true})
	case specAlias:
		if to.name != aliasName {
			return false
		}
		if aliasRange == "" || aliasRange == "*" {
			return true
		}
		return semver.Satisfies(to.version(), aliasRange, semver.Options{Loose: true})
	case specTag:
		return to.pkg != nil && (strings.HasPrefix(to.pkg.Resolved, "http") || to.pkg.Resolved == "" && to.pkg.Version != "")
	case specDir:
		if to.pkg == nil || !to.pkg.Link {
			return false
		}
		want := strings.TrimPrefix(strings.TrimPrefix(spec, "file:"), "link:")
		base := filepath.Join(dir, filepath.FromSlash(e.from.dirKey()))
		rel, err := filepath.Rel(dir, filepath.Join(base, want))
		return err == nil && filepath.ToSlash(rel) == filepath.ToSlash(to.pkg.Resolved)
	case specRemote:
		return to.pkg != nil && to.pkg.Resolved == spec
	default: // file tarballs and git: the lockfile's pin is trusted
		return to.pkg != nil
	}
}

// dirKey is the folder, relative to the project, that relative specs of this
// node's dependencies are resolved against.
func (n *node) dirKey() string {
	if n.isRoot {
		return ""
	}
	return n.key
}
