// Package lockfile reads npm's package-lock.json and npm-shrinkwrap.json
// (lockfile versions 2 and 3) into a model the installer uses, and writes
// lockfiles byte for byte as npm 11 does.
//
// Reading: Read picks npm-shrinkwrap.json over package-lock.json in a
// directory; Parse decodes one document (with sonic) into a Lockfile whose
// packages map holds one *Package per location ("" is the root,
// "node_modules/a", "node_modules/a/node_modules/@s/b", "packages/x").
// Version 1 lockfiles are refused with an error that names the fix.
//
// Writing: Marshal reproduces npm's Shrinkwrap.toString(): json-stringify-nice
// with npm's preferred keys (name, version, lockfileVersion, resolved,
// integrity, requires, packages, dependencies), every object at every depth
// sorted (non-object values before objects, then preferred keys, then ICU
// "en" collation), JavaScript's property order (integer-like keys first),
// JSON.stringify's escaping and number formatting, the indent and newline
// detected from the file read, and a trailing newline. Marshal writes
// entries straight from the typed fields (marshal.go); Stringify is the
// generic encoder for any decoded value, and the tests' oracle for Marshal.
//
// Invariants:
//   - Parse followed by Marshal returns the input bytes for any lockfile npm
//     wrote (and for hand-written ones in npm's format). Values a typed field
//     cannot represent exactly (an empty string, a false flag, an engines
//     array, a license object, an unknown key) are kept verbatim in
//     Package.Extra or Lockfile.Extra and written back unchanged.
//   - A typed field set by the caller wins over an Extra entry of the same
//     key. Nil maps and slices are absent; empty non-nil ones are written as
//     {} and [] (npm writes an empty devDependencies for the root).
//   - Marshal, Hidden, Resolve and the helpers only read the Lockfile; a
//     Lockfile is safe for concurrent reads. Collators are per call, never
//     shared between goroutines.
package lockfile
