package arborist

import (
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lockstep-dev/lockstep/install/lockfile"
	"github.com/lockstep-dev/lockstep/install/packument"
)

// loadVirtual is arborist's loadVirtual: the tree an existing lockfile
// describes, under the root read from package.json. Registry packages keep
// their lockfile metadata; folders (workspaces, file: links) are read from
// disk.
func (b *builder) loadVirtual(lf *lockfile.Lockfile) error {
	keys := make([]string, 0, len(lf.Packages))
	for k := range lf.Packages {
		if k != "" {
			keys = append(keys, k)
		}
	}
	// Parents before children: fewer path segments first.
	sort.Slice(keys, func(i, j int) bool {
		di, dj := strings.Count(keys[i], "/"), strings.Count(keys[j], "/")
		if di != dj {
			return di < dj
		}
		return keys[i] < keys[j]
	})
	byLoc := map[string]*Node{"": b.root}
	ancient := lf.LockfileVersion == 1
	if ancient && b.opts.Prefetch != nil {
		var names []string
		for _, k := range keys {
			if lockfile.InNodeModules(k) && !lf.Packages[k].Link {
				names = append(names, lockfile.PackageName(k))
			}
		}
		b.opts.Prefetch(names)
	}
	var folders []string
	for _, k := range keys {
		if !lockfile.InNodeModules(k) {
			folders = append(folders, k)
		}
	}
	// Folder entries first (workspaces, link targets), so links find them.
	for _, k := range folders {
		if strings.HasPrefix(k, "../") || b.linkTargets[k] != nil {
			continue
		}
		if _, err := b.linkForDir(path.Base(k), k); err != nil {
			continue
		}
		byLoc[k] = b.linkTargets[k]
	}
	for _, k := range keys {
		if !lockfile.InNodeModules(k) {
			continue
		}
		e := lf.Packages[k]
		parentLoc := lockfile.ParentPath(k)
		parent := byLoc[parentLoc]
		if parent == nil {
			continue // an orphan entry: npm drops it too
		}
		name := lockfile.PackageName(k)
		var n *Node
		if e.Link {
			target := filepath.ToSlash(path.Clean(e.Resolved))
			t := b.linkTargets[target]
			if t == nil {
				l, err := b.linkForDir(name, target)
				if err != nil {
					continue
				}
				n = l
			} else {
				n = b.newLinkTo(name, t)
			}
		} else {
			p := pkgFromLock(name, e)
			if ancient {
				p = b.inflate(k, e, p)
			}
			n = b.newNode(name, p)
			b.loadEdges(n, false)
		}
		n.fromLock = true
		b.setParent(n, parent)
		byLoc[k] = n
	}
	return nil
}

// pkgFromLock makes the pkg of a lockfile entry.
func pkgFromLock(name string, e *lockfile.Package) *pkg {
	p := &pkg{name: name, version: e.Version, resolved: e.Resolved, integrity: e.Integrity, lock: e,
		os: e.OS, cpu: e.CPU, libc: e.Libc, hasInstallScript: e.HasInstallScript, deprecated: e.Deprecated}
	if e.Name != "" {
		p.name = e.Name
	}
	p.prod = sortedDeps(e.Dependencies, e.OptionalDependencies)
	p.optional = sortedDeps(e.OptionalDependencies, nil)
	p.setPeers(e.PeerDependencies, func(n string) bool { return e.PeerDependenciesMeta[n].Optional })
	p.accept = e.AcceptDependencies
	p.bundle = e.BundleDependencies
	if e.Engines != nil {
		p.engineNode, p.engineNPM = e.Engines["node"], e.Engines["npm"]
	}
	return p
}

// inflate is #inflateAncientLockfile for one entry of a version 1
// lockfile, which records only versions: the package becomes the
// registry's manifest of that version, keeping the lockfile's resolved and
// integrity. When the manifest cannot be had, npm warns and keeps what the
// lockfile said (p). Like npm, it asks for the folder's name at the
// lockfile's version: an alias ("ms2": "npm:ms@2.0.0") asks for ms2@2.0.0,
// which fails (or finds an unrelated package), and keeps the entry as it
// was.
func (b *builder) inflate(key string, e *lockfile.Package, p *pkg) *pkg {
	name := lockfile.PackageName(key)
	doc, err := b.packument(name)
	var v *packument.Version
	if err == nil {
		if v = doc.Version(e.Version); v == nil {
			err = fmt.Errorf("no version %q", e.Version)
		}
	}
	if err != nil {
		if b.opts.Warn != nil {
			b.opts.Warn(fmt.Sprintf("old lockfile: could not fetch metadata for %s@%s: %v", name, e.Version, err))
		}
		return p
	}
	m := pkgFromVersion(doc.Name, v)
	if e.Resolved != "" {
		m.resolved = e.Resolved
	}
	if e.Integrity != "" {
		m.integrity = e.Integrity
	}
	return m
}
