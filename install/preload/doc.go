// Package preload fetches the registry documents (packuments) of a
// project's whole dependency closure before resolution, with a pool of
// long-lived workers, so that the resolver then runs over in-memory
// manifests.
//
// The pool: Concurrency goroutines pull (name, spec) items from one shared
// unbounded queue. A dedup set keyed name@spec drops repeated requests; a
// per-name single-flight state makes one Fetcher call per package name, and
// items that arrive for a name while its fetch is in flight are parked on
// it and processed by the goroutine that fetched it (no worker ever blocks
// waiting for another's fetch). Each item's version is picked with
// packument.Pick as soon as the document is decoded, and the picked
// version's dependencies, optionalDependencies and (non-optional)
// peerDependencies are queued at once. Bundled dependencies, non-registry
// specs (file:, git, URLs) and, with SkipPeers, peers are not followed;
// npm: aliases are followed to their target.
//
// Invariants:
//   - Termination is exact by construction: the pending count rises before
//     an item is queued and falls only after the item is fully processed
//     (its children already counted), and the pool closes its queue when the
//     count reaches zero. Parked items stay counted until processed. The
//     stress test checks the closure against a sequential walk over
//     thousands of synthetic packages with random latencies and
//     concurrency, and shows that counting after queuing would stop early.
//   - Every name is fetched at most once and every name@spec picked once
//     per Preload.
//   - The first error cancels the pool (errgroup) and is an *Error naming
//     the dependency, its spec and the chain that required it
//     ("a@1.0.0 → b@2.1.0"). Failures under an optional dependency are
//     collected in Result.SoftErrors instead, unless a required edge asks
//     for the same name@spec.
//
// NetFetcher fetches straight from the registry; NewCachedFetcher goes
// through the manifest cache (cache/manifest). Warm fills that cache for a
// project, for `lockstep warm`.
package preload
