// Package download fetches model files from Hugging Face (or a mirror with its URL layout): into a
// .partial file beside the destination, resumed with Range after a pause, a dropped connection or a
// restart, checked against the published SHA-256 and only then renamed into place.
package download

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultEndpoint is Hugging Face; EndpointEnv names a mirror (or a test server) instead, as
// huggingface_hub's HF_ENDPOINT does.
const (
	DefaultEndpoint = "https://huggingface.co"
	EndpointEnv     = "VERBATIM_HF_ENDPOINT"
)

// Endpoint is the base URL files are fetched from: $VERBATIM_HF_ENDPOINT, else Hugging Face.
func Endpoint(getenv func(string) string) string {
	if e := strings.TrimRight(getenv(EndpointEnv), "/"); e != "" {
		return e
	}
	return DefaultEndpoint
}

// The errors a person can act on; each comes wrapped with the file and the numbers.
var (
	ErrOffline    = errors.New("cannot reach the download server")
	ErrNoSpace    = errors.New("not enough free disk space")
	ErrBadHash    = errors.New("downloaded file is damaged")
	ErrNoHash     = errors.New("the server published no SHA-256 to check the file against")
	ErrHTTP       = errors.New("the download server refused")
	ErrDropped    = errors.New("the connection dropped")
	ErrBadPartial = errors.New("the server resumed at the wrong place")
)

// Request is one file to fetch.
type Request struct {
	Repo, Revision, File string // https://{endpoint}/{Repo}/resolve/{Revision}/{File}
	Dest                 string // where the verified file goes; Dest+".partial" while it downloads
	SHA256               string // the published hash; "" takes the one the server sends (X-Linked-ETag)
	Size                 int64  // the expected size, for the free-space check before the server answers; 0: unknown
}

// Partial is where a file downloads to until it is verified.
func Partial(dest string) string { return dest + ".partial" }

// Progress is reported while a file downloads.
type Progress struct {
	Done, Total int64   // bytes; Total 0 while unknown
	Rate        float64 // bytes per second since this attempt began
}

// Downloader fetches files. The zero value is not usable: set Endpoint.
type Downloader struct {
	Endpoint string       // "https://huggingface.co" or a mirror
	Client   *http.Client // nil: a client without an overall timeout (files are gigabytes)
	// FreeSpace reports the bytes free for new files in dir; nil: statfs. Tests inject it.
	FreeSpace func(dir string) (uint64, error)
}

