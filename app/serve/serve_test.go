package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/capture/audiofile"
	"github.com/verbatim-app/verbatim/capture/pcm"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// fakeModel hears any audio as text, word by word; with gate set it holds each utterance until the gate
// closes or the request is cancelled, so tests can fill the queue and cancel work.
type fakeModel struct {
	text    string
	gate    chan struct{}
	started chan struct{} // one value per utterance that reached Finish
	stopped chan error    // the context error of an utterance cancelled while held
}

func newFake(text string, gated bool) *fakeModel {
	f := &fakeModel{text: text, started: make(chan struct{}, 100), stopped: make(chan error, 100)}
	if gated {
		f.gate = make(chan struct{})
	}
	return f
}

func (f *fakeModel) StartUtterance(ctx context.Context) (speech.Utterance, error) {
	return fakeUtt{f}, nil
}

type fakeUtt struct{ f *fakeModel }

func (fakeUtt) Feed(ctx context.Context, samples []float32) error { return ctx.Err() }
func (fakeUtt) Release()                                          {}
func (u fakeUtt) Finish(ctx context.Context, targets []string, emit func(string, string)) (map[string]speech.Result, error) {
	u.f.started <- struct{}{}
	if u.f.gate != nil {
		select {
		case <-u.f.gate:
		case <-ctx.Done():
			u.f.stopped <- ctx.Err()
			return nil, ctx.Err()
		}
	}
	text := u.f.text
	if targets[0] != "" {
		text = "[" + targets[0] + "] " + text
	}
	for i, w := range strings.Fields(text) {
		if i > 0 {
			w = " " + w
		}
		emit(targets[0], w)
	}
	return map[string]speech.Result{targets[0]: {Text: text}}, nil
}

// voiceWAV is a WAV file of a voiced sound between two silences: one utterance for the segmenter.
func voiceWAV(t testing.TB, seconds float64) []byte {
	t.Helper()
	n := int(seconds * 16000)
	s := append(make([]float32, 8000), testenv.Voice(n)...)
	s = append(s, make([]float32, 16000)...)
	var b bytes.Buffer
	if err := pcm.EncodeWAV(&b, s, pcm.Rate); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// startServer runs a server on a loopback port until the test ends; it returns the base URL.
func startServer(t testing.TB, cfg Config) (string, *Server, context.CancelFunc, <-chan error) {
	t.Helper()
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	stopped := make(chan struct{})
	go func() {
		done <- s.Serve(ctx, ln)
		close(stopped)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-stopped:
		case <-time.After(30 * time.Second):
			t.Error("server did not stop within 30 s")
		}
	})
	return "http://" + ln.Addr().String(), s, cancel, done
}

func fakeBackend(m speech.Model, tasks ...string) func(context.Context) (Backend, error) {
	return func(context.Context) (Backend, error) { return Backend{Model: m, Name: "fake", Tasks: tasks}, nil }
}

