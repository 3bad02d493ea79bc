package inflate

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"testing"
)

func fuzzSeeds(f *testing.F, gz bool) {
	s := samples()
	for _, name := range []string{"empty", "one", "text100", "random100", "abab", "skewed1000", "text1000"} {
		data := s[name]
		if len(data) > 4000 {
			data = data[:4000]
		}
		for _, level := range []int{-2, 0, 1, 6, 9} {
			if gz {
				f.Add(stdGzip(f, data, level))
			} else {
				f.Add(stdDeflate(f, data, level))
			}
		}
		if gz {
			f.Add(kGzip(f, data, 5))
		} else {
			f.Add(kDeflate(f, data, 5))
		}
	}
	if !gz {
		for _, tt := range []struct{ lit, dist []uint8 }{{longCode(), []uint8{1, 1}}} {
			f.Add(dynBlock(tt.lit, tt.dist, longTokens()))
		}
	}
}

// FuzzInflate compares raw DEFLATE decoding with compress/flate: the same
// output when both succeed, and an error from both otherwise. (The bytes
// delivered before an error and the error's text may differ.)
func FuzzInflate(f *testing.F) {
	fuzzSeeds(f, false)
	f.Fuzz(func(t *testing.T, data []byte) {
		want, werr := stdInflate(data)
		got, gerr := readAllRaw(data)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("compress/flate err %v, ours %v", werr, gerr)
		}
		if werr == nil && !bytes.Equal(got, want) {
			t.Fatalf("output differs: %d vs %d bytes", len(got), len(want))
		}
		if gerr != nil && gerr != io.ErrUnexpectedEOF && !errors.Is(gerr, ErrCorrupt) {
			t.Fatalf("unexpected error %v", gerr)
		}
		if werr == io.ErrUnexpectedEOF && gerr != io.ErrUnexpectedEOF {
			t.Fatalf("truncated: compress/flate %v, ours %v", werr, gerr)
		}
	})
}

// FuzzGzip compares gzip decoding with compress/gzip (multistream). Known
// difference: compress/gzip rejects FNAME/FCOMMENT fields longer than 511
// bytes with ErrHeader; we accept any length, like zlib.
func FuzzGzip(f *testing.F) {
	fuzzSeeds(f, true)
	f.Fuzz(func(t *testing.T, data []byte) {
		var want []byte
		r, werr := gzip.NewReader(bytes.NewReader(data))
		if werr == nil {
			want, werr = io.ReadAll(r)
		}
		got, gerr := readAllGzip(bytes.NewReader(data))
		if werr == io.EOF { // empty input: NewReader's io.EOF
			if gerr != io.EOF {
				t.Fatalf("empty stream: ours %v", gerr)
			}
			return
		}
		if werr == gzip.ErrHeader && gerr == nil && longHeaderString(data) {
			return
		}
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("compress/gzip err %v, ours %v", werr, gerr)
		}
		if werr == nil && !bytes.Equal(got, want) {
			t.Fatalf("output differs: %d vs %d bytes", len(got), len(want))
		}
		// Both read whole members before a checksum/header error.
		if (werr == gzip.ErrChecksum && gerr == ErrChecksum) || (werr == gzip.ErrHeader && gerr == ErrHeader) {
			if !bytes.Equal(got, want) {
				t.Fatalf("output before %v differs: %d vs %d bytes", gerr, len(got), len(want))
			}
		}
	})
}

// longHeaderString reports whether some member of data might have an FNAME
// or FCOMMENT of 512+ bytes (a conservative scan: any 512-byte NUL-free run
// after a header with those flags).
func longHeaderString(data []byte) bool {
	for i := 0; i+10 <= len(data); i++ {
		if data[i] != 0x1f || data[i+1] != 0x8b || data[i+3]&(flagName|flagComment) == 0 {
			continue
		}
		run := 0
		for _, b := range data[i+10:] {
			if b == 0 {
				run = 0
				continue
			}
			if run++; run >= 512 {
				return true
			}
		}
	}
	return false
}
