package download

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/models/download/hftest"
)

const repo, rev, name = "ggml-org/test-GGUF", "main", "model-Q4_K_M.gguf"

func setup(t *testing.T, f *hftest.File) (*hftest.Server, *Downloader, Request) {
	t.Helper()
	srv := hftest.New(map[string]*hftest.File{repo + "/" + rev + "/" + name: f})
	t.Cleanup(srv.Close)
	d := &Downloader{Endpoint: srv.URL, FreeSpace: func(string) (uint64, error) { return 1 << 40, nil }}
	return srv, d, Request{Repo: repo, Revision: rev, File: name, Dest: filepath.Join(t.TempDir(), "m", name)}
}

func mustEqualFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes, not the %d served", path, len(got), len(want))
	}
	if _, err := os.Stat(Partial(path)); !os.IsNotExist(err) {
		t.Errorf("the partial file is still there (%v)", err)
	}
}

func TestEndpoint(t *testing.T) {
	for _, tc := range []struct{ env, want string }{
		{"", DefaultEndpoint},
		{"http://127.0.0.1:9/", "http://127.0.0.1:9"},
	} {
		got := Endpoint(func(k string) string {
			if k == EndpointEnv {
				return tc.env
			}
			return ""
		})
		if got != tc.want {
			t.Errorf("Endpoint with %q = %q, want %q", tc.env, got, tc.want)
		}
	}
	d := &Downloader{Endpoint: "https://hf.example/"}
	if got, want := d.URL(Request{Repo: "a/b", File: "dir/x y.gguf"}), "https://hf.example/a/b/resolve/main/dir/x%20y.gguf"; got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
}

// The whole file comes through the redirect to the CDN, is checked against the hash the server
// published (X-Linked-ETag) and lands at Dest; progress ends at the total.
func TestFetchFull(t *testing.T) {
	data := hftest.Synthetic(3<<20+17, 1)
	srv, d, req := setup(t, &hftest.File{Data: data})
	var last Progress
	if err := d.Fetch(context.Background(), req, func(p Progress) { last = p }); err != nil {
		t.Fatal(err)
	}
	mustEqualFile(t, req.Dest, data)
	if last.Done != int64(len(data)) || last.Total != int64(len(data)) {
		t.Errorf("last progress %+v, want %d of %d", last, len(data), len(data))
	}
	if r := srv.Ranges(); len(r) != 1 || r[0] != "" {
		t.Errorf("ranges asked %q, want one request for the whole file", r)
	}
	// A second Fetch finds the file in place and asks nothing.
	if err := d.Fetch(context.Background(), req, nil); err != nil || srv.Requests() != 1 {
		t.Errorf("refetch: %v, %d requests", err, srv.Requests())
	}
}

