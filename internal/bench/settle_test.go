package bench

import (
	"context"
	"testing"
	"time"
)

func TestSettle(t *testing.T) {
	start := time.Now()
	if err := settle(context.Background(), 30*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("settled for %v, want at least 30ms", d)
	}
	if err := settle(context.Background(), 0); err != nil {
		t.Errorf("zero settle: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start = time.Now()
	if err := settle(ctx, time.Hour); err == nil || time.Since(start) > time.Second {
		t.Errorf("canceled settle: err %v after %v", err, time.Since(start))
	}
}