// waitReady polls /health until the model is loaded.
func waitReady(t testing.TB, base string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if h := health(t, base); h.Status == "ok" {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("server not ready within a minute")
}

type healthDoc struct {
	Status string `json:"status"`
	Busy   int    `json:"busy"`
}

func health(t testing.TB, base string) healthDoc {
	t.Helper()
	res, err := http.Get(base + "/health")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var h healthDoc
	if err := json.NewDecoder(res.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return h
}

// form builds a multipart body: fields, then the file (when name is not "").
func form(t testing.TB, name string, data []byte, fields map[string]string) (*bytes.Buffer, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if name != "" {
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	mw.Close()
	return &b, mw.FormDataContentType()
}

func post(ctx context.Context, t testing.TB, url, name string, data []byte, fields map[string]string, header http.Header) (*http.Response, error) {
	body, ctype := form(t, name, data, fields)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	for k, v := range header {
		req.Header[k] = v
	}
	return http.DefaultClient.Do(req)
}

// checkError asserts an OpenAI-shaped error with the status and code.
func checkError(t *testing.T, res *http.Response, status int, code string) {
	t.Helper()
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", res.StatusCode, status, b)
	}
	var doc struct {
		Error map[string]json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.Error == nil {
		t.Fatalf("not an OpenAI error: %s (%v)", b, err)
	}
	for _, k := range []string{"message", "type", "param", "code"} {
		if _, ok := doc.Error[k]; !ok {
			t.Errorf("error lacks %q: %s", k, b)
		}
	}
	var got string
	json.Unmarshal(doc.Error["code"], &got)
	if got != code {
		t.Errorf("code %q, want %q: %s", got, code, b)
	}
}

func TestServeErrors(t *testing.T) {
	wav := voiceWAV(t, 1)
	base, _, _, _ := startServer(t, Config{Load: fakeBackend(newFake("hello there", false), "transcribe", "translate:es"),
		MaxBytes: 200 << 10, MaxDuration: 3 * time.Second})
	waitReady(t, base)
	truncated := append([]byte(nil), wav[:60]...)
	for _, c := range []struct {
		name, path, file string
		data             []byte
		fields           map[string]string
		status           int
		code             string
	}{
		{"no file", "/v1/audio/transcriptions", "", nil, map[string]string{"model": "whisper-1"}, 400, "missing_file"},
		{"truncated wav", "/v1/audio/transcriptions", "a.wav", truncated, nil, 400, "invalid_file"},
		{"not audio", "/v1/audio/transcriptions", "a.wav", []byte(strings.Repeat("hello ", 100)), nil, 415, "unsupported_format"},
		{"ogg", "/v1/audio/transcriptions", "a.ogg", append([]byte("OggS"), make([]byte, 100)...), nil, 415, "unsupported_format"},
		{"bad format", "/v1/audio/transcriptions", "a.wav", wav, map[string]string{"response_format": "xml"}, 400, "invalid_value"},
		{"bad temperature", "/v1/audio/transcriptions", "a.wav", wav, map[string]string{"temperature": "hot"}, 400, "invalid_value"},
		{"too large", "/v1/audio/transcriptions", "a.wav", bytes.Repeat(wav, 8), nil, 413, "file_too_large"},
		{"too long", "/v1/audio/transcriptions", "a.wav", voiceWAV(t, 4), nil, 413, "audio_too_long"},
		{"untrained target", "/v1/audio/translations", "a.wav", wav, map[string]string{"target_language": "de"}, 400, "unsupported_language"},
		{"unknown route", "/v1/audio/speech", "a.wav", wav, nil, 404, "not_found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := post(context.Background(), t, base+c.path, c.file, c.data, c.fields, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkError(t, res, c.status, c.code)
		})
	}
	t.Run("not multipart", func(t *testing.T) {
		res, err := http.Post(base+"/v1/audio/transcriptions", "application/json", strings.NewReader(`{"file":"x"}`))
		if err != nil {
			t.Fatal(err)
		}
		checkError(t, res, 400, "invalid_multipart")
	})
}

func TestServeResponseFormats(t *testing.T) {
	base, _, _, _ := startServer(t, Config{Load: fakeBackend(newFake("Please bring the red box.", false), "transcribe", "translate:es")})
	waitReady(t, base)
	wav := voiceWAV(t, 1)
	for _, c := range []struct {
		path, format string
		fields       map[string]string
		want         []string // substrings of the body
	}{
		{"/v1/audio/transcriptions", "json", nil, []string{`{"text":"Please bring the red box."}`}},
		{"/v1/audio/transcriptions", "text", nil, []string{"Please bring the red box.\n"}},
		{"/v1/audio/transcriptions", "srt", nil, []string{"1\n00:00:00,", " --> 00:00:0", "Please bring the red box."}},
		{"/v1/audio/transcriptions", "vtt", nil, []string{"WEBVTT\n\n1\n00:00:00.", "Please bring the red box."}},
		{"/v1/audio/transcriptions", "verbose_json", map[string]string{"language": "en"},
			[]string{`"task":"transcribe"`, `"language":"english"`, `"segments":[{"id":0`, `"text":"Please bring the red box."`}},
		// The fake knows no translate:en, so the default target means a transcript, as for English audio.
		{"/v1/audio/translations", "json", nil, []string{`{"text":"Please bring the red box."}`}},
		{"/v1/audio/translations", "verbose_json", map[string]string{"target_language": "es"},
			[]string{`"task":"translate"`, `"language":"spanish"`, `"text":"[es] Please bring the red box."`}},
	} {
		t.Run(strings.TrimPrefix(c.path, "/v1/audio/")+"/"+c.format, func(t *testing.T) {
			fields := map[string]string{"model": "whisper-1", "response_format": c.format}
			for k, v := range c.fields {
				fields[k] = v
			}
			res, err := post(context.Background(), t, base+c.path, "a.wav", wav, fields, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != 200 {
				t.Fatalf("status %d: %s", res.StatusCode, b)
			}
			for _, w := range c.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("body lacks %q:\n%s", w, b)
				}
			}
		})
	}
}

// readSSE returns the data of each event in a stream.
func readSSE(t *testing.T, r io.Reader) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("event %q: %v", line, err)
		}
		out = append(out, ev)
	}
	return out
}

