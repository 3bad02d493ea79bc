package arborist

import (
	"slices"
	"strings"

	"github.com/lockstep-dev/lockstep/install/lockfile"
	"github.com/lockstep-dev/lockstep/install/packument"
)

// edgeType is the kind of a dependency edge, as arborist's Edge.type.
type edgeType uint8

const (
	typeProd edgeType = iota
	typeDev
	typeOptional
	typePeer
	typePeerOptional
	typeWorkspace
)

func (t edgeType) String() string {
	return [...]string{"prod", "dev", "optional", "peer", "peerOptional", "workspace"}[t]
}

// dep is one entry of a dependency map, kept in order.
type dep struct{ name, spec string }

// pkg is a normalized manifest: what a node's edges and lockfile entry are
// made from.
type pkg struct {
	name, version string
	// Edge sources in load order (peer, peerOptional, prod, optional, dev).
	peer, peerOptional, prod, optional, dev []dep
	accept                                  map[string]string
	bundle                                  []string
	resolved, integrity                     string
	deprecated                              string
	os, cpu, libc                           []string
	engineNode                              string
	engineNPM                               string
	hasInstallScript                        bool
	hasDevDependencies                      bool
	// folder is the package.json of a folder package (root, workspace,
	// link target); manifest the registry manifest.
	folder   *rootPackage
	manifest *packument.Manifest
	// lock is the lockfile entry of a package loaded from a lockfile.
	lock *lockfile.Package
}

// Node is one package in a tree: arborist's Node (or Link when isLink).
type Node struct {
	b        *builder
	name     string
	pkg      *pkg
	parent   *Node
	fsParent *Node
	children map[string]*Node
	fsKids   []*Node

	edgesOut []*Edge
	outIdx   map[string]*Edge
	// edgesIn maps each edge resolving to the node to when it was added
	// (arborist's edgesIn is a Set in insertion order; see edgesInOrder).
	edgesIn map[*Edge]int

	isLink    bool
	target    *Node  // for links
	realpath  string // project-relative path for links' targets and workspaces
	sourceRef *Node  // for virtual roots

	isProjectRoot, isWorkspace bool

	dev, optional, devOptional, peer, extraneous, inert bool

	loadErr error
	seq     int
	removed bool
	// fromLock marks a node loaded from an existing lockfile.
	fromLock bool
	// ov is the node's override set (nil without overrides).
	ov *overrideSet
}

// Edge is a dependency from one node to a name.
type Edge struct {
	from           *Node
	name, rawSpec  string
	accept         string
	hasAccept      bool
	typ            edgeType
	to             *Node
	peerConflicted bool
	ov             *overrideSet // the override rule of the edge, nil without overrides
	seq            int          // creation order (reloadNamed reloads in it)
}

func (e *Edge) spec() string {
	if e.ov != nil && e.from != nil {
		if s, ok := e.from.b.overrideSpec(e); ok {
			return s
		}
	}
	return e.rawSpec
}

func (e *Edge) peer() bool     { return e.typ == typePeer || e.typ == typePeerOptional }
func (e *Edge) optional() bool { return e.typ == typeOptional || e.typ == typePeerOptional }
func (e *Edge) dev() bool      { return e.typ == typeDev }

// errorKind is Edge.error: "" when valid.
func (e *Edge) errorKind() string {
	if e.from == nil {
		return "DETACHED"
	}
	if e.to == nil {
		if e.optional() {
			return ""
		}
		return "MISSING"
	}
	if e.peer() && e.from == e.to.parent && !e.from.isTop() {
		return "PEER LOCAL"
	}
	if !e.satisfiedBy(e.to) {
		return "INVALID"
	}
	if e.ov != nil && e.to.ov != nil && len(e.to.edgesOut) > 0 && overrideSetsConflict(e.ov, e.to.ov) {
		return "INVALID"
	}
	return ""
}

func (e *Edge) valid() bool { return e.errorKind() == "" }

func (e *Edge) satisfiedBy(n *Node) bool {
	if n.name != e.name || e.from == nil {
		return false
	}
	b := e.from.b
	dv := func(spec string) bool {
		return b.depValid(n, spec, e.from) || e.hasAccept && b.depValid(n, e.accept, e.from)
	}
	// Bundled packages are never overridden; without an override rule
	// e.spec() is the raw spec anyway, so the bundler walk is skipped.
	if e.ov == nil || n.inBundle() {
		return dv(e.rawSpec)
	}
	if e.ov.keySpec == "" {
		return dv(e.spec())
	}
	if dv(e.spec()) {
		return true
	}
	if !dv(e.rawSpec) {
		return false
	}
	return !dv(e.ov.keySpec)
}

