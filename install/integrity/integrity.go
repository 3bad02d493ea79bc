// Package integrity parses and verifies npm Subresource Integrity strings.
//
// An SRI string holds one or more whitespace-separated hashes of the form
// "<algo>-<base64 digest>[?options]" (options are ignored, as ssri does).
// Parse keeps the strongest supported algorithm (sha512 > sha384 > sha256 >
// sha1); unknown algorithms are skipped. When the strongest algorithm appears
// more than once, the first digest is used. A Verifier hashes the compressed
// tarball bytes as they stream past and compares the result once at the end.
//
// Invariants: a parsed SRI always has a known Algo and a Digest of exactly the
// length that algorithm produces; Key is lowercase, filesystem safe and
// stable, so it can name content-addressed store entries.
package integrity

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
)

// SRI is one integrity hash: the strongest one found in an SRI string.
type SRI struct {
	Algo   string // "sha512", "sha384", "sha256" or "sha1"
	Digest []byte // raw digest bytes
}

type algoInfo struct {
	name string
	rank int
	size int
	new  func() hash.Hash
}

var algos = []algoInfo{
	{"sha1", 1, sha1.Size, sha1.New},
	{"sha256", 2, sha256.Size, sha256.New},
	{"sha384", 3, sha512.Size384, sha512.New384},
	{"sha512", 4, sha512.Size, sha512.New},
}

func lookup(name string) (algoInfo, bool) {
	for _, a := range algos {
		if a.name == name {
			return a, true
		}
	}
	return algoInfo{}, false
}

// Parse reads an SRI string and returns its strongest supported hash.
// It fails when no supported hash is present or when a supported hash has a
// malformed digest.
func Parse(s string) (SRI, error) {
	var best SRI
	bestRank := 0
	for _, tok := range strings.Fields(s) {
		if i := strings.IndexByte(tok, '?'); i >= 0 {
			tok = tok[:i]
		}
		name, b64, ok := strings.Cut(tok, "-")
		if !ok {
			continue
		}
		a, known := lookup(name)
		if !known {
			continue // like ssri: algorithms we cannot compute are ignored
		}
		if a.rank <= bestRank {
			continue
		}
		d, err := decodeB64(b64)
		if err != nil {
			return SRI{}, fmt.Errorf("failed to parse integrity %q: %s digest is not base64: %w", s, name, err)
		}
		if len(d) != a.size {
			return SRI{}, fmt.Errorf("failed to parse integrity %q: %s digest has %d bytes, want %d", s, name, len(d), a.size)
		}
		best, bestRank = SRI{Algo: a.name, Digest: d}, a.rank
	}
	if bestRank == 0 {
		return SRI{}, fmt.Errorf("failed to parse integrity %q: no sha512, sha384, sha256 or sha1 hash", s)
	}
	return best, nil
}

// decodeB64 accepts standard base64 with or without padding.
func decodeB64(s string) ([]byte, error) {
	if strings.HasSuffix(s, "=") {
		return base64.StdEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// FromShasum converts a hex sha1 (a packument's dist.shasum) into an SRI.
func FromShasum(hexsum string) (SRI, error) {
	d, err := hex.DecodeString(strings.TrimSpace(hexsum))
	if err != nil {
		return SRI{}, fmt.Errorf("failed to parse shasum %q: %w", hexsum, err)
	}
	if len(d) != sha1.Size {
		return SRI{}, fmt.Errorf("failed to parse shasum %q: %d bytes, want %d", hexsum, len(d), sha1.Size)
	}
	return SRI{Algo: "sha1", Digest: d}, nil
}

// String formats the hash as SRI: "<algo>-<base64>".
func (s SRI) String() string {
	if s.Algo == "" {
		return ""
	}
	return s.Algo + "-" + base64.StdEncoding.EncodeToString(s.Digest)
}

// Key is a stable, filesystem-safe name for the hash: "<algo>-<lowercase hex>".
func (s SRI) Key() string {
	return s.Algo + "-" + hex.EncodeToString(s.Digest)
}

// NewVerifier returns a Verifier that checks the bytes written to it against s.
// For an SRI not produced by Parse or FromShasum with an unknown Algo the
// Verifier fails at Verify.
func (s SRI) NewVerifier() *Verifier {
	v := &Verifier{want: s}
	if a, ok := lookup(s.Algo); ok {
		v.h = a.new()
	}
	return v
}

// Verifier is an io.Writer that hashes everything written to it.
// Feed it the compressed tarball bytes, then call Verify.
type Verifier struct {
	want SRI
	h    hash.Hash
	n    int64
}

// Write hashes p. It never fails.
func (v *Verifier) Write(p []byte) (int, error) {
	if v.h != nil {
		v.h.Write(p)
	}
	v.n += int64(len(p))
	return len(p), nil
}

// N reports how many bytes have been written.
func (v *Verifier) N() int64 { return v.n }

// Verify compares the digest of the bytes written so far with the expected
// one and returns a *MismatchError when they differ.
func (v *Verifier) Verify() error {
	if v.h == nil {
		return fmt.Errorf("failed to verify integrity: unsupported algorithm %q", v.want.Algo)
	}
	got := v.h.Sum(nil)
	if subtle.ConstantTimeCompare(got, v.want.Digest) == 1 {
		return nil
	}
	return &MismatchError{
		Want: v.want.String(),
		Got:  SRI{Algo: v.want.Algo, Digest: got}.String(),
	}
}

// MismatchError reports content whose digest differs from the expected one.
type MismatchError struct {
	Want, Got string // SRI strings
}

func (e *MismatchError) Error() string {
	return "failed to verify integrity: checksum mismatch\n\twant: " + e.Want + "\n\tgot:  " + e.Got
}
