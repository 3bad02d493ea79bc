package lockfile

import (
	"encoding/json"
	"regexp"
	"strings"
)

// HiddenOptions are the npm settings that change the hidden lockfile.
type HiddenOptions struct {
	// OmitLockfileRegistryResolved is npm's omit-lockfile-registry-resolved:
	// "resolved" is dropped from entries whose every incoming dependency
	// edge has a registry spec (a range, tag, version or npm: alias).
	OmitLockfileRegistryResolved bool
	// LegacyPeerDeps is npm's legacy-peer-deps: peerDependencies create no
	// edges (this only matters with OmitLockfileRegistryResolved).
	LegacyPeerDeps bool
	// Indent and Newline are the formatting of the project's package.json
	// (see DetectFormat): npm writes both package-lock.json and the hidden
	// lockfile in package.json's formatting, not the lockfile's. Empty
	// means npm's defaults ("  " and "\n").
	Indent, Newline string
}

// Hidden returns the lockfile `npm ci` writes to node_modules/.package-lock.json
// after installing from l, given which entries were installed: keep reports
// for a lock key whether that entry is on disk (nil keeps every entry).
// Entries left out by `--omit` or because they are inert (optional packages
// for another platform, and what only they need) are not kept.
//
// What npm changes, measured with npm 11.19.1 (arborist shrinkwrap.js
// commit() with hiddenLockfile, metaFromNode):
//   - lockfileVersion becomes 3 and requires true; a v2 lock's legacy
//     "dependencies" tree is dropped; name, version and unknown top-level
//     keys are kept; indent and newline are package.json's (opts), not
//     the lockfile's.
//   - The root entry "" is dropped.
//   - Each kept entry is rebuilt from npm's known fields only: unknown keys
//     go, empty objects/arrays and falsy values go, a license object becomes
//     its "type", a "name" equal to the folder name goes, devDependencies
//     stay only on entries outside node_modules (workspaces), a link keeps
//     only resolved and link, an extraneous entry keeps no other flag, and
//     devOptional goes when dev or optional is set.
//   - With OmitLockfileRegistryResolved, "resolved" goes from registry
//     dependencies (see HiddenOptions).
//
// npm rereads package.json for link targets outside node_modules
// (workspaces); Hidden uses their lock entries, which match when the lock is
// in sync.
func (l *Lockfile) Hidden(keep func(key string) bool, opts HiddenOptions) *Lockfile {
	h := &Lockfile{
		Name:            l.Name,
		Version:         l.Version,
		LockfileVersion: 3,
		Requires:        true,
		Packages:        make(map[string]*Package, len(l.Packages)),
		Indent:          opts.Indent,
		Newline:         opts.Newline,
	}
	for k, v := range l.Extra {
		switch k {
		case "lockfileVersion", "requires", "packages", "dependencies":
			continue
		}
		if h.Extra == nil {
			h.Extra = map[string]any{}
		}
		h.Extra[k] = v
	}
	kept := make(map[string]bool, len(l.Packages))
	for key := range l.Packages {
		if key != "" && (keep == nil || keep(key)) {
			kept[key] = true
		}
	}
	var registryDep map[string]bool
	if opts.OmitLockfileRegistryResolved {
		registryDep = l.registryDeps(kept, opts.LegacyPeerDeps)
	}
	for key := range kept {
		h.Packages[key] = hiddenEntry(key, l.Packages[key], registryDep[key])
	}
	return h
}

// registryDeps computes arborist's node.isRegistryDependency for the kept
// entries: the entry has incoming edges (from the root or a kept entry) and
// every one of them has a registry spec.
func (l *Lockfile) registryDeps(kept map[string]bool, legacyPeer bool) map[string]bool {
	allReg := map[string]bool{}
	addEdges := func(from string, deps map[string]string) {
		for name, spec := range deps {
			to, ok := l.Resolve(from, name)
			if !ok || !kept[to] {
				continue
			}
			reg := IsRegistrySpec(spec)
			if prev, seen := allReg[to]; seen {
				allReg[to] = prev && reg
			} else {
				allReg[to] = reg
			}
		}
	}
	for from, p := range l.Packages {
		if p == nil || p.Link || (from != "" && !kept[from]) {
			continue
		}
		addEdges(from, p.Dependencies)
		addEdges(from, p.OptionalDependencies)
		if !legacyPeer {
			addEdges(from, p.PeerDependencies)
		}
		if !InNodeModules(from) {
			addEdges(from, p.DevDependencies)
		}
	}
	return allReg
}

var (
	urlSpecRE  = regexp.MustCompile(`^(?i:git\+)?[a-zA-Z]+:`)
	fileSpecRE = regexp.MustCompile(`^(?:[.]|~/|[/\\]|[a-zA-Z]:)`)
	tarballRE  = regexp.MustCompile(`(?i)[.](?:tgz|tar\.gz|tar)$`)
)

// IsRegistrySpec reports whether npm-package-arg would treat a dependency
// spec as a registry spec (a version, range or tag, or an npm: alias) rather
// than a file, directory, git or remote-tarball spec.
func IsRegistrySpec(spec string) bool {
	s := strings.TrimSpace(spec)
	switch {
	case strings.HasPrefix(s, "npm:"):
		return true
	case urlSpecRE.MatchString(s), fileSpecRE.MatchString(s), tarballRE.MatchString(s):
		return false
	case strings.ContainsAny(s, "/\\"):
		// "user/repo" is hosted git; other slashed specs are paths.
		return false
	}
	return true
}

