package arborist

import (
	"bytes"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"weak"

	"github.com/lockstep-dev/lockstep/install/lockfile"
	"github.com/lockstep-dev/lockstep/install/packument"
	"github.com/lockstep-dev/lockstep/install/platform"
	"github.com/lockstep-dev/lockstep/install/semver"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// Fetcher returns a package's packument.
type Fetcher func(ctx context.Context, name string) (*packument.Packument, error)

// The install strategies Build knows (npm's install-strategy setting).
const (
	// StrategyHoisted places each dependency as high in the tree as it
	// can go without conflict (npm's default).
	StrategyHoisted = "hoisted"
	// StrategyNested places each dependency under the package that needs
	// it (npm's former --legacy-bundling); only a copy that an ancestor
	// already has is shared.
	StrategyNested = "nested"
	// StrategyShallow places only the project's direct dependencies at
	// the top; theirs are hoisted no higher than under them (npm's former
	// --global-style).
	StrategyShallow = "shallow"
)

// Options configure Build.
type Options struct {
	// Dir is the project folder (package.json).
	Dir string
	// Fetch returns packuments; Build calls it from one goroutine.
	Fetch Fetcher
	// Refetch, when set, fetches a fresh copy of a packument in which no
	// version matches a spec, bypassing any cache: for a while after a
	// publish, a registry's caches may serve a document that lacks the
	// new version another document already depends on. Build calls it at
	// most once per package, then picks again.
	Refetch Fetcher
	// Prefetch, when set, is told the names Build is about to ask Fetch
	// for, so that their documents can be fetched in parallel (npm
	// prefetches a placed node's problem edges, and loads optional peers
	// one by one); it must not block.
	Prefetch func(names []string)
	// NodeVersion and NPMVersion steer version picks through engines.
	NodeVersion, NPMVersion string
	// NodeVersionFunc, when set, gives the node version in place of
	// NodeVersion; it is called at each pick, so it must remember its
	// answer.
	NodeVersionFunc func() string
	DefaultTag      string
	Before          time.Time
	LegacyPeerDeps  bool
	StrictPeerDeps  bool
	Force           bool
	PreferDedupe    bool
	// InstallStrategy is npm's install-strategy: StrategyHoisted (also
	// ""), StrategyNested or StrategyShallow. npm's "linked" is refused.
	InstallStrategy string
	// Platform decides which optional packages are inert.
	Platform platform.Platform
	// Warn receives warnings (peer conflicts overridden, engines).
	Warn func(string)
	// Tarball downloads a tarball (an http(s) URL, or "file:" and a
	// project-relative path) and returns its integrity and the package.json
	// files inside; nil refuses tarball dependencies.
	Tarball func(ctx context.Context, url string) (*TarballInfo, error)
	// Lockfile is the project's existing lockfile, or nil. Like npm
	// install, what it holds is kept where package.json still accepts it,
	// and only missing or invalid dependencies are resolved.
	Lockfile *lockfile.Lockfile
}

// TarballInfo is what resolution needs from a tarball.
type TarballInfo struct {
	// Integrity is the sha512 SRI of the tarball bytes.
	Integrity string
	// Manifest is the package's package.json.
	Manifest []byte
	// Bundled maps the package-relative folder of every package.json under
	// node_modules ("node_modules/x", "node_modules/x/node_modules/@s/y")
	// to its bytes.
	Bundled map[string][]byte
}

type builder struct {
	ctx  context.Context
	opts Options
	root *Node
	seq  int
	// edgeInSeq numbers edges as they are added to a node's edgesIn.
	edgeInSeq int
	// nodeExpls and edgeExpls memoize explanations (arborist's
	// Node.explain and Edge.explain compute each once).
	nodeExpls map[*Node]*nodeExpl
	edgeExpls map[*Edge]*edgeExpl

	byName        map[string][]*Node
	edgesByName   map[string][]*Edge
	edgeSeq       int
	specCache     map[string]parsedSpec // by spec text: all but file: and folder specs
	fileSpecCache map[string]parsedSpec // by folder and spec text
	satCache      map[satKey]bool
	verCache      map[string]*semver.Version
	packuments    map[string]*packument.Packument
	packErrs      map[string]error
	manifests     map[string]*pkg
	pickErrs      map[string]error
	refetched     map[string]bool

	queue        depsQueue
	inQueue      map[*Node]bool
	qseq         int
	coll         *collate.Collator
	collBuf      collate.Buffer
	keys         map[string][]byte
	depsSeen     map[*Node]bool
	loadFailures []*Node
	virtualRoots map[*Node]*Node
	// peerSource is arborist's peerSetSource, a WeakMap: keyed weakly, so
	// the virtual trees of placed peer sets can be freed.
	peerSource map[weak.Pointer[Node]]*Node
	linkNodes  []*Node

	overrides   *overrideSet
	tarballs    map[string]*TarballInfo
	tarballErrs map[string]error
	refErr      error
	recalcDepth int
	rootPkg     *rootPackage
	linkTargets map[string]*Node
	// bundlers counts the nodes made with bundleDependencies: while it is
	// zero no node is bundled and getBundler's walk is skipped.
	bundlers int
}

// Tree is a built ideal tree.
type Tree struct {
	b *builder
}

// ErrResolve is wrapped by errors that mean the dependencies cannot be
// resolved (ERESOLVE, no matching version, unknown package): bad input.
var ErrResolve = errors.New("could not resolve the dependency tree")

// Build is arborist's buildIdealTree for a project without a lockfile:
// fetch manifests, place every dependency in npm's order, compute the
// dependency flags and mark optional packages that cannot install here.
func Build(ctx context.Context, o Options) (*Tree, error) {
	if o.DefaultTag == "" {
		o.DefaultTag = "latest"
	}
	switch o.InstallStrategy {
	case "":
		o.InstallStrategy = StrategyHoisted
	case StrategyHoisted, StrategyNested, StrategyShallow:
	default:
		return nil, fmt.Errorf("failed to build the dependency tree: install-strategy=%q is not supported; use hoisted, nested or shallow", o.InstallStrategy)
	}
	b := &builder{ctx: ctx, opts: o,
		byName: map[string][]*Node{}, edgesByName: map[string][]*Edge{},
		specCache: map[string]parsedSpec{}, fileSpecCache: map[string]parsedSpec{}, satCache: map[satKey]bool{}, verCache: map[string]*semver.Version{},
		packuments: map[string]*packument.Packument{}, packErrs: map[string]error{},
		manifests: map[string]*pkg{}, pickErrs: map[string]error{}, refetched: map[string]bool{},
		tarballs: map[string]*TarballInfo{}, tarballErrs: map[string]error{},
		depsSeen: map[*Node]bool{}, inQueue: map[*Node]bool{}, coll: collate.New(language.English), keys: map[string][]byte{},
		virtualRoots: map[*Node]*Node{}, peerSource: map[weak.Pointer[Node]]*Node{},
	}
	if err := b.initRoot(); err != nil {
		return nil, err
	}
	if o.Lockfile != nil {
		if err := b.loadVirtual(o.Lockfile); err != nil {
			return nil, err
		}
		b.queueProblems()
	}
	if err := b.assertRootOverrides(); err != nil {
		return nil, err
	}
	b.push(b.root)
	if err := b.buildDeps(); err != nil {
		// An unresolvable override reference throws where npm first
		// reads the edge's spec: it is the error, whatever it led to.
		if b.refErr != nil {
			return nil, b.refErr
		}
		return nil, err
	}
	if b.refErr != nil {
		return nil, b.refErr
	}
	if o.Lockfile != nil {
		// resetDepFlags, then calcDepFlags, then prune what nothing needs.
		for _, n := range b.inventory() {
			n.dev, n.optional, n.devOptional, n.peer, n.extraneous = true, true, true, true, true
		}
	}
	b.fixDepFlags()
	if o.Lockfile != nil {
		for _, n := range b.inventory() {
			if n.extraneous && n != b.root && !n.removed {
				b.remove(n)
			}
		}
	}
	if err := b.pruneFailedOptional(); err != nil {
		return nil, err
	}
	if err := b.checkPlatform(); err != nil {
		return nil, err
	}
	return &Tree{b: b}, nil
}

func (b *builder) nodeVersion() string {
	if b.opts.NodeVersionFunc != nil {
		return b.opts.NodeVersionFunc()
	}
	return b.opts.NodeVersion
}

func (b *builder) warnf(format string, args ...any) {
	if b.opts.Warn != nil {
		b.opts.Warn(fmt.Sprintf(format, args...))
	}
}

// queueProblems is the scan buildIdealTree makes of a tree loaded from a
// lockfile: every node reachable from the root through edges that has a
// missing or invalid edge out is queued, so a change that breaks an edge
// deep in the tree (an override added or changed, an entry edited away) is
// fixed where it is, not only the root's direct dependencies.
func (b *builder) queueProblems() {
	seen := map[*Node]bool{}
	stack := []*Node{b.root}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n == nil || seen[n] {
			continue
		}
		seen[n] = true
		queued := false
		for _, e := range n.edgesOut {
			if !queued && (e.to == nil || !e.valid()) {
				b.push(n)
				queued = true
			}
			stack = append(stack, e.to)
		}
	}
}

