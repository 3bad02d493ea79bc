package arborist

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"path"
	"sort"
	"strings"

	"github.com/bytedance/sonic"

	"github.com/lockstep-dev/lockstep/install/lockfile"
)

func sha1Integrity(hexsum string) string {
	raw, err := hex.DecodeString(strings.TrimSpace(hexsum))
	if err != nil {
		return ""
	}
	return "sha1-" + base64.StdEncoding.EncodeToString(raw)
}

// LockOptions shape the lockfile written from a tree.
type LockOptions struct {
	// LockfileVersion is 3 (default) or 2 (with the legacy "dependencies"
	// tree).
	LockfileVersion int
	// OmitRegistryResolved leaves "resolved" out of registry packages
	// (npm's omit-lockfile-registry-resolved).
	OmitRegistryResolved bool
	// ResolvedURL rewrites a registry tarball URL before it is recorded
	// (replace-registry-host); nil keeps it.
	ResolvedURL func(string) string
}

// Lockfile is the package-lock.json npm writes for the tree
// (Shrinkwrap.commit with metaFromNode for every node).
func (t *Tree) Lockfile(o LockOptions) *lockfile.Lockfile {
	b := t.b
	if o.LockfileVersion == 0 {
		o.LockfileVersion = 3
	}
	lf := &lockfile.Lockfile{LockfileVersion: o.LockfileVersion, Requires: true, Packages: map[string]*lockfile.Package{}}
	lf.Indent, lf.Newline = lockfile.DetectFormat(b.rootPkg.data)
	for _, n := range b.inventory() {
		loc := n.location()
		if n == b.root {
			loc = ""
		}
		// Stale folders (a workspace or file: dependency no longer wanted)
		// and optional packages that failed to load are not recorded.
		if n.extraneous && n.parent == nil && n != b.root && (n.fsParent == nil || n.fsParent == b.root) {
			continue
		}
		if n.inert && n.version() == "" {
			continue
		}
		lf.Packages[loc] = b.metaFromNode(n, o)
	}
	root := lf.Packages[""]
	lf.Name = root.Name
	lf.Version = root.Version
	if o.LockfileVersion == 2 {
		if deps := b.legacyDependencies(o); len(deps) > 0 {
			lf.Dependencies = deps
		}
	}
	return lf
}

func (b *builder) metaFromNode(n *Node, o LockOptions) *lockfile.Package {
	if n.isLink {
		rel := n.realpath
		return &lockfile.Package{Resolved: rel, Link: true}
	}
	if n.pkg.lock != nil {
		p := n.pkg.lock.Clone()
		p.Dev, p.Optional, p.DevOptional, p.Peer, p.Extraneous = false, false, false, false, false
		if p.Resolved != "" && n.isRegistryDependency() && o.OmitRegistryResolved {
			p.Resolved = ""
		}
		b.setFlags(n, p)
		return p
	}
	p := &lockfile.Package{}
	if n.pkg.folder != nil {
		folderMeta(p, n.pkg.folder)
	} else if n.pkg.manifest != nil {
		manifestMeta(p, n.pkg)
	} else {
		p.Version = n.pkg.version
	}
	pname := n.packageName()
	folderName := n.name
	if n.realpath != "" && n.parent == nil {
		folderName = path.Base(n.realpath)
	}
	if pname != "" && (n == b.root || pname != folderName) {
		p.Name = pname
	}
	if n.isTop() && n.pkg.folder != nil && n.pkg.folder.pj.DevDependencies != nil {
		p.DevDependencies = n.pkg.folder.pj.DevDependencies
	}
	if n.pkg.hasInstallScript {
		p.HasInstallScript = true
	}
	if n.inBundle() {
		p.InBundle = true
	}
	if n.pkg.resolved != "" && !(o.OmitRegistryResolved && n.isRegistryDependency()) {
		r := n.pkg.resolved
		if o.ResolvedURL != nil {
			r = o.ResolvedURL(r)
		}
		p.Resolved = r
	}
	if n.pkg.integrity != "" {
		p.Integrity = n.pkg.integrity
	}
	b.setFlags(n, p)
	return p
}

func (b *builder) setFlags(n *Node, p *lockfile.Package) {
	if n.extraneous {
		p.Extraneous = true
	} else {
		p.Peer = n.peer
		p.Dev = n.dev
		p.Optional = n.optional
		p.DevOptional = n.devOptional && !n.dev && !n.optional
	}
	if n == b.root {
		p.Peer, p.Dev, p.Optional, p.DevOptional, p.Extraneous = false, false, false, false, false
	}
}

