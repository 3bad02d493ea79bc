package manifest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// FileStatus is the state of one file found by Scan.
type FileStatus int

const (
	// FileOK is an entry that decodes, passes its checksum and sits where
	// its registry and name say it should.
	FileOK FileStatus = iota
	// FileCorrupt fails its checksum, does not decode, or is stored under
	// another name or registry than it claims.
	FileCorrupt
	// FileTemp is a temporary file left by a killed writer.
	FileTemp
	// FileOtherVersion belongs to another format version (a miss, not an
	// error: it is never read).
	FileOtherVersion
	// FileStray is anything else in the cache directory.
	FileStray
)

var fileStatusNames = [...]string{"ok", "corrupt", "temporary", "other-version", "stray"}

func (s FileStatus) String() string {
	if s >= 0 && int(s) < len(fileStatusNames) {
		return fileStatusNames[s]
	}
	return "FileStatus(" + strconv.Itoa(int(s)) + ")"
}

// FileReport is one file found by Scan.
type FileReport struct {
	Path   string
	Name   string // package name, for entries
	Status FileStatus
	Err    error // why, for FileCorrupt
}

// Scan checks every file under the cache's directory and reports each one;
// it never modifies anything. A missing directory is an empty cache.
func (c *Cache) Scan() ([]FileReport, error) {
	var out []FileReport
	cur := fmt.Sprintf("v%d", FormatVersion)
	err := filepath.WalkDir(c.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == c.dir && errors.Is(err, fs.ErrNotExist) {
				return filepath.SkipAll
			}
			return err
		}
		rel, _ := filepath.Rel(c.dir, p)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if d.IsDir() {
			switch {
			case p == c.dir:
			case len(parts) == 1 && parts[0] != cur && strings.HasPrefix(parts[0], "v"):
				out = append(out, FileReport{Path: p, Status: FileOtherVersion})
				return filepath.SkipDir
			case len(parts) > 2 || len(parts) == 1 && parts[0] != cur:
				out = append(out, FileReport{Path: p, Status: FileStray})
				return filepath.SkipDir
			}
			return nil
		}
		if len(parts) != 3 || parts[0] != cur {
			out = append(out, FileReport{Path: p, Status: FileStray})
			return nil
		}
		if strings.Contains(parts[2], ".tmp-") {
			out = append(out, FileReport{Path: p, Status: FileTemp})
			return nil
		}
		name := strings.Replace(parts[2], "%2f", "/", 1)
		r := FileReport{Path: p, Name: name}
		if err := checkFile(p, parts[1], name); err != nil {
			r.Status, r.Err = FileCorrupt, err
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("failed to scan the manifest cache %q: %w", c.dir, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// checkFile decodes the entry at p and checks that it is name's entry for
// the registry whose key is regKey.
func checkFile(p, regKey, name string) error {
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	m, _, err := decode(data)
	if err != nil {
		return err
	}
	if m.Name != name {
		return fmt.Errorf("%w: entry is for %q", ErrCorrupt, m.Name)
	}
	if RegistryKey(m.Registry) != regKey {
		return fmt.Errorf("%w: entry is for registry %q", ErrCorrupt, m.Registry)
	}
	return nil
}