// push is DepsQueue.push: a node is queued once.
func (b *builder) push(n *Node) {
	if b.inQueue[n] {
		return
	}
	b.inQueue[n] = true
	b.qseq++
	heap.Push(&b.queue, queued{n: n, depth: n.depth(), key: b.collKey(n.location()), loc: n.location(), seq: b.qseq})
}

// pop is DepsQueue.pop: shallowest first, then by path (ICU order), then
// first queued (JavaScript's sort is stable).
func (b *builder) pop() *Node {
	q := heap.Pop(&b.queue).(queued)
	delete(b.inQueue, q.n)
	return q.n
}

type queued struct {
	n     *Node
	depth int
	key   []byte
	loc   string
	seq   int
}

type depsQueue []queued

func (q depsQueue) Len() int { return len(q) }
func (q depsQueue) Less(i, j int) bool {
	a, c := &q[i], &q[j]
	if a.depth != c.depth {
		return a.depth < c.depth
	}
	if r := bytes.Compare(a.key, c.key); r != 0 {
		return r < 0
	}
	if a.loc != c.loc {
		return a.loc < c.loc
	}
	return a.seq < c.seq
}
func (q depsQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *depsQueue) Push(x any)   { *q = append(*q, x.(queued)) }
func (q *depsQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// collKey is the ICU "en" sort key of s, cached.
func (b *builder) collKey(s string) []byte {
	if k, ok := b.keys[s]; ok {
		return k
	}
	k := append([]byte(nil), b.coll.KeyFromString(&b.collBuf, s)...)
	b.collBuf.Reset()
	b.keys[s] = k
	return k
}

// localeCompare is lockfile.LocaleCompare with cached keys.
func (b *builder) localeCompare(x, y string) int {
	if r := bytes.Compare(b.collKey(x), b.collKey(y)); r != 0 {
		return r
	}
	return strings.Compare(x, y)
}

type task struct {
	edge *Edge
	dep  *Node
}

func (b *builder) buildDeps() error {
	for {
		for len(b.queue) > 0 {
			if err := b.ctx.Err(); err != nil {
				return err
			}
			node := b.pop()
			if b.depsSeen[node] || node.root() != b.root || node.removed {
				continue
			}
			b.depsSeen[node] = true
			if err := b.buildDepStep(node); err != nil {
				return err
			}
		}
		if !b.resolveLinks() {
			return nil
		}
	}
}

func (b *builder) buildDepStep(node *Node) error {
	if node != b.root && !node.fromLock && !node.inert && node.pkg != nil && len(node.pkg.bundle) > 0 && node.resolved() != "" && len(node.children) == 0 {
		if err := b.crackOpen(node); err != nil {
			return err
		}
	}
	var tasks []task
	peerSource := b.peerSource[weak.Make(node)]
	if peerSource == nil {
		peerSource = node
	}
	problems := b.problemEdges(node)
	b.prefetchEdges(problems)
	for _, edge := range problems {
		if edge.peerConflicted || edge.from == nil {
			continue
		}
		source := node
		if edge.peer() {
			source = peerSource
		}
		vr := b.virtualRoot(source, true)
		var vrDep *Node
		if ve := vr.edge(edge.name); ve != nil && ve.valid() {
			vrDep = ve.to
		}
		required := newNodeSet(edge.from)
		var parent *Node
		if edge.peer() {
			parent = vr
		}
		var dep *Node
		if vrDep != nil && vrDep.satisfies(edge) {
			dep = vrDep
		}
		if dep == nil && edge.typ == typePeerOptional {
			from := edge.from.resolveParent()
			if from == nil {
				from = edge.from
			}
			dep = findHoistableNode(from, edge)
		}
		if dep == nil {
			var err error
			if dep, err = b.nodeFromEdge(edge, parent, nil, required); err != nil {
				return err
			}
		}
		tasks = append(tasks, task{edge, dep})
	}
	sort.SliceStable(tasks, func(i, j int) bool { return b.localeCompare(tasks[i].edge.name, tasks[j].edge.name) < 0 })
	for _, t := range tasks {
		if t.edge.from == nil {
			continue
		}
		pd, err := b.placeDep(t.dep, t.edge, nil, false)
		if err != nil {
			return err
		}
		b.visitPlaced(pd)
	}
	for _, e := range node.edgesOut {
		if e.to != nil && e.to.isLink && e.to.target != nil {
			b.linkNodes = append(b.linkNodes, e.to)
		}
	}
	return nil
}

func (b *builder) visitPlaced(pd *placeDep) {
	placed := pd.placed
	if placed != nil {
		if placed.loadErr != nil {
			b.loadFailures = append(b.loadFailures, placed)
		}
		cps := pd.canPlace.canPlaceSelf
		switch cps {
		case ok:
			for _, e := range sortedEdgesIn(placed) {
				if e == pd.edge || e.peerConflicted || e.valid() {
					continue
				}
				if b.depsSeen[e.from] {
					delete(b.depsSeen, e.from)
				}
				b.push(e.from)
			}
		case replaceIt:
			for _, e := range sortedEdgesIn(placed) {
				if e == pd.edge || e.peerConflicted || e.valid() {
					continue
				}
				delete(b.depsSeen, e.from)
				b.push(e.from)
			}
		}
		if cps != conflict {
			b.prefetchEdges(b.problemEdges(placed))
			b.push(placed)
			for _, n := range pd.needEval {
				delete(b.depsSeen, n)
				b.push(n)
			}
		}
	}
	for _, c := range pd.children {
		b.visitPlaced(c)
	}
}

func findHoistableNode(root *Node, edge *Edge) *Node {
	queue := sortedBySeqChildren(root)
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if n.name == edge.name && !n.inDepBundle() && n.satisfies(edge) {
			return n
		}
		queue = append(queue, sortedBySeqChildren(n)...)
	}
	return nil
}

