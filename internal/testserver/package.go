package testserver

import (
	"strings"
	"time"
)

// Package is one version of a fake package. Zero fields are omitted from
// package.json and from the packument.
type Package struct {
	Name, Version string
	// Files maps package-relative paths to contents. "package.json" is
	// generated from the fields below unless given here, in which case it is
	// written verbatim into the tarball (for malformed-input tests) while the
	// packument is still built from the fields.
	Files map[string]string
	// Modes gives per-file tar modes (default 0644), keyed like Files.
	Modes map[string]int64

	Dependencies, DevDependencies, OptionalDependencies, PeerDependencies map[string]string
	PeerDependenciesMeta                                                  map[string]map[string]bool
	BundleDependencies                                                    []string

	Bin     map[string]string
	Scripts map[string]string
	OS      []string
	CPU     []string
	Libc    []string
	Engines map[string]string
	License string
	// Deprecated is a registry-side field: it appears in the packument only,
	// never in package.json (npm deprecate does not republish).
	Deprecated string
	// Extra holds any other manifest field, copied into package.json and the
	// packument version (it may override generated fields).
	Extra map[string]any

	// Dist is merged over the generated dist object of the packument
	// version; a nil value removes the key (e.g. {"integrity": nil} for a
	// sha1-only old package). Integrity() and Shasum() are unaffected.
	Dist map[string]any
	// Published is the version's time in the packument; zero means
	// 2020-01-01T00:00:00Z plus one hour per rank in semver order.
	Published time.Time

	// RawTarball, when non-nil, is served instead of a built tarball (for
	// traversal and corrupt-archive cases; see MustTarball).
	RawTarball []byte
	// TarRoot is the first path component of every built entry, default
	// "package" (some real tarballs use the package name).
	TarRoot string
}

// id returns "name@version".
func (p *Package) id() string { return p.Name + "@" + p.Version }

// basename is the unscoped part of the name, used in tarball file names.
func basename(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// manifest returns the package.json fields of p (shared by package.json and
// the packument version).
func (p *Package) manifest() map[string]any {
	m := map[string]any{"name": p.Name, "version": p.Version}
	putMap := func(k string, v map[string]string) {
		if len(v) > 0 {
			m[k] = v
		}
	}
	putList := func(k string, v []string) {
		if len(v) > 0 {
			m[k] = v
		}
	}
	putMap("dependencies", p.Dependencies)
	putMap("devDependencies", p.DevDependencies)
	putMap("optionalDependencies", p.OptionalDependencies)
	putMap("peerDependencies", p.PeerDependencies)
	if len(p.PeerDependenciesMeta) > 0 {
		m["peerDependenciesMeta"] = p.PeerDependenciesMeta
	}
	putList("bundleDependencies", p.BundleDependencies)
	putMap("bin", p.Bin)
	putMap("scripts", p.Scripts)
	putList("os", p.OS)
	putList("cpu", p.CPU)
	putList("libc", p.Libc)
	putMap("engines", p.Engines)
	if p.License != "" {
		m["license"] = p.License
	}
	for k, v := range p.Extra {
		m[k] = v
	}
	return m
}

// hasInstallScript reports what the registry computes for the abbreviated
// document: a preinstall, install or postinstall script, or a binding.gyp.
func (p *Package) hasInstallScript() bool {
	for _, s := range []string{"preinstall", "install", "postinstall"} {
		if p.Scripts[s] != "" {
			return true
		}
	}
	_, gyp := p.Files["binding.gyp"]
	return gyp
}
