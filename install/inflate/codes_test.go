package inflate

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// bitWriter writes DEFLATE bit fields (LSB first).
type bitWriter struct {
	out  []byte
	acc  uint64
	nacc uint
}

func (w *bitWriter) bits(v uint64, n uint) {
	w.acc |= v << w.nacc
	w.nacc += n
	for w.nacc >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.nacc -= 8
	}
}

// code writes a Huffman code (MSB first).
func (w *bitWriter) code(c uint32, n uint8) {
	for i := int(n) - 1; i >= 0; i-- {
		w.bits(uint64(c>>uint(i)&1), 1)
	}
}

func (w *bitWriter) bytes() []byte {
	if w.nacc > 0 {
		return append(w.out, byte(w.acc))
	}
	return w.out
}

// canonical assigns canonical codes (RFC 1951 3.2.2) to lens; for invalid
// codes the values are whatever the algorithm yields.
func canonical(lens []uint8) []uint32 {
	var count [16]uint32
	for _, l := range lens {
		count[l]++
	}
	count[0] = 0
	var next [16]uint32
	code := uint32(0)
	for l := 1; l < 16; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	codes := make([]uint32, len(lens))
	for s, l := range lens {
		if l != 0 {
			codes[s] = next[l]
			next[l]++
		}
	}
	return codes
}

type token struct{ lit, dist int } // dist < 0: no distance symbol

// dynBlock builds a final dynamic block with the given code lengths,
// sending the code lengths with a complete 4-bit code-length code (so no
// repeat codes), then the tokens (symbols without extra bits).
func dynBlock(lit, dist []uint8, toks []token) []byte {
	var w bitWriter
	w.bits(1, 1) // BFINAL
	w.bits(2, 2) // dynamic
	w.bits(uint64(len(lit)-257), 5)
	w.bits(uint64(len(dist)-1), 5)
	w.bits(19-4, 4)
	for _, s := range clenOrder {
		if s < 16 {
			w.bits(4, 3)
		} else {
			w.bits(0, 3)
		}
	}
	for _, l := range append(append([]uint8{}, lit...), dist...) {
		w.code(uint32(l), 4)
	}
	lc, dc := canonical(lit), canonical(dist)
	for _, t := range toks {
		if t.lit < len(lit) {
			w.code(lc[t.lit], lit[t.lit])
		}
		if t.dist >= 0 && t.dist < len(dist) {
			w.code(dc[t.dist], dist[t.dist])
		}
	}
	return w.bytes()
}

// litLens returns 257+extra litlen lengths forming a complete code over
// 'a', 'b', EOB and the length symbols 257..264 and any extras.
func litLens(n int, set map[int]uint8) []uint8 {
	l := make([]uint8, n)
	for s, v := range set {
		l[s] = v
	}
	return l
}

func TestCodes(t *testing.T) {
	// complete: 'a' 1 bit, 'b' 2 bits, EOB 3 bits, 257 3 bits
	good := map[int]uint8{'a': 1, 'b': 2, 256: 3, 257: 3}
	oneDist := []uint8{1}
	tests := []struct {
		name string
		lit  []uint8
		dist []uint8
		toks []token
		ok   bool
	}{
		{"complete codes", litLens(257+1, good), []uint8{1, 1}, []token{{'a', -1}, {'b', -1}, {257, 0}, {257, 1}, {256, -1}}, true},
		{"single length-1 distance code", litLens(258, good), oneDist, []token{{'a', -1}, {257, 0}, {256, -1}}, true},
		{"empty distance code, literals only", litLens(258, good), []uint8{0}, []token{{'a', -1}, {256, -1}}, true},
		{"empty distance code used", litLens(258, good), []uint8{0}, []token{{'a', -1}, {257, 0}, {256, -1}}, false},
		{"single length-2 distance code", litLens(258, good), []uint8{2}, []token{{'a', -1}, {256, -1}}, false},
		{"over-subscribed litlen", litLens(258, map[int]uint8{'a': 1, 'b': 1, 256: 2, 257: 2}), oneDist, []token{{'a', -1}, {256, -1}}, false},
		{"incomplete litlen", litLens(258, map[int]uint8{'a': 1, 'b': 2, 256: 3}), oneDist, []token{{'a', -1}, {256, -1}}, false},
		{"single length-1 litlen code (EOB)", litLens(258, map[int]uint8{256: 1}), oneDist, []token{{256, -1}}, true},
		{"over-subscribed distance", litLens(258, good), []uint8{1, 1, 1}, []token{{'a', -1}, {256, -1}}, false},
		{"distance too far back", litLens(258, good), []uint8{1, 1}, []token{{'a', -1}, {257, 1}, {256, -1}}, false},
		{"distance at the start", litLens(258, good), []uint8{1, 1}, []token{{257, 0}, {256, -1}}, false},
		{"no end of block", litLens(258, good), []uint8{1, 1}, []token{{'a', -1}}, false},
		{"long codes (subtables)", longCode(), []uint8{1, 1}, longTokens(), true},
	}
	for _, tt := range tests {
		raw := dynBlock(tt.lit, tt.dist, tt.toks)
		want, werr := stdInflate(raw)
		got, gerr := readAllRaw(raw)
		if (werr == nil) != tt.ok {
			t.Fatalf("%s: compress/flate err %v, test expects ok=%v (bad test)", tt.name, werr, tt.ok)
		}
		if (gerr == nil) != tt.ok {
			t.Fatalf("%s: err %v, want ok=%v", tt.name, gerr, tt.ok)
		}
		if gerr == nil && !bytes.Equal(got, want) {
			t.Fatalf("%s: output %q, compress/flate %q", tt.name, got, want)
		}
		t.Logf("%s: %v (compress/flate: %v)", tt.name, gerr, werr)
		if gerr != nil && !errors.Is(gerr, ErrCorrupt) && gerr != io.ErrUnexpectedEOF {
			t.Fatalf("%s: unexpected error kind %v", tt.name, gerr)
		}
	}
}