func sortedBySeqChildren(n *Node) []*Node {
	out := make([]*Node, 0, len(n.children))
	for _, c := range n.children {
		out = append(out, c)
	}
	sortBySeq(out)
	return out
}

// problemEdges is #problemEdges: missing or invalid edges.
func (b *builder) problemEdges(node *Node) []*Edge {
	bundled := map[string]bool{}
	if !node.isProjectRoot && !node.isWorkspace && node.pkg != nil {
		for _, n := range node.pkg.bundle {
			bundled[n] = true
		}
	}
	var out []*Edge
	for _, e := range node.edgesOut {
		if bundled[e.name] {
			continue
		}
		if e.to != nil && e.to.loadErr != nil && containsNode(b.loadFailures, e.to) {
			continue
		}
		if e.to == nil {
			if e.typ != typePeerOptional {
				out = append(out, e)
			}
			continue
		}
		if !e.valid() {
			out = append(out, e)
			continue
		}
	}
	return out
}

// prefetchEdges tells Prefetch which registry packages edges will need.
func (b *builder) prefetchEdges(edges []*Edge) {
	if b.opts.Prefetch == nil || len(edges) == 0 {
		return
	}
	var names []string
	for _, e := range edges {
		if e.from == nil {
			continue
		}
		ps := b.parseSpec(e.spec(), e.from)
		switch ps.kind {
		case specRange, specVersion, specTag:
			if _, ok := b.packuments[e.name]; !ok {
				names = append(names, e.name)
			}
		case specAlias:
			if _, ok := b.packuments[ps.subName]; !ok {
				names = append(names, ps.subName)
			}
		}
	}
	if len(names) > 0 {
		b.opts.Prefetch(names)
	}
}

