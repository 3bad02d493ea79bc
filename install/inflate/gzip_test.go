package inflate

import (
	"bytes"
	"compress/gzip"
	"errors"
	"hash/crc32"
	"io"
	"testing"
	"testing/iotest"
)

func TestGzipDifferential(t *testing.T) {
	var z *Reader
	for name, data := range samples() {
		var streams [][]byte
		for level := -2; level <= 9; level++ {
			streams = append(streams, stdGzip(t, data, level))
		}
		for _, level := range []int{1, 5, 9} {
			streams = append(streams, kGzip(t, data, level))
		}
		for i, comp := range streams {
			want, err := io.ReadAll(mustStdGzip(t, comp))
			if err != nil || !bytes.Equal(want, data) {
				t.Fatalf("%s #%d: compress/gzip disagrees with the input: %v", name, i, err)
			}
			// fresh reader, big reads
			got, err := readAllGzip(bytes.NewReader(comp))
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("%s #%d: got %d bytes, err %v; want %d bytes", name, i, len(got), err, len(data))
			}
			// reused reader
			if z == nil {
				z, err = NewReader(bytes.NewReader(comp))
			} else {
				err = z.Reset(bytes.NewReader(comp))
			}
			if err != nil {
				t.Fatal(err)
			}
			big := make([]byte, len(data)+1<<20)
			n := 0
			for err == nil {
				var k int
				k, err = z.Read(big[n:])
				n += k
			}
			if err != io.EOF || !bytes.Equal(big[:n], data) {
				t.Fatalf("%s #%d: reused reader: %d bytes, err %v", name, i, n, err)
			}
		}
	}
}

func mustStdGzip(t testing.TB, comp []byte) *gzip.Reader {
	r, err := gzip.NewReader(bytes.NewReader(comp))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestTinyReads reads 1 byte at a time from a reader that also delivers its
// input 1 byte at a time (and a data-with-EOF reader).
func TestTinyReads(t *testing.T) {
	data := samples()["mixed"]
	for _, level := range []int{0, 1, 6, 9, -2} {
		comp := stdGzip(t, data, level)
		for _, wrap := range []func(io.Reader) io.Reader{iotest.OneByteReader, iotest.DataErrReader, iotest.HalfReader} {
			z, err := NewReader(wrap(bytes.NewReader(comp)))
			if err != nil {
				t.Fatal(err)
			}
			var got []byte
			p := make([]byte, 1)
			for {
				n, err := z.Read(p)
				got = append(got, p[:n]...)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("level %d: %v", level, err)
				}
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("level %d: output differs (%d vs %d bytes)", level, len(got), len(data))
			}
		}
	}
}

func TestMultiMember(t *testing.T) {
	s := samples()
	parts := [][]byte{s["text1000"], {}, s["random65537"], s["zeros"], s["one"], s["text200000"]}
	var comp, want []byte
	for i, p := range parts {
		comp = append(comp, stdGzip(t, p, []int{0, 1, 6, 9, -2, 5}[i])...)
		want = append(want, p...)
	}
	for _, wrap := range []func(io.Reader) io.Reader{func(r io.Reader) io.Reader { return r }, iotest.OneByteReader} {
		got, err := readAllGzip(wrap(bytes.NewReader(comp)))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("got %d bytes, err %v; want %d", len(got), err, len(want))
		}
	}
	// compress/gzip agrees
	std, err := io.ReadAll(mustStdGzip(t, comp))
	if err != nil || !bytes.Equal(std, want) {
		t.Fatalf("compress/gzip: %v", err)
	}
}

