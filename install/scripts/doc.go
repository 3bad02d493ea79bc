// Package scripts runs npm-compatible lifecycle scripts after `lockstep ci`
// has laid out node_modules, the way `npm ci` does without --ignore-scripts.
//
// The behaviour follows npm 11 (arborist/lib/arborist/rebuild.js,
// @npmcli/run-script and lib/commands/ci.js):
//
//   - Dependency phases are global: every "preinstall", then the caller's
//     bin-linking callback, then every "install", then every "postinstall".
//   - Inside a phase, packages start in (depth, path) order, depth being the
//     number of node_modules hops and path compared with ICU "en" collation
//     (golang.org/x/text/collate, like @isaacs/string-locale-compare). Up to
//     max(1, NumCPU-1) scripts run at once (promise-call-limit's default), or
//     one at a time with Foreground.
//   - Only packages that define the event's script run it. A package with a
//     binding.gyp in its root, no install and no preinstall script and
//     gypfile !== false gets the install script "node-gyp rebuild".
//   - Each script runs as `<script-shell> -c <script>` (default sh) in the
//     package directory, with the parent environment plus npm's lifecycle
//     variables, and PATH prefixed by node_modules/.bin of the package dir and
//     every ancestor, then a node-gyp-bin directory.
//   - Dependency output is captured and shown only when a script fails (or
//     printed live with Foreground); the root project's scripts always print
//     live with npm's "> id event" banner.
//   - The first failing script of a non-optional package cancels its phase:
//     no further scripts start, running ones are killed (whole process group),
//     and Run returns a *ScriptError. A failing optional package is recorded
//     in Result.FailedOptional and skipped in later phases; the caller removes
//     it from node_modules the way arborist trashes failed optional nodes.
//   - Links (workspaces and file: folders) are built after every dependency
//     (RunBuild): preinstall, prepare, the caller's link-bin callback,
//     install, postinstall, sorted by where the link is. A link's npm_package_
//     resolved and _integrity are "null", as arborist's null reaches the
//     child's environment.
//   - After the dependencies and links, the root project's predependencies,
//     dependencies and postdependencies scripts run (reify.js; output
//     captured), then its preinstall, install, postinstall, prepublish,
//     preprepare, prepare and postprepare scripts run in that order, one at a
//     time.
//
// Invariants: scripts of one phase never start before every script of the
// previous phase has finished; a package whose optional failure was recorded
// runs no further scripts; Run never leaves child processes running when it
// returns.
package scripts