// virtualRoot is #virtualRoot: a detached root copying node's deps.
func (b *builder) virtualRoot(node *Node, reuse bool) *Node {
	if reuse {
		if vr := b.virtualRoots[node]; vr != nil {
			return vr
		}
	}
	b.seq++
	vr := &Node{b: b, pkg: node.pkg, children: map[string]*Node{}, outIdx: map[string]*Edge{},
		edgesIn: map[*Edge]int{}, sourceRef: node, seq: b.seq}
	vr.name = node.name
	vr.ov = node.ov
	b.loadEdges(vr, node.isTop())
	b.virtualRoots[node] = vr
	return vr
}

func (b *builder) nodeFromEdge(edge *Edge, parent *Node, second *Edge, required *nodeSet) (*Node, error) {
	if parent == nil {
		parent = b.virtualRoot(edge.from, false)
	}
	first, err := b.nodeFromSpec(edge.name, edge.spec(), edge.from, parent, edge)
	if err != nil {
		return nil, err
	}
	var secondNode *Node
	if second != nil && second.from != nil && !second.valid() {
		if secondNode, err = b.nodeFromSpec(edge.name, second.spec(), second.from, parent, second); err != nil {
			return nil, err
		}
	}
	node := first
	if secondNode != nil && edge.valid() {
		node = secondNode
	}
	b.setParent(node, parent)
	if required.has(edge.from) && edge.typ != typePeerOptional ||
		second != nil && required.has(second.from) && second.typ != typePeerOptional {
		required.add(node)
	}
	b.peerSource[weak.Make(node)] = parent.sourceRef
	return b.loadPeerSet(node, required)
}

