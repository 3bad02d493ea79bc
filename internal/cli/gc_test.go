package cli

import (
	"runtime/debug"
	"testing"
)

func TestLowerGC(t *testing.T) {
	tests := []struct {
		name string
		gogc string
		want int // the GC percent while lowered
	}{
		{"default", "", installGCPercent},
		{"GOGC set", "200", 100},
		{"GOGC off", "off", 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prev := debug.SetGCPercent(100)
			defer debug.SetGCPercent(prev)
			restore := lowerGC(func(k string) string {
				if k == "GOGC" {
					return tc.gogc
				}
				return ""
			})
			if got := debug.SetGCPercent(-2); got != tc.want { // -2: read it back (any negative turns the collector off; put it back below)
				t.Errorf("GC percent while lowered = %d, want %d", got, tc.want)
			}
			debug.SetGCPercent(tc.want)
			restore()
			if got := debug.SetGCPercent(100); got != 100 {
				t.Errorf("GC percent after restore = %d, want 100", got)
			}
		})
	}
}
