package lockfile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lockstep-dev/lockstep/install/semver"
)

// v1Dep is one entry of a lockfileVersion 1 "dependencies" tree.
type v1Dep struct {
	Version      string            `json:"version"`
	Resolved     string            `json:"resolved"`
	Integrity    string            `json:"integrity"`
	Bundled      bool              `json:"bundled"`
	Dependencies map[string]v1Dep  `json:"dependencies"`
	Requires     map[string]string `json:"requires"`
}

// ReadV1 reads the project's version 1 lockfile (npm-shrinkwrap.json first,
// as Read looks) in the packages layout (see ParseV1). It returns the path
// read.
func ReadV1(dir string) (*Lockfile, string, error) {
	data, p, err := readIn(dir)
	if err != nil {
		return nil, p, err
	}
	l, err := ParseV1(data)
	if err != nil {
		return nil, p, fmt.Errorf("failed to read lockfile %q: %w", p, err)
	}
	return l, p, nil
}

// ParseV1 reads an npm 6 lockfile (lockfileVersion 1, a nested
// "dependencies" tree) into the packages layout, the way arborist's
// Shrinkwrap migrates one: each entry's location is its path of nested
// node_modules folders, with its version, resolved and integrity. The
// entries carry no other metadata: arborist.Build fetches every version's
// manifest for it, as arborist's #inflateAncientLockfile does, so the
// result has LockfileVersion 1 to say so. Only registry entries (a version, or an
// "npm:name@version" alias) are understood; anything else (git, file:,
// tarball URLs, bundled packages) is an error, and the caller resolves
// from package.json alone instead.
func ParseV1(data []byte) (*Lockfile, error) {
	var doc struct {
		Name            string           `json:"name"`
		Version         string           `json:"version"`
		LockfileVersion int              `json:"lockfileVersion"`
		Dependencies    map[string]v1Dep `json:"dependencies"`
	}
	if err := decoder.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("failed to parse the version 1 lockfile: %w", err)
	}
	if doc.LockfileVersion >= 2 {
		return nil, fmt.Errorf("failed to convert the lockfile: lockfileVersion %d is not 1", doc.LockfileVersion)
	}
	lf := &Lockfile{Name: doc.Name, Version: doc.Version, LockfileVersion: 1, Requires: true,
		Packages: map[string]*Package{"": {Name: doc.Name, Version: doc.Version}}}
	if err := addV1Deps(lf, "", doc.Dependencies); err != nil {
		return nil, err
	}
	return lf, nil
}

func addV1Deps(lf *Lockfile, parent string, deps map[string]v1Dep) error {
	names := make([]string, 0, len(deps))
	for n := range deps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		d := deps[name]
		loc := nm + name
		if parent != "" {
			loc = parent + "/" + loc
		}
		if d.Bundled {
			return fmt.Errorf("failed to convert the lockfile entry %q: bundled packages are not supported", loc)
		}
		p := &Package{Version: d.Version, Resolved: d.Resolved, Integrity: d.Integrity}
		if real, ok := strings.CutPrefix(d.Version, "npm:"); ok {
			at := strings.LastIndex(real, "@")
			if at <= 0 {
				return fmt.Errorf("failed to convert the lockfile entry %q: bad alias %q", loc, d.Version)
			}
			p.Name, p.Version = real[:at], real[at+1:]
		}
		if _, err := semver.Parse(p.Version, true); err != nil {
			return fmt.Errorf("failed to convert the lockfile entry %q: version %q is not a registry version", loc, d.Version)
		}
		lf.Packages[loc] = p
		if err := addV1Deps(lf, loc, d.Dependencies); err != nil {
			return err
		}
	}
	return nil
}
