package arborist

import (
	"sort"
)

// placeDep is arborist's PlaceDep: place dep (for edge) in the tree, with
// the peers it brings (children).
type placeDep struct {
	b            *builder
	dep          *Node
	edge         *Edge
	parent       *placeDep
	explicit     bool
	canPlace     *canPlaceDep
	canPlaceSelf *canPlaceDep
	children     []*placeDep
	placed       *Node
	needEval     []*Node
	checks       []*canPlaceDep
}

func (b *builder) placeDep(dep *Node, edge *Edge, parent *placeDep, explicit bool) (*placeDep, error) {
	pd := &placeDep{b: b, dep: dep, edge: edge, parent: parent, explicit: explicit}
	if edge.to != nil && edge.valid() && !explicit {
		return pd, nil
	}
	start := pd.startNode()
	for target := start; target != nil; target = target.resolveParent() {
		if te := target.edge(edge.name); !target.isTop() && te != nil && te.peer() {
			continue
		}
		var parentCPD *canPlaceDep
		if parent != nil {
			parentCPD = parent.canPlace
		}
		cpd := b.newCanPlaceDep(dep, target, edge, parentCPD, nil, b.opts.PreferDedupe, explicit)
		pd.checks = append(pd.checks, cpd)
		if cpd.canPlaceSelf != conflict {
			pd.canPlaceSelf = cpd
		}
		if cpd.canPlace != conflict {
			pd.canPlace = cpd
		} else {
			break
		}
		if dep.loadErr != nil {
			break
		}
		if b.stopsAt(target) {
			break
		}
	}
	if pd.canPlace == nil {
		if !b.opts.Force && (pd.isMine() || b.opts.StrictPeerDeps) {
			return pd, pd.failPeerConflict()
		}
		if pd.canPlaceSelf == nil {
			pd.warnPeerConflict(nil, nil)
			return pd, nil
		}
		pd.canPlace = pd.canPlaceSelf
	}
	target := pd.canPlace.target
	ptype := pd.canPlace.canPlace
	if ptype == conflict {
		ptype = pd.canPlace.canPlaceSelf
	}
	if ptype == keep {
		if edge.peer() && !edge.valid() {
			pd.warnPeerConflict(nil, nil)
		}
		pd.pruneDedupable(target, true)
		return pd, nil
	}
	for p := target; p != nil; p = p.resolveParent() {
		if p.matches(dep) && !p.isTop() {
			l := b.newLinkTo(dep.name, p)
			b.setParent(l, target)
			pd.placed = l
			return pd, nil
		}
	}
	virtualRoot := dep.parent
	placed := b.copyNode(dep)
	pd.placed = placed
	if old := target.children[dep.name]; old != nil {
		pd.replaceOldDep(old, target)
	} else {
		b.setParent(placed, target)
	}
	if edge.peer() && !placed.satisfies(edge) {
		pd.warnPeerConflict(nil, nil)
	}
	if edge.valid() && edge.to != nil && edge.to != placed {
		pd.pruneDedupable(edge.to, false)
	}
	for _, n := range b.query(dep.name) {
		if n.isDescendantOf(target) && !n.isTop() {
			pd.pruneDedupable(n, false)
			if n.root() == target.root() {
				for _, kid := range sortedChildren(n) {
					pd.pruneDedupable(kid, false)
				}
			}
		}
	}
	for _, pe := range append([]*Edge(nil), placed.edgesOut...) {
		if pe.from == nil || pe.valid() || !pe.peer() || pe.peerConflicted {
			continue
		}
		if virtualRoot == nil {
			continue
		}
		peer := virtualRoot.children[pe.name]
		if peer == nil || !peer.satisfies(pe) {
			continue
		}
		child, err := b.placeDep(peer, pe, pd, explicit)
		pd.children = append(pd.children, child)
		if err != nil {
			return pd, err
		}
	}
	return pd, nil
}

// copyNode makes the node PlaceDep puts in the tree: a copy of dep.
func (b *builder) copyNode(dep *Node) *Node {
	if dep.isLink {
		return b.newLinkTo(dep.name, dep.target)
	}
	n := b.newNode(dep.name, dep.pkg)
	n.loadErr = dep.loadErr
	n.ov = dep.ov
	b.loadEdges(n, false)
	return n
}

func (pd *placeDep) startNode() *Node {
	var from *Node
	if pd.parent != nil {
		from = pd.parent.startNode()
	} else {
		from = pd.edge.from
	}
	return deepestNestingTarget(from, pd.edge.name)
}

func (pd *placeDep) top() *placeDep {
	if pd.parent != nil {
		return pd.parent.top()
	}
	return pd
}

