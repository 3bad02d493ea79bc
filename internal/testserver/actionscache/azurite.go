package actionscache

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// AzuriteVersion is the Azure Storage emulator the tests install: the
// newest release that runs on Node 20 (3.36 and later need Node 21+).
const AzuriteVersion = "3.35.0"

// Azurite's well-known development account.
const (
	azuriteAccount = "devstoreaccount1"
	azuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
	azuriteSV      = "2020-10-02"
	container      = "actions-cache"
)

// Azurite is a running Azure Storage emulator (blob service only) whose
// service SAS URLs the fake hands out: blob traffic is real Azure REST.
type Azurite struct {
	t    testing.TB
	base string // http://127.0.0.1:PORT/devstoreaccount1
	key  []byte
	hc   *http.Client
}

// ToolsDir is where test tools are installed: $LOCKSTEP_TEST_TOOLS, else
// <user cache dir>/lockstep-test-tools.
func ToolsDir() (string, error) {
	if d := os.Getenv("LOCKSTEP_TEST_TOOLS"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "lockstep-test-tools"), nil
}

// InstallAzurite installs azurite@AzuriteVersion from the npm registry
// into the tools directory once (into a temporary directory, renamed into
// place) and returns the path of its blob service's main script. It skips
// the test when node or npm is missing.
func InstallAzurite(t testing.TB) string {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipping: the Azurite blob emulator needs %s, which is not on PATH", tool)
		}
	}
	tools, err := ToolsDir()
	if err != nil {
		t.Fatalf("failed to find a tools directory: %v", err)
	}
	dir := filepath.Join(tools, "azurite-"+AzuriteVersion)
	main := filepath.Join(dir, "node_modules", "azurite", "dist", "src", "blob", "main.js")
	if _, err := os.Stat(main); err == nil {
		return main
	}
	if err := os.MkdirAll(tools, 0o755); err != nil {
		t.Fatalf("failed to create %q: %v", tools, err)
	}
	tmp, err := os.MkdirTemp(tools, ".azurite-*")
	if err != nil {
		t.Fatalf("failed to install azurite: %v", err)
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "install", "--prefix", tmp, "--no-audit", "--no-fund", "--omit=dev", "--ignore-scripts", "--loglevel=error", "azurite@"+AzuriteVersion)
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("failed to install azurite@%s with npm: %v\n%s", AzuriteVersion, err, out)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(main); serr != nil { // another process did not win the race either
			t.Fatalf("failed to install azurite into %q: %v", dir, err)
		}
	}
	return main
}

var listening = regexp.MustCompile(`successfully listens on (http://127\.0\.0\.1:\d+)`)

// StartAzurite installs (once) and starts Azurite's blob service on a free
// loopback port with in-memory persistence, creates the cache container,
// and stops it at Cleanup. Skips without node/npm.
func StartAzurite(t testing.TB) *Azurite {
	t.Helper()
	main := InstallAzurite(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "node", main, "--blobHost", "127.0.0.1", "--blobPort", "0",
		"--inMemoryPersistence", "--extentMemoryLimit", "512", "--disableTelemetry", "--silent")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "AZURITE_ACCOUNTS=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("failed to start azurite: %v", err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		cancel()
		<-done
	})
	found := make(chan string, 1)
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stdout)
		cmd.Wait()
	}()
	var base string
	select {
	case base = <-found:
	case <-done:
		t.Fatalf("azurite exited before listening: %s", stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("azurite did not start within 30s: %s", stderr.String())
	}
	key, _ := base64.StdEncoding.DecodeString(azuriteKey)
	a := &Azurite{t: t, base: base + "/" + azuriteAccount, key: key, hc: &http.Client{Timeout: time.Minute}}
	a.createContainer()
	return a
}

func (a *Azurite) expiry() string {
	return time.Now().UTC().Add(time.Hour).Format("2006-01-02T15:04:05Z")
}

func (a *Azurite) hmac(s string) string {
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// blobSAS is a service SAS for one blob (sv 2018-11-09 to 2020-10-02
// string-to-sign).
func (a *Azurite) blobSAS(name, perm string) string {
	se := a.expiry()
	resource := "/blob/" + azuriteAccount + "/" + container + "/" + name
	sts := strings.Join([]string{perm, "", se, resource, "", "", "", azuriteSV, "b", "", "", "", "", "", ""}, "\n")
	q := url.Values{"sv": {azuriteSV}, "sr": {"b"}, "sp": {perm}, "se": {se}, "sig": {a.hmac(sts)}}
	return a.base + "/" + container + "/" + url.PathEscape(name) + "?" + q.Encode()
}

// accountSAS is an account SAS with every permission (container setup).
func (a *Azurite) accountSAS() url.Values {
	se := a.expiry()
	sts := strings.Join([]string{azuriteAccount, "rwdlac", "b", "sco", "", se, "", "", azuriteSV, ""}, "\n")
	return url.Values{"sv": {azuriteSV}, "ss": {"b"}, "srt": {"sco"}, "sp": {"rwdlac"}, "se": {se}, "sig": {a.hmac(sts)}}
}

func (a *Azurite) createContainer() {
	q := a.accountSAS()
	q.Set("restype", "container")
	req, _ := http.NewRequest(http.MethodPut, a.base+"/"+container+"?"+q.Encode(), nil)
	req.Header.Set("x-ms-version", azuriteSV)
	resp, err := a.hc.Do(req)
	if err != nil {
		a.t.Fatalf("failed to create the azurite container: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		body, _ := io.ReadAll(resp.Body)
		a.t.Fatalf("failed to create the azurite container: %s\n%s", resp.Status, body)
	}
}

// UploadURL implements Blobs: create and write.
func (a *Azurite) UploadURL(name string) string { return a.blobSAS(name, "cw") }

// DownloadURL implements Blobs: read.
func (a *Azurite) DownloadURL(name string) string { return a.blobSAS(name, "r") }

// Size implements Blobs through Get Blob Properties.
func (a *Azurite) Size(name string) (int64, error) {
	req, _ := http.NewRequest(http.MethodHead, a.blobSAS(name, "r"), nil)
	req.Header.Set("x-ms-version", azuriteSV)
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, errors.New("blob properties: " + resp.Status)
	}
	return strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64)
}

// Blocks lists the committed blocks of blob name (Get Block List): a blob
// written in one Put Blob has none.
func (a *Azurite) Blocks(name string) (int, error) {
	u := a.blobSAS(name, "r") + "&comp=blocklist&blocklisttype=committed"
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("x-ms-version", azuriteSV)
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("get block list: %s: %s", resp.Status, body)
	}
	return strings.Count(string(body), "<Block>"), nil
}

// BlobName is the name the fake gives the blob of entry id.
func BlobName(id int64) string { return fmt.Sprintf("entry-%d", id) }
