package arborist

import (
	"cmp"
	"slices"
)

// Tree mutation. Arborist keeps every edge's target equal to
// from.resolve(name) by reloading edges whenever a node appears or
// disappears; so do we, using an index of edges by name.

// newNode makes a detached node for p named name and loads its edges.
func (b *builder) newNode(name string, p *pkg) *Node {
	b.seq++
	n := &Node{b: b, name: name, pkg: p, children: map[string]*Node{}, outIdx: map[string]*Edge{},
		edgesIn: map[*Edge]int{}, seq: b.seq,
		dev: true, optional: true, devOptional: true, peer: true, extraneous: true}
	b.byName[name] = append(b.byName[name], n)
	if p != nil && len(p.bundle) > 0 {
		b.bundlers++
	}
	return n
}

// loadEdges creates n's edges in arborist's order: peer, peerOptional,
// prod, optional, and dev for tops (a later type replaces an earlier edge
// of the same name and moves it to the end, as Map.delete+set does).
func (b *builder) loadEdges(n *Node, withDev bool) {
	p := n.pkg
	if p == nil {
		return
	}
	if !b.opts.LegacyPeerDeps {
		for _, d := range p.peer {
			b.addEdge(n, d, typePeer)
		}
		for _, d := range p.peerOptional {
			b.addEdge(n, d, typePeerOptional)
		}
	}
	for _, d := range p.prod {
		b.addEdge(n, d, typeProd)
	}
	for _, d := range p.optional {
		b.addEdge(n, d, typeOptional)
	}
	if withDev {
		for _, d := range p.dev {
			b.addEdge(n, d, typeDev)
		}
	}
}

func (b *builder) addEdge(n *Node, d dep, t edgeType) *Edge {
	if cur := n.outIdx[d.name]; cur != nil {
		if cur.typ == typeWorkspace && t != typeWorkspace {
			return cur
		}
		b.detachEdge(cur)
	}
	b.edgeSeq++
	e := &Edge{from: n, name: d.name, rawSpec: d.spec, typ: t, seq: b.edgeSeq}
	if a, ok := n.pkg.accept[d.name]; ok && n.pkg != nil {
		e.hasAccept = true
		e.accept = a
		if a == "" {
			e.accept = "*"
		}
	}
	if n.ov != nil {
		e.ov = n.ov.edgeRule(b, e)
	}
	n.edgesOut = append(n.edgesOut, e)
	n.outIdx[d.name] = e
	b.edgesByName[d.name] = append(b.edgesByName[d.name], e)
	b.reload(e)
	return e
}

func (b *builder) detachEdge(e *Edge) {
	if e.to != nil {
		b.deleteEdgeIn(e.to, e)
	}
	n := e.from
	delete(n.outIdx, e.name)
	for i, x := range n.edgesOut {
		if x == e {
			n.edgesOut = append(n.edgesOut[:i:i], n.edgesOut[i+1:]...)
			break
		}
	}
	e.to = nil
	e.from = nil
}

// reload points e at from.resolve(name).
func (b *builder) reload(e *Edge) {
	if e.from == nil {
		return
	}
	var old *overrideSet
	changed := false
	if e.from.ov != nil {
		if r := e.from.ov.edgeRule(b, e); r != nil && !r.isEqual(e.ov) {
			old, e.ov, changed = e.ov, r, true
		}
	} else {
		e.ov = nil
	}
	to := e.from.resolve(e.name)
	if to == e.to {
		if changed && to != nil {
			b.overridesEdgeInRemoved(to, old)
			b.overridesEdgeInAdded(to, e.ov)
		}
		return
	}
	if e.to != nil {
		b.deleteEdgeIn(e.to, e)
	}
	e.to = to
	if to != nil {
		b.addEdgeIn(to, e)
	}
}

// reloadNamed reloads the edges named name from p and everything below it,
// in the order they were made.
//
// In the real tree it reads edgesByName, dropping edges that left every
// tree (detached) and edges of virtual trees, which only a walk of their
// own tree reloads: a build makes a virtual tree per placed dependency, and
// the index would otherwise keep all of them alive. In a virtual tree (a
// peer set: a few nodes) it walks the tree, like arborist does everywhere.
func (b *builder) reloadNamed(p *Node, name string) {
	var todo []*Edge
	if p.root().virtual() {
		var walk func(n *Node)
		walk = func(n *Node) {
			if e := n.outIdx[name]; e != nil {
				todo = append(todo, e)
			}
			for _, c := range n.children {
				walk(c)
			}
			for _, c := range n.fsKids {
				walk(c)
			}
		}
		walk(p)
		slices.SortFunc(todo, func(a, b *Edge) int { return cmp.Compare(a.seq, b.seq) })
	} else {
		es := b.edgesByName[name]
		kept := es[:0]
		for _, e := range es {
			if e.from == nil {
				continue
			}
			under, top := e.from.under(p)
			if !under && top.virtual() {
				continue
			}
			kept = append(kept, e)
			if under {
				todo = append(todo, e)
			}
		}
		clear(es[len(kept):])
		b.edgesByName[name] = kept
	}
	for _, e := range todo {
		b.reload(e) // a no-op for an edge an earlier reload detached
	}
}