// manifestMeta fills the pkgMetaKeys of a registry manifest.
func manifestMeta(p *lockfile.Package, pk *pkg) {
	m := pk.manifest
	p.Version = pk.version
	p.Dependencies = nonEmpty(depMap(pk.prod))
	p.PeerDependencies = nonEmpty(m.PeerDependencies)
	if len(m.PeerDependenciesMeta) > 0 {
		p.PeerDependenciesMeta = map[string]lockfile.PeerMeta{}
		for k, v := range m.PeerDependenciesMeta {
			p.PeerDependenciesMeta[k] = lockfile.PeerMeta{Optional: v.Optional}
		}
	}
	p.OptionalDependencies = nonEmpty(m.OptionalDependencies)
	if len(m.BundleDependencies) > 0 {
		p.BundleDependencies = m.BundleDependencies
	}
	p.AcceptDependencies = nonEmpty(m.AcceptDependencies)
	if m.Funding != "" {
		p.Funding = normalizeFunding(m.Funding)
	}
	p.Engines = nonEmpty(m.Engines)
	p.OS, p.CPU, p.Libc = nonEmptySlice(m.OS), nonEmptySlice(m.CPU), nonEmptySlice(m.Libc)
	// A plain string ("libc": "glibc") is copied as it is, not as an array.
	for i, k := range []string{"os", "cpu", "libc"} {
		if m.PlatformStrings&(1<<i) == 0 {
			continue
		}
		l := []*[]string{&p.OS, &p.CPU, &p.Libc}[i]
		if len(*l) == 1 {
			setExtra(p, k, (*l)[0])
			*l = nil
		}
	}
	p.License = m.License
	p.HasShrinkwrap = m.HasShrinkwrap
	p.Bin = nonEmpty(m.Bin)
	p.Deprecated = pk.deprecated
	if m.Workspaces != "" {
		var v any
		if sonic.ConfigStd.UnmarshalFromString(m.Workspaces, &v) == nil {
			p.Workspaces = v
		}
	}
	for k, raw := range map[string]string{"license": m.LicenseRaw, "peerDependenciesMeta": m.PeerMetaRaw} {
		if raw == "" {
			continue
		}
		var v any
		if sonic.ConfigStd.UnmarshalFromString(raw, &v) == nil {
			setExtra(p, k, v)
			if k == "peerDependenciesMeta" {
				p.PeerDependenciesMeta = nil
			}
		}
	}
	if m.EnginesRaw != "" {
		var v any
		if sonic.ConfigStd.UnmarshalFromString(m.EnginesRaw, &v) == nil {
			setExtra(p, "engines", v)
		}
	}
}

func depMap(ds []dep) map[string]string {
	if len(ds) == 0 {
		return nil
	}
	m := make(map[string]string, len(ds))
	for _, d := range ds {
		m[d.name] = d.spec
	}
	return m
}

func nonEmpty[V any](m map[string]V) map[string]V {
	if len(m) == 0 {
		return nil
	}
	return m
}

func nonEmptySlice(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// normalizeFunding is @npmcli/package-json's funding step: a string
// becomes {url}; anything else (object, array) is kept; falsy or empty
// values are dropped.
func normalizeFunding(raw string) any {
	var v any
	if err := sonic.ConfigStd.UnmarshalFromString(raw, &v); err != nil {
		return nil
	}
	switch x := v.(type) {
	case string:
		if x == "" {
			return nil
		}
		return map[string]any{"url": x}
	case map[string]any:
		if len(x) == 0 {
			return nil
		}
	case []any:
		if len(x) == 0 {
			return nil
		}
	case nil, bool, float64:
		if x == nil || x == false || x == float64(0) {
			return nil
		}
	}
	return v
}

// folderMeta fills the pkgMetaKeys from a folder's package.json (the
// root, workspaces, linked folders), normalized like npm.
func folderMeta(p *lockfile.Package, rp *rootPackage) {
	raw := rp.raw
	truthy := func(k string) (any, bool) {
		v, ok := raw[k]
		if !ok || v == nil {
			return nil, false
		}
		switch x := v.(type) {
		case string:
			return x, x != ""
		case bool:
			return x, x
		case float64:
			return x, x != 0
		case map[string]any:
			return x, len(x) > 0
		case []any:
			return x, true
		}
		return v, true
	}
	if v, ok := truthy("version"); ok {
		if s, ok := v.(string); ok {
			p.Version = s
		}
	}
	pj := rp.pj
	deps := map[string]string{}
	for k, v := range pj.Dependencies {
		if _, opt := pj.OptionalDependencies[k]; !opt {
			deps[k] = v
		}
	}
	p.Dependencies = nonEmpty(deps)
	p.PeerDependencies = nonEmpty(pj.PeerDependencies)
	if len(pj.PeerDependenciesMeta) > 0 {
		p.PeerDependenciesMeta = map[string]lockfile.PeerMeta{}
		for k, v := range pj.PeerDependenciesMeta {
			p.PeerDependenciesMeta[k] = lockfile.PeerMeta{Optional: v.Optional}
		}
	}
	p.OptionalDependencies = nonEmpty(pj.OptionalDependencies)
	if v, ok := truthy("funding"); ok {
		if s, isStr := v.(string); isStr {
			p.Funding = map[string]any{"url": s}
		} else {
			p.Funding = v
		}
	}
	if v, ok := truthy("engines"); ok {
		if m, isMap := v.(map[string]any); isMap {
			em := map[string]string{}
			all := true
			for k, x := range m {
				s, isStr := x.(string)
				if !isStr {
					all = false
					break
				}
				em[k] = s
			}
			if all {
				p.Engines = em
			} else {
				setExtra(p, "engines", v)
			}
		} else {
			setExtra(p, "engines", v)
		}
	}
	for _, k := range []string{"os", "cpu", "libc"} {
		if v, ok := truthy(k); ok {
			if s, isStr := v.(string); isStr {
				setExtra(p, k, s)
			} else if a, isArr := v.([]any); isArr && len(a) > 0 {
				s := anyStrings(a)
				switch k {
				case "os":
					p.OS = s
				case "cpu":
					p.CPU = s
				case "libc":
					p.Libc = s
				}
			}
		}
	}
	if v, ok := truthy("license"); ok {
		switch x := v.(type) {
		case string:
			p.License = x
		case map[string]any:
			if t, ok := x["type"].(string); ok && t != "" {
				p.License = t
			} else {
				setExtra(p, "license", v)
			}
		default:
			setExtra(p, "license", v)
		}
	}
	if v, ok := truthy("bin"); ok {
		p.Bin = normalizeBin(pj.Name, v)
	}
	if v, ok := truthy("deprecated"); ok {
		if s, ok := v.(string); ok {
			p.Deprecated = s
		}
	}
	if v, ok := truthy("workspaces"); ok {
		p.Workspaces = v
	}
	bd, ok := truthy("bundleDependencies")
	if _, present := rp.raw["bundleDependencies"]; !present {
		bd, ok = truthy("bundledDependencies")
	}
	if ok {
		switch x := bd.(type) {
		case []any:
			if len(x) > 0 {
				p.BundleDependencies = anyStrings(x)
			}
		case bool:
			// true bundles every dependency, named in package.json's order
			// (Object.keys of the dependencies object).
			if names := depKeysInOrder(rp.data); len(names) > 0 {
				p.BundleDependencies = names
			}
		}
	}
	if v, ok := truthy("acceptDependencies"); ok {
		if m, isMap := v.(map[string]any); isMap {
			am := map[string]string{}
			for k, x := range m {
				if s, ok := x.(string); ok {
					am[k] = s
				}
			}
			p.AcceptDependencies = nonEmpty(am)
		}
	}
}

func setExtra(p *lockfile.Package, k string, v any) {
	if p.Extra == nil {
		p.Extra = map[string]any{}
	}
	p.Extra[k] = v
}

// normalizeBin is npm-normalize-package-bin for a folder package.
func normalizeBin(name string, v any) map[string]string {
	out := map[string]string{}
	clean := func(s string) string {
		s = path.Clean("/" + strings.ReplaceAll(s, "\\", "/"))
		return strings.TrimPrefix(s, "/")
	}
	switch x := v.(type) {
	case string:
		base := name
		if i := strings.LastIndexByte(base, '/'); i >= 0 {
			base = base[i+1:]
		}
		if base != "" && clean(x) != "" {
			out[base] = clean(x)
		}
	case map[string]any:
		for k, pv := range x {
			s, ok := pv.(string)
			if !ok {
				continue
			}
			kb := path.Base(clean(k))
			if kb == "." || kb == "" || clean(s) == "" {
				continue
			}
			out[kb] = clean(s)
		}
	}
	return nonEmpty(out)
}

// legacyDependencies is Shrinkwrap's #buildLegacyLockfile: the v1-style
// "dependencies" tree a version 2 lockfile also carries.
func (b *builder) legacyDependencies(o LockOptions) map[string]any {
	deps, _ := b.legacyNode(b.root, nil, o)["dependencies"].(map[string]any)
	return deps
}

func (b *builder) legacyNode(n *Node, path []string, o LockOptions) map[string]any {
	lock := map[string]any{}
	if n != b.root {
		var edges []*Edge
		for e := range n.edgesIn {
			if e.valid() {
				edges = append(edges, e)
			}
		}
		sort.Slice(edges, func(i, j int) bool {
			ai := strings.Split(edges[i].from.location(), "node_modules")
			aj := strings.Split(edges[j].from.location(), "node_modules")
			if len(ai) != len(aj) {
				return len(ai) < len(aj)
			}
			return b.localeCompare(ai[len(ai)-1], aj[len(aj)-1]) < 0
		})
		kind := specRange
		if len(edges) > 0 {
			kind = b.parseSpec(edges[0].spec(), edges[0].from).kind
		}
		switch {
		case n.isLink:
			lock["version"] = "file:" + n.realpath
		case n.packageName() != "" && n.packageName() != n.name:
			lock["version"] = "npm:" + n.packageName() + "@" + n.version()
		case n.version() != "":
			lock["version"] = n.version()
		}
		res := n.resolved()
		if res != "" && !n.isLink && kind != specDirectory && kind != specGit && kind != specFile && kind != specRemote &&
			(strings.HasPrefix(res, "http://") || strings.HasPrefix(res, "https://")) && !o.OmitRegistryResolved {
			lock["resolved"] = res
		}
		if n.integrity() != "" {
			lock["integrity"] = n.integrity()
		}
		if n.extraneous {
			lock["extraneous"] = true
		} else if !n.isLink {
			if n.peer {
				lock["peer"] = true
			}
			if n.devOptional && !n.dev && !n.optional {
				lock["devOptional"] = true
			}
			if n.dev {
				lock["dev"] = true
			}
			if n.optional {
				lock["optional"] = true
			}
		}
	}
	target := n
	if n.isLink && n.target != nil {
		target = n.target
	}
	if n != b.root && len(target.edgesOut) > 0 {
		req := map[string]any{}
		for _, e := range target.edgesOut {
			if e.peer() {
				continue
			}
			spec := e.spec()
			if rest, ok := strings.CutPrefix(spec, "file:"); ok {
				abs := filepathJoin(target.dir(), rest)
				spec = "file:" + relPath(target.dir(), abs)
			}
			req[e.name] = spec
		}
		lock["requires"] = req
	}
	if len(target.children) > 0 {
		kidPath := append(append([]string(nil), path...), target.dir())
		deps := map[string]any{}
		for name, kid := range target.children {
			if containsString(kidPath, kid.dir()) && kid.isLink {
				continue
			}
			deps[name] = b.legacyNode(kid, kidPath, o)
		}
		if len(deps) > 0 {
			lock["dependencies"] = deps
		}
	}
	return lock
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func filepathJoin(dir, rel string) string {
	if strings.HasPrefix(rel, "/") {
		return path.Clean(rel)
	}
	return path.Clean(path.Join(dir, rel))
}

// relPath is path.Rel for project-relative slash paths.
func relPath(from, to string) string {
	f := strings.Split(path.Clean(from), "/")
	t := strings.Split(path.Clean(to), "/")
	if f[0] == "." {
		f = f[1:]
	}
	if t[0] == "." {
		t = t[1:]
	}
	i := 0
	for i < len(f) && i < len(t) && f[i] == t[i] {
		i++
	}
	var parts []string
	for range f[i:] {
		parts = append(parts, "..")
	}
	parts = append(parts, t[i:]...)
	return strings.Join(parts, "/")
}

// depKeysInOrder lists the keys of a package.json's "dependencies" object
// in document order (nil when it cannot be read).
func depKeysInOrder(data []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(data))
	v, err := decodeOrdered(dec)
	if err != nil || v.vals == nil {
		return nil
	}
	return v.vals["dependencies"].keys
}
