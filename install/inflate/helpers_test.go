package inflate

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"io"
	"math/rand/v2"
	"testing"

	kflate "github.com/klauspost/compress/flate"
	kgzip "github.com/klauspost/compress/gzip"
)

// samples returns named inputs of several shapes and sizes.
func samples() map[string][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	words := []string{"function", "return", "const", "export", "import", " ", "\n", "{", "}", "(", ")", ";", "lodash", "typescript", "=>", "0", "1", "\t", "var ", "this."}
	text := func(n int) []byte {
		var b bytes.Buffer
		for b.Len() < n {
			b.WriteString(words[r.IntN(len(words))])
		}
		return b.Bytes()[:n]
	}
	skewed := func(n int) []byte { // few symbols, long codes for rare ones
		b := make([]byte, n)
		for i := range b {
			x := r.ExpFloat64() * 3
			if x > 255 {
				x = 255
			}
			b[i] = byte(x)
		}
		return b
	}
	m := map[string][]byte{
		"empty":  {},
		"one":    {'x'},
		"two":    {0, 0},
		"zeros":  make([]byte, 100000),
		"abab":   bytes.Repeat([]byte("ab"), 50000),
		"period": bytes.Repeat([]byte("abcdefg"), 20000),
	}
	for _, n := range []int{7, 100, 1000, 32767, 32768, 32769, 65535, 65536, 65537, 200000} {
		m["random"+itoa(n)] = random(n)
		m["text"+itoa(n)] = text(n)
		m["skewed"+itoa(n)] = skewed(n)
	}
	// half text, half random, with long-distance repeats
	mixed := append(text(40000), random(30000)...)
	mixed = append(mixed, mixed[10000:50000]...)
	m["mixed"] = mixed
	return m
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func stdDeflate(t testing.TB, data []byte, level int) []byte {
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func stdGzip(t testing.TB, data []byte, level int) []byte {
	var b bytes.Buffer
	w, err := gzip.NewWriterLevel(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func kDeflate(t testing.TB, data []byte, level int) []byte {
	var b bytes.Buffer
	w, err := kflate.NewWriter(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func kGzip(t testing.TB, data []byte, level int) []byte {
	var b bytes.Buffer
	w, err := kgzip.NewWriterLevel(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// readAllRaw inflates a raw DEFLATE stream with our decoder.
func readAllRaw(data []byte) ([]byte, error) {
	return io.ReadAll(newRawReader(bytes.NewReader(data)))
}

// readAllGzip decompresses a gzip stream with our decoder.
func readAllGzip(r io.Reader) ([]byte, error) {
	z, err := NewReader(r)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(z)
}

func stdInflate(data []byte) ([]byte, error) {
	return io.ReadAll(flate.NewReader(bytes.NewReader(data)))
}