func (b *builder) loadPeerSet(node *Node, required *nodeSet) (*Node, error) {
	var peerEdges []*Edge
	for _, e := range node.edgesOut {
		if e.peer() && !(e.valid() && e.to != nil) {
			peerEdges = append(peerEdges, e)
		}
	}
	sort.SliceStable(peerEdges, func(i, j int) bool { return b.localeCompare(peerEdges[i].name, peerEdges[j].name) < 0 })
	b.prefetchEdges(peerEdges)
	for _, edge := range peerEdges {
		if node.parent == nil {
			break
		}
		if edge.from == nil || edge.valid() && edge.to != nil {
			continue
		}
		parentEdge := node.parent.edge(edge.name)
		src := node.parent.sourceRef
		isMine := src != nil && (src.isProjectRoot || src.isWorkspace)
		conflictOK := b.opts.Force || !isMine && !b.opts.StrictPeerDeps
		if edge.to == nil {
			if parentEdge == nil {
				if _, err := b.nodeFromEdge(edge, node.parent, nil, required); err != nil {
					return nil, err
				}
				continue
			}
			dep, err := b.nodeFromEdge(parentEdge, node.parent, edge, required)
			if err != nil {
				return nil, err
			}
			if edge.valid() {
				continue
			}
			if conflictOK || !required.has(dep) {
				edge.peerConflicted = true
				continue
			}
			if node.parent == nil {
				break
			}
			return nil, b.eresolve(b.explainLoadConflict(edge, parentEdge))
		}
		current := edge.to
		dep, err := b.nodeFromEdge(edge, nil, nil, required)
		if err != nil {
			return nil, err
		}
		if dep.canReplace(current, nil) {
			if _, err := b.nodeFromEdge(edge, node.parent, nil, required); err != nil {
				return nil, err
			}
			continue
		}
		if conflictOK || !required.has(edge.from) {
			continue
		}
		return nil, b.eresolve(b.explainLoadConflict(edge, parentEdge))
	}
	return node, nil
}

// nodeFromSpec makes the node for name@spec as required by from, placed
// under parent (a virtual root). Failures make a node carrying the error.
func (b *builder) nodeFromSpec(name, spec string, from, parent *Node, edge *Edge) (*Node, error) {
	ps := b.parseSpec(spec, from)
	switch ps.kind {
	case specDirectory:
		l, err := b.linkForDir(name, ps.fetchSpec)
		if err != nil {
			return b.failureNode(name, parent, err), nil
		}
		b.setParent(l, parent)
		b.linkNodes = append(b.linkNodes, l)
		return l, nil
	case specRange, specVersion, specTag, specAlias:
	case specGit:
		return b.failureNode(name, parent, fmt.Errorf("%w: %q is a git dependency (%q), which lockstep resolve does not support yet; write the lockfile with npm, then `lockstep ci` installs it", ErrResolve, name, spec)), nil
	case specRemote, specFile:
		n, err := b.nodeFromTarball(name, ps)
		if err != nil {
			return b.failureNode(name, parent, fmt.Errorf("%w: failed to read the tarball of %q (%q, required by %s): %v", ErrResolve, name, spec, from.describe(), err)), nil
		}
		b.setParent(n, parent)
		return n, nil
	default:
		return b.failureNode(name, parent, fmt.Errorf("%w: invalid spec %q for %q required by %s", ErrResolve, spec, name, from.describe())), nil
	}
	// A workspace satisfying a registry spec takes priority.
	if ps.kind != specAlias {
		if re := b.root.edge(name); re != nil && re.typ == typeWorkspace && re.to != nil && re.to.satisfies(edge) {
			return re.to, nil
		}
	}
	pkgName, rng := name, ps.fetchSpec
	if ps.kind == specAlias {
		pkgName = ps.subName
		if rng == "*" && ps.subKind == specRange {
			rng = "*"
		}
	}
	p, err := b.manifest(pkgName, rng)
	if err != nil {
		return b.failureNode(name, parent, fmt.Errorf("%w: %v (required by %s)", ErrResolve, err, from.describe())), nil
	}
	n := b.newNode(name, p)
	b.loadEdges(n, false)
	b.setParent(n, parent)
	return n, nil
}

