// Package manifest is lockstep's on-disk manifest cache: slimmed
// packuments (packument.Packument, only what resolution and the lockfile
// need) stored per registry, and a Fetcher that serves the preload pool
// from it, revalidating with the registry. An entry holds the packument's
// own compact form (packument.Table and the versions' sections) as it is:
// storing one is a copy, and a loaded entry views its file's bytes (mapped
// when large), so loading allocates no string and decodes a manifest only
// when a version is picked.
//
// Invariants:
//   - An entry is written to a temporary file in its directory and renamed
//     into place: readers (other goroutines or processes) see the old entry
//     or the new one, never a partial one.
//   - Every entry carries a format version, its registry and package name,
//     and a CRC-32C of its body. An entry of another format version is a
//     miss; one that fails its checksum or does not decode is reported as
//     ErrCorrupt, and Fetcher refetches and overwrites it. Decoding never
//     panics and never allocates more than the entry's size allows.
//   - Freshness is the entry file's modification time: Store and a 304
//     revalidation (Touch) set it. Entries younger than MaxAge (5 minutes,
//     like npm and bun) are used as is; older ones are revalidated with
//     If-None-Match / If-Modified-Since when the registry sent an ETag or
//     Last-Modified, else refetched. PreferOffline uses any entry; Offline
//     never touches the network and fails clearly on a miss.
//   - A failure to write the cache never fails a fetch (it is counted in
//     Stats.StoreErrors).
package manifest
