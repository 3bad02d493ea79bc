package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
)

// platform is what npm compares a package's os/cpu/libc fields against.
type platform struct{ OS, CPU, Libc string }

// linuxX64 is the platform the benchmark machines run on.
var linuxX64 = platform{OS: "linux", CPU: "x64", Libc: "glibc"}

// allowed reports whether value passes an npm os/cpu/libc list: a "!value"
// entry excludes it; if the list has positive entries, value must be one.
func allowed(list []string, value string) bool {
	if len(list) == 0 {
		return true
	}
	positive, match := false, false
	for _, e := range list {
		if neg, ok := strings.CutPrefix(e, "!"); ok {
			if neg == value {
				return false
			}
			continue
		}
		positive = true
		if e == value || e == "any" {
			match = true
		}
	}
	return !positive || match
}

// lockEntry is what the floors read of a package-lock.json entry.
type lockEntry struct {
	Name     string   `json:"name"`
	Version  string   `json:"version"`
	Resolved string   `json:"resolved"`
	Link     bool     `json:"link"`
	InBundle bool     `json:"inBundle"`
	OS       []string `json:"os"`
	CPU      []string `json:"cpu"`
	Libc     []string `json:"libc"`
}

// lockEntries reads the packages map of package-lock.json data.
func lockEntries(lockfile []byte) (map[string]lockEntry, error) {
	var lf struct {
		Packages map[string]lockEntry `json:"packages"`
	}
	if err := json.Unmarshal(lockfile, &lf); err != nil {
		return nil, fmt.Errorf("failed to parse lockfile: %w", err)
	}
	if lf.Packages == nil {
		return nil, fmt.Errorf("failed to parse lockfile: no \"packages\" (lockfileVersion 2 or 3 needed)")
	}
	return lf.Packages, nil
}

// tarballURLs lists the unique tarball URLs npm would fetch for
// package-lock.json data on platform p: links, bundled packages and the root
// are skipped, entries whose os/cpu/libc exclude p are skipped, and entries
// without `resolved` get the registry's default tarball URL. URLs under the
// public registry are moved to registry. The result is sorted.
func tarballURLs(lockfile []byte, registry string, p platform) ([]string, error) {
	lf, err := lockEntries(lockfile)
	if err != nil {
		return nil, err
	}
	reg := strings.TrimSuffix(registry, "/") + "/"
	const public = "https://registry.npmjs.org/"
	seen := map[string]bool{}
	var urls []string
	for loc, e := range lf {
		if loc == "" || e.Link || e.InBundle || e.Version == "" {
			continue
		}
		if !allowed(e.OS, p.OS) || !allowed(e.CPU, p.CPU) || (p.OS == "linux" && !allowed(e.Libc, p.Libc)) {
			continue
		}
		u := e.Resolved
		if u == "" {
			name := e.Name
			if name == "" {
				i := strings.LastIndex(loc, "node_modules/")
				name = loc[i+len("node_modules/"):]
			}
			u = reg + name + "/-/" + path.Base(name) + "-" + e.Version + ".tgz"
		} else if rest, ok := strings.CutPrefix(u, public); ok {
			u = reg + rest
		}
		if strings.HasPrefix(u, "file:") || strings.HasPrefix(u, "git") {
			continue
		}
		if !seen[u] {
			seen[u] = true
			urls = append(urls, u)
		}
	}
	sort.Strings(urls)
	return urls, nil
}

// packumentURLs lists the registry documents a resolve of package-lock.json
// data's closure fetches: one per package name (an alias's target), the
// optional packages of every platform included, as npm records them all.
// Linked, bundled and non-registry (file:, git) entries are skipped; a
// scoped name's slash is escaped as npm-registry-fetch does. The result is
// sorted.
func packumentURLs(lockfile []byte, registry string) ([]string, error) {
	lf, err := lockEntries(lockfile)
	if err != nil {
		return nil, err
	}
	reg := strings.TrimSuffix(registry, "/") + "/"
	seen := map[string]bool{}
	var urls []string
	for loc, e := range lf {
		i := strings.LastIndex(loc, "node_modules/")
		if i < 0 || e.Link || e.InBundle || strings.HasPrefix(e.Resolved, "file:") || strings.HasPrefix(e.Resolved, "git") {
			continue // the root, workspaces, links, bundled, non-registry
		}
		name := e.Name
		if name == "" {
			name = loc[i+len("node_modules/"):]
		}
		u := reg + strings.Replace(name, "/", "%2f", 1)
		if !seen[u] {
			seen[u] = true
			urls = append(urls, u)
		}
	}
	sort.Strings(urls)
	return urls, nil
}

// writeCurlConfig writes a curl config (-K) that fetches every URL to
// /dev/null, sending headers (e.g. "Accept: application/json") with each.
func writeCurlConfig(file string, urls []string, headers ...string) error {
	var b strings.Builder
	for _, h := range headers {
		fmt.Fprintf(&b, "header = %q\n", h)
	}
	for _, u := range urls {
		fmt.Fprintf(&b, "url = %q\noutput = \"/dev/null\"\n", u)
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("failed to write curl config %q: %w", file, err)
	}
	return nil
}

// curlFloorArgv is the network floor: one curl process, HTTP/2 with
// connection reuse, up to 64 transfers at once.
func curlFloorArgv(config string) []string {
	return []string{"curl", "--parallel", "--parallel-max", "64", "--silent", "--show-error", "--fail", "-K", config}
}
