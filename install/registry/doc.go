// Package registry is the HTTP client lockstep uses for packuments and
// tarballs.
//
// It is built for hundreds of parallel requests to one or two hosts:
// HTTP/1.1 only (one request per connection, so a slow response never blocks
// others the way HTTP/2 multiplexing on a single connection does), a
// connection pool sized from the expected concurrency, TLS session
// resumption, and a dialer that spreads connections over every A/AAAA address
// of a host through a small caching resolver.
//
// Invariants:
//   - The Authorization header is computed from npmrc for each URL
//     (including redirect targets) and is only ever sent to hosts that
//     npmrc.Config.Auth matches.
//   - Retries follow npm (fetch-retries, fetch-retry-factor,
//     fetch-retry-mintimeout/maxtimeout) on connection errors, 408, 420, 429
//     and 5xx, honouring Retry-After, and when the body consumer fails with
//     a retryable error (truncated or reset stream). Other statuses fail
//     at once with *HTTPError.
//   - FetchConditional revalidates: it sends a cached copy's ETag as
//     If-None-Match and its Last-Modified as If-Modified-Since, reports a
//     304 as notModified without calling the body consumer, and hands the
//     consumer the new validators with a 2xx body. A 304 to a request that
//     sent no validator is an *HTTPError. Nothing is cached here: the
//     caller (cache/manifest) keeps documents and decides freshness.
//   - Error messages name the URL with secrets removed (npmrc Redact) and
//     never contain credentials.
package registry