func TestHeaderFlags(t *testing.T) {
	data := samples()["text1000"]
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Name = "package.tgz"
	w.Comment = "a comment"
	w.Extra = bytes.Repeat([]byte{1, 2, 3}, 100)
	w.Write(data)
	w.Close()
	withFields := b.Bytes()

	// FHCRC: rebuild the header with all flags and a header CRC.
	plain := stdGzip(t, data, 6)
	body := plain[10:]
	hdr := []byte{0x1f, 0x8b, 8, flagHdrCRC | flagExtra | flagName | flagComment, 1, 2, 3, 4, 0, 3}
	hdr = append(hdr, 3, 0, 'x', 'y', 'z')
	hdr = append(hdr, bytes.Repeat([]byte("n"), 1000)...) // longer than compress/gzip's 511
	hdr = append(hdr, 0, 'c', 0)
	c := crc32.ChecksumIEEE(hdr)
	good := append(append(append([]byte{}, hdr...), byte(c), byte(c>>8)), body...)
	bad := append(append(append([]byte{}, hdr...), byte(c)^1, byte(c>>8)), body...)

	tests := []struct {
		name    string
		in      []byte
		wantErr error
	}{
		{"name comment extra", withFields, nil},
		{"all flags with header crc", good, nil},
		{"bad header crc", bad, ErrHeader},
		{"not gzip", []byte("plain text, not gzip at all"), ErrHeader},
		{"bad method", append([]byte{0x1f, 0x8b, 7}, plain[3:]...), ErrHeader},
		{"empty", nil, io.EOF},
		{"magic only", []byte{0x1f, 0x8b}, io.ErrUnexpectedEOF},
		{"truncated name", good[:20], io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		for _, wrap := range []func(io.Reader) io.Reader{func(r io.Reader) io.Reader { return r }, iotest.OneByteReader} {
			got, err := readAllGzip(wrap(bytes.NewReader(tt.in)))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("%s: err %v, want %v", tt.name, err, tt.wantErr)
			}
			if err == nil && !bytes.Equal(got, data) {
				t.Fatalf("%s: output differs", tt.name)
			}
		}
	}
}

func TestTrailer(t *testing.T) {
	data := samples()["text32769"]
	comp := stdGzip(t, data, 6)
	n := len(comp)
	mod := func(i int, x byte) []byte {
		c := append([]byte{}, comp...)
		c[i] ^= x
		return c
	}
	tests := []struct {
		name     string
		in       []byte
		wantErr  error
		wantData bool // all data delivered before the error
	}{
		{"ok", comp, nil, true},
		{"bad crc", mod(n-8, 1), ErrChecksum, true},
		{"bad isize", mod(n-1, 0x80), ErrChecksum, true},
		{"trailing garbage", append(append([]byte{}, comp...), "garbage"...), ErrHeader, true},
		{"trailing zeros", append(append([]byte{}, comp...), 0, 0, 0, 0), ErrHeader, true},
		{"trailing one byte", append(append([]byte{}, comp...), '\n'), ErrHeader, true},
		{"trailing gzip magic", append(append([]byte{}, comp...), 0x1f, 0x8b, 8), io.ErrUnexpectedEOF, true},
		{"trailing bad method", append(append([]byte{}, comp...), 0x1f, 0x8b, 9, 0, 0, 0, 0, 0, 0, 0), ErrHeader, true},
	}
	for _, tt := range tests {
		z, err := NewReader(bytes.NewReader(tt.in))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(z)
		if !errors.Is(err, tt.wantErr) {
			t.Fatalf("%s: err %v, want %v", tt.name, err, tt.wantErr)
		}
		if tt.wantData && !bytes.Equal(got, data) {
			t.Fatalf("%s: got %d bytes, want %d", tt.name, len(got), len(data))
		}
		// the error is sticky
		if _, err2 := z.Read(make([]byte, 10)); err != nil && err2 != err {
			t.Fatalf("%s: second Read gave %v after %v", tt.name, err2, err)
		}
	}
}

// TestTruncated cuts small streams of every block type at every length.
func TestTruncated(t *testing.T) {
	s := samples()
	for name, data := range map[string][]byte{"text": s["text1000"], "random": s["random100"], "abab": s["abab"][:3000], "empty": nil} {
		for _, level := range []int{0, 1, 6, -2} {
			comp := stdGzip(t, data, level)
			first := len(comp)
			comp = append(comp, stdGzip(t, data[:len(data)/2], 9)...) // two members
			for cut := 1; cut < len(comp); cut++ {
				if cut == first {
					continue // a complete first member is a valid stream
				}
				z, err := NewReader(bytes.NewReader(comp[:cut]))
				if err == nil {
					_, err = io.ReadAll(z)
				}
				if err != io.ErrUnexpectedEOF {
					t.Fatalf("%s level %d cut %d/%d: err %v, want io.ErrUnexpectedEOF", name, level, cut, len(comp), err)
				}
			}
		}
	}
}