func TestServeStreams(t *testing.T) {
	base, _, _, _ := startServer(t, Config{Load: fakeBackend(newFake("one two three", false))})
	waitReady(t, base)
	// Two utterances: the deltas must join them with one space, as the final text does.
	wav := voiceWAV(t, 1)
	a, err := audiofile.Decode(bytes.NewReader(wav), "a.wav")
	if err != nil {
		t.Fatal(err)
	}
	var two bytes.Buffer
	pcm.EncodeWAV(&two, append(append([]float32(nil), a.Samples...), a.Samples...), pcm.Rate)
	res, err := post(context.Background(), t, base+"/v1/audio/transcriptions", "a.wav", two.Bytes(), map[string]string{"stream": "true"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	evs := readSSE(t, res.Body)
	var deltas strings.Builder
	segs := 0
	done := ""
	for _, ev := range evs {
		switch ev["type"] {
		case "transcript.text.delta":
			deltas.WriteString(ev["delta"].(string))
		case "transcript.text.segment":
			segs++
		case "transcript.text.done":
			done = ev["text"].(string)
		default:
			t.Errorf("unexpected event %v", ev)
		}
	}
	if want := "one two three one two three"; done != want || deltas.String() != want || segs != 2 {
		t.Errorf("done %q, deltas %q, %d segments; want %q twice and 2 segments", done, deltas.String(), segs, want)
	}
	if last := evs[len(evs)-1]["type"]; last != "transcript.text.done" {
		t.Errorf("last event %v, want transcript.text.done", last)
	}
}

func TestServeAuthAndModels(t *testing.T) {
	base, _, _, _ := startServer(t, Config{Token: "s3cret", Load: fakeBackend(newFake("hi", false)),
		Models: func(context.Context) []string { return []string{"fake", "other"} }})
	waitReady(t, base)
	wav := voiceWAV(t, 1)
	for _, c := range []struct {
		name   string
		header http.Header
		status int
	}{
		{"no token", nil, 401},
		{"wrong token", http.Header{"Authorization": {"Bearer nope"}}, 401},
		{"right token", http.Header{"Authorization": {"Bearer s3cret"}}, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := post(context.Background(), t, base+"/v1/audio/transcriptions", "a.wav", wav, nil, c.header)
			if err != nil {
				t.Fatal(err)
			}
			if c.status != 200 {
				checkError(t, res, c.status, "invalid_api_key")
				return
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Fatalf("status %d", res.StatusCode)
			}
		})
	}
	req, _ := http.NewRequest("GET", base+"/v1/models", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var list struct {
		Data []struct{ ID string } `json:"data"`
	}
	json.NewDecoder(res.Body).Decode(&list)
	if len(list.Data) != 2 || list.Data[0].ID != "fake" || list.Data[1].ID != "other" {
		t.Errorf("models %+v, want fake then other, once each", list.Data)
	}
}

func TestServeLoading(t *testing.T) {
	release := make(chan struct{})
	base, _, _, _ := startServer(t, Config{Load: func(ctx context.Context) (Backend, error) {
		select {
		case <-release:
		case <-ctx.Done():
			return Backend{}, ctx.Err()
		}
		return Backend{Model: newFake("hi", false), Name: "fake"}, nil
	}})
	res, err := post(context.Background(), t, base+"/v1/audio/transcriptions", "a.wav", voiceWAV(t, 1), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkError(t, res, 503, "model_loading")
	if h := health(t, base); h.Status != "loading" {
		t.Errorf("health %q while loading", h.Status)
	}
	close(release)
	waitReady(t, base)
}

func TestServeLoadFailureStops(t *testing.T) {
	_, _, _, done := startServer(t, Config{Load: func(context.Context) (Backend, error) { return Backend{}, errors.New("no such file") }})
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "no such file") {
			t.Errorf("Serve returned %v, want the load error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve kept running after the model failed to load")
	}
}

// TestServeQueueFull: with the model busy and the queue full, the next client gets 429 at once.
func TestServeQueueFull(t *testing.T) {
	m := newFake("hi", true)
	base, _, _, _ := startServer(t, Config{Queue: 1, Load: fakeBackend(m)})
	waitReady(t, base)
	wav := voiceWAV(t, 1)
	var wg sync.WaitGroup
	statuses := make(chan int, 2)
	for range 2 {
		wg.Go(func() {
			res, err := post(context.Background(), t, base+"/v1/audio/transcriptions", "a.wav", wav, nil, nil)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			statuses <- res.StatusCode
		})
	}
	<-m.started
	for deadline := time.Now().Add(10 * time.Second); health(t, base).Busy < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("second request never queued")
		}
	}
	start := time.Now()
	res, err := post(context.Background(), t, base+"/v1/audio/transcriptions", "a.wav", wav, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkError(t, res, 429, "queue_full")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("429 took %s: a full queue must answer at once", d)
	}
	close(m.gate)
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != 200 {
			t.Errorf("admitted request got %d", s)
		}
	}
}