func (b *builder) failureNode(name string, parent *Node, err error) *Node {
	n := b.newNode(name, &pkg{name: name})
	n.loadErr = err
	b.setParent(n, parent)
	return n
}

func (n *Node) describe() string {
	if n.sourceRef != nil {
		return n.sourceRef.describe()
	}
	if n.isProjectRoot {
		return "the root project"
	}
	if n.isWorkspace {
		return fmt.Sprintf("workspace %q", n.realpath)
	}
	return fmt.Sprintf("%s@%s", n.packageName(), n.version())
}

// manifest picks name@rng from its packument (cached per spec).
func (b *builder) manifest(name, rng string) (*pkg, error) {
	key := name + "@" + rng
	if p, ok := b.manifests[key]; ok {
		return p, nil
	}
	if err, ok := b.pickErrs[key]; ok {
		return nil, err
	}
	doc, err := b.packument(name)
	if err != nil {
		b.pickErrs[key] = err
		return nil, err
	}
	pick := func() (*packument.Version, error) {
		return packument.Pick(doc, rng, packument.PickOptions{DefaultTag: b.opts.DefaultTag, Before: b.opts.Before,
			NodeVersion: b.nodeVersion(), NPMVersion: b.opts.NPMVersion})
	}
	v, err := pick()
	if errors.Is(err, packument.ErrNoMatch) && b.opts.Refetch != nil && !b.refetched[name] {
		// The document may be stale (see Options.Refetch): fetch it
		// again, once; specs that failed against the old one are asked
		// again too.
		b.refetched[name] = true
		if fresh, ferr := b.opts.Refetch(b.ctx, name); ferr == nil && fresh != nil {
			b.packuments[name] = fresh
			for k := range b.pickErrs {
				if strings.HasPrefix(k, name+"@") {
					delete(b.pickErrs, k)
				}
			}
			doc = fresh
			v, err = pick()
		}
	}
	if err != nil {
		b.pickErrs[key] = err
		return nil, err
	}
	p := pkgFromVersion(doc.Name, v)
	b.manifests[key] = p
	return p, nil
}

func (b *builder) packument(name string) (*packument.Packument, error) {
	if p, ok := b.packuments[name]; ok {
		return p, nil
	}
	if err, ok := b.packErrs[name]; ok {
		return nil, err
	}
	p, err := b.opts.Fetch(b.ctx, name)
	if err != nil {
		b.packErrs[name] = err
		return nil, err
	}
	b.packuments[name] = p
	return p, nil
}

// resolveLinks is #resolveLinks: queue the targets of placed links.
func (b *builder) resolveLinks() bool {
	links := b.linkNodes
	b.linkNodes = nil
	queued := false
	for _, l := range links {
		if l.root() != b.root || l.removed || l.target == nil {
			continue
		}
		t := l.target
		if (t.parent != nil || t.fsParent != nil) && !b.depsSeen[t] {
			// The link's override set goes to the target before its
			// subtree resolves, so root overrides reach across it.
			if l.ov != nil {
				b.overridesEdgeInAdded(t, l.ov)
			}
			b.push(t)
			queued = true
		}
	}
	return queued || len(b.queue) > 0
}

