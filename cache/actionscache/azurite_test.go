package actionscache

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	fake "github.com/lockstep-dev/lockstep/internal/testserver/actionscache"
)

// TestAzurite pushes real blob traffic through the Azure Storage emulator:
// the fake CacheService hands out Azurite service-SAS URLs, the client
// uploads with Put Blob (small) and Put Block + Put Block List (large),
// and downloads with Get Blob.
func TestAzurite(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping Azurite in -short mode")
	}
	az := fake.StartAzurite(t)
	srv := fake.New(t, az, runtimeToken)
	ctx := context.Background()
	src := t.TempDir()
	writeTree(t, src, map[string]string{"m/a": "manifest", "m/b": noise(300000), "link": "->m/a"})
	for _, tc := range []struct {
		name       string
		key        string
		singleShot int64
		blocks     bool
	}{
		{"put blob", "lockstep-azurite-single", 0, false},
		{"put block list", "lockstep-azurite-blocks", 1024, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(Config{Token: runtimeToken, ResultsURL: srv.URL(), SingleShot: tc.singleShot, BlockSize: 100 << 10, Concurrency: 3, RetryDelay: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			size, err := c.SaveDir(ctx, src, tc.key, nil)
			if err != nil {
				t.Fatal(err)
			}
			var id int64
			for _, e := range srv.Entries() {
				if e.Key == tc.key && e.Finalized && e.Size == size {
					id = e.ID
				}
			}
			if id == 0 {
				t.Fatalf("no finalized entry of %d bytes: %+v", size, srv.Entries())
			}
			want := 0
			if tc.blocks {
				want = int((size + 100<<10 - 1) / (100 << 10))
			}
			if n, err := az.Blocks(fake.BlobName(id)); err != nil || n != want || (tc.blocks && n < 2) {
				t.Errorf("azurite holds %d committed blocks (%v), want %d", n, err, want)
			}
			dst := filepath.Join(t.TempDir(), "restored")
			r, err := c.RestoreDir(ctx, dst, tc.key, nil)
			if err != nil || r == nil || !r.Exact {
				t.Fatalf("restore: %+v %v", r, err)
			}
			got := readTree(t, dst)
			if got["m/a"] != "manifest" || got["m/b"] != noise(300000) || got["link"] != "->m/a" {
				t.Errorf("restored tree differs: %d entries", len(got))
			}
			if l, err := os.Readlink(filepath.Join(dst, "link")); err != nil || l != "m/a" {
				t.Errorf("link: %q %v", l, err)
			}
		})
	}
}
