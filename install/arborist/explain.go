package arborist

// ERESOLVE explanations. When a peer conflict stops the build (or is
// overridden with a warning), npm reports which dependency it was
// resolving, what it found in the tree, which edge it could not satisfy and
// which peer conflicted, each with the chain of dependents that put it
// there. Users fix their package.json from that report, so lockstep names
// exactly the same packages, versions, ranges and chains: the snapshot is
// taken the way arborist's Node.explain / Edge.explain take it (memoized
// per node and edge, dependents in the order they were added, invalid edges
// dropped unless they come from a project root) and the rendering follows
// npm's explain-dep depth limits. Only the layout is ours: a node's location
// goes in parentheses on its line instead of on a line of its own, and the
// headings are lower case.

import (
	"fmt"
	"strconv"
	"strings"
)

// nodeExpl is a snapshot of a node and of why it is in the tree.
type nodeExpl struct {
	// root marks the project root: "the root project".
	root          bool
	name, version string
	location      string
	// whileInstalling is the project (name, version) whose peer set was
	// being resolved, for nodes of a virtual tree.
	whileInstalling *[2]string
	dependents      []*edgeExpl
}

// edgeExpl is a snapshot of a dependency edge and of the node it is from.
type edgeExpl struct {
	typ                 edgeType
	name, spec, rawSpec string
	overridden, bundled bool
	from                *nodeExpl
}

// conflictExpl is the ERESOLVE report: the facts of arborist's error data.
type conflictExpl struct {
	// edge is the dependency that could not be resolved.
	edge *edgeExpl
	// dep is the node that could not be placed for edge (may be nil).
	dep *nodeExpl
	// current is what the tree has for edge's name (may be nil).
	current *nodeExpl
	// currentEdge is the edge the current node satisfies (may be nil).
	currentEdge *edgeExpl
	// hasPeer says a conflicting peer is known: peer is it, peerCurrent
	// what it conflicts with (either may be nil).
	hasPeer           bool
	peer, peerCurrent *nodeExpl
	strictPeerDeps    bool
}