func (pd *placeDep) replaceOldDep(old, target *Node) {
	b := pd.b
	placed := pd.placed
	var oldDeps []*Node
	for _, e := range old.edgesOut {
		if placed.edge(e.name) == nil && e.to != nil {
			to := e.to
			oldDeps = append(oldDeps, gatherDepSet([]*Node{to}, func(x *Edge) bool { return x.to != to }).items()...)
		}
	}
	var prunePeerSets []*Node
	for _, e := range sortedEdgesIn(old) {
		if placed.satisfies(e) || !e.peer() || e.from.parent != target || e.peerConflicted {
			continue
		}
		for _, es := range peerEntrySets(e.from) {
			entryEdge := es.edge
			entryNode := entryEdge.to
			deepest := deepestNestingTarget(entryNode, "")
			if deepest != target && !(entryEdge.from.isProjectRoot || entryEdge.from.isWorkspace) {
				prunePeerSets = append(prunePeerSets, gatherDepSet([]*Node{entryNode}, func(x *Edge) bool {
					return x.to != entryNode && !x.peerConflicted
				}).items()...)
			} else {
				pd.warnPeerConflict(e, pd.dep)
			}
		}
	}
	b.replace(placed, old)
	pd.pruneForReplacement(placed, oldDeps)
	for _, d := range prunePeerSets {
		for _, e := range sortedEdgesIn(d) {
			pd.needEval = append(pd.needEval, e.from)
		}
		b.remove(d)
	}
}

func (pd *placeDep) pruneForReplacement(node *Node, oldDeps []*Node) {
	invalid := newNodeSet()
	for _, e := range node.edgesOut {
		if e.to != nil && !e.valid() {
			invalid.add(e.to)
		}
	}
	for _, d := range oldDeps {
		dd := d
		for _, x := range gatherDepSet([]*Node{dd}, func(e *Edge) bool { return e.to != dd && e.valid() }).items() {
			invalid.add(x)
		}
	}
	deps := gatherDepSet(invalid.items(), func(e *Edge) bool {
		return e.from != node && e.to != node && e.valid()
	})
	for _, d := range deps.items() {
		pd.b.remove(d)
	}
}

func sortedChildren(n *Node) []*Node {
	out := make([]*Node, 0, len(n.children))
	for _, c := range n.children {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return n.b.localeCompare(out[i].location(), out[j].location()) < 0 })
	return out
}

func (pd *placeDep) pruneDedupable(node *Node, descend bool) {
	if node.canDedupe(pd.b.opts.PreferDedupe, pd.explicit) {
		n := node
		for _, d := range gatherDepSet([]*Node{n}, func(e *Edge) bool { return e.to != n && e.valid() }).items() {
			pd.b.remove(d)
		}
		return
	}
	if descend {
		for _, c := range sortedChildren(node) {
			pd.pruneDedupable(c, true)
		}
		fs := append([]*Node(nil), node.fsKids...)
		sort.Slice(fs, func(i, j int) bool { return pd.b.localeCompare(fs[i].location(), fs[j].location()) < 0 })
		for _, top := range fs {
			for _, c := range sortedChildren(top) {
				pd.pruneDedupable(c, true)
			}
		}
	}
}

func (pd *placeDep) isMine() bool {
	edge := pd.top().edge
	node := edge.from
	if node.isWorkspace || node.isProjectRoot {
		return true
	}
	if !edge.peer() {
		return false
	}
	hasPeer := false
	for e := range node.edgesIn {
		if e.peer() {
			hasPeer = true
			continue
		}
		if e.from.isWorkspace || e.from.isProjectRoot {
			return true
		}
	}
	if hasPeer {
		for _, es := range peerEntrySets(node) {
			if es.edge.from.isWorkspace || es.edge.from.isProjectRoot {
				return true
			}
		}
	}
	return false
}

func (pd *placeDep) warnPeerConflict(e *Edge, dep *Node) {
	if e == nil {
		e = pd.edge
	}
	if dep == nil {
		dep = pd.dep
	}
	e.peerConflicted = true
	pd.b.warnf("ERESOLVE overriding peer dependency:\n%s", indent(pd.explainPeerConflict(e, dep).render(warnDepth)))
}

func (pd *placeDep) failPeerConflict() error {
	t := pd.top()
	return pd.b.eresolve(pd.explainPeerConflict(t.edge, t.dep))
}

// stopsAt reports whether the install strategy forbids placing a
// dependency any higher than target, where it can go: nested keeps every
// dependency under the package that needs it, shallow lets a dependency
// climb no higher than the project's direct dependencies (arborist's
// PlaceDep stops its walk up the tree there).
func (b *builder) stopsAt(target *Node) bool {
	switch b.opts.InstallStrategy {
	case StrategyNested:
		return true
	case StrategyShallow:
		rp := target.resolveParent()
		return rp != nil && rp.isTreeRoot()
	}
	return false
}
