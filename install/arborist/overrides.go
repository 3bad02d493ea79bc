package arborist

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/lockstep-dev/lockstep/install/semver"
)

// overrideSet is arborist's OverrideSet: one node of the tree of rules
// parsed from the root package.json's "overrides".
type overrideSet struct {
	parent   *overrideSet
	children []*overrideSet // in the document's key order
	key      string
	name     string
	keySpec  string
	value    string

	rules     []*overrideSet // ruleset's answer, once asked
	rulesDone bool
}

// orderedValue is a JSON value whose objects keep their key order.
type orderedValue struct {
	str  *string
	keys []string
	vals map[string]orderedValue
}

func decodeOrdered(dec *json.Decoder) (orderedValue, error) {
	tok, err := dec.Token()
	if err != nil {
		return orderedValue{}, err
	}
	switch t := tok.(type) {
	case string:
		return orderedValue{str: &t}, nil
	case json.Delim:
		if t == '{' {
			v := orderedValue{vals: map[string]orderedValue{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return v, err
				}
				k, _ := kt.(string)
				child, err := decodeOrdered(dec)
				if err != nil {
					return v, err
				}
				if _, dup := v.vals[k]; !dup {
					v.keys = append(v.keys, k)
				}
				v.vals[k] = child
			}
			_, err := dec.Token()
			return v, err
		}
		// Arrays are not valid overrides; skip them.
		depth := 1
		for depth > 0 {
			tok, err := dec.Token()
			if err != nil {
				return orderedValue{}, err
			}
			if d, ok := tok.(json.Delim); ok {
				if d == '[' || d == '{' {
					depth++
				} else {
					depth--
				}
			}
		}
		return orderedValue{}, nil
	default:
		return orderedValue{}, nil
	}
}

// parseOverrides builds the root OverrideSet from package.json's raw
// "overrides" (nil when absent or empty).
func parseOverrides(raw json.RawMessage) (*overrideSet, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	v, err := decodeOrdered(dec)
	if err != nil {
		return nil, err
	}
	if v.vals == nil || len(v.keys) == 0 {
		return nil, nil
	}
	return newOverrideSet(v, "", nil)
}

func newOverrideSet(v orderedValue, key string, parent *overrideSet) (*overrideSet, error) {
	if v.str != nil {
		s := *v.str
		v = orderedValue{keys: []string{"."}, vals: map[string]orderedValue{".": {str: &s}}}
	}
	if dot, ok := v.vals["."]; ok && dot.str != nil && *dot.str == "" {
		star := "*"
		v.vals["."] = orderedValue{str: &star}
	}
	o := &overrideSet{parent: parent}
	if parent != nil {
		name, spec := splitNameSpec(key)
		if strings.HasPrefix(key, "@") && !strings.Contains(key[1:], "@") {
			name, spec = key, ""
		}
		if name == "" {
			return nil, fmt.Errorf("override without name: %q", key)
		}
		if spec == "" {
			spec = "*"
		}
		o.key, o.name, o.keySpec = key, name, spec
		o.value = o.keySpec
		if dot, ok := v.vals["."]; ok && dot.str != nil && *dot.str != "" {
			o.value = *dot.str
		}
	}
	for _, k := range v.keys {
		if k == "." {
			continue
		}
		child, err := newOverrideSet(v.vals[k], k, o)
		if err != nil {
			return nil, err
		}
		o.children = append(o.children, child)
	}
	return o, nil
}

func (o *overrideSet) isRoot() bool { return o.parent == nil }

func (o *overrideSet) child(key string) *overrideSet {
	for _, c := range o.children {
		if c.key == key {
			return c
		}
	}
	return nil
}

func (o *overrideSet) childrenAreEqual(x *overrideSet) bool {
	if len(o.children) != len(x.children) {
		return false
	}
	for _, c := range o.children {
		xc := x.child(c.key)
		if xc == nil || xc.value != c.value || !c.childrenAreEqual(xc) {
			return false
		}
	}
	return true
}

func (o *overrideSet) isEqual(x *overrideSet) bool {
	if o == x {
		return true
	}
	if o == nil || x == nil {
		return false
	}
	if o.key != x.key || o.value != x.value || !o.childrenAreEqual(x) {
		return false
	}
	if o.parent == nil {
		return x.parent == nil
	}
	return o.parent.isEqual(x.parent)
}

