package arborist

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/bytedance/sonic"

	"github.com/lockstep-dev/lockstep/install/pkgjson"
)

// tarballInfo downloads a tarball once per URL.
func (b *builder) tarballInfo(url string) (*TarballInfo, error) {
	if ti, ok := b.tarballs[url]; ok {
		return ti, nil
	}
	if err, ok := b.tarballErrs[url]; ok {
		return nil, err
	}
	if b.opts.Tarball == nil {
		return nil, errors.New("tarball dependencies are not enabled")
	}
	ti, err := b.opts.Tarball(b.ctx, url)
	if err != nil {
		b.tarballErrs[url] = err
		return nil, err
	}
	b.tarballs[url] = ti
	return ti, nil
}

// packageFromBytes parses a package.json read from a tarball leniently,
// as npm's normalization does: fields of an unexpected type are ignored
// for resolution (and copied verbatim into the lockfile).
func packageFromBytes(data []byte, where string) (*rootPackage, error) {
	var raw map[string]any
	if err := sonic.ConfigStd.Unmarshal(data, &raw); err != nil || raw == nil {
		return nil, fmt.Errorf("failed to parse %q: not a JSON object", where)
	}
	str := func(k string) string { s, _ := raw[k].(string); return s }
	strMap := func(k string) map[string]string {
		m, ok := raw[k].(map[string]any)
		if !ok {
			return nil
		}
		out := make(map[string]string, len(m))
		for key, v := range m {
			if s, ok := v.(string); ok {
				out[key] = s
			}
		}
		return out
	}
	pj := &pkgjson.PackageJSON{Name: str("name"), Version: str("version"),
		Dependencies: strMap("dependencies"), DevDependencies: strMap("devDependencies"),
		OptionalDependencies: strMap("optionalDependencies"), PeerDependencies: strMap("peerDependencies"),
		Scripts: strMap("scripts")}
	if pm, ok := raw["peerDependenciesMeta"].(map[string]any); ok {
		pj.PeerDependenciesMeta = map[string]pkgjson.PeerMeta{}
		for k, v := range pm {
			o, _ := v.(map[string]any)
			opt, _ := o["optional"].(bool)
			pj.PeerDependenciesMeta[k] = pkgjson.PeerMeta{Optional: opt}
		}
	}
	return &rootPackage{file: where, data: data, pj: pj, raw: raw}, nil
}

// nodeFromTarball makes the node of a remote (or file:) tarball
// dependency: its manifest is the tarball's package.json, resolved is the
// URL, integrity what the download hashed to.
func (b *builder) nodeFromTarball(name string, ps parsedSpec) (*Node, error) {
	url := ps.fetchSpec
	resolved := url
	if ps.kind == specFile {
		url = "file:" + ps.fetchSpec
		resolved = url
	}
	ti, err := b.tarballInfo(url)
	if err != nil {
		return nil, err
	}
	rp, err := packageFromBytes(ti.Manifest, url+"#package.json")
	if err != nil {
		return nil, err
	}
	p := pkgFromPackageJSON(rp)
	p.folder = rp
	p.dev = nil
	p.resolved, p.integrity = resolved, ti.Integrity
	p.bundle = bundleNames(rp)
	n := b.newNode(name, p)
	b.loadEdges(n, false)
	return n, nil
}

func bundleNames(rp *rootPackage) []string {
	v, ok := rp.raw["bundleDependencies"]
	if !ok {
		v = rp.raw["bundledDependencies"]
	}
	switch x := v.(type) {
	case []any:
		return anyStrings(x)
	case bool:
		if x {
			var names []string
			for k := range rp.pj.Dependencies {
				names = append(names, k)
			}
			sort.Strings(names)
			return names
		}
	}
	return nil
}

// crackOpen is buildDepStep's crackOpen for --package-lock-only: the
// packages bundled inside node's tarball become its children, marked
// inBundle, read from their package.json files.
func (b *builder) crackOpen(node *Node) error {
	url := node.resolved()
	if url == "" {
		return nil
	}
	ti, err := b.tarballInfo(url)
	if err != nil {
		return fmt.Errorf("failed to read the bundled dependencies of %s: %w", node.describe(), err)
	}
	dirs := make([]string, 0, len(ti.Bundled))
	for d := range ti.Bundled {
		dirs = append(dirs, d)
	}
	// Parents before children.
	sort.Slice(dirs, func(i, j int) bool {
		ci, cj := strings.Count(dirs[i], "/node_modules/"), strings.Count(dirs[j], "/node_modules/")
		if ci != cj {
			return ci < cj
		}
		return dirs[i] < dirs[j]
	})
	at := map[string]*Node{"": node}
	for _, d := range dirs {
		parentDir := ""
		if i := strings.LastIndex(d, "/node_modules/"); i >= 0 {
			parentDir = d[:i]
		}
		parent := at[parentDir]
		if parent == nil {
			continue
		}
		rp, err := packageFromBytes(ti.Bundled[d], url+"#"+d+"/package.json")
		if err != nil {
			continue
		}
		name := strings.TrimPrefix(d[len(parentDir):], "/")
		name = strings.TrimPrefix(name, "node_modules/")
		if rp.pj.Name == "" || rp.pj.Version == "" {
			continue
		}
		if parent.children[name] != nil {
			continue
		}
		p := pkgFromPackageJSON(rp)
		p.folder = rp
		p.dev = nil
		p.bundle = bundleNames(rp)
		n := b.newNode(name, p)
		b.loadEdges(n, false)
		b.setParent(n, parent)
		at[d] = n
	}
	return nil
}