// fixDepFlags is calc-dep-flags on a fresh tree.
func (b *builder) fixDepFlags() {
	root := b.root
	root.dev, root.optional, root.devOptional, root.peer, root.extraneous = false, false, false, false, false
	seen := newNodeSet()
	queue := []*Node{root}
	for len(queue) > 0 {
		node := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		seen.add(node)
		if !node.extraneous {
			for n := node.resolveParent(); n != nil && n.extraneous; n = n.resolveParent() {
				n.extraneous = false
			}
		}
		if node.isLink {
			t := node.target
			if t == nil {
				continue
			}
			changed := false
			if t.dev && !node.dev {
				t.dev, changed = false, true
			}
			if t.optional && !node.optional {
				t.optional, changed = false, true
			}
			if t.devOptional && !node.devOptional {
				t.devOptional, changed = false, true
			}
			if t.peer && !node.peer {
				t.peer, changed = false, true
			}
			if t.extraneous && !node.extraneous {
				t.extraneous, changed = false, true
			}
			if changed || !seen.has(t) {
				queue = append(queue, t)
			}
			continue
		}
		for _, e := range node.edgesOut {
			to := e.to
			if to == nil {
				continue
			}
			changed := false
			peer, optional, dev := e.peer(), e.optional(), e.dev()
			if to.extraneous && !node.extraneous && !(peer && optional) {
				to.extraneous, changed = false, true
			}
			if to.dev && !node.dev && !dev {
				to.dev, changed = false, true
			}
			if to.optional && !node.optional && !optional {
				to.optional, changed = false, true
			}
			if to.devOptional && !node.devOptional && !node.dev && !node.optional && !dev && !optional {
				to.devOptional, changed = false, true
			}
			if to.peer && !node.peer && !peer {
				to.peer, changed = false, true
			}
			if changed {
				queue = append(queue, to)
			}
		}
	}
	for _, n := range seen.items() {
		if n == root {
			continue
		}
		if n.devOptional && (n.dev || n.optional) {
			n.devOptional = false
		}
	}
}

// optionalSet is arborist's optional-set: the nodes that go when node
// cannot be installed.
func optionalSet(node *Node) *nodeSet {
	set := newNodeSet(node)
	for i := 0; i < len(set.list); i++ {
		n := set.list[i]
		for _, e := range sortedEdgesIn(n) {
			if !e.optional() {
				set.add(e.from)
			}
		}
	}
	return gatherDepSet(set.items(), func(e *Edge) bool { return !set.has(e.to) && !e.from.inert })
}

func (b *builder) pruneFailedOptional() error {
	for _, n := range b.loadFailures {
		if n.root() != b.root || n.removed {
			continue
		}
		if !n.optional {
			return n.loadErr
		}
		for _, x := range optionalSet(n).items() {
			x.inert = true
		}
	}
	return nil
}

func (b *builder) checkPlatform() error {
	for _, n := range b.inventory() {
		if n.isProjectRoot || n.isLink || n.pkg == nil {
			continue
		}
		if !n.optional {
			if !b.opts.Force {
				if err := b.opts.Platform.Check(n.pkg.os, n.pkg.cpu, n.pkg.libc); err != nil {
					return fmt.Errorf("%w: %s@%s cannot be installed on %s: %v (EBADPLATFORM; make it optional or pass --force)", ErrResolve, n.packageName(), n.version(), b.opts.Platform, err)
				}
			}
			continue
		}
		if n.inert {
			continue
		}
		bad := b.opts.Platform.Check(n.pkg.os, n.pkg.cpu, n.pkg.libc) != nil
		if nv := b.nodeVersion(); !bad && (n.pkg.engineNode != "" && nv != "" && !semver.Satisfies(nv, n.pkg.engineNode, semver.Options{IncludePrerelease: true}) ||
			n.pkg.engineNPM != "" && b.opts.NPMVersion != "" && !semver.Satisfies(b.opts.NPMVersion, n.pkg.engineNPM, semver.Options{IncludePrerelease: true})) {
			bad = true
		}
		if bad {
			for _, x := range optionalSet(n).items() {
				x.inert = true
			}
		}
	}
	return nil
}

// assertRootOverrides is Node.assertRootOverrides: an override may not
// change a direct dependency's spec (EOVERRIDE), except by "$name".
func (b *builder) assertRootOverrides() error {
	if b.overrides == nil {
		return nil
	}
	for _, e := range b.root.edgesOut {
		if s := e.spec(); s != e.rawSpec && !strings.HasPrefix(s, "$") {
			return fmt.Errorf("%w (EOVERRIDE): the override for %s@%q conflicts with the direct dependency %q in package.json; make them equal, or write the override as \"$%s\"", ErrResolve, e.name, s, e.rawSpec, e.name)
		}
	}
	return nil
}