// pkgMetaKeys are the manifest fields npm copies into a lock entry
// (shrinkwrap.js), less the underscored ones that lock entries never hold.
var pkgMetaKeys = []string{
	"version", "dependencies", "peerDependencies", "peerDependenciesMeta",
	"optionalDependencies", "bundleDependencies", "acceptDependencies",
	"funding", "engines", "os", "cpu", "libc", "license", "hasInstallScript",
	"bin", "deprecated", "workspaces",
}

// jsTruthy is JavaScript truthiness for a decoded JSON value.
func jsTruthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case json.Number:
		f, err := x.Float64()
		return err != nil || f != 0
	case int:
		return x != 0
	case float64:
		return x != 0
	}
	return true
}

// metaField is shrinkwrap.js metaFieldFromPkg: falsy values and empty
// objects or arrays are dropped; a license object becomes its type.
func metaField(key string, v any) (any, bool) {
	if !jsTruthy(v) {
		return nil, false
	}
	if key == "license" {
		if m, ok := v.(map[string]any); ok && jsTruthy(m["type"]) {
			return m["type"], true
		}
	}
	switch x := v.(type) {
	case map[string]any:
		return x, len(x) > 0
	case map[string]string:
		return x, len(x) > 0
	case []any:
		return x, len(x) > 0
	case []string:
		return x, len(x) > 0
	}
	return v, true
}

// hiddenEntry is shrinkwrap.js metaFromNode for a node loaded from the lock
// entry p at key.
func hiddenEntry(key string, p *Package, registryDep bool) *Package {
	if p == nil {
		return &Package{}
	}
	if p.Link {
		out := &Package{Link: true, Resolved: p.Resolved}
		if p.Resolved == "" {
			if v, ok := p.Extra["resolved"]; ok && jsTruthy(v) {
				out.Extra = map[string]any{"resolved": v}
			}
		}
		return out
	}
	if len(p.Extra) == 0 {
		return hiddenEntryTyped(key, p, registryDep)
	}
	return hiddenEntryGeneric(key, p, registryDep)
}

// hiddenEntryTyped is hiddenEntry for a non-link entry without Extra keys:
// the same rules applied to the typed fields, without a map per entry.
// Values are shared with p, as the generic path shares them.
func hiddenEntryTyped(key string, p *Package, registryDep bool) *Package {
	nonEmpty := func(m map[string]string) map[string]string {
		if len(m) == 0 {
			return nil
		}
		return m
	}
	nonEmptySlice := func(s []string) []string {
		if len(s) == 0 {
			return nil
		}
		return s
	}
	out := &Package{
		Version:              p.Version,
		License:              p.License,
		Deprecated:           p.Deprecated,
		Integrity:            p.Integrity,
		InBundle:             p.InBundle,
		HasShrinkwrap:        p.HasShrinkwrap,
		HasInstallScript:     p.HasInstallScript,
		Dependencies:         nonEmpty(p.Dependencies),
		PeerDependencies:     nonEmpty(p.PeerDependencies),
		OptionalDependencies: nonEmpty(p.OptionalDependencies),
		AcceptDependencies:   nonEmpty(p.AcceptDependencies),
		Engines:              nonEmpty(p.Engines),
		Bin:                  nonEmpty(p.Bin),
		OS:                   nonEmptySlice(p.OS),
		CPU:                  nonEmptySlice(p.CPU),
		Libc:                 nonEmptySlice(p.Libc),
		BundleDependencies:   nonEmptySlice(p.BundleDependencies),
	}
	if len(p.PeerDependenciesMeta) > 0 {
		out.PeerDependenciesMeta = p.PeerDependenciesMeta
	}
	if v, ok := metaField("funding", p.Funding); ok {
		out.Funding = v
	}
	if v, ok := metaField("workspaces", p.Workspaces); ok {
		out.Workspaces = v
	}
	if p.Name != "" && p.Name != nameFromFolder(key) {
		out.Name = p.Name
	}
	if !InNodeModules(key) && p.DevDependencies != nil {
		out.DevDependencies = p.DevDependencies // an empty object is truthy
	}
	if !registryDep {
		out.Resolved = p.Resolved
	}
	if p.Extraneous {
		out.Extraneous = true
	} else {
		out.Peer, out.Dev, out.Optional = p.Peer, p.Dev, p.Optional
		out.DevOptional = p.DevOptional && !p.Dev && !p.Optional
	}
	return out
}

// hiddenEntryGeneric is hiddenEntry through the generic object, for
// entries with Extra keys (which may shadow typed fields' rules).
func hiddenEntryGeneric(key string, p *Package, registryDep bool) *Package {
	src := p.toMap()
	out := make(map[string]any, len(src))
	for _, k := range pkgMetaKeys {
		if v, ok := metaField(k, src[k]); ok {
			out[k] = v
		}
	}
	if name, ok := src["name"].(string); ok && name != "" && name != nameFromFolder(key) {
		out["name"] = name
	}
	if !InNodeModules(key) && jsTruthy(src["devDependencies"]) {
		out["devDependencies"] = src["devDependencies"]
	}
	for _, k := range []string{"integrity", "inBundle", "hasShrinkwrap", "hasInstallScript"} {
		if v := src[k]; jsTruthy(v) {
			out[k] = v
		}
	}
	if v := src["resolved"]; jsTruthy(v) && !registryDep {
		out["resolved"] = v
	}
	if jsTruthy(src["extraneous"]) {
		out["extraneous"] = true
	} else {
		dev, opt := jsTruthy(src["dev"]), jsTruthy(src["optional"])
		if jsTruthy(src["peer"]) {
			out["peer"] = true
		}
		if dev {
			out["dev"] = true
		}
		if opt {
			out["optional"] = true
		}
		if jsTruthy(src["devOptional"]) && !dev && !opt {
			out["devOptional"] = true
		}
	}
	return packageFromMap(out)
}
