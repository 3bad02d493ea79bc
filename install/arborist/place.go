package arborist

import "sort"

// placement is CanPlaceDep's verdict.
type placement uint8

const (
	unset placement = iota
	conflict
	ok
	replaceIt
	keep
)

func (p placement) String() string {
	return [...]string{"", "CONFLICT", "OK", "REPLACE", "KEEP"}[p]
}

// canPlaceDep is arborist's CanPlaceDep: can dep (for edge) go in target?
type canPlaceDep struct {
	b              *builder
	dep, target    *Node
	edge           *Edge
	parent         *canPlaceDep
	peerPath       []*Node
	preferDedupe   bool
	explicit       bool
	canPlace       placement
	canPlaceSelf   placement
	canPlacePeersR placement
	children       []*canPlaceDep
	current        *Node
	targetEdge     *Edge
	edgeOverride   bool
}

func (b *builder) newCanPlaceDep(dep, target *Node, edge *Edge, parent *canPlaceDep, peerPath []*Node, preferDedupe, explicit bool) *canPlaceDep {
	c := &canPlaceDep{b: b, dep: dep, target: target, edge: edge, parent: parent, peerPath: peerPath,
		preferDedupe: preferDedupe || edge.peer(), explicit: explicit}
	c.current = target.children[edge.name]
	c.targetEdge = target.edge(edge.name)
	c.edgeOverride = !dep.satisfies(edge)
	c.canPlace = c.check()
	if c.canPlaceSelf == unset {
		c.canPlaceSelf = c.canPlace
	}
	return c
}

func (c *canPlaceDep) check() placement {
	if c.dep.loadErr != nil {
		if c.current != nil {
			return replaceIt
		}
		return ok
	}
	if c.targetEdge != nil && c.targetEdge.peer() && !c.target.isTop() {
		return conflict
	}
	if c.current == nil && c.targetEdge != nil && !c.dep.satisfies(c.targetEdge) && c.targetEdge != c.edge {
		return conflict
	}
	if c.current != nil {
		return c.checkCurrent()
	}
	return c.checkNoCurrent()
}

func (c *canPlaceDep) checkCurrent() placement {
	b, cur, dep, edge, target := c.b, c.current, c.dep, c.edge, c.target
	if dep.matches(cur) {
		if cur.satisfies(edge) || c.edgeOverride {
			if c.explicit {
				return replaceIt
			}
			return keep
		}
	}
	curVer, newVer := cur.version(), dep.version()
	tryReplace := curVer != "" && newVer != "" && b.semverGte(newVer, curVer)
	if tryReplace && dep.canReplace(cur, nil) {
		if cpp := c.canPlacePeers(replaceIt); cpp != conflict {
			return cpp
		}
	}
	if cur.satisfies(edge) && (!c.explicit || c.preferDedupe) {
		return keep
	}
	if c.preferDedupe && !tryReplace && dep.canReplace(cur, nil) {
		if cpp := c.canPlacePeers(replaceIt); cpp != conflict {
			return cpp
		}
	}
	if target != c.deepestNestingTarget() {
		return conflict
	}
	if !edge.peer() && target == edge.from {
		return c.canPlacePeers(replaceIt)
	}
	if c.parent == nil && !edge.peer() {
		return conflict
	}
	canReplace := true
	for _, es := range peerEntrySets(cur) {
		entryEdge, currentPeers := es.edge, es.set
		if entryEdge == c.edge || entryEdge == c.peerEntryEdge() {
			continue
		}
		entryNode := entryEdge.to
		vr := dep.parent
		var entryRep *Node
		if vr != nil {
			entryRep = vr.children[entryNode.name]
		}
		if entryRep != nil {
			names := map[string]bool{}
			for k := range vr.children {
				names[k] = true
			}
			if entryRep.canReplace(entryNode, names) {
				continue
			}
		}
		canClobber := entryRep == nil
		if entryRep == nil {
			walk := newNodeSet(entryNode)
		outer:
			for i := 0; i < len(walk.list); i++ {
				cp := walk.list[i]
				for _, e := range cp.edgesOut {
					if !e.peer() || !e.valid() {
						continue
					}
					var rep *Node
					if vr != nil {
						rep = vr.children[e.name]
					}
					if rep == nil {
						if e.to != nil {
							walk.add(e.to)
						}
						continue
					}
					if !rep.satisfies(e) {
						canClobber = false
						break outer
					}
				}
			}
		}
		if canClobber {
			continue
		}
		for _, cp := range currentPeers.items() {
			curDeep := deepestNestingTarget(entryEdge.from, cp.name)
			if curDeep == target || target.isDescendantOf(curDeep) {
				canReplace = false
				break
			}
		}
	}
	if canReplace {
		return c.canPlacePeers(replaceIt)
	}
	return conflict
}

