package install

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lockstep-dev/lockstep/install/lockfile"
	"github.com/lockstep-dev/lockstep/install/pkgjson"
)

type edgeType int

const (
	edgeProd edgeType = iota
	edgeDev
	edgeOptional
	edgePeer
	edgePeerOptional
)

func (t edgeType) optional() bool { return t == edgeOptional || t == edgePeerOptional }

// peer reports whether t is a peer edge, optional or not.
func (t edgeType) peer() bool { return t == edgePeer || t == edgePeerOptional }

// node is one lockfile entry seen as a graph vertex.
type node struct {
	key      string            // lock path: "", "node_modules/a", "packages/w"
	pkg      *lockfile.Package // nil for the root when the lock lacks it
	name     string            // the package's real name (aliases: the target)
	isRoot   bool
	isWS     bool // a workspace folder (a link target inside the project)
	out      []*edge
	in       []*edge
	inert    bool
	omitted  bool
	linkTo   *node // for link entries: the target folder entry
	wsPkg    *pkgjson.PackageJSON
	failedBy string
}

type edge struct {
	from, to *node
	name     string
	spec     string
	typ      edgeType
}

// graph is the lockfile as a dependency graph, edges resolved the way
// Node's require() and arborist's loadVirtual resolve them.
type graph struct {
	lf    *lockfile.Lockfile
	nodes map[string]*node
	root  *node
	order []*node // nodes sorted by key
}

// validKey reports whether a lock key can be installed where it says: from
// its first node_modules on, every segment is a real folder name, so the
// path cannot climb out of node_modules. What comes before (a workspace
// folder, or "../lib" for a link target outside the project) is a folder
// npm does not write into.
func validKey(key string) bool {
	i := strings.Index(key, "node_modules/")
	if i < 0 {
		return !strings.HasSuffix(key, "node_modules")
	}
	if i > 0 && key[i-1] != '/' {
		return false
	}
	for rest := key[i:]; ; {
		seg, after, more := strings.Cut(rest, "/")
		if seg == "" || seg == "." || seg == ".." || strings.ContainsRune(seg, '\\') {
			return false
		}
		if !more {
			return true
		}
		rest = after
	}
}

// buildGraph turns the lockfile into a graph. Root edges come from
// package.json, workspace edges from each workspace's package.json (falling
// back to its lock entry), all others from their lock entries.
func buildGraph(dir string, root *pkgjson.PackageJSON, lf *lockfile.Lockfile, legacyPeerDeps bool) (*graph, error) {
	g := &graph{lf: lf, nodes: make(map[string]*node, len(lf.Packages)+1)}
	for key, p := range lf.Packages {
		if !validKey(key) {
			return nil, fmt.Errorf("package key %q is not a path npm writes: a folder under node_modules may not be empty, \".\" or \"..\" (regenerate the lockfile with npm install)", key)
		}
		n := &node{key: key, pkg: p, isRoot: key == ""}
		if key != "" {
			n.name = lf.RealName(key)
		}
		g.nodes[key] = n
	}
	if g.nodes[""] == nil {
		g.nodes[""] = &node{key: "", isRoot: true}
	}
	g.root = g.nodes[""]
	g.root.name = root.Name
	for _, n := range g.nodes {
		if n.pkg != nil && n.pkg.Link {
			target := g.nodes[filepath.ToSlash(n.pkg.Resolved)]
			if target == nil {
				return nil, fmt.Errorf("failed to read link %q: its target %q has no entry in the lockfile", n.key, n.pkg.Resolved)
			}
			n.linkTo = target
			if !strings.Contains(target.key, "node_modules/") {
				target.isWS = true
			}
		}
	}
	for _, n := range g.nodes {
		g.order = append(g.order, n)
	}
	sort.Slice(g.order, func(i, j int) bool { return g.order[i].key < g.order[j].key })

	for _, n := range g.order {
		switch {
		case n.isRoot:
			g.addEdges(n, root.Dependencies, edgeProd)
			g.addEdges(n, root.DevDependencies, edgeDev)
			g.addEdges(n, root.OptionalDependencies, edgeOptional)
			if !legacyPeerDeps {
				g.addPeerEdges(n, root.PeerDependencies, metaOptional(root.PeerDependenciesMeta))
			}
		case n.pkg.Link:
			// A link's only dependency is its target.
			e := &edge{from: n, to: n.linkTo, name: n.linkTo.name, typ: edgeProd}
			n.out = append(n.out, e)
			n.linkTo.in = append(n.linkTo.in, e)
		default:
			p := n.pkg
			deps, dev, opt, peer := p.Dependencies, map[string]string(nil), p.OptionalDependencies, p.PeerDependencies
			peerMeta := map[string]bool{}
			for name, m := range p.PeerDependenciesMeta {
				peerMeta[name] = m.Optional
			}
			if n.isWS {
				if wp, err := pkgjson.Read(filepath.Join(dir, filepath.FromSlash(n.key))); err == nil {
					n.wsPkg = wp
					deps, dev, opt, peer = wp.Dependencies, wp.DevDependencies, wp.OptionalDependencies, wp.PeerDependencies
					peerMeta = metaOptional(wp.PeerDependenciesMeta)
				} else {
					dev = p.DevDependencies
				}
			}
			g.addEdges(n, deps, edgeProd)
			g.addEdges(n, dev, edgeDev)
			g.addEdges(n, opt, edgeOptional)
			if !legacyPeerDeps {
				g.addPeerEdges(n, peer, peerMeta)
			}
		}
	}
	return g, nil
}

