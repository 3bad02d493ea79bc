// Package bench measures lockstep against npm, pnpm and bun on real
// fixtures (a folder holding package.json, package-lock.json and maybe
// .npmrc), phase by phase, the way research/anchors.md measured them.
//
// Phases (names follow utoo's pm-bench-phases):
//
//   - p1_resolve: no lockfile, empty cache → write the lockfile only.
//   - p3_cold_install: the tool's own lockfile, empty cache, no node_modules.
//   - p4_warm_link: the same lockfile, the cache left warm by a p3 of the
//     same tool on the same fixture, no node_modules.
//   - p0_full_cold: no lockfile, empty cache, no node_modules → full install.
//
// Invariants:
//
//   - Every tool has its own cache directory per fixture under
//     Options.WorkDir; no tool ever sees another tool's cache, and the
//     fixture folders are only read.
//   - npm and lockstep install from the fixture's package-lock.json; pnpm and
//     bun from their own lockfile, generated once per fixture in an untimed
//     setup step (`pnpm install --lockfile-only`, `bun install
//     --lockfile-only`) and kept under WorkDir/lockfiles.
//   - Runs are interleaved: in run r, for each phase, every tool runs once
//     (the tool order rotates by one each run), so drift of the machine or
//     the registry hits all tools alike.
//   - Each command is one child process in its own process group, measured
//     by wall clock and by the rusage wait4 reports (user, sys, max RSS).
//   - Lifecycle scripts are disabled for every tool.
//   - A failed command is recorded as a Sample with a non-zero ExitCode or a
//     non-empty Err; it never stops the other measurements. A run counts as
//     successful only if the command exited 0 and left node_modules (for p1:
//     the lockfile).
package bench