// URL is where req's file is served.
func (d *Downloader) URL(req Request) string {
	parts := strings.Split(req.File, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	rev := req.Revision
	if rev == "" {
		rev = "main"
	}
	return strings.TrimRight(d.Endpoint, "/") + "/" + req.Repo + "/resolve/" + url.PathEscape(rev) + "/" + strings.Join(parts, "/")
}

// progressEvery spaces the progress reports: often enough for a smooth bar, rarely enough to cost
// nothing.
const progressEvery = 100 * time.Millisecond

// Fetch downloads req.File to req.Dest. Cancelling ctx pauses: the partial file stays and the next
// Fetch resumes it (ctx.Err() is returned). A file already at Dest is not fetched again.
func (d *Downloader) Fetch(ctx context.Context, req Request, progress func(Progress)) error {
	if progress == nil {
		progress = func(Progress) {}
	}
	if _, err := os.Stat(req.Dest); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(req.Dest), 0o755); err != nil {
		return fmt.Errorf("download %s: %w", req.File, err)
	}
	partial := Partial(req.Dest)
	var offset int64
	if st, err := os.Stat(partial); err == nil {
		offset = st.Size()
	}
	if req.Size > 0 {
		if err := d.checkSpace(req, req.Size-offset); err != nil {
			return err
		}
	}
	resp, err := d.get(ctx, req, offset)
	if err == nil && resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && offset > 0 {
		// The partial file is as long as the file, or longer: it cannot be trusted, so it starts over.
		resp.Body.Close()
		os.Remove(partial)
		offset = 0
		resp, err = d.get(ctx, req, 0)
	}
	if err != nil {
		return err
	}
	defer resp.Body.Close()

	total, start, err := d.answer(req, resp, offset)
	if err != nil {
		return err
	}
	if start == 0 && offset > 0 {
		offset = 0 // the server ignored Range: the partial file is started over
	}
	if err := d.checkSpace(req, total-offset); err != nil {
		return err
	}
	want := strings.ToLower(req.SHA256)
	if want == "" {
		// Hugging Face's X-Linked-ETag (on the redirect to its CDN) is the LFS object's sha256.
		if want = linkedHash(resp); want == "" {
			return fmt.Errorf("download %s: %w; set its hash in the catalog or use another mirror", req.File, ErrNoHash)
		}
	}

	flags := os.O_CREATE | os.O_RDWR
	if offset == 0 {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(partial, flags, 0o644)
	if err != nil {
		return fmt.Errorf("download %s: %w", req.File, err)
	}
	defer f.Close()
	h := sha256.New()
	if offset > 0 {
		// The hash covers the whole file: what an earlier attempt wrote is read once more.
		if _, err := io.Copy(h, io.NewSectionReader(f, 0, offset)); err != nil {
			return fmt.Errorf("download %s: read %s: %w", req.File, partial, err)
		}
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return fmt.Errorf("download %s: %w", req.File, err)
	}

	began, last := time.Now(), time.Time{}
	done := offset
	report := func(force bool) {
		if now := time.Now(); force || now.Sub(last) >= progressEvery {
			last = now
			rate := float64(done-offset) / max(now.Sub(began).Seconds(), 1e-3)
			progress(Progress{Done: done, Total: total, Rate: rate})
		}
	}
	report(true)
	buf := make([]byte, 256<<10)
	for done < total {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			if _, err := f.Write(buf[:n]); err != nil {
				return fmt.Errorf("download %s: write %s: %w", req.File, partial, err)
			}
			h.Write(buf[:n])
			done += int64(n)
			report(false)
		}
		if rerr != nil {
			if ctx.Err() != nil {
				report(true)
				return ctx.Err() // paused: the partial file stays for the next Fetch
			}
			if rerr == io.EOF && done == total {
				break
			}
			report(true)
			return fmt.Errorf("download %s: %w after %d of %d bytes (%v); resuming continues from there",
				req.File, ErrDropped, done, total, rerr)
		}
	}
	report(true)
	if err := f.Sync(); err != nil {
		return fmt.Errorf("download %s: %w", req.File, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		f.Close()
		os.Remove(partial)
		return fmt.Errorf("download %s: %w: its SHA-256 is %s, the published one %s; it was deleted, download it again",
			req.File, ErrBadHash, got, want)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("download %s: %w", req.File, err)
	}
	if err := os.Rename(partial, req.Dest); err != nil {
		return fmt.Errorf("download %s: %w", req.File, err)
	}
	return nil
}

// Size asks the server how big req's file is (HEAD; X-Linked-Size, or the CDN's Content-Length), so
// that progress over several files is right from the start.
func (d *Downloader) Size(ctx context.Context, req Request) (int64, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodHead, d.URL(req), nil)
	if err != nil {
		return 0, fmt.Errorf("size of %s: %w", req.File, err)
	}
	hr.Header.Set("Accept-Encoding", "identity")
	resp, err := d.client().Do(hr)
	if err != nil {
		return 0, fmt.Errorf("size of %s: %w", req.File, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("size of %s: %w with %s", req.File, ErrHTTP, resp.Status)
	}
	if n := linkedSize(resp); n >= 0 {
		return n, nil
	}
	if resp.ContentLength < 0 {
		return 0, fmt.Errorf("size of %s: the server sent none", req.File)
	}
	return resp.ContentLength, nil
}

// client is the HTTP client requests go through (tests inject one).
func (d *Downloader) client() *http.Client {
	if d.Client != nil {
		return d.Client
	}
	return &http.Client{}
}

// get sends the request, from offset on when there is a partial file.
func (d *Downloader) get(ctx context.Context, req Request, offset int64) (*http.Response, error) {
	u := d.URL(req)
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", req.File, err)
	}
	if offset > 0 {
		hr.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
	}
	// Compressed transfer would make Content-Length and Range count other bytes than the file's.
	hr.Header.Set("Accept-Encoding", "identity")
	resp, err := d.client().Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if isUnreachable(err) {
			return nil, fmt.Errorf("download %s: %w %s: check the connection, or set %s to a mirror (%v)",
				req.File, ErrOffline, hr.URL.Host, EndpointEnv, err)
		}
		return nil, fmt.Errorf("download %s from %s: %w", req.File, u, err)
	}
	return resp, nil
}