func metaOptional(m map[string]pkgjson.PeerMeta) map[string]bool {
	out := make(map[string]bool, len(m))
	for k, v := range m {
		out[k] = v.Optional
	}
	return out
}

func (g *graph) addPeerEdges(n *node, peers map[string]string, optional map[string]bool) {
	for _, name := range sortedKeys(peers) {
		t := edgePeer
		if optional[name] {
			t = edgePeerOptional
		}
		g.addEdge(n, name, peers[name], t)
	}
}

func (g *graph) addEdges(n *node, deps map[string]string, t edgeType) {
	for _, name := range sortedKeys(deps) {
		g.addEdge(n, name, deps[name], t)
	}
}

func (g *graph) addEdge(n *node, name, spec string, t edgeType) {
	// A dependency listed twice (dependencies and optionalDependencies)
	// keeps the later, stronger-typed declaration like arborist.
	for _, e := range n.out {
		if e.name == name {
			return
		}
	}
	e := &edge{from: n, name: name, spec: spec, typ: t}
	if key, ok := g.lf.Resolve(n.key, name); ok {
		e.to = g.nodes[key]
	}
	n.out = append(n.out, e)
	if e.to != nil {
		e.to.in = append(e.to.in, e)
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// optionalSet is arborist's optional-set.js: the node, every node reaching
// it by non-optional edges, and the dependencies only they need.
func optionalSet(n *node) map[*node]bool {
	set := map[*node]bool{n: true}
	queue := []*node{n}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, e := range cur.in {
			if !e.typ.optional() && !set[e.from] && !e.from.isRoot {
				set[e.from] = true
				queue = append(queue, e.from)
			}
		}
	}
	filter := func(e *edge) bool { return !set[e.to] && !e.from.inert }
	deps := map[*node]bool{}
	list := []*node{}
	for m := range set {
		deps[m] = true
		list = append(list, m)
	}
	for i := 0; i < len(list); i++ {
		for _, e := range list[i].out {
			if e.to != nil && filter(e) && !deps[e.to] {
				deps[e.to] = true
				list = append(list, e.to)
			}
		}
	}
	for changed := true; changed && len(deps) > 0; {
		changed = false
		for d := range deps {
			for _, e := range d.in {
				if !deps[e.from] && filter(e) {
					delete(deps, d)
					changed = true
					break
				}
			}
		}
	}
	return deps
}