func (n *Node) version() string {
	if n.isLink {
		if n.target != nil {
			return n.target.version()
		}
	}
	if n.pkg == nil {
		return ""
	}
	return n.pkg.version
}

func (n *Node) packageName() string {
	if n.isLink && n.target != nil {
		return n.target.packageName()
	}
	if n.pkg == nil {
		return ""
	}
	return n.pkg.name
}

func (n *Node) resolved() string {
	if n.pkg == nil {
		return ""
	}
	return n.pkg.resolved
}

func (n *Node) integrity() string {
	if n.pkg == nil {
		return ""
	}
	return n.pkg.integrity
}

func (n *Node) isTop() bool { return n.parent == nil }

func (n *Node) resolveParent() *Node {
	if n.parent != nil {
		return n.parent
	}
	return n.fsParent
}

func (n *Node) root() *Node {
	r := n
	for p := r.resolveParent(); p != nil; p = r.resolveParent() {
		r = p
	}
	return r
}

func (n *Node) depth() int {
	d := 0
	for p := n; p.parent != nil; p = p.parent {
		d++
	}
	return d
}

func (n *Node) isDescendantOf(p *Node) bool {
	under, _ := n.under(p)
	return under
}

// under reports whether n is p or below it; when it is not, top is the
// root of n's tree.
func (n *Node) under(p *Node) (under bool, top *Node) {
	x := n
	for {
		if x == p {
			return true, nil
		}
		up := x.resolveParent()
		if up == nil {
			return false, x
		}
		x = up
	}
}

// virtual reports whether n is a virtual root (a peer set's tree).
// Virtual trees stay apart from the real one: PlaceDep puts copies of their
// nodes in it, never the nodes themselves.
func (n *Node) virtual() bool { return n.sourceRef != nil }

// location is the node's key in the lockfile's packages map.
func (n *Node) location() string {
	if n.parent == nil {
		if n.isProjectRoot || n.sourceRef != nil || n.realpath == "" {
			return ""
		}
		return n.realpath
	}
	pl := n.parent.location()
	if pl == "" {
		return "node_modules/" + n.name
	}
	return pl + "/node_modules/" + n.name
}

func (n *Node) resolve(name string) *Node {
	for x := n; x != nil; x = x.resolveParent() {
		if c := x.children[name]; c != nil {
			return c
		}
	}
	return nil
}

// getBundler is Node.getBundler: the node whose bundleDependencies bring n
// along, nil when none does. A node is bundled when its parent is, when its
// parent lists it in bundleDependencies, or when a node bundled by its parent
// depends on it (a bundled package's deps deduped up to the bundling level).
// seen is shared by the whole search, so each node is visited once.
func (n *Node) getBundler(seen map[*Node]bool) *Node {
	if seen[n] || !n.underBundler() {
		return nil
	}
	seen[n] = true
	parent := n.parent
	if pb := parent.getBundler(seen); pb != nil {
		return pb
	}
	if parent.pkg != nil && slices.Contains(parent.pkg.bundle, n.name) {
		return parent
	}
	for _, e := range sortedEdgesIn(n) {
		if e.from != nil && e.from.getBundler(seen) == parent {
			return parent
		}
	}
	return nil
}

// underBundler reports whether an ancestor of n has bundleDependencies:
// a bundler is always one, so without it getBundler is nil (and the walk
// over edgesIn can be skipped).
func (n *Node) underBundler() bool {
	for p := n.parent; p != nil; p = p.parent {
		if p.pkg != nil && len(p.pkg.bundle) > 0 {
			return true
		}
	}
	return false
}

// bundler is n.getBundler(); nil at once while no node of the tree has
// bundleDependencies.
func (n *Node) bundler() *Node {
	if n.b == nil || n.b.bundlers == 0 {
		return nil
	}
	return n.getBundler(map[*Node]bool{})
}

// inBundle is Node.inBundle: bundled by any node, the root included.
func (n *Node) inBundle() bool { return n.bundler() != nil }

// inDepBundle is Node.inDepBundle: bundled by a dependency, not the root.
func (n *Node) inDepBundle() bool {
	bn := n.bundler()
	return bn != nil && bn != n.root()
}

func (n *Node) edge(name string) *Edge { return n.outIdx[name] }

// satisfies is node.satisfies(edge).
func (n *Node) satisfies(e *Edge) bool { return n.name == e.name && e.satisfiedBy(n) }