// edgesInOrder lists the edges into n in the order they were added.
func edgesInOrder(n *Node) []*Edge {
	out := make([]*Edge, 0, len(n.edgesIn))
	for e := range n.edgesIn {
		out = append(out, e)
	}
	// Insertion numbers are unique; sort by them.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && n.edgesIn[out[j]] < n.edgesIn[out[j-1]]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// isTreeRoot is arborist's isProjectRoot: the node is the root of its tree.
func (n *Node) isTreeRoot() bool { return n.isProjectRoot || n.resolveParent() == nil }

// explainNode is Node.explain(via): the node and its dependents (only via,
// when given). The first explanation of a node is kept.
func (b *builder) explainNode(n *Node, via *Edge, seen []*Node) *nodeExpl {
	if x, ok := b.nodeExpls[n]; ok {
		return x
	}
	x := b.explainNodeNow(n, via, seen)
	if b.nodeExpls == nil {
		b.nodeExpls = map[*Node]*nodeExpl{}
	}
	b.nodeExpls[n] = x
	return x
}

func (b *builder) explainNodeNow(n *Node, via *Edge, seen []*Node) *nodeExpl {
	if n.sourceRef == nil && n.isTreeRoot() {
		return &nodeExpl{root: true}
	}
	x := &nodeExpl{name: n.name, version: n.version()}
	if n.isTreeRoot() || n.isTop() {
		x.name = n.packageName()
	}
	if r := n.root(); r.sourceRef != nil && r.pkg != nil {
		x.whileInstalling = &[2]string{r.pkg.name, r.pkg.version}
	}
	if n.sourceRef != nil {
		return b.explainNode(n.sourceRef, via, seen)
	}
	for _, s := range seen {
		if s == n {
			return x
		}
	}
	x.location = n.location()
	seen = append(seen[:len(seen):len(seen)], n)
	if via != nil {
		x.dependents = append(x.dependents, b.explainEdge(via, seen))
		return x
	}
	for _, e := range edgesInOrder(n) {
		if !e.valid() && !e.from.isTreeRoot() {
			continue
		}
		x.dependents = append(x.dependents, b.explainEdge(e, seen))
	}
	return x
}

// explainEdge is Edge.explain: the edge and the node it is from.
func (b *builder) explainEdge(e *Edge, seen []*Node) *edgeExpl {
	if x, ok := b.edgeExpls[e]; ok {
		return x
	}
	x := &edgeExpl{typ: e.typ, name: e.name, spec: e.spec(), rawSpec: e.rawSpec}
	x.overridden = x.spec != x.rawSpec
	if e.from != nil && e.from.pkg != nil {
		for _, name := range e.from.pkg.bundle {
			if name == e.name {
				x.bundled = true
			}
		}
	}
	if b.edgeExpls == nil {
		b.edgeExpls = map[*Edge]*edgeExpl{}
	}
	b.edgeExpls[e] = x
	if e.from != nil {
		x.from = b.explainNode(e.from, nil, seen)
	}
	return x
}

// explainPeerConflict is PlaceDep.explainPeerConflict: the report for
// edge and dep when pd cannot place its node.
func (pd *placeDep) explainPeerConflict(edge *Edge, dep *Node) *conflictExpl {
	b := pd.b
	x := &conflictExpl{edge: b.explainEdge(edge, nil), strictPeerDeps: b.opts.StrictPeerDeps}
	if dep != nil {
		x.dep = b.explainNode(dep, edge, nil)
	}
	cur := edge.from.resolve(edge.name)
	if pd.parent != nil {
		// pd places a peer: npm reports the node its edge resolves to
		// as the conflicting peer.
		if cur != nil {
			x.current = b.explainNode(cur, edge, nil)
		}
		if pd.edge.to != nil {
			x.hasPeer = true
			x.peer = b.explainNode(pd.edge.to, pd.edge, nil)
		}
		return x
	}
	if cur != nil {
		x.current = b.explainNode(cur, nil, nil)
	}
	if pd.canPlaceSelf != nil {
		// The node itself fits; one of its peers does not.
		for _, c := range pd.canPlaceSelf.allChildren() {
			if c.canPlace == conflict && c.current != nil {
				x.hasPeer = true
				x.peerCurrent = b.explainNode(c.current, nil, nil)
				x.peer = b.explainNode(c.dep, c.edge, nil)
				break
			}
		}
		return x
	}
	x.hasPeer = true
	if pd.edge.to != nil {
		x.peerCurrent = b.explainNode(pd.edge.to, nil, nil)
	}
	x.peer = b.explainNode(pd.dep, pd.edge, nil)
	return x
}

// explainLoadConflict is buildIdealTree's #explainPeerConflict: a peer set
// being loaded conflicts with what its virtual root already has.
func (b *builder) explainLoadConflict(edge, currentEdge *Edge) *conflictExpl {
	x := &conflictExpl{strictPeerDeps: b.opts.StrictPeerDeps}
	if cur := edge.from.resolve(edge.name); cur != nil {
		x.current = b.explainNode(cur, nil, nil)
	}
	if currentEdge != nil {
		x.currentEdge = b.explainEdge(currentEdge, nil)
	}
	x.edge = b.explainEdge(edge, nil)
	return x
}

// eresolveDepth is how deep npm's terminal report explains dependents.
const (
	eresolveDepth = 4
	warnDepth     = 2
)

// render writes the report, depth levels deep, one fact a line; nested
// lines are indented two spaces per level.
func (x *conflictExpl) render(depth int) string {
	var lines []string
	var while *[2]string
	switch {
	case x.dep != nil && x.dep.whileInstalling != nil:
		while = x.dep.whileInstalling
	case x.current != nil && x.current.whileInstalling != nil:
		while = x.current.whileInstalling
	case x.edge != nil && x.edge.from != nil && x.edge.from.whileInstalling != nil:
		while = x.edge.from.whileInstalling
	}
	if while != nil {
		id := while[0]
		if while[1] != "" {
			id += "@" + while[1]
		}
		lines = append(lines, "while resolving: "+id)
	}
	switch {
	case x.current != nil:
		lines = append(lines, "found: "+explainNodeText(x.current, depth))
	case x.peerCurrent != nil:
		lines = append(lines, "found: "+explainNodeText(x.peerCurrent, depth))
	case x.currentEdge != nil:
		lines = append(lines, "found: "+explainEdgeText(x.currentEdge, depth, map[string]bool{}))
	case x.edge != nil:
		lines = append(lines, "found: "+explainEdgeText(x.edge, depth, map[string]bool{}))
	}
	if x.edge != nil {
		lines = append(lines, "could not resolve dependency: "+explainEdgeText(x.edge, depth, map[string]bool{}))
	}
	if x.hasPeer {
		if x.peer != nil {
			lines = append(lines, "conflicting peer dependency: "+explainNodeText(x.peer, depth))
		} else {
			lines = append(lines, "conflicting peer dependency: (unknown)")
		}
	}
	return strings.Join(lines, "\n")
}

// fixHint is the advice closing the report.
func (x *conflictExpl) fixHint() string {
	flags := "--force or --legacy-peer-deps"
	if x.strictPeerDeps {
		flags = "--no-strict-peer-deps, --force or --legacy-peer-deps"
	}
	return "fix the upstream dependency conflict (usually by changing a version range in package.json), or retry with " + flags + " to accept an incorrect and possibly broken tree"
}

func printNodeText(n *nodeExpl) string {
	s := n.name
	if n.version != "" {
		s += "@" + n.version
	}
	if n.location != "" {
		s += " (" + n.location + ")"
	}
	return s
}

func explainNodeText(n *nodeExpl, depth int) string {
	return printNodeText(n) + explainDependentsText(n, depth, map[string]bool{})
}

func explainDependentsText(n *nodeExpl, depth int, seen map[string]bool) string {
	if len(n.dependents) == 0 || depth <= 0 {
		return ""
	}
	limit := (depth + 1) / 2
	var msgs []string
	for i, e := range n.dependents {
		if i == limit {
			break
		}
		msgs = append(msgs, explainEdgeText(e, depth, seen))
	}
	if len(n.dependents) > limit {
		var names []string
		total := 0
		for i := limit; i < len(n.dependents); i++ {
			name := "the root project"
			if f := n.dependents[i].from; f != nil && !f.root {
				name = f.name
			}
			total += len(name)
			if total >= 50 && i < len(n.dependents)-1 {
				names = append(names, "...")
				break
			}
			names = append(names, name)
		}
		msgs = append(msgs, strconv.Itoa(len(n.dependents)-limit)+" more ("+strings.Join(names, ", ")+")")
	}
	return strings.ReplaceAll("\n"+strings.Join(msgs, "\n"), "\n", "\n  ")
}

func explainEdgeText(e *edgeExpl, depth int, seen map[string]bool) string {
	dep := e.name + "@\"" + e.spec + "\""
	if e.typ == typeWorkspace && e.from != nil {
		dep = relPath(e.from.location, strings.TrimPrefix(e.spec, "file:"))
	}
	if e.overridden {
		dep = "overridden " + dep + " (was \"" + e.rawSpec + "\")"
	}
	var sb strings.Builder
	if e.typ != typeProd {
		sb.WriteString(e.typ.String() + " ")
	}
	if e.bundled {
		sb.WriteString("bundled ")
	}
	sb.WriteString(dep)
	if e.from != nil {
		sb.WriteString(" from " + explainFromText(e.from, depth, seen))
	}
	return sb.String()
}

func explainFromText(n *nodeExpl, depth int, seen map[string]bool) string {
	if n.root || n.name == "" && n.version == "" {
		return "the root project"
	}
	id := n.name + "@" + n.version + ":" + n.location
	if seen[id] {
		return printNodeText(n)
	}
	seen[id] = true
	s := printNodeText(n) + explainDependentsText(n, depth-1, seen)
	delete(seen, id)
	return s
}

// eresolve is the ERESOLVE error carrying report x.
func (b *builder) eresolve(x *conflictExpl) error {
	return fmt.Errorf("%w (ERESOLVE):\n%s\n%s", ErrResolve, indent(x.render(eresolveDepth)), indent(x.fixHint()))
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }
