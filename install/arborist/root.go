package arborist

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bytedance/sonic"

	"github.com/lockstep-dev/lockstep/install/lockfile"
	"github.com/lockstep-dev/lockstep/install/packument"
	"github.com/lockstep-dev/lockstep/install/pkgjson"
)

// rootPackage is a package.json read from disk (the root, a workspace or
// a linked folder): the parsed struct and the raw document.
type rootPackage struct {
	file string
	data []byte
	pj   *pkgjson.PackageJSON
	raw  map[string]any
}

func readPackage(dir string) (*rootPackage, error) {
	file := filepath.Join(dir, "package.json")
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("failed to read %q: %w", file, err)
	}
	pj, err := pkgjson.Parse(data, file)
	if err != nil {
		return nil, err
	}
	var raw map[string]any
	if err := sonic.ConfigStd.Unmarshal(data, &raw); err != nil || raw == nil {
		return nil, fmt.Errorf("failed to parse %q: not a JSON object", file)
	}
	return &rootPackage{file: file, data: data, pj: pj, raw: raw}, nil
}

func sortedDeps(m map[string]string, skip map[string]string) []dep {
	out := make([]dep, 0, len(m))
	for k, v := range m {
		if _, ok := skip[k]; ok {
			continue
		}
		out = append(out, dep{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return lockfile.LocaleCompare(out[i].name, out[j].name) < 0 })
	return out
}

// pkgFromPackageJSON makes the pkg of a folder package.
func pkgFromPackageJSON(rp *rootPackage) *pkg {
	pj := rp.pj
	p := &pkg{name: pj.Name, version: pj.Version}
	p.prod = sortedDeps(pj.Dependencies, pj.OptionalDependencies)
	p.optional = sortedDeps(pj.OptionalDependencies, nil)
	p.dev = sortedDeps(pj.DevDependencies, nil)
	p.setPeers(pj.PeerDependencies, func(n string) bool { return pj.PeerDependenciesMeta[n].Optional })
	if s := pj.Scripts; s != nil && (s["install"] != "" || s["preinstall"] != "" || s["postinstall"] != "") {
		p.hasInstallScript = true
	}
	if os, ok := rp.raw["os"].([]any); ok {
		p.os = anyStrings(os)
	}
	if cpu, ok := rp.raw["cpu"].([]any); ok {
		p.cpu = anyStrings(cpu)
	}
	if v, ok := rp.raw["engines"].(map[string]any); ok {
		p.engineNode, _ = v["node"].(string)
		p.engineNPM, _ = v["npm"].(string)
	}
	p.bundle = bundleNames(rp)
	return p
}

// setPeers splits peer dependencies into peer and peerOptional edges
// sources (peerDependenciesMeta[name].optional), in name order.
func (p *pkg) setPeers(peers map[string]string, optional func(name string) bool) {
	for _, d := range sortedDeps(peers, nil) {
		if optional(d.name) {
			p.peerOptional = append(p.peerOptional, d)
		} else {
			p.peer = append(p.peer, d)
		}
	}
}

func anyStrings(v []any) []string {
	var out []string
	for _, x := range v {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// pkgFromVersion makes the pkg of a registry version (normalized like
// @npmcli/package-json: optional dependencies removed from dependencies).
func pkgFromVersion(name string, v *packument.Version) *pkg {
	m := v.Manifest()
	p := &pkg{name: name, version: v.Version, deprecated: v.Deprecated,
		engineNode: v.EngineNode, engineNPM: v.EngineNPM}
	if m.Name != "" {
		p.name = m.Name
	}
	p.prod = sortedDeps(m.Dependencies, m.OptionalDependencies)
	p.optional = sortedDeps(m.OptionalDependencies, nil)
	p.setPeers(m.PeerDependencies, func(n string) bool { return m.PeerDependenciesMeta[n].Optional })
	p.accept = m.AcceptDependencies
	p.bundle = m.BundleDependencies
	p.resolved = m.Dist.Tarball
	p.integrity = m.Dist.Integrity
	if p.integrity == "" && m.Dist.Shasum != "" {
		p.integrity = sha1Integrity(m.Dist.Shasum)
	}
	p.os, p.cpu, p.libc = m.OS, m.CPU, m.Libc
	p.hasInstallScript = m.HasInstallScript
	p.version = v.Version
	p.manifest = m
	return p
}

// initRoot reads the project and makes the root node with its workspaces.
func (b *builder) initRoot() error {
	rp, err := readPackage(b.opts.Dir)
	if err != nil {
		return err
	}
	b.rootPkg = rp
	p := pkgFromPackageJSON(rp)
	p.folder = rp
	if b.overrides, err = parseOverrides(rp.pj.Overrides); err != nil {
		return fmt.Errorf("failed to read the overrides of %q: %w", rp.file, err)
	}
	root := b.newNode(filepath.Base(b.opts.Dir), p)
	root.ov = b.overrides
	root.isProjectRoot = true
	root.realpath = "."
	b.root = root
	ws, err := b.workspaces(rp)
	if err != nil {
		return err
	}
	for _, w := range ws {
		b.addEdge(root, dep{w.name, "file:" + w.dir}, typeWorkspace)
	}
	b.loadEdges(root, true)
	return nil
}

type workspace struct{ name, dir string }

// workspaces expands the root's workspaces globs (folders with a
// package.json, named as npm names them; two with one name are an error),
// sorted by name.
func (b *builder) workspaces(rp *rootPackage) ([]workspace, error) {
	ws, err := rp.pj.Workspaces.Map(b.opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("failed to read the workspaces of %q: %w", rp.file, err)
	}
	out := make([]workspace, 0, len(ws))
	for _, w := range ws {
		out = append(out, workspace{w.Name, w.Dir})
	}
	sort.Slice(out, func(i, j int) bool { return lockfile.LocaleCompare(out[i].name, out[j].name) < 0 })
	return out, nil
}

// linkForDir makes a link to the folder dir (project-relative), with its
// target node attached to the project's folder tree.
func (b *builder) linkForDir(name, dir string) (*Node, error) {
	t := b.linkTargets[dir]
	if t == nil {
		rp, err := readPackage(filepath.Join(b.opts.Dir, filepath.FromSlash(dir)))
		if err != nil {
			return nil, err
		}
		p := pkgFromPackageJSON(rp)
		p.folder = rp
		t = b.newNode(path.Base(dir), p)
		t.realpath = dir
		if b.linkTargets == nil {
			b.linkTargets = map[string]*Node{}
		}
		b.linkTargets[dir] = t
		if re := b.root.edge(p.name); re != nil && re.typ == typeWorkspace {
			t.isWorkspace = true
		}
		b.loadEdges(t, true)
		if !strings.HasPrefix(dir, "../") && dir != ".." {
			b.setFsParent(t, b.root)
		}
	}
	return b.newLinkTo(name, t), nil
}

func (b *builder) newLinkTo(name string, target *Node) *Node {
	l := b.newNode(name, target.pkg)
	l.isLink = true
	l.target = target
	l.realpath = target.realpath
	return l
}
