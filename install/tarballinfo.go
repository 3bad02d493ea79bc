package install

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/lockstep-dev/lockstep/install/inflate"

	"github.com/lockstep-dev/lockstep/install/arborist"
	"github.com/lockstep-dev/lockstep/install/registry"
)

// maxManifestSize bounds a package.json read from a tarball.
const maxManifestSize = 8 << 20

var bundledManifest = regexp.MustCompile(`^((?:node_modules/(?:@[^/]+/)?[^/]+/)+)package\.json$`)

// tarballReader returns the arborist hook that downloads a tarball (or reads
// a file: tarball under dir) and lists its package.json files.
func tarballReader(client *registry.Client, dir string) func(ctx context.Context, url string) (*arborist.TarballInfo, error) {
	return func(ctx context.Context, url string) (*arborist.TarballInfo, error) {
		if rel, ok := strings.CutPrefix(url, "file:"); ok {
			p := rel
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, filepath.FromSlash(rel))
			}
			f, err := os.Open(p)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			return readTarballInfo(f)
		}
		var ti *arborist.TarballInfo
		err := client.Fetch(ctx, url, "*/*", func(body io.Reader) error {
			var err error
			ti, err = readTarballInfo(body)
			return err
		})
		return ti, err
	}
}

// readTarballInfo hashes the whole stream (sha512) and collects the
// package's package.json and those of the packages bundled in its
// node_modules.
func readTarballInfo(r io.Reader) (*arborist.TarballInfo, error) {
	h := sha512.New()
	zr, err := inflate.NewReader(io.TeeReader(r, h))
	if err != nil {
		return nil, fmt.Errorf("failed to read tarball: %w", err)
	}
	ti := &arborist.TarballInfo{Bundled: map[string][]byte{}}
	tr := tar.NewReader(zr)
	for {
		hd, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("failed to read tarball: %w", err)
		}
		if hd.Typeflag != tar.TypeReg && hd.Typeflag != tar.TypeRegA {
			continue
		}
		name := path.Clean(strings.TrimLeft(hd.Name, "/"))
		_, rest, ok := strings.Cut(name, "/")
		if !ok || strings.Contains(rest, "..") {
			continue
		}
		want := rest == "package.json"
		m := bundledManifest.FindStringSubmatch(rest)
		if !want && m == nil {
			continue
		}
		if hd.Size > maxManifestSize {
			return nil, fmt.Errorf("failed to read tarball: %q is %d bytes", name, hd.Size)
		}
		data, err := io.ReadAll(io.LimitReader(tr, maxManifestSize))
		if err != nil {
			return nil, fmt.Errorf("failed to read tarball: %w", err)
		}
		if want {
			if ti.Manifest == nil {
				ti.Manifest = data
			}
		} else {
			ti.Bundled[strings.TrimSuffix(m[1], "/")] = data
		}
	}
	// Hash what is left of the stream (tar padding, gzip trailer).
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return nil, fmt.Errorf("failed to read tarball: %w", err)
	}
	if _, err := io.Copy(h, r); err != nil {
		return nil, fmt.Errorf("failed to read tarball: %w", err)
	}
	if ti.Manifest == nil {
		return nil, fmt.Errorf("failed to read tarball: no package.json")
	}
	ti.Manifest = bytes.TrimPrefix(ti.Manifest, []byte("\xef\xbb\xbf"))
	ti.Integrity = "sha512-" + base64.StdEncoding.EncodeToString(h.Sum(nil))
	return ti, nil
}
