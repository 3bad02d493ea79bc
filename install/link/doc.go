// Package link materializes node_modules from the content store and creates
// the node_modules/.bin links.
//
// The store holds one complete directory per extracted package. It is
// read-only by convention: nothing in this package writes into a store entry,
// with one documented exception (LinkBins chmods a bin target to 0755, and a
// hardlinked target shares its inode with the store file; the store file is
// extracted with that mode already).
//
// Materialize copies store entries into node_modules trees with one of three
// methods, chosen once per run by Probe: reflink (FICLONE), hardlink, or a
// real copy (copy_file_range, falling back to read/write). It runs a pool of
// workers over a shared stack of directory tasks: each job (one package) is a
// task, and a worker walks its tree with directory file descriptors
// (getdents with file types, linkat/mkdirat/openat relative to the parent),
// so a file costs one system call when hardlinking. Those hot calls are raw
// (no hand-off through the Go scheduler, one worker per P) while they are
// fast, as with a store in the page cache; a run that sees them wait for the
// disk switches to ordinary blocking calls and twice the workers (rawCalls
// in materialize_linux.go). When a worker is idle,
// busy workers hand it subdirectories, so one huge package does not leave
// the tail of the run single-threaded.
//
// Invariants:
//   - Jobs may nest (node_modules/a and node_modules/a/node_modules/b) and may
//     run in any order: a job creates missing parents of its Dst itself, and an
//     existing directory at a destination is merged into, never an error.
//   - An existing file at a destination is replaced.
//   - A job with Copy set never shares an inode with the store: it is cloned
//     (reflink) or copied. Hardlink falls back to a copy per file on EXDEV,
//     EMLINK or EPERM; reflink falls back to hardlink, then copy.
//   - Copied and cloned files get the store file's permission bits (subject to
//     the process umask, like npm). Directories are created 0777 &^ umask.
//   - The first error stops all workers; errors name the path involved.
package link