func (c *canPlaceDep) checkNoCurrent() placement {
	if pe := c.peerEntryEdge(); c.target != pe.from {
		if cur := c.target.resolve(c.edge.name); cur != nil {
			for e := range cur.edgesIn {
				if e.from.isDescendantOf(c.target) && e.valid() && !c.dep.satisfies(e) {
					return conflict
				}
			}
		}
	}
	return c.canPlacePeers(ok)
}

func (c *canPlaceDep) deepestNestingTarget() *Node {
	if c.parent != nil {
		return deepestNestingTarget(c.parent.deepestNestingTarget(), c.edge.name)
	}
	return deepestNestingTarget(c.edge.from, c.edge.name)
}

func (c *canPlaceDep) top() *canPlaceDep {
	if c.parent != nil {
		return c.parent.top()
	}
	return c
}

func (c *canPlaceDep) peerEntryEdge() *Edge { return c.top().edge }

func (c *canPlaceDep) canPlacePeers(state placement) placement {
	c.canPlaceSelf = state
	if c.canPlacePeersR != unset {
		return c.canPlacePeersR
	}
	peerPath := append(append([]*Node(nil), c.peerPath...), c.dep)
	saw := false
	for _, pe := range c.dep.edgesOut {
		if !pe.peer() || pe.to == nil || containsNode(peerPath, pe.to) {
			continue
		}
		peer := pe.to
		target := deepestNestingTarget(c.target, peer.name)
		cpp := c.b.newCanPlaceDep(peer, target, pe, c, peerPath, true, false)
		c.children = append(c.children, cpp)
		if cpp.canPlace == conflict {
			saw = true
		}
	}
	if saw {
		c.canPlacePeersR = conflict
	} else {
		c.canPlacePeersR = state
	}
	return c.canPlacePeersR
}

func (c *canPlaceDep) allChildren() []*canPlaceDep {
	out := append([]*canPlaceDep(nil), c.children...)
	for i := 0; i < len(out); i++ {
		out = append(out, out[i].children...)
	}
	return out
}

func containsNode(list []*Node, n *Node) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}

// deepestNestingTarget is arborist's deepest-nesting-target.
func deepestNestingTarget(start *Node, name string) *Node {
	for t := start; t != nil; t = t.resolveParent() {
		if t.isProjectRoot || t.resolveParent() == nil {
			return t
		}
		te := t.edge(name)
		if te == nil || !te.peer() {
			return t
		}
	}
	return nil
}

type entrySet struct {
	edge *Edge
	set  *nodeSet
}

// peerEntrySets is arborist's peer-entry-sets: for the peer group node
// belongs to, each edge entering the group from outside with the set of
// peers it brings.
func peerEntrySets(node *Node) []entrySet {
	union := newNodeSet(node)
	for i := 0; i < len(union.list); i++ {
		n := union.list[i]
		for _, e := range n.edgesOut {
			if e.valid() && e.peer() && e.to != nil {
				union.add(e.to)
			}
		}
		for _, e := range sortedEdgesIn(n) {
			if e.valid() && e.peer() {
				union.add(e.from)
			}
		}
	}
	var out []entrySet
	seen := map[*Edge]int{}
	for _, peer := range union.list {
		for _, e := range sortedEdgesIn(peer) {
			if !e.valid() {
				continue
			}
			if !e.peer() || e.from.isTop() {
				sub := newNodeSet(peer)
				for i := 0; i < len(sub.list); i++ {
					for _, pe := range sub.list[i].edgesOut {
						if pe.valid() && pe.peer() && pe.to != nil {
							sub.add(pe.to)
						}
					}
				}
				if sub.has(node) {
					if i, ok := seen[e]; ok {
						out[i].set = sub
					} else {
						seen[e] = len(out)
						out = append(out, entrySet{e, sub})
					}
				}
			}
		}
	}
	return out
}

// sortedEdgesIn lists a node's incoming edges in a stable order (creation
// order of their source nodes, then name).
func sortedEdgesIn(n *Node) []*Edge {
	out := make([]*Edge, 0, len(n.edgesIn))
	for e := range n.edgesIn {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].from.seq != out[j].from.seq {
			return out[i].from.seq < out[j].from.seq
		}
		return out[i].name < out[j].name
	})
	return out
}
