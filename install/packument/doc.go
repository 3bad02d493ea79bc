// Package packument decodes npm registry documents ("packuments") and picks
// versions from them the way npm-pick-manifest does.
//
// Decode keeps only what resolution and the lockfile need: per version the
// dependency maps (dependencies, optionalDependencies, peerDependencies,
// peerDependenciesMeta, acceptDependencies, bundleDependencies), bin
// (normalized like npm-normalize-package-bin), engines, os, cpu, libc, dist,
// deprecated, hasInstallScript, license, funding and _hasShrinkwrap; the
// dist-tags; and publish times where the document has them. devDependencies,
// scripts, readme and every other field are dropped: registry dependencies
// never install their dev dependencies, and the lockfile only records
// devDependencies for the root and workspaces.
//
// A Version is split in two: its Summary (version, deprecated, publish
// time, engines.node/npm), which is all npm-pick-manifest reads, and its
// Manifest (everything else), which Decode fills at once but the manifest
// cache (cache/manifest) decodes only on first use, so that loading a
// cached packument of thousands of versions costs little more than reading
// it.
//
// Invariants:
//   - Versions keeps the document's order of the "versions" object, which is
//     what JavaScript's Object.entries gives npm-pick-manifest; ties in its
//     sort are broken by that order, so Pick does the same.
//   - A decoded Packument shares no memory with the input bytes (strings are
//     copied, and interned per document), so the input buffer can be reused.
//   - A malformed field in one version (a number where a map belongs, a
//     string bin, engines as an array) never fails the document: the version
//     is decoded leniently, keeping what has the expected type, like npm's
//     own normalization. Only a document that is not JSON, not an object, or
//     whose "versions" is not an object fails.
//   - A Packument and its Versions are not modified after Decode returns and
//     are safe for concurrent reads; Version.Manifest is safe to call
//     concurrently and decodes a lazy manifest once.
//   - Pick agrees with npm-pick-manifest (checked against it by node on
//     generated packuments and, with LOCKSTEP_PACKUMENT_DIR, real ones).
package packument