// Cancelling pauses: the partial file stays, and the next Fetch asks only for the rest.
func TestFetchPauseResume(t *testing.T) {
	data := hftest.Synthetic(2<<20, 2)
	srv, d, req := setup(t, &hftest.File{Data: data, Throttle: 5 * time.Millisecond})
	req.SHA256 = hftest.Hash(data) // the catalog's published hash
	ctx, cancel := context.WithCancel(context.Background())
	err := d.Fetch(ctx, req, func(p Progress) {
		if p.Done >= 512<<10 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("paused Fetch = %v, want context.Canceled", err)
	}
	st, err := os.Stat(Partial(req.Dest))
	if err != nil || st.Size() == 0 || st.Size() >= int64(len(data)) {
		t.Fatalf("partial file after pause: %v, %v", st, err)
	}
	if _, err := os.Stat(req.Dest); !os.IsNotExist(err) {
		t.Fatal("an unfinished file was put in place")
	}
	var first Progress
	if err := d.Fetch(context.Background(), req, func(p Progress) {
		if first.Total == 0 {
			first = p
		}
	}); err != nil {
		t.Fatal(err)
	}
	mustEqualFile(t, req.Dest, data)
	r := srv.Ranges()
	if want := "bytes=" + itoa(st.Size()) + "-"; len(r) != 2 || r[1] != want {
		t.Errorf("ranges asked %q, want the second %q", r, want)
	}
	if first.Done != st.Size() {
		t.Errorf("resumed progress starts at %d, want %d", first.Done, st.Size())
	}
}

// The server closes the connection mid-file: Fetch says so, keeps what came, and the next Fetch
// resumes from there.
func TestFetchDroppedConnection(t *testing.T) {
	data := hftest.Synthetic(1<<20, 3)
	srv, d, req := setup(t, &hftest.File{Data: data, DropAfter: 300_000})
	err := d.Fetch(context.Background(), req, nil)
	if !errors.Is(err, ErrDropped) || !strings.Contains(err.Error(), "300000 of 1048576") {
		t.Fatalf("dropped Fetch = %v, want ErrDropped after 300000 bytes", err)
	}
	if st, err := os.Stat(Partial(req.Dest)); err != nil || st.Size() != 300_000 {
		t.Fatalf("partial file: %v, %v", st, err)
	}
	if err := d.Fetch(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
	mustEqualFile(t, req.Dest, data)
	if r := srv.Ranges(); len(r) != 2 || r[1] != "bytes=300000-" {
		t.Errorf("ranges asked %q", r)
	}
}

// A file whose bytes do not match the published hash is deleted, with an error that says so.
func TestFetchWrongHash(t *testing.T) {
	data := hftest.Synthetic(100_000, 4)
	for _, tc := range []struct {
		name      string
		published string // the server's
		catalog   string // the request's
	}{
		{"server's hash", hftest.Hash([]byte("other")), ""},
		{"catalog's hash", "", hftest.Hash([]byte("other"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, d, req := setup(t, &hftest.File{Data: data, Published: tc.published})
			req.SHA256 = tc.catalog
			err := d.Fetch(context.Background(), req, nil)
			if !errors.Is(err, ErrBadHash) || !strings.Contains(err.Error(), hftest.Hash(data)) {
				t.Fatalf("Fetch = %v, want ErrBadHash naming the hash found", err)
			}
			for _, p := range []string{req.Dest, Partial(req.Dest)} {
				if _, err := os.Stat(p); !os.IsNotExist(err) {
					t.Errorf("%s is still there", p)
				}
			}
		})
	}
}

// A server that ignores Range sends the whole file again: it is started over, not appended.
func TestFetchServerIgnoresRange(t *testing.T) {
	data := hftest.Synthetic(500_000, 5)
	_, d, req := setup(t, &hftest.File{Data: data, IgnoreRange: true})
	if err := os.MkdirAll(filepath.Dir(req.Dest), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(Partial(req.Dest), data[:1000], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.Fetch(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
	mustEqualFile(t, req.Dest, data)
}

// A partial file as long as the file (the rename never happened) is started over, not refused.
func TestFetchPartialTooLong(t *testing.T) {
	data := hftest.Synthetic(200_000, 6)
	_, d, req := setup(t, &hftest.File{Data: data})
	if err := os.MkdirAll(filepath.Dir(req.Dest), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(Partial(req.Dest), append(append([]byte{}, data...), 1, 2, 3), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.Fetch(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
	mustEqualFile(t, req.Dest, data)
}

// Not enough disk: refused before a byte is written, naming what is needed and what is free.
func TestFetchNoSpace(t *testing.T) {
	data := hftest.Synthetic(2_500_000, 7)
	for _, tc := range []struct {
		name string
		size int64 // the catalog's, 0: only the server's
	}{{"catalog size", int64(len(data))}, {"server size", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			srv, d, req := setup(t, &hftest.File{Data: data})
			d.FreeSpace = func(string) (uint64, error) { return 1_000_000, nil }
			req.Size = tc.size
			err := d.Fetch(context.Background(), req, nil)
			if !errors.Is(err, ErrNoSpace) || !strings.Contains(err.Error(), "needs 2 MB, 1 MB are free") {
				t.Fatalf("Fetch = %v, want ErrNoSpace with the numbers", err)
			}
			if _, err := os.Stat(Partial(req.Dest)); !os.IsNotExist(err) {
				t.Error("a partial file was written")
			}
			if tc.size > 0 && srv.Requests() != 0 {
				t.Error("the server was asked although the catalog size did not fit")
			}
		})
	}
}

// Nothing listening: a clear error naming the host and the way out.
func TestFetchOffline(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	d := &Downloader{Endpoint: "http://" + addr, FreeSpace: func(string) (uint64, error) { return 1 << 40, nil }}
	err = d.Fetch(context.Background(), Request{Repo: repo, File: name, Dest: filepath.Join(t.TempDir(), name)}, nil)
	if !errors.Is(err, ErrOffline) || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), EndpointEnv) {
		t.Fatalf("Fetch = %v, want ErrOffline naming %s and %s", err, addr, EndpointEnv)
	}
}

// Size is the server's exact size, through the redirect; a missing file is an error.
func TestSize(t *testing.T) {
	data := hftest.Synthetic(123_457, 8)
	_, d, req := setup(t, &hftest.File{Data: data})
	if n, err := d.Size(context.Background(), req); err != nil || n != int64(len(data)) {
		t.Errorf("Size = %d, %v, want %d", n, err, len(data))
	}
	req.File = "missing.gguf"
	if _, err := d.Size(context.Background(), req); !errors.Is(err, ErrHTTP) {
		t.Errorf("Size of a missing file = %v, want ErrHTTP", err)
	}
}

// A missing file is the server's answer, not "offline".
func TestFetchNotFound(t *testing.T) {
	_, d, req := setup(t, &hftest.File{Data: []byte("x")})
	req.File = "missing.gguf"
	err := d.Fetch(context.Background(), req, nil)
	if !errors.Is(err, ErrHTTP) || !strings.Contains(err.Error(), "404") {
		t.Fatalf("Fetch = %v, want ErrHTTP 404", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
