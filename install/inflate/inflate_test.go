package inflate

import (
	"bytes"
	"compress/flate"
	"testing"
)

func TestRawDifferential(t *testing.T) {
	for name, data := range samples() {
		for level := -2; level <= 9; level++ {
			comp := stdDeflate(t, data, level)
			got, err := readAllRaw(comp)
			if err != nil {
				t.Fatalf("%s level %d: %v", name, level, err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("%s level %d: output differs (got %d bytes, want %d)", name, level, len(got), len(data))
			}
		}
		for _, level := range []int{1, 3, 5, 9, -2, 0} {
			comp := kDeflate(t, data, level)
			got, err := readAllRaw(comp)
			if err != nil {
				t.Fatalf("%s klauspost level %d: %v", name, level, err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("%s klauspost level %d: output differs", name, level)
			}
		}
	}
	_ = flate.BestSpeed
}