// ruleset lists the rules in force at o, nearest first, by key.
func (o *overrideSet) ruleset() []*overrideSet {
	if o.rulesDone {
		return o.rules
	}
	var out []*overrideSet
	seen := map[string]bool{}
	for a := o; a != nil; a = a.parent {
		for _, c := range a.children {
			if !seen[c.key] {
				seen[c.key] = true
				out = append(out, c)
			}
		}
		if !a.isRoot() && !seen[a.key] {
			seen[a.key] = true
			out = append(out, a)
		}
	}
	o.rules, o.rulesDone = out, true
	return out
}

// edgeRule is getEdgeRule: the rule an edge from a node with set o gets.
func (o *overrideSet) edgeRule(b *builder, e *Edge) *overrideSet {
	for _, r := range o.ruleset() {
		if r.name != e.name {
			continue
		}
		if r.keySpec == "*" {
			return r
		}
		spec := e.rawSpec
		ps := classify(spec, ".")
		kind, fetch := ps.kind, ps.fetchSpec
		if kind == specAlias {
			kind = ps.subKind
		}
		switch kind {
		case specGit:
			continue
		case specRange, specVersion:
			if fetch == "" {
				fetch = "*"
			}
			if semver.Intersects(fetch, r.keySpec, semver.Options{}) {
				return r
			}
			continue
		}
		return r
	}
	return o
}

// haveConflictingRules is OverrideSet.haveConflictingRules.
func haveConflictingRules(a, c *overrideSet) bool {
	second := map[string]*overrideSet{}
	for _, r := range c.ruleset() {
		second[r.key] = r
	}
	for _, fr := range a.ruleset() {
		sr := second[fr.key]
		if sr == nil || fr == sr || fr.isEqual(sr) {
			continue
		}
		if strings.HasPrefix(fr.value, "$") || strings.HasPrefix(sr.value, "$") {
			continue
		}
		f, s := classify(fr.value, "."), classify(sr.value, ".")
		if (f.kind == specRange || f.kind == specVersion) && (s.kind == specRange || s.kind == specVersion) {
			if !semver.Intersects(f.fetchSpec, s.fetchSpec, semver.Options{}) {
				return true
			}
		}
	}
	return false
}

// findSpecificOverrideSet returns the more specific of two sets, their
// common ancestor, or ok=false when their rules conflict.
func findSpecificOverrideSet(first, second *overrideSet) (*overrideSet, bool) {
	for s := second; s != nil; s = s.parent {
		if s.isEqual(first) {
			return second, true
		}
	}
	for s := first; s != nil; s = s.parent {
		if s.isEqual(second) {
			return first, true
		}
	}
	if haveConflictingRules(first, second) {
		return nil, false
	}
	for sa := second; sa != nil; sa = sa.parent {
		for fa := first; fa != nil; fa = fa.parent {
			if fa.isEqual(sa) {
				return fa, true
			}
		}
	}
	return nil, true
}

func overrideSetsConflict(a, c *overrideSet) bool {
	if _, ok := findSpecificOverrideSet(a, c); ok {
		return false
	}
	return haveConflictingRules(a, c)
}

// overrideSpec is Edge.spec for an overridden edge: the rule's value, with
// "$name" references resolved against the root package.json.
func (b *builder) overrideSpec(e *Edge) (string, bool) {
	r := e.ov
	if r == nil || r.value == "" || r.value == "*" || r.name != e.name {
		return "", false
	}
	if ref, ok := strings.CutPrefix(r.value, "$"); ok {
		// Edge.spec reads the reference from the package of the edge's
		// root: the project root for a node of the tree, but for a node
		// of a peer set's virtual tree the package the virtual root copies
		// (the dependent's). Only when that lacks it does it fall back to
		// the package the edge comes from.
		src := e.from.root()
		if e.from.sourceRef != nil {
			src = e.from.sourceRef.root()
		}
		if s, ok := refSpec(src, ref); ok {
			return s, true
		}
		if s, ok := refSpec(e.from, ref); ok {
			return s, true
		}
		b.refErr = fmt.Errorf("%w: unable to resolve the override reference %q: neither %s nor %s depends on %q", ErrResolve, r.value, src.describe(), e.from.describe(), ref)
		return e.rawSpec, true
	}
	return r.value, true
}

