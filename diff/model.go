package diff

import (
	"fmt"
	"strings"
)

// DepType is how a project declares a direct dependency.
type DepType string

// Dependency types, in the order a name declared twice is attributed.
const (
	Prod     DepType = "prod"
	Optional DepType = "optional"
	Dev      DepType = "dev"
	Peer     DepType = "peer"
)

// rank orders dependency types: a name declared as both prod and dev is prod.
func (t DepType) rank() int {
	switch t {
	case Prod:
		return 0
	case Optional:
		return 1
	case Dev:
		return 2
	case Peer:
		return 3
	}
	return 4
}

// Package is one installed package as a lockfile records it.
type Package struct {
	// Name is the package's real name (for an npm alias "sw" →
	// string-width, it is "string-width").
	Name    string
	Version string
	// Path is where the lockfile keeps the entry: an npm location
	// ("node_modules/a/node_modules/b"), a pnpm or bun key, a yarn
	// descriptor. Informational.
	Path     string
	Dev      bool
	Optional bool
	// Resolved is where the package comes from: a tarball URL, a git URL, a
	// yarn berry or pnpm resolution that is not the registry. Empty for
	// registry packages in formats that do not record the URL.
	Resolved string
	// Integrity is the SRI string (yarn berry: its checksum); empty when the
	// lockfile records none.
	Integrity string
	// License and Deprecated are set where the format records them (npm,
	// pnpm deprecated).
	License, Deprecated string
	// InstallScript reports that the package runs install scripts, where
	// the format records it (npm hasInstallScript, pnpm requiresBuild).
	InstallScript bool
	// Local marks a package from the project itself or the file system
	// (workspace, link:, file:, portal:): it is not a download and takes
	// no source or integrity flags.
	Local bool
	// Dependencies are the names (real names) this package depends on, of
	// any kind; used to tell which direct dependency brought a package in.
	Dependencies []string
}

// ID is name@version.
func (p *Package) ID() string { return p.Name + "@" + p.Version }

// Lockfile is what a reader yields.
type Lockfile struct {
	// Format names the format and version: "npm-v1", "npm-v2", "npm-v3",
	// "yarn-v1", "yarn-berry-v8", "pnpm-v6", "pnpm-v9", "bun-v1".
	Format   string
	Packages []Package
	// Direct maps the real name of each direct dependency of the project
	// (the root and its workspaces) to how it is declared.
	Direct map[string]DepType
	// Warnings tell about entries the reader skipped; the rest was read.
	Warnings []string
}

// AddDirect records a direct dependency, keeping the strongest type when
// a name is declared twice.
func (l *Lockfile) AddDirect(name string, t DepType) {
	if l.Direct == nil {
		l.Direct = map[string]DepType{}
	}
	if old, ok := l.Direct[name]; !ok || t.rank() < old.rank() {
		l.Direct[name] = t
	}
}

// Warnf records a skipped entry.
func (l *Lockfile) Warnf(format string, args ...any) {
	l.Warnings = append(l.Warnings, fmt.Sprintf(format, args...))
}

// LineCol returns the 1-based line and column (in bytes) of offset off in
// data.
func LineCol(data []byte, off int) (line, col int) {
	if off > len(data) {
		off = len(data)
	}
	if off < 0 {
		off = 0
	}
	line = 1 + strings.Count(string(data[:off]), "\n")
	col = off + 1
	if i := strings.LastIndexByte(string(data[:off]), '\n'); i >= 0 {
		col = off - i
	}
	return line, col
}

// ReadError is a lockfile that could not be read; Line and Col locate the
// problem when the format allows (0 otherwise; a Line without a Col is
// printed "line N").
type ReadError struct {
	Path      string
	Line, Col int
	Msg       string
}

func (e *ReadError) Error() string {
	switch {
	case e.Line > 0 && e.Col > 0:
		return fmt.Sprintf("failed to read %q: %d:%d: %s", e.Path, e.Line, e.Col, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("failed to read %q: line %d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("failed to read %q: %s", e.Path, e.Msg)
}

// Errorf returns a *ReadError for path at line:col (0:0 for none).
func Errorf(path string, line, col int, format string, args ...any) error {
	return &ReadError{Path: path, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}
