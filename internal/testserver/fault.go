package testserver

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"strconv"
)

// Fault is a failure injected into one response.
//
// Note for retry tests: Go's http.Transport itself retries an idempotent
// request once, invisibly, when a *reused* keep-alive connection is closed
// before any response byte arrives. A FaultReset on a reused connection can
// therefore be absorbed by the transport (Hits shows the extra request). Use
// a fresh connection, or count Hits rather than client-visible errors.
type Fault int

const (
	// FaultNone serves the request normally.
	FaultNone Fault = iota
	// Fault500 answers 500 with {"error":"Internal Server Error"}.
	Fault500
	// Fault503 answers 503 with {"error":"Service Unavailable"}.
	Fault503
	// Fault429 answers 429 with "Retry-After: 1".
	Fault429
	// FaultReset hijacks the connection and closes it with a TCP RST
	// (SO_LINGER 0) before any response byte: the client sees ECONNRESET
	// or EOF.
	FaultReset
	// FaultStall waits StallDuration (default 3s) before sending anything,
	// then serves normally. The wait ends early when the client gives up or
	// the registry closes, so a client deadline shorter than the stall sees
	// a timeout and the test does not wait.
	FaultStall
	// FaultTruncate sends the status line and headers with the full
	// Content-Length, then half the body, then closes the connection: the
	// client sees io.ErrUnexpectedEOF while reading the body.
	FaultTruncate
	// FaultCorrupt serves the full body, same length, with a few bytes past
	// the gzip header inverted: a tarball then fails its integrity check (and
	// usually gunzip); a packument is no longer valid JSON.
	FaultCorrupt
	// FaultStallBody sends headers and half the body, then stalls like
	// FaultStall before sending the rest: it exercises body read timeouts.
	FaultStallBody
)

var faultNames = [...]string{"none", "500", "503", "429", "reset", "stall", "truncate", "corrupt", "stall-body"}

// String returns a short name such as "503" or "reset".
func (f Fault) String() string {
	if f >= 0 && int(f) < len(faultNames) {
		return faultNames[f]
	}
	return "Fault(" + strconv.Itoa(int(f)) + ")"
}

type queuedFault struct {
	fault Fault
	n     int
}

type failAll struct {
	fault Fault
	share float64
	seed  int64
	times int
}

// selects reports whether path belongs to the failing share. The choice
// depends only on (seed, path), not on request order, so concurrent runs
// with the same seed fail the same URLs.
func (fa *failAll) selects(path string) bool {
	if fa.share <= 0 {
		return false
	}
	if fa.share >= 1 {
		return true
	}
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(fa.seed))
	h.Write(b[:])
	h.Write([]byte(path))
	// FNV's high bits barely depend on the last bytes; mix them (splitmix64).
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	u := float64(x>>11) / float64(uint64(1)<<53)
	return u < fa.share && !math.IsNaN(fa.share)
}

// takeFaultLocked picks the fault for one request to key; r.mu is held.
func (r *Registry) takeFaultLocked(key string) Fault {
	if q := r.queued[key]; len(q) > 0 {
		f := q[0].fault
		q[0].n--
		if q[0].n <= 0 {
			q = q[1:]
		}
		if len(q) == 0 {
			delete(r.queued, key)
		} else {
			r.queued[key] = q
		}
		return f
	}
	if fa := r.failAll; fa != nil && fa.times > 0 && fa.fault != FaultNone && fa.selects(key) {
		if r.failAllSeen[key] < fa.times {
			r.failAllSeen[key]++
			return fa.fault
		}
	}
	return FaultNone
}

// corrupt returns a copy of b with up to eight distinct bytes inverted,
// none in the first ten (the gzip header), so the damage lands in the
// compressed data. A JSON body also loses its first byte, since inverted
// bytes inside JSON strings would merely be invalid UTF-8.
func corrupt(b []byte) []byte {
	out := append([]byte(nil), b...)
	if len(out) == 0 {
		return out
	}
	if out[0] == '{' || out[0] == '[' {
		out[0] ^= 0xFF
	}
	start := 10
	if start >= len(out) {
		start = 0
	}
	span := len(out) - start
	seen := map[int]bool{}
	for i := 0; i < 8; i++ {
		pos := start + span*(2*i+1)/16
		if !seen[pos] && !(pos == 0 && out[0] != b[0]) {
			seen[pos] = true
			out[pos] ^= 0xFF
		}
	}
	return out
}
