// Package lockfile picks the reader for a lockfile: package-lock.json and
// npm-shrinkwrap.json (npm), yarn.lock (yarn classic and berry),
// pnpm-lock.yaml (pnpm) and bun.lock (bun), by file name and else by
// content. Each reader lives in its own sub-package and yields a
// diff.Lockfile.
package lockfile

import (
	"bytes"
	"path/filepath"
	"strings"

	"github.com/lockstep-dev/lockstep/diff"
	"github.com/lockstep-dev/lockstep/diff/lockfile/bun"
	"github.com/lockstep-dev/lockstep/diff/lockfile/npm"
	"github.com/lockstep-dev/lockstep/diff/lockfile/pnpm"
	"github.com/lockstep-dev/lockstep/diff/lockfile/yarn"
)

// Kind names a lockfile family.
type Kind string

// Lockfile families.
const (
	NPM  Kind = "npm"
	Yarn Kind = "yarn"
	PNPM Kind = "pnpm"
	Bun  Kind = "bun"
)

// Detect tells the family of a lockfile from its base name, else from its
// content; "" if neither tells.
func Detect(path string, data []byte) Kind {
	base := strings.ToLower(filepath.Base(path))
	switch {
	case strings.HasSuffix(base, "package-lock.json"), strings.HasSuffix(base, "npm-shrinkwrap.json"):
		return NPM
	case strings.HasSuffix(base, "yarn.lock"):
		return Yarn
	case strings.HasSuffix(base, "pnpm-lock.yaml"), strings.HasSuffix(base, "pnpm-lock.yml"):
		return PNPM
	case strings.HasSuffix(base, "bun.lock"):
		return Bun
	}
	trim := bytes.TrimPrefix(data, []byte("\ufeff"))
	if bytes.Contains(trim[:min(len(trim), 2048)], []byte("# yarn lockfile v1")) {
		return Yarn
	}
	// skip comment lines (yarn berry starts with two)
	for {
		trim = bytes.TrimLeft(trim, " \t\r\n")
		if !bytes.HasPrefix(trim, []byte("#")) {
			break
		}
		i := bytes.IndexByte(trim, '\n')
		if i < 0 {
			trim = nil
			break
		}
		trim = trim[i+1:]
	}
	switch {
	case bytes.HasPrefix(trim, []byte("{")):
		// bun.lock opens with a "workspaces" object; package-lock.json has
		// none (a root entry's "workspaces" is an array)
		head := trim
		if len(head) > 4096 {
			head = head[:4096]
		}
		if bytes.Contains(head, []byte(`"workspaces": {`)) {
			return Bun
		}
		return NPM
	case bytes.HasPrefix(trim, []byte("__metadata:")):
		return Yarn
	case bytes.HasPrefix(trim, []byte("lockfileVersion:")), bytes.HasPrefix(trim, []byte("lockfileVersion: ")):
		return PNPM
	}
	return ""
}

// Parse reads a lockfile of any supported family; path names it in errors
// and chooses the reader.
func Parse(data []byte, path string) (*diff.Lockfile, error) {
	switch Detect(path, data) {
	case NPM:
		return npm.Parse(data, path)
	case Yarn:
		return yarn.Parse(data, path)
	case PNPM:
		return pnpm.Parse(data, path)
	case Bun:
		return bun.Parse(data, path)
	}
	return nil, diff.Errorf(path, 0, 0, "unknown lockfile format: expected package-lock.json, npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml or bun.lock")
}

// ParsePair reads a base and a head lockfile, as Parse does, at the same
// time on two goroutines. The first error, base before head, is returned.
func ParsePair(base []byte, basePath string, head []byte, headPath string) (*diff.Lockfile, *diff.Lockfile, error) {
	var h *diff.Lockfile
	var herr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		h, herr = Parse(head, headPath)
	}()
	b, berr := Parse(base, basePath)
	<-done
	if berr != nil {
		return nil, nil, berr
	}
	if herr != nil {
		return nil, nil, herr
	}
	return b, h, nil
}
