package actionscache

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"golang.org/x/sync/errgroup"
)

// azureVersion is the Blob service REST version sent with every blob
// request (what @azure/storage-blob 12.x sends is newer; this one is old
// enough for every emulator and still current on Azure).
const azureVersion = "2020-10-02"

// uploadBlob writes size bytes of r to the block blob at the SAS URL u:
// one Put Blob up to SingleShot bytes, else Put Block for each BlockSize
// chunk (Concurrency at a time) and Put Block List, as
// BlockBlobClient.uploadFile does.
func (c *Client) uploadBlob(ctx context.Context, u string, r io.ReaderAt, size int64) error {
	if size <= c.cfg.SingleShot {
		return c.retry(ctx, func() error {
			return c.blobPut(ctx, u, nil, io.NewSectionReader(r, 0, size), size, map[string]string{"x-ms-blob-type": "BlockBlob"})
		})
	}
	n := int((size + c.cfg.BlockSize - 1) / c.cfg.BlockSize)
	ids := make([]string, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.cfg.Concurrency)
	for i := 0; i < n; i++ {
		// block ids: equal length, base64, unique per blob
		ids[i] = base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("lockstep-block-%08d", i)))
		off := int64(i) * c.cfg.BlockSize
		ln := min(c.cfg.BlockSize, size-off)
		id := ids[i]
		g.Go(func() error {
			return c.retry(gctx, func() error {
				return c.blobPut(gctx, u, url.Values{"comp": {"block"}, "blockid": {id}}, io.NewSectionReader(r, off, ln), ln, nil)
			})
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	var list bytes.Buffer
	list.WriteString(`<?xml version="1.0" encoding="utf-8"?><BlockList>`)
	for _, id := range ids {
		list.WriteString("<Latest>" + id + "</Latest>")
	}
	list.WriteString("</BlockList>")
	body := list.Bytes()
	return c.retry(ctx, func() error {
		return c.blobPut(ctx, u, url.Values{"comp": {"blocklist"}}, bytes.NewReader(body), int64(len(body)), map[string]string{"Content-Type": "application/xml"})
	})
}

// blobPut sends one PUT to the SAS URL u with extra query parameters.
func (c *Client) blobPut(ctx context.Context, u string, extra url.Values, body io.Reader, size int64, headers map[string]string) error {
	pu, err := url.Parse(u)
	if err != nil {
		return permanent(fmt.Errorf("invalid signed upload URL"))
	}
	if extra != nil {
		q := pu.Query()
		for k, v := range extra {
			q[k] = v
		}
		pu.RawQuery = q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, pu.String(), body)
	if err != nil {
		return permanent(redactURL(err))
	}
	req.ContentLength = size
	req.Header.Set("x-ms-version", azureVersion)
	req.Header.Set("Content-Length", strconv.FormatInt(size, 10))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return redactURL(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		what := "upload the archive"
		if extra != nil {
			what = "upload the archive (" + extra.Get("comp") + ")"
		}
		return statusError(what, resp)
	}
	io.Copy(io.Discard, resp.Body)
	return nil
}
