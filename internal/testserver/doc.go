// Package testserver provides in-process fakes for lockstep's tests. Its
// first fake is Registry: an npm registry served by httptest on loopback that
// builds packuments and tarballs itself from in-test Package specs, counts
// every request, can require a bearer token, and injects faults (5xx, 429,
// connection resets, stalls, truncated and corrupted bodies) on chosen paths.
//
// Invariants:
//   - It listens on 127.0.0.1 only and never touches the network beyond it.
//   - Everything it serves is deterministic: the same Packages give the same
//     packument bytes and the same tarball bytes (fixed mtime 1985-10-26
//     like npm pack, sorted entries, no directory entries, owner 0/0, gzip
//     without a timestamp), so integrity values can be computed once and
//     compared across runs.
//   - A tarball is built once per (name, version) and cached until the
//     package is replaced with Add. Integrity and Shasum describe exactly the
//     bytes served (RawTarball when given), never a Dist override.
//   - Request paths are compared after percent-decoding, so "/@s%2fn" and
//     "/@s/n" are the same path for Hits, FailTimes and routing, as on the
//     real registry.
//   - The server, stalled handlers and latency sleeps stop when the test's
//     Cleanup runs; no goroutine of the server outlives the test.
//   - It is safe for concurrent use; tests may call any method while the
//     code under test is making requests.
package testserver