// reloadSubtree reloads every edge out of n and its descendants.
func (b *builder) reloadSubtree(n *Node) {
	for _, e := range n.edgesOut {
		b.reload(e)
	}
	for _, c := range n.children {
		b.reloadSubtree(c)
	}
	for _, c := range n.fsKids {
		b.reloadSubtree(c)
	}
}

// setParent attaches n (detached) as parent's child, clobbering any child
// of the same name (which is removed from the tree).
func (b *builder) setParent(n, parent *Node) {
	if n.parent == parent && parent.children[n.name] == n {
		return
	}
	if n.parent != nil || n.fsParent != nil {
		b.detach(n)
	}
	if old := parent.children[n.name]; old != nil && old != n {
		b.remove(old)
	}
	parent.children[n.name] = n
	n.parent = parent
	n.removed = false
	b.seq++
	n.seq = b.seq
	b.reloadNamed(parent, n.name)
	b.reloadSubtree(n)
}

// setFsParent attaches n (a workspace or link target) under root's folder.
func (b *builder) setFsParent(n, fsParent *Node) {
	n.fsParent = fsParent
	fsParent.fsKids = append(fsParent.fsKids, n)
	b.reloadSubtree(n)
}

// detach unhooks n (with its subtree) from its parent without deleting
// anything else; edges are reloaded on both sides.
func (b *builder) detach(n *Node) {
	if p := n.parent; p != nil {
		if p.children[n.name] == n {
			delete(p.children, n.name)
		}
		n.parent = nil
		b.reloadNamed(p, n.name)
	}
	if fp := n.fsParent; fp != nil {
		for i, x := range fp.fsKids {
			if x == n {
				fp.fsKids = append(fp.fsKids[:i:i], fp.fsKids[i+1:]...)
				break
			}
		}
		n.fsParent = nil
	}
	b.reloadSubtree(n)
}

// remove is `node.root = null`: n and its subtree leave the tree.
func (b *builder) remove(n *Node) {
	b.detach(n)
	n.removed = true
}

// replace is placed.replace(old): placed takes old's place and children.
func (b *builder) replace(placed, old *Node) {
	parent := old.parent
	kids := make([]*Node, 0, len(old.children))
	for _, k := range old.children {
		kids = append(kids, k)
	}
	b.remove(old)
	b.setParent(placed, parent)
	if !placed.isLink {
		for _, k := range kids {
			if placed.children[k.name] != nil {
				continue
			}
			delete(old.children, k.name)
			k.parent = placed
			placed.children[k.name] = k
		}
		for _, k := range kids {
			if k.parent == placed {
				b.reloadNamed(placed, k.name)
				b.reloadSubtree(k)
			}
		}
		// The old node, out of the tree and without the children it gave
		// up, no longer reaches them: in arborist its edges resolve to
		// nothing once it is detached. Left pointing at the moved
		// children, they would count as valid edges in and keep stale
		// children alive through pruneForReplacement.
		for _, e := range old.edgesOut {
			b.reload(e)
		}
	}
}

// query returns the nodes of the real tree named name, in inventory order.
func (b *builder) query(name string) []*Node {
	var out []*Node
	ns := b.byName[name]
	kept := ns[:0]
	for _, n := range ns {
		top := n.root()
		if top.virtual() {
			continue // never joins the real tree (see Node.virtual)
		}
		kept = append(kept, n)
		if top == b.root && !n.removed {
			out = append(out, n)
		}
	}
	clear(ns[len(kept):])
	b.byName[name] = kept
	sortBySeq(out)
	return out
}

func sortBySeq(ns []*Node) {
	for i := 1; i < len(ns); i++ {
		for j := i; j > 0 && ns[j].seq < ns[j-1].seq; j-- {
			ns[j], ns[j-1] = ns[j-1], ns[j]
		}
	}
}

// inventory lists every node of the real tree (root first, then by
// location).
func (b *builder) inventory() []*Node {
	var out []*Node
	var walk func(n *Node)
	walk = func(n *Node) {
		out = append(out, n)
		for _, c := range n.children {
			walk(c)
		}
		for _, c := range n.fsKids {
			walk(c)
		}
	}
	walk(b.root)
	return out
}
