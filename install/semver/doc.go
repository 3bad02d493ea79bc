// Package semver is a Go port of the behaviour of node-semver 7.8.5, the
// version and range library npm uses.
//
// The goal is bit-for-bit agreement with node-semver, quirks included:
// loose parsing (`v1.2.3`, `=1.2.3`, `1.2.3beta`), hyphen ranges, x-ranges,
// caret and tilde ranges, `||` unions, the comparator-set prerelease rule,
// the includePrerelease option, JavaScript's whitespace set, and
// node-semver's normalised range strings (Range.String).
//
// Invariants:
//   - Range parsing follows node-semver's rewrite pipeline (hyphen, trim,
//     caret, tilde, x-range, star, >=0.0.0 rewriting) and is done once; a
//     parsed *Range and *Version are immutable and safe for concurrent use.
//   - Range.Test never allocates and never runs a regular expression.
//   - Build metadata never takes part in Compare or range tests.
//   - Parsed ranges are memoised per (options, range string) in a bounded
//     cache, like node-semver's LRU.
//
// The behaviour is checked against node-semver's own test fixtures
// (testdata/fixtures.json, ISC licence, see testdata/LICENSE.node-semver)
// and, when node is installed, against node-semver itself.
package semver
