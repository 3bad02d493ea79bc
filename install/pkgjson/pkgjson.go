// Package pkgjson reads package.json files the way npm's installer sees
// them: only the fields that installing needs, normalized like
// @npmcli/package-json (an optional dependency is not also a regular one).
package pkgjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// PackageJSON is the part of a package.json that installing reads.
type PackageJSON struct {
	Name                 string                     `json:"name"`
	Version              string                     `json:"version"`
	Dependencies         map[string]string          `json:"dependencies"`
	DevDependencies      map[string]string          `json:"devDependencies"`
	OptionalDependencies map[string]string          `json:"optionalDependencies"`
	PeerDependencies     map[string]string          `json:"peerDependencies"`
	PeerDependenciesMeta map[string]PeerMeta        `json:"peerDependenciesMeta"`
	Overrides            json.RawMessage            `json:"overrides"`
	Workspaces           Workspaces                 `json:"workspaces"`
	Scripts              map[string]string          `json:"scripts"`
	Gypfile              *bool                      `json:"gypfile"`
	Engines              map[string]json.RawMessage `json:"engines"`
}

// PeerMeta is one peerDependenciesMeta entry.
type PeerMeta struct {
	Optional bool `json:"optional"`
}

// Workspaces accepts both `["a/*"]` and `{"packages": ["a/*"]}`. Any
// other value still parses (npm reads such a package.json), but Map fails
// on it the way npm's map-workspaces does.
type Workspaces []string

// badWorkspaces marks a "workspaces" value of neither form.
const badWorkspaces = "\x00bad workspaces"

// UnmarshalJSON implements both workspace forms.
func (w *Workspaces) UnmarshalJSON(b []byte) error {
	var list []string
	if err := json.Unmarshal(b, &list); err == nil {
		*w = list
		return nil
	}
	var obj struct {
		Packages json.RawMessage `json:"packages"`
	}
	if json.Unmarshal(b, &obj) == nil && json.Unmarshal(obj.Packages, &list) == nil && list != nil {
		*w = list
		return nil
	}
	*w = Workspaces{badWorkspaces}
	return nil
}

// ErrNotFound reports a missing package.json.
var ErrNotFound = errors.New("no package.json")

// Read reads dir/package.json.
func Read(dir string) (*PackageJSON, error) {
	path := filepath.Join(dir, "package.json")
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("failed to read %q: %w", path, ErrNotFound)
		}
		return nil, fmt.Errorf("failed to read %q: %w", path, err)
	}
	return Parse(data, path)
}

// Parse decodes package.json content; path is used in messages only.
func Parse(data []byte, path string) (*PackageJSON, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var p PackageJSON
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("failed to parse %s: %w", Position(path, data, err), unwrapJSON(err))
	}
	for name := range p.OptionalDependencies {
		delete(p.Dependencies, name)
	}
	return &p, nil
}

func unwrapJSON(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("field %q must not be a %s", te.Field, te.Value)
	}
	return err
}

// Position renders "path:line:col" for a JSON decoding error, or just the
// quoted path when the error carries no offset.
func Position(path string, data []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 {
		return fmt.Sprintf("%q", path)
	}
	line, col := LineCol(data, off)
	return fmt.Sprintf("%q (line %d, column %d)", path, line, col)
}

// LineCol turns a byte offset into 1-based line and column numbers.
func LineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col := 1, 1
	for _, c := range data[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}
