package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/assets"
	"github.com/verbatim-app/verbatim/inference"
)

func TestServeRefuses(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte(" \n"), 0o600)
	for _, c := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"network without token", []string{"--addr", "0.0.0.0:8177"}, 2, "--token-file"},
		{"all interfaces without token", []string{"--addr", ":8177"}, 2, "non-loopback"},
		{"missing token file", []string{"--addr", "0.0.0.0:0", "--token-file", filepath.Join(dir, "nope")}, 1, "--token-file"},
		{"empty token file", []string{"--token-file", empty}, 1, "empty"},
		{"bad address", []string{"--addr", "nonsense"}, 2, "nonsense"},
		{"argument", []string{"talk.wav"}, 2, "unexpected argument"},
		{"negative queue", []string{"--queue", "-1"}, 2, "--queue"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := run(t, append([]string{"serve"}, c.args...)...)
			if code != c.code || !strings.Contains(errOut, c.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut, c.code, c.msg)
			}
		})
	}
}

// syncBuffer is stderr shared between the server's goroutines and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestServeCommand runs `verbatim serve` on the demo model, probes it and stops it as SIGTERM would.
func TestServeCommand(t *testing.T) {
	var errOut syncBuffer
	env := Env{Engines: inference.Engines(), Stdout: &bytes.Buffer{}, Stderr: &errOut, CacheDir: t.TempDir(), Log: DefaultEnv().Log}
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() { code <- Run(ctx, env, []string{"serve", "--addr", "127.0.0.1:0"}) }()
	addr := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/v1`)
	var base string
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if m := addr.FindStringSubmatch(errOut.String()); m != nil && strings.Contains(errOut.String(), "ready") {
			base = "http://" + m[1]
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("server not ready within 2 minutes:\n%s", errOut.String())
		}
	}
	res, err := http.Get(base + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Data []struct{ ID string } `json:"data"`
	}
	json.NewDecoder(res.Body).Decode(&list)
	res.Body.Close()
	if len(list.Data) == 0 || list.Data[0].ID != strings.TrimSuffix(assets.DemoModel, ".gguf") {
		t.Errorf("/v1/models lists %+v; want the demo model first", list.Data)
	}
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("exit %d after shutdown:\n%s", c, errOut.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop within 15 s of its context ending")
	}
}