// matches is arborist's Node.matches.
func (n *Node) matches(o *Node) bool {
	if n == o {
		return true
	}
	if n.name != o.name {
		return false
	}
	if n.isLink {
		return o.isLink && n.target != nil && o.target != nil && n.target.matches(o.target)
	}
	if n.isProjectRoot && o.isProjectRoot {
		return n == o
	}
	if n.integrity() != "" && o.integrity() != "" {
		return n.integrity() == o.integrity()
	}
	if n.resolved() != "" && o.resolved() != "" {
		return n.resolved() == o.resolved()
	}
	return n.packageName() != "" && n.packageName() == o.packageName() &&
		n.version() != "" && n.version() == o.version()
}

// canReplaceWith is Node.canReplaceWith: other can take n's place.
func (n *Node) canReplaceWith(o *Node, ignorePeers map[string]bool) bool {
	if o.name != n.name || o.packageName() != n.packageName() {
		return false
	}
	if len(n.edgesOut) > 0 {
		if o.ov != nil {
			if !o.ov.isEqual(n.ov) {
				return false
			}
		} else if n.ov != nil {
			return false
		}
	}
	depSet := gatherDepSet([]*Node{n}, func(e *Edge) bool { return e.to != n && e.valid() })
	for e := range n.edgesIn {
		if !n.isTop() && e.from.parent == n.parent && e.peer() && ignorePeers[e.from.name] {
			continue
		}
		if !depSet.has(e.from) && !e.satisfiedBy(o) {
			return false
		}
	}
	return true
}

func (n *Node) canReplace(o *Node, ignorePeers map[string]bool) bool {
	return o.canReplaceWith(n, ignorePeers)
}

// canDedupe is Node.canDedupe.
func (n *Node) canDedupe(preferDedupe, explicit bool) bool {
	if n.inDepBundle() {
		return false
	}
	rp := n.resolveParent()
	if rp == nil || rp.resolveParent() == nil {
		return false
	}
	if len(n.edgesIn) == 0 {
		return true
	}
	other := rp.resolveParent().resolve(n.name)
	if other == nil {
		return false
	}
	if other.matches(n) {
		return true
	}
	if !other.canReplace(n, nil) {
		return false
	}
	b := n.b
	if preferDedupe || b.semverEq(other.version(), n.version()) {
		return true
	}
	if !n.overridden() && b.semverGt(other.version(), n.version()) {
		return true
	}
	return explicit
}

// nodeSet is an insertion-ordered set of nodes (JavaScript's Set).
type nodeSet struct {
	list []*Node
	idx  map[*Node]int
}

func newNodeSet(nodes ...*Node) *nodeSet {
	s := &nodeSet{idx: map[*Node]int{}}
	for _, n := range nodes {
		s.add(n)
	}
	return s
}

func (s *nodeSet) add(n *Node) bool {
	if _, ok := s.idx[n]; ok {
		return false
	}
	s.idx[n] = len(s.list)
	s.list = append(s.list, n)
	return true
}

func (s *nodeSet) has(n *Node) bool { _, ok := s.idx[n]; return ok }

func (s *nodeSet) del(n *Node) {
	i, ok := s.idx[n]
	if !ok {
		return
	}
	s.list[i] = nil
	delete(s.idx, n)
}

func (s *nodeSet) size() int { return len(s.idx) }

// items returns the live members in insertion order.
func (s *nodeSet) items() []*Node {
	out := make([]*Node, 0, len(s.idx))
	for _, n := range s.list {
		if n != nil {
			out = append(out, n)
		}
	}
	return out
}

// gatherDepSet is arborist's gather-dep-set: the nodes reachable from set
// through edges passing filter, minus those with a passing edge in from
// outside the result.
func gatherDepSet(set []*Node, filter func(*Edge) bool) *nodeSet {
	deps := newNodeSet(set...)
	for i := 0; i < len(deps.list); i++ {
		n := deps.list[i]
		for _, e := range n.edgesOut {
			if e.to != nil && filter(e) {
				deps.add(e.to)
			}
		}
	}
	changed := true
	for changed && deps.size() > 0 {
		changed = false
		for _, d := range deps.items() {
			for e := range d.edgesIn {
				if !deps.has(e.from) && filter(e) {
					changed = true
					deps.del(d)
					break
				}
			}
		}
	}
	return deps
}

// splitNameSpec splits "name@spec" (scoped names allowed).
func splitNameSpec(s string) (string, string) {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return s, ""
	}
	return s[:at], s[at+1:]
}

// isRegistryDependency is Node.isRegistryDependency: every edge in asks
// for a registry spec.
func (n *Node) isRegistryDependency() bool {
	if len(n.edgesIn) == 0 {
		return false
	}
	for e := range n.edgesIn {
		switch n.b.parseSpec(e.spec(), e.from).kind {
		case specRange, specVersion, specTag, specAlias:
		default:
			return false
		}
	}
	return true
}