// answer checks the server's answer: the total size, and where the body starts (0 when it is the whole
// file, offset when it resumes).
func (d *Downloader) answer(req Request, resp *http.Response, offset int64) (total, start int64, err error) {
	switch {
	case resp.StatusCode == http.StatusPartialContent && offset > 0:
		first, last, size, ok := contentRange(resp.Header.Get("Content-Range"))
		if !ok || first != offset || last != size-1 {
			// Appending what does not follow on would damage the file: the partial file goes.
			os.Remove(Partial(req.Dest))
			return 0, 0, fmt.Errorf("download %s: %w (asked from byte %d, got %q); the partial file was deleted, download it again",
				req.File, ErrBadPartial, offset, resp.Header.Get("Content-Range"))
		}
		return size, offset, nil
	case resp.StatusCode == http.StatusOK:
		total := resp.ContentLength
		if total < 0 {
			total = linkedSize(resp)
		}
		if total < 0 {
			return 0, 0, fmt.Errorf("download %s: %w: the server sent no size", req.File, ErrHTTP)
		}
		return total, 0, nil
	}
	hint := ""
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		hint = ": the repository may be gated; accept its licence on huggingface.co or use another mirror"
	case http.StatusNotFound:
		hint = ": the file is not there (renamed or removed upstream)"
	}
	return 0, 0, fmt.Errorf("download %s: %w with %s at %s%s", req.File, ErrHTTP, resp.Status, d.URL(req), hint)
}

var contentRangeRE = regexp.MustCompile(`^bytes (\d+)-(\d+)/(\d+)$`)

func contentRange(s string) (first, last, size int64, ok bool) {
	m := contentRangeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, 0, 0, false
	}
	first, _ = strconv.ParseInt(m[1], 10, 64)
	last, _ = strconv.ParseInt(m[2], 10, 64)
	size, _ = strconv.ParseInt(m[3], 10, 64)
	return first, last, size, first <= last && last < size
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// linkedHash is the sha256 Hugging Face names an LFS file by: X-Linked-ETag on the redirect to the
// CDN, or the ETag of a server that answers directly. An ETag that is not a sha256 (a git blob's
// sha1, a CDN's own) is no hash to check against.
func linkedHash(resp *http.Response) string {
	for r := resp; r != nil; {
		for _, h := range []string{"X-Linked-Etag", "Etag"} {
			v := strings.ToLower(strings.Trim(strings.TrimPrefix(r.Header.Get(h), "W/"), `"`))
			if sha256Hex.MatchString(v) {
				return v
			}
		}
		if r.Request == nil {
			break
		}
		r = r.Request.Response // the redirect that led here
	}
	return ""
}

// linkedSize is X-Linked-Size from the response or a redirect before it; -1 when none says.
func linkedSize(resp *http.Response) int64 {
	for r := resp; r != nil; {
		if n, err := strconv.ParseInt(r.Header.Get("X-Linked-Size"), 10, 64); err == nil && n >= 0 {
			return n
		}
		if r.Request == nil {
			break
		}
		r = r.Request.Response
	}
	return -1
}

// isUnreachable tells a machine that cannot reach the server (no network, no DNS, nothing
// listening) from a server that answered badly.
func isUnreachable(err error) bool {
	var dns *net.DNSError
	var op *net.OpError
	return errors.As(err, &dns) || (errors.As(err, &op) && op.Op == "dial") || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTUNREACH)
}

// checkSpace fails when the destination's disk has less than need bytes free.
func (d *Downloader) checkSpace(req Request, need int64) error {
	if need <= 0 {
		return nil
	}
	free := d.FreeSpace
	if free == nil {
		free = statfsFree
	}
	dir := filepath.Dir(req.Dest)
	n, err := free(dir)
	if err != nil {
		return fmt.Errorf("download %s: free space in %s: %w", req.File, dir, err)
	}
	if uint64(need) > n {
		return fmt.Errorf("download %s: %w in %s: it needs %s, %s are free; free some space or choose a smaller model",
			req.File, ErrNoSpace, dir, Bytes(need), Bytes(int64(n)))
	}
	return nil
}

func statfsFree(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// Bytes writes a size for people: "4.7 GB", "680 MB".
func Bytes(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.0f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.0f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d bytes", n)
}
