package lockfile

import (
	"path"
	"strings"
)

const nm = "node_modules/"

// PackageName returns the folder name of the package at a lock key: the part
// after the last "node_modules/" ("node_modules/a/node_modules/@s/b" →
// "@s/b"). For keys outside node_modules ("packages/x", "libs/@s/y") it is
// the folder's name as npm's name-from-folder derives it ("x", "@s/y"). The
// root "" gives "". For an alias the real package name is the entry's Name:
// see Lockfile.RealName.
func PackageName(key string) string {
	if i := strings.LastIndex(key, "/"+nm); i >= 0 {
		return key[i+1+len(nm):]
	}
	if strings.HasPrefix(key, nm) {
		return key[len(nm):]
	}
	return nameFromFolder(key)
}

// nameFromFolder is @npmcli/name-from-folder: the basename, with its parent
// folder when that is a scope ("@s").
func nameFromFolder(p string) string {
	if p == "" {
		return ""
	}
	base := path.Base(p)
	dir := path.Dir(p)
	if dir != "." && dir != "/" {
		if sb := path.Base(dir); strings.HasPrefix(sb, "@") {
			return sb + "/" + base
		}
	}
	return base
}

// ParentPath returns the key of the package whose node_modules folder holds
// the package at key: "node_modules/a/node_modules/b" → "node_modules/a",
// "packages/x/node_modules/b" → "packages/x", "node_modules/@s/b" → "". Keys
// that are not inside a node_modules folder ("packages/x", "") give "".
func ParentPath(key string) string {
	if i := strings.LastIndex(key, "/"+nm); i >= 0 {
		return key[:i]
	}
	return ""
}

// InNodeModules reports whether key is inside a node_modules folder (a
// package with a parent), as opposed to the root, a workspace or another
// folder of the project.
func InNodeModules(key string) bool {
	return strings.HasPrefix(key, nm) || strings.Contains(key, "/"+nm)
}

// RealName returns the name of the package at key: the entry's "name" (set
// for aliases such as "node_modules/sw" → "string-width", and for the root)
// or else the folder name.
func (l *Lockfile) RealName(key string) string {
	if p := l.Packages[key]; p != nil && p.Name != "" {
		return p.Name
	}
	return PackageName(key)
}

// resolveParent is arborist's node.resolveParent as a lock key: the parent
// (the package whose node_modules holds key) or, for a folder outside
// node_modules, the nearest ancestor folder that has an entry (its fsParent),
// else the root. ok is false for the root.
func (l *Lockfile) resolveParent(key string) (string, bool) {
	if key == "" {
		return "", false
	}
	if InNodeModules(key) {
		return ParentPath(key), true
	}
	for d := path.Dir(key); d != "." && d != "/" && d != ""; d = path.Dir(d) {
		if _, ok := l.Packages[d]; ok {
			return d, true
		}
	}
	return "", true
}

// Resolve returns the lock key that dependency depName of the package at
// fromPath resolves to, walking up as Node's require() and arborist's
// node.resolve do: fromPath/node_modules/depName, then the same under each
// ancestor (a workspace folder's ancestor is the nearest enclosing folder
// with an entry, else the root), ending at node_modules/depName. A link entry
// is followed to its target first, since a linked package's dependencies
// resolve from where it really is. The result may itself be a link entry.
func (l *Lockfile) Resolve(fromPath, depName string) (string, bool) {
	if t, ok := l.LinkTarget(fromPath); ok {
		fromPath = t
	}
	// The candidates are built in one buffer: a map lookup by string(b)
	// does not allocate, and a tree's every edge is resolved at least once.
	var arr [256]byte
	b := arr[:0]
	for key, ok := fromPath, true; ok; key, ok = l.resolveParent(key) {
		b = b[:0]
		if key != "" {
			b = append(append(b, key...), '/')
		}
		b = append(append(b, nm...), depName...)
		if _, found := l.Packages[string(b)]; found {
			return string(b), true
		}
	}
	return "", false
}

// LinkTarget returns the key a link entry points to; ok is false when the
// entry at key is not a link, or its target is outside the project or has no
// entry.
func (l *Lockfile) LinkTarget(key string) (target string, ok bool) {
	p := l.Packages[key]
	if p == nil || !p.Link {
		return "", false
	}
	t := cleanRel(p.Resolved)
	if t == ".." || strings.HasPrefix(t, "../") || path.IsAbs(t) {
		return t, false
	}
	_, ok = l.Packages[t]
	return t, ok
}

// cleanRel normalizes a relative path written in a lock ("./packages/a",
// "packages\\a") to the form of a lock key.
func cleanRel(p string) string {
	p = strings.ReplaceAll(p, "\\", "/")
	p = strings.TrimPrefix(p, "file:")
	c := path.Clean(p)
	if c == "." {
		return ""
	}
	return c
}