// refSpec is #calculateReferentialOverrideSpec: the first non-empty spec
// for name in n's devDependencies, optionalDependencies, dependencies and
// peerDependencies (a registry manifest's devDependencies are kept for
// this).
func refSpec(n *Node, name string) (string, bool) {
	if n == nil || n.pkg == nil {
		return "", false
	}
	var maps []map[string]string
	switch p := n.pkg; {
	case p.folder != nil:
		pj := p.folder.pj
		maps = []map[string]string{pj.DevDependencies, pj.OptionalDependencies, pj.Dependencies, pj.PeerDependencies}
	case p.manifest != nil:
		m := p.manifest
		maps = []map[string]string{m.DevDependencies, m.OptionalDependencies, m.Dependencies, m.PeerDependencies}
	case p.lock != nil:
		l := p.lock
		maps = []map[string]string{l.DevDependencies, l.OptionalDependencies, l.Dependencies, l.PeerDependencies}
	}
	for _, m := range maps {
		if s := m[name]; s != "" {
			return s, true
		}
	}
	return "", false
}

// addEdgeIn and deleteEdgeIn keep a node's override set in step with the
// edges pointing at it (Node.addEdgeIn / deleteEdgeIn).
func (b *builder) addEdgeIn(n *Node, e *Edge) {
	if _, ok := n.edgesIn[e]; !ok {
		b.edgeInSeq++
		n.edgesIn[e] = b.edgeInSeq
	}
	if b.overrides == nil {
		return
	}
	if n.ov == nil || !n.ov.isEqual(e.ov) {
		b.overridesEdgeInAdded(n, e.ov)
	}
}

func (b *builder) deleteEdgeIn(n *Node, e *Edge) {
	delete(n.edgesIn, e)
	if b.overrides != nil && e.ov != nil {
		b.overridesEdgeInRemoved(n, e.ov)
	}
}

func (b *builder) overridesEdgeInAdded(n *Node, other *overrideSet) {
	if other == nil {
		return
	}
	if n.ov == nil {
		n.ov = other
		b.recalcOutOverrides(n)
		return
	}
	if n.ov.isEqual(other) {
		return
	}
	if s, ok := findSpecificOverrideSet(n.ov, other); ok && s != nil && !n.ov.isEqual(s) {
		n.ov = s
		b.recalcOutOverrides(n)
	}
}

func (b *builder) overridesEdgeInRemoved(n *Node, other *overrideSet) {
	if n.ov == nil || !n.ov.isEqual(other) {
		return
	}
	var next *overrideSet
	for _, e := range sortedEdgesIn(n) {
		if next != nil && e.ov != nil {
			if s, ok := findSpecificOverrideSet(e.ov, next); ok {
				next = s
			} else {
				next = nil
			}
		} else {
			next = e.ov
		}
	}
	if n.ov.isEqual(next) {
		return
	}
	n.ov = next
	if n.ov != nil {
		b.recalcOutOverrides(n)
	}
}

func (b *builder) recalcOutOverrides(n *Node) {
	if b.recalcDepth > 64 {
		return
	}
	b.recalcDepth++
	defer func() { b.recalcDepth-- }()
	if n.isLink {
		// Link.recalculateOutEdgesOverrides: a link has no edges of its
		// own; its set goes on to the target, but only when a rule names
		// a dependency somewhere below it.
		if n.target != nil && n.ov != nil && overrideMatchesSubtree(b, n.ov, n.target) {
			b.overridesEdgeInAdded(n.target, n.ov)
		}
		return
	}
	for _, e := range append([]*Edge(nil), n.edgesOut...) {
		b.reload(e)
		if e.to != nil {
			b.overridesEdgeInAdded(e.to, e.ov)
		}
	}
}

// overridden is Node.overridden: an override rule for this name set the
// version of this node.
func (n *Node) overridden() bool {
	if n.ov == nil || n.ov.value == "" || n.ov.name != n.name {
		return false
	}
	for e := range n.edgesIn {
		if e.ov != nil && e.ov.name == n.name && e.ov.value == n.version() && e.from != nil && !e.ov.isEqual(e.from.ov) {
			return true
		}
	}
	return false
}

// overrideMatchesSubtree reports whether a rule of o applies to an edge
// reachable from target at any depth (link.js overrideMatchesSubtree).
func overrideMatchesSubtree(b *builder, o *overrideSet, target *Node) bool {
	seen := map[*Node]bool{}
	stack := []*Node{target}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.isLink {
			n = n.target
		}
		if n == nil || seen[n] {
			continue
		}
		seen[n] = true
		for _, e := range n.edgesOut {
			if o.edgeRule(b, e).name == e.name {
				return true
			}
			if e.to != nil {
				stack = append(stack, e.to)
			}
		}
	}
	return false
}
