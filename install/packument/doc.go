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
// Manifest (everything else), decoded only when first asked for: most
// versions of a document are never picked. Until then a version is a
// section of bytes over the packument's shared string table (Table: each
// kept raw JSON value once, hashes as raw bytes, conventional tarball URLs
// as their prefix). Decode writes that form while it scans the document
// once, without building anything for the fields it drops; the manifest
// cache stores it as it is and views it in the file it loads, so memory
// and disk hold the same bytes.
//
// Decode reads documents as JSON.parse does after Node decodes the body as
// UTF-8: it refuses what is not JSON (checking the grammar in the same
// walk that cuts the versions down), keys are case-sensitive, the last of repeated keys wins (in the
// first one's place), and invalid UTF-8 in what is kept becomes U+FFFD.
//
// Invariants:
//   - Versions keeps the document's order of the "versions" object, which is
//     what JavaScript's Object.entries gives npm-pick-manifest; ties in its
//     sort are broken by that order, so Pick does the same.
//   - A decoded Packument shares no memory with the input bytes (what is
//     kept is copied into the table once per document), so the input buffer
//     can be reused.
//   - A malformed field in one version (a number where a map belongs, a
//     string bin, engines as an array) never fails the document: the version
//     is decoded leniently, keeping what has the expected type, like npm's
//     own normalization (checked: every version of the large fixture's 2,851
//     real documents decodes lazily to the manifest an eager decode of the
//     whole version gives). Only a document that is not JSON, not an object,
//     or whose "versions" is not an object fails.
//   - A Packument and its Versions are not modified after Decode returns and
//     are safe for concurrent reads; Version.Manifest is safe to call
//     concurrently and decodes a lazy manifest once.
//   - Pick agrees with npm-pick-manifest (checked against it by node on
//     generated packuments and, with LOCKSTEP_PACKUMENT_DIR, real ones).
package packument
