package actionscache

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The legacy REST protocol (GHES): cache?keys=&version=, caches,
// caches/{id} (PATCH chunks with Content-Range, POST to commit).

const v1Accept = "application/json;api-version=6.0-preview.1"

// v1Chunk is the PATCH size, as @actions/cache's uploadChunk (32 MiB).
const v1Chunk = 32 << 20

func (c *Client) v1Request(ctx context.Context, method, path string, body io.Reader, size int64, contentType string, headers map[string]string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, permanent(err)
	}
	if body != nil {
		req.ContentLength = size
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", v1Accept)
	req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, redactURL(err)
	}
	return resp, nil
}

func (c *Client) lookupV1(ctx context.Context, key string, restoreKeys []string) (*Entry, error) {
	var e *Entry
	q := url.Values{"keys": {strings.Join(append([]string{key}, restoreKeys...), ",")}, "version": {Version}}
	err := c.retry(ctx, func() error {
		resp, err := c.v1Request(ctx, http.MethodGet, "cache?"+q.Encode(), nil, 0, "", nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusNoContent {
			return nil
		}
		if resp.StatusCode != http.StatusOK {
			return statusError("look up the cache", resp)
		}
		var r struct {
			CacheKey        string `json:"cacheKey"`
			ArchiveLocation string `json:"archiveLocation"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			return permanent(fmt.Errorf("invalid cache lookup response: %w", err))
		}
		if r.ArchiveLocation != "" {
			e = &Entry{Key: r.CacheKey, url: r.ArchiveLocation}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("failed to look up cache key %q: %w", key, err)
	}
	return e, nil
}

func (c *Client) saveV1(ctx context.Context, key string, r io.ReaderAt, size int64) error {
	body, _ := json.Marshal(map[string]any{"key": key, "version": Version, "cacheSize": size})
	var id int64
	err := c.retry(ctx, func() error {
		resp, err := c.v1Request(ctx, http.MethodPost, "caches", bytes.NewReader(body), int64(len(body)), "application/json", nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusConflict {
			return permanent(ErrExists)
		}
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
			return statusError("reserve the cache", resp)
		}
		var r struct {
			CacheID int64 `json:"cacheId"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.CacheID == 0 {
			return permanent(fmt.Errorf("invalid reserve response"))
		}
		id = r.CacheID
		return nil
	})
	if err != nil {
		return fmt.Errorf("failed to reserve cache key %q: %w", key, err)
	}
	path := "caches/" + strconv.FormatInt(id, 10)
	for off := int64(0); off < size; off += v1Chunk {
		ln := min(int64(v1Chunk), size-off)
		err := c.retry(ctx, func() error {
			resp, err := c.v1Request(ctx, http.MethodPatch, path, io.NewSectionReader(r, off, ln), ln, "application/octet-stream",
				map[string]string{"Content-Range": fmt.Sprintf("bytes %d-%d/*", off, off+ln-1)})
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.StatusCode/100 != 2 {
				return statusError("upload a chunk", resp)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("failed to upload cache entry %q: %w", key, err)
		}
	}
	commit, _ := json.Marshal(map[string]any{"size": size})
	err = c.retry(ctx, func() error {
		resp, err := c.v1Request(ctx, http.MethodPost, path, bytes.NewReader(commit), int64(len(commit)), "application/json", nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return statusError("commit the cache", resp)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("failed to commit cache entry %q: %w", key, err)
	}
	return nil
}
