// Package actionscache is lockstep's client of the GitHub Actions cache
// service, in plain HTTP: it restores and saves directories (the manifest
// cache, the package store) as tar + zstd archives between workflow runs.
// It knows nothing of the GitHub API or go-githubactions; internal/action
// drives it.
//
// Protocols:
//   - v2 (Twirp CacheService: CreateCacheEntry, FinalizeCacheEntryUpload,
//     GetCacheEntryDownloadURL; JSON bodies with proto field names, Bearer
//     ACTIONS_RUNTIME_TOKEN) whenever ACTIONS_RESULTS_URL is set and the
//     server is not GitHub Enterprise Server. Container actions never get
//     ACTIONS_CACHE_SERVICE_V2, so the variable is not consulted. Blobs go
//     to and come from the signed Azure Blob (SAS) URLs the service hands
//     out: one Put Blob up to SingleShot bytes, else Put Block per
//     BlockSize chunk (Concurrency at a time) and Put Block List.
//   - v1 (REST under ACTIONS_CACHE_URL/_apis/artifactcache/) only on GHES,
//     by toolkit's rule: github.com, *.ghe.com and *.localhost are not GHES.
//     Elsewhere the legacy service is retired: without ACTIONS_RESULTS_URL
//     the cache is disabled.
//
// Invariants:
//   - Every entry is saved under one constant Version, so lockstep's entries
//     never match actions/cache's and the other way round.
//   - Entries are immutable: Save of a key the service already holds
//     returns ErrExists, and callers skip saving after an exact hit.
//   - ACTIONS_CACHE_MODE is honoured: "read" never saves, "write-only"
//     never restores, "none" disables the cache. No runtime token or no
//     service URL disables it too (New returns a *DisabledError saying why).
//   - Extract never writes outside its target: absolute paths, ".."
//     components, entries below a symbolic link, links whose target leaves
//     the target directory, hard links and device files are refused. It
//     extracts into a temporary sibling directory and renames it into
//     place, so the target holds the old content or the complete new one.
//   - The token reaches only the Authorization header of service calls; it
//     is never sent to the blob URLs and never appears in an error.
package actionscache
