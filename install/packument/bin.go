package packument

import (
	"path"
	"sort"
	"strings"
)

// pathBase is Node's path.posix.basename: "" for "", trailing slashes
// ignored.
func pathBase(p string) string {
	p = strings.TrimRight(p, "/")
	if p == "" {
		return ""
	}
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// joinRoot is Node's path.posix.join('/', p).slice(1): p cleaned and made
// relative, keeping a trailing slash as Node's normalize does.
func joinRoot(p string) string {
	c := path.Clean("/" + p)
	if c == "/" {
		return ""
	}
	if strings.HasSuffix(p, "/") {
		c += "/"
	}
	return c[1:]
}

// stringBin keys a string-valued bin in binMap's result; it cannot be a
// JSON object key of a real document.
const stringBin = "\x00string"

// normalizeBin applies npm-normalize-package-bin to the raw bin map made by
// binMap (stringBin keys a string bin, named after the package). Entries are
// visited in key order so that two keys with the same base name resolve
// deterministically (npm uses the document order, which is not kept).
func normalizeBin(raw map[string]string, name string) map[string]string {
	if s, ok := raw[stringBin]; ok && len(raw) == 1 {
		if name == "" {
			return nil
		}
		raw = map[string]string{name: s}
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out map[string]string
	for _, k := range keys {
		base := joinRoot(pathBase(strings.NewReplacer(`\`, "/", ":", "/").Replace(k)))
		base = strings.TrimSuffix(base, "/")
		if base == "" {
			continue
		}
		target := joinRoot(strings.ReplaceAll(raw[k], `\`, "/"))
		if target == "" {
			continue
		}
		if out == nil {
			out = make(map[string]string, len(raw))
		}
		out[base] = target
	}
	return out
}
