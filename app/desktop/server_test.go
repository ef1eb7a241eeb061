package desktop

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/models"
	"github.com/verbatim-app/verbatim/capture/pcm"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// The window's local server answers OpenAI's transcription endpoint with the model the catalog has
// loaded, refuses an address others could reach, and frees its port on Stop.
func TestServerOverCatalog(t *testing.T) {
	fl := &fakeLoader{}
	c := newTestCatalog(t.TempDir(), models.Locations{}, fl)
	defer c.Close(context.Background())
	s := NewServer(c, nil)
	if _, err := s.Start("0.0.0.0:0"); err == nil {
		t.Fatal("a non-loopback address started without a token")
	}
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	post := func() (int, string) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", "a.wav")
		if err := pcm.EncodeWAV(fw, testenv.Voice(16000), pcm.Rate); err != nil {
			t.Fatal(err)
		}
		mw.Close()
		resp, err := http.Post(url+"/audio/transcriptions", mw.FormDataContentType(), &body)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Text  string
			Error struct{ Message string }
		}
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out.Text + out.Error.Message
	}
	if code, msg := post(); code != http.StatusServiceUnavailable {
		t.Fatalf("no model loaded: got %d %q, want 503", code, msg)
	}
	if err := c.Load(context.Background(), Choice{Model: "/m/one.gguf", Projector: "/m/one.mmproj.gguf"}, nil); err != nil {
		t.Fatal(err)
	}
	// The server notices the window's model within moments.
	code, text := post()
	for deadline := time.Now().Add(5 * time.Second); code == http.StatusServiceUnavailable && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		code, text = post()
	}
	if code != http.StatusOK || !strings.Contains(text, "one.gguf") {
		t.Fatalf("got %d %q, want the loaded model's text", code, text)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(url + "/models"); err == nil {
		t.Fatal("still answering after Stop")
	}
}