// longCode is a complete litlen code with lengths up to 15 (a Fibonacci-like
// skew), forcing subtables in the 11-bit main table.
func longCode() []uint8 {
	l := make([]uint8, 286)
	// lengths 1..14 for symbols 'a'.. then two of length 15
	syms := []int{'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 256, 257}
	for i, s := range syms[:13] {
		l[s] = uint8(i + 1)
	}
	l[256] = 14
	l[257] = 15
	l['z'] = 15
	return l
}

func longTokens() []token {
	var toks []token
	for _, s := range []int{'a', 'm', 'z', 'l', 'b', 'z', 'k'} {
		toks = append(toks, token{s, -1})
	}
	toks = append(toks, token{257, 0}, token{'z', -1}, token{256, -1})
	return toks
}

func TestRawErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{"block type 3", []byte{0x07, 0, 0}},
		{"stored length mismatch", []byte{0x01, 5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'}},
		{"too many litlen codes", func() []byte {
			var w bitWriter
			w.bits(5, 3)
			w.bits(30, 5)
			w.bits(0, 5)
			w.bits(0, 4)
			return append(w.bytes(), 0, 0, 0)
		}()},
		{"too many distance codes", func() []byte {
			var w bitWriter
			w.bits(5, 3)
			w.bits(0, 5)
			w.bits(30, 5)
			w.bits(0, 4)
			return append(w.bytes(), 0, 0, 0)
		}()},
		{"repeat with no previous length", func() []byte {
			var w bitWriter
			w.bits(5, 3)
			w.bits(0, 5)
			w.bits(0, 5)
			w.bits(0, 4) // 4 clen codes: 16,17,18,0 each 2 bits
			for i := 0; i < 4; i++ {
				w.bits(2, 3)
			}
			w.code(1, 2) // canonical: 0:00 16:01 17:10 18:11
			return append(w.bytes(), 0xff, 0xff, 0xff)
		}()},
		{"fixed distance 30", func() []byte {
			var w bitWriter
			w.bits(3, 3)        // final fixed
			w.code(0x30+'a', 8) // literal 'a'
			w.code(1, 7)        // 257
			w.code(30, 5)       // distance symbol 30
			return append(w.bytes(), 0, 0)
		}()},
		{"fixed litlen 286", func() []byte {
			var w bitWriter
			w.bits(3, 3)
			w.code(0xc0+6, 8) // 286
			return append(w.bytes(), 0, 0)
		}()},
	}
	for _, tt := range tests {
		_, werr := stdInflate(tt.in)
		_, gerr := readAllRaw(tt.in)
		if werr == nil {
			t.Fatalf("%s: compress/flate accepts it (bad test)", tt.name)
		}
		if !errors.Is(gerr, ErrCorrupt) {
			t.Fatalf("%s: err %v, want ErrCorrupt (compress/flate: %v)", tt.name, gerr, werr)
		}
		t.Logf("%s: %v", tt.name, gerr)
	}
}
