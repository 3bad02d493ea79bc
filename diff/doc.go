// Package diff is the lockfile change model of `lockstep diff`: the
// format-neutral package list every lockfile reader yields (Lockfile,
// Package), the comparison of two of them into changes (Compare), and the
// flags worth a reviewer's eye.
//
// Invariants:
//   - Readers (diff/lockfile/...) only produce a *Lockfile; this package never
//     reads files and knows no format. Renderers (diff/render) only read a
//     *Result.
//   - Changes are per package name, comparing the sets of versions a name has
//     in base and head: added, removed, upgraded, downgraded (exactly one
//     version on each side, ordered by semver) and otherwise changed.
//     Result.Changes and Result.Flags are sorted, so output is deterministic.
//   - Flags are raised only for what the head brings in or alters
//     (a name@version that is new, or whose resolved, integrity, license or
//     install script changed); what was already in the base is not flagged
//     again.
//   - Every string in a Result comes from a lockfile and is untrusted: the
//     renderers escape it.
//   - Compare only reads its inputs; a Lockfile is safe for concurrent reads.
package diff
