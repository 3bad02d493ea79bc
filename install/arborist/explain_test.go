package arborist

import (
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/install/semver"
)

func TestConflictRender(t *testing.T) {
	root := &nodeExpl{root: true}
	edge := func(typ edgeType, name, spec string, from *nodeExpl) *edgeExpl {
		return &edgeExpl{typ: typ, name: name, spec: spec, rawSpec: spec, from: from}
	}
	node := func(name, version, loc string, deps ...*edgeExpl) *nodeExpl {
		return &nodeExpl{name: name, version: version, location: loc, dependents: deps,
			whileInstalling: &[2]string{"app", "1.0.0"}}
	}
	reactDOM := node("react-dom", "18.3.1", "node_modules/react-dom", edge(typeProd, "react-dom", "^18.2.0", root))
	serve := node("@r/serve", "7.1.0", "node_modules/@r/serve", edge(typeProd, "@r/serve", "^7.0.0", root))
	dev := node("@r/dev", "7.1.0", "node_modules/@r/dev", edge(typeDev, "@r/dev", "^7.0.0", root))
	nodePkg := node("@r/node", "7.1.0", "node_modules/@r/node", edge(typeProd, "@r/node", "^7.0.0", root))
	overridden := edge(typeProd, "react", "17.0.2", root)
	overridden.rawSpec, overridden.overridden = "^17.0.0", true
	bundled := edge(typeOptional, "fsevents", "^2", node("chokidar", "3.6.0", "node_modules/chokidar"))
	bundled.bundled = true
	noVersion := &nodeExpl{name: "lib", location: "node_modules/lib", dependents: []*edgeExpl{edge(typePeer, "lib", "*", serve)}}
	noVersion.whileInstalling = &[2]string{"app", ""}

	tests := []struct {
		name  string
		x     *conflictExpl
		depth int
		want  string
	}{
		{
			name: "peer of a direct dependency",
			x: &conflictExpl{
				current: node("react", "17.0.2", "node_modules/react", edge(typeProd, "react", "^17.0.2", root)),
				edge:    edge(typePeer, "react", "^18.3.1", reactDOM),
			},
			depth: eresolveDepth,
			want: `while resolving: app@1.0.0
found: react@17.0.2 (node_modules/react)
  react@"^17.0.2" from the root project
could not resolve dependency: peer react@"^18.3.1" from react-dom@18.3.1 (node_modules/react-dom)
  react-dom@"^18.2.0" from the root project`,
		},
		{
			name: "conflicting peer, dependents cut at depth",
			x: &conflictExpl{
				current: node("r", "7.2.0", "node_modules/r",
					edge(typeProd, "r", "^7.0.0", root),
					edge(typePeer, "r", "^7.1.0", dev),
					edge(typePeer, "r", "^7.1.0", nodePkg)),
				edge:    edge(typeProd, "@r/serve", "^7.0.0", root),
				hasPeer: true,
				peer:    node("r", "7.1.0", "node_modules/r", edge(typePeer, "r", "7.1.0", serve)),
			},
			depth: eresolveDepth,
			want: `while resolving: app@1.0.0
found: r@7.2.0 (node_modules/r)
  r@"^7.0.0" from the root project
  peer r@"^7.1.0" from @r/dev@7.1.0 (node_modules/@r/dev)
    dev @r/dev@"^7.0.0" from the root project
  1 more (@r/node)
could not resolve dependency: @r/serve@"^7.0.0" from the root project
conflicting peer dependency: r@7.1.0 (node_modules/r)
  peer r@"7.1.0" from @r/serve@7.1.0 (node_modules/@r/serve)
    @r/serve@"^7.0.0" from the root project`,
		},
		{
			name: "warning depth shows one dependent a level",
			x: &conflictExpl{
				current: node("r", "7.2.0", "node_modules/r",
					edge(typePeer, "r", "^7.1.0", dev),
					edge(typeProd, "r", "^7.0.0", root)),
				edge: edge(typePeer, "r", "7.1.0", serve),
			},
			depth: warnDepth,
			want: `while resolving: app@1.0.0
found: r@7.2.0 (node_modules/r)
  peer r@"^7.1.0" from @r/dev@7.1.0 (node_modules/@r/dev)
    dev @r/dev@"^7.0.0" from the root project
  1 more (the root project)
could not resolve dependency: peer r@"7.1.0" from @r/serve@7.1.0 (node_modules/@r/serve)
  @r/serve@"^7.0.0" from the root project`,
		},
		{
			name: "overridden and bundled edges, found from the current edge",
			x: &conflictExpl{
				currentEdge: overridden,
				edge:        bundled,
			},
			depth: eresolveDepth,
			want: `while resolving: app@1.0.0
found: overridden react@"17.0.2" (was "^17.0.0") from the root project
could not resolve dependency: optional bundled fsevents@"^2" from chokidar@3.6.0 (node_modules/chokidar)`,
		},
		{
			name: "project without a version, conflicting peer unknown",
			x: &conflictExpl{
				dep:     noVersion,
				edge:    edge(typePeerOptional, "lib", "^2", serve),
				hasPeer: true,
			},
			depth: eresolveDepth,
			want: `while resolving: app
found: peerOptional lib@"^2" from @r/serve@7.1.0 (node_modules/@r/serve)
  @r/serve@"^7.0.0" from the root project
could not resolve dependency: peerOptional lib@"^2" from @r/serve@7.1.0 (node_modules/@r/serve)
  @r/serve@"^7.0.0" from the root project
conflicting peer dependency: (unknown)`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.x.render(tc.depth); got != tc.want {
				t.Errorf("render:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestDependentsOverflowNames(t *testing.T) {
	root := &nodeExpl{root: true}
	n := &nodeExpl{name: "x", version: "1.0.0"}
	for _, name := range []string{"a", "b", "long-package-name-number-one", "long-package-name-number-two", "c", "d"} {
		from := &nodeExpl{name: name, version: "1.0.0"}
		n.dependents = append(n.dependents, &edgeExpl{typ: typeProd, name: "x", spec: "1", rawSpec: "1", from: from})
	}
	n.dependents = append(n.dependents, &edgeExpl{typ: typeProd, name: "x", spec: "1", rawSpec: "1", from: root})
	got := explainNodeText(n, eresolveDepth)
	want := "x@1.0.0\n" +
		"  x@\"1\" from a@1.0.0\n" +
		"  x@\"1\" from b@1.0.0\n" +
		"  5 more (long-package-name-number-one, ...)"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestFixHint(t *testing.T) {
	for _, strict := range []bool{false, true} {
		h := (&conflictExpl{strictPeerDeps: strict}).fixHint()
		if got := strings.Contains(h, "--no-strict-peer-deps"); got != strict {
			t.Errorf("strict=%v: hint %q", strict, h)
		}
		if !strings.Contains(h, "--force or --legacy-peer-deps") {
			t.Errorf("hint %q lacks the flags", h)
		}
	}
}

// testBuilder is a builder with the state tree mutation and edge checks use.
func testBuilder() *builder {
	return &builder{byName: map[string][]*Node{}, edgesByName: map[string][]*Edge{},
		specCache: map[string]parsedSpec{}, fileSpecCache: map[string]parsedSpec{}, satCache: map[satKey]bool{}, verCache: map[string]*semver.Version{},
		virtualRoots: map[*Node]*Node{}}
}

// TestExplainNode checks the snapshot of a tree: dependents in the order
// their edges were added, invalid edges dropped unless from the root, and
// nodes of a virtual tree reporting the project they were resolved for.
func TestExplainNode(t *testing.T) {
	b := testBuilder()
	root := b.newNode("app", &pkg{name: "app", version: "1.0.0",
		prod: []dep{{"c", "^1.0.0"}, {"a", "^1.0.0"}, {"z", "^2.0.0"}}})
	root.isProjectRoot = true
	b.loadEdges(root, true)
	add := func(parent *Node, p *pkg) *Node {
		n := b.newNode(p.name, p)
		b.loadEdges(n, false)
		b.setParent(n, parent)
		return n
	}
	// Placing c reloads the root's edge before a's (arborist reloads the
	// parent's edge, then its children's).
	add(root, &pkg{name: "a", version: "1.0.0", peer: []dep{{"c", "1"}}})
	add(root, &pkg{name: "d", version: "1.0.0", peer: []dep{{"c", "^2.0.0"}}})
	c := add(root, &pkg{name: "c", version: "1.0.0"})
	add(root, &pkg{name: "z", version: "1.0.0"})

	var got []string
	for _, d := range b.explainNode(c, nil, nil).dependents {
		got = append(got, explainEdgeText(d, 1, map[string]bool{}))
	}
	want := []string{`c@"^1.0.0" from the root project`, `peer c@"1" from a@1.0.0 (node_modules/a)`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("dependents of c:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// An invalid edge from the root is kept.
	zx := b.explainNode(root.children["z"], nil, nil)
	if len(zx.dependents) != 1 || !zx.dependents[0].from.root {
		t.Errorf("z: want the root's invalid edge, got %+v", zx.dependents)
	}

	vr := b.virtualRoot(root, false)
	v := add(vr, &pkg{name: "c", version: "2.0.0"})
	vx := b.explainNode(v, nil, nil)
	if vx.whileInstalling == nil || *vx.whileInstalling != [2]string{"app", "1.0.0"} {
		t.Errorf("whileInstalling = %v, want app@1.0.0", vx.whileInstalling)
	}
	if text := explainNodeText(vx, eresolveDepth); text != "c@2.0.0 (node_modules/c)\n  c@\"^1.0.0\" from the root project" {
		t.Errorf("virtual node: %q", text)
	}
	// Explanations are kept: a later change does not show.
	if again := b.explainNode(c, nil, nil); again != b.nodeExpls[c] {
		t.Error("explanation of c was not memoized")
	}
}

// TestEdgesInOrder: dependents are listed in the order their edges were
// added (a JavaScript Set), not by the order of the nodes they come from.
func TestEdgesInOrder(t *testing.T) {
	b := testBuilder()
	n := b.newNode("x", &pkg{name: "x", version: "1.0.0"})
	early := b.newNode("early", &pkg{name: "early", version: "1.0.0"})
	late := b.newNode("late", &pkg{name: "late", version: "1.0.0"})
	e1 := &Edge{from: late, name: "x", rawSpec: "*"}
	e2 := &Edge{from: early, name: "x", rawSpec: "*"}
	b.addEdgeIn(n, e1)
	b.addEdgeIn(n, e2)
	b.addEdgeIn(n, e1) // already there: keeps its place
	got := edgesInOrder(n)
	if len(got) != 2 || got[0] != e1 || got[1] != e2 {
		t.Errorf("edgesInOrder = %v, want [late early]", got)
	}
	b.deleteEdgeIn(n, e1)
	b.addEdgeIn(n, e1) // removed and added again: goes last
	if got := edgesInOrder(n); got[0] != e2 || got[1] != e1 {
		t.Errorf("after re-adding: %v, want [early late]", got)
	}
}