// TestServeDisconnectCancels: a client that goes away stops its work on the model.
func TestServeDisconnectCancels(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) {
			m := newFake("hi", true)
			base, _, _, _ := startServer(t, Config{Load: fakeBackend(m)})
			waitReady(t, base)
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			go func() {
				res, err := post(ctx, t, base+"/v1/audio/transcriptions", "a.wav", voiceWAV(t, 1), map[string]string{"stream": fmt.Sprint(stream)}, nil)
				if err == nil {
					_, err = io.ReadAll(res.Body)
					res.Body.Close()
				}
				errc <- err
			}()
			<-m.started
			cancel()
			select {
			case err := <-m.stopped:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("work stopped with %v, want context.Canceled", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the model kept working after the client disconnected")
			}
			if err := <-errc; err == nil {
				t.Error("client request succeeded after cancel")
			}
			for deadline := time.Now().Add(5 * time.Second); health(t, base).Busy != 0; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the cancelled request still holds its queue slot")
				}
			}
		})
	}
}

// TestServeShutdown: on cancel, Serve lets running work go for the grace period, cancels it, and returns.
func TestServeShutdown(t *testing.T) {
	m := newFake("hi", true)
	base, _, stop, done := startServer(t, Config{Load: fakeBackend(m), ShutdownTimeout: 300 * time.Millisecond})
	waitReady(t, base)
	got := make(chan int, 1)
	go func() {
		res, err := post(context.Background(), t, base+"/v1/audio/transcriptions", "a.wav", voiceWAV(t, 1), nil, nil)
		if err != nil {
			got <- -1
			return
		}
		res.Body.Close()
		got <- res.StatusCode
	}()
	<-m.started
	start := time.Now()
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return within 5 s of shutdown")
	}
	if d := time.Since(start); d < 250*time.Millisecond || d > 3*time.Second {
		t.Errorf("shutdown took %s; want about the 300 ms grace period", d)
	}
	select {
	case err := <-m.stopped:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("work stopped with %v", err)
		}
	case <-time.After(time.Second):
		t.Error("running work was not cancelled at the shutdown bound")
	}
	if s := <-got; s == 200 {
		t.Error("a request cancelled by shutdown reported success")
	}
}

func TestServeCheckAddr(t *testing.T) {
	for _, c := range []struct {
		addr  string
		token bool
		ok    bool
	}{
		{"127.0.0.1:8177", false, true},
		{"localhost:8177", false, true},
		{"[::1]:8177", false, true},
		{"0.0.0.0:8177", false, false},
		{":8177", false, false},
		{"192.168.1.5:8177", false, false},
		{"myhost.lan:8177", false, false},
		{"0.0.0.0:8177", true, true},
		{"nonsense", false, false},
	} {
		err := CheckAddr(c.addr, c.token)
		if (err == nil) != c.ok {
			t.Errorf("CheckAddr(%q, token %v) = %v, want ok %v", c.addr, c.token, err, c.ok)
		}
	}
}

func TestServeDeltas(t *testing.T) {
	for _, c := range []struct {
		space  bool
		pieces []string
		want   string
	}{
		{false, []string{" Hello", " world", ". "}, "Hello world."},
		{true, []string{" Hello", " world", "."}, " Hello world."},
		{false, []string{"  ", "\n", "Hi", " ", " ", "there", "  "}, "Hi  there"},
		{true, []string{" ", " "}, ""},
	} {
		var got strings.Builder
		d := deltas{send: func(s string) { got.WriteString(s) }, space: c.space}
		for _, p := range c.pieces {
			d.add(p)
		}
		if got.String() != c.want {
			t.Errorf("%q (space %v) → %q, want %q", c.pieces, c.space, got.String(), c.want)
		}
	}
}
