//go:build cgo

package serve

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/assets"
	"github.com/verbatim-app/verbatim/inference"
	"github.com/verbatim-app/verbatim/tools/testenv"
	"github.com/verbatim-app/verbatim/tools/textnorm"
)

// demoLoad loads the bundled demo model the way `verbatim serve` does with no --model.
func demoLoad(t testing.TB) func(context.Context) (Backend, error) {
	t.Helper()
	if !assets.HasDemo() {
		t.Fatal("this build has no bundled demo model")
	}
	dir := t.TempDir()
	return func(ctx context.Context) (Backend, error) {
		model, err := assets.Extract(dir, assets.DemoModel)
		if err != nil {
			return Backend{}, err
		}
		proj, err := assets.Extract(dir, assets.DemoProjector)
		if err != nil {
			return Backend{}, err
		}
		l, err := inference.Engines().Load(ctx, speech.LoadConfig{Model: model, Projector: proj, GPULayers: speech.AutoGPULayers})
		if err != nil {
			return Backend{}, err
		}
		return Backend{Model: l, Name: strings.TrimSuffix(assets.DemoModel, ".gguf"), Tasks: l.Tasks,
			Close: func() { l.Close(context.Background()) }}, nil
	}
}

type sentence struct{ spoken, es, voice, speed, pitch string }

// heldOut reads the first n held-out sentences shipped with the demo model (voices it never heard).
func heldOut(t testing.TB, n int) []sentence {
	t.Helper()
	f, err := os.Open(testenv.Asset(t, "heldout.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []sentence
	sc := bufio.NewScanner(f)
	sc.Scan()
	for sc.Scan() && len(out) < n {
		c := strings.Split(sc.Text(), "\t")
		out = append(out, sentence{spoken: c[1], es: c[2], voice: c[4], speed: c[5], pitch: c[6]})
	}
	return out
}

// clips speaks s with espeak-ng and converts it with sox: the same speech as WAV, MP3 and FLAC.
func clips(t testing.TB, s sentence) map[string]string {
	t.Helper()
	testenv.NeedTools(t, "espeak-ng", "sox")
	dir := t.TempDir()
	wav := filepath.Join(dir, "clip.wav")
	if b, err := exec.Command("espeak-ng", "-v", s.voice, "-s", s.speed, "-p", s.pitch, "-w", wav, s.spoken).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v %s", err, b)
	}
	out := map[string]string{"wav": wav}
	for ext, args := range map[string][]string{"mp3": {"-r", "44100", "-c", "2"}, "flac": {"-r", "48000"}} {
		p := filepath.Join(dir, "clip."+ext)
		if b, err := exec.Command("sox", append([]string{wav}, append(args, p)...)...).CombinedOutput(); err != nil {
			t.Fatalf("sox → %s: %v %s", ext, err, b)
		}
		out[ext] = p
	}
	return out
}

// words is what the comparison sees: the text without timing lines, cue numbers or headers.
func words(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || l == "WEBVTT" || strings.Contains(l, "-->") || strings.Trim(l, "0123456789") == "" {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(textnorm.Normalise(strings.Join(keep, " ")), " ")
}

func plain(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return strings.ContainsRune(" .,;:!?¿¡\"«»", r) })
}

const testToken = "test-token"

func sdk(base string, opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{option.WithBaseURL(base + "/v1/"), option.WithAPIKey(testToken)}, opts...)...)
}

// TestServeOpenAIClient: the official SDK, with only its base URL (and key) changed, transcribes the
// demo model's speech from WAV, MP3 and FLAC in every response format, streaming and not, and translates.
func TestServeOpenAIClient(t *testing.T) {
	s := heldOut(t, 1)[0]
	files := clips(t, s)
	base, _, _, _ := startServer(t, Config{Token: testToken, Load: demoLoad(t)})
	waitReady(t, base)
	client := sdk(base)
	ctx := context.Background()
	want := strings.Join(textnorm.Normalise(s.spoken), " ")
	open := func(t *testing.T, p string) *os.File {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	for _, ext := range []string{"wav", "mp3", "flac"} {
		for _, format := range []openai.AudioResponseFormat{"json", "verbose_json", "text", "srt", "vtt", "stream"} {
			t.Run(ext+"/"+string(format), func(t *testing.T) {
				p := openai.AudioTranscriptionNewParams{File: open(t, files[ext]), Model: openai.AudioModelWhisper1, Language: openai.String("en")}
				var got string
				switch format {
				case "json", "verbose_json":
					p.ResponseFormat = format
					res, err := client.Audio.Transcriptions.New(ctx, p)
					if err != nil {
						t.Fatal(err)
					}
					got = res.Text
					if format == "verbose_json" {
						v := res.AsTranscriptionVerbose()
						if len(v.Segments) == 0 || v.Duration <= 0 || v.Language != "english" {
							t.Errorf("verbose_json: %d segments, duration %v, language %q", len(v.Segments), v.Duration, v.Language)
						}
						for _, sg := range v.Segments {
							if !(sg.Start >= 0 && sg.End > sg.Start && sg.End <= v.Duration+0.5) {
								t.Errorf("segment %d at %v–%v in %v s of audio", sg.ID, sg.Start, sg.End, v.Duration)
							}
						}
					}
				case "stream":
					st := client.Audio.Transcriptions.NewStreaming(ctx, p)
					var deltas strings.Builder
					segs := 0
					for st.Next() {
						switch ev := st.Current(); ev.Type {
						case "transcript.text.delta":
							deltas.WriteString(ev.Delta)
						case "transcript.text.segment":
							segs++
						case "transcript.text.done":
							got = ev.Text
						}
					}
					if err := st.Err(); err != nil {
						t.Fatal(err)
					}
					if deltas.String() != got || segs == 0 {
						t.Errorf("deltas %q, %d segments; done text %q", deltas.String(), segs, got)
					}
				default:
					// The SDK's way for the text formats: Post with a *string destination.
					p.ResponseFormat = format
					if err := client.Post(ctx, "audio/transcriptions", p, &got); err != nil {
						t.Fatal(err)
					}
					if format != "text" && !strings.Contains(got, "-->") {
						t.Errorf("%s without cue timings:\n%s", format, got)
					}
				}
				if w := words(got); w != want {
					t.Errorf("heard %q (%q), want %q", w, got, want)
				}
			})
		}
	}
	t.Run("translate/es", func(t *testing.T) {
		p := openai.AudioTranslationNewParams{File: open(t, files["flac"]), Model: openai.AudioModelWhisper1}
		p.SetExtraFields(map[string]any{"target_language": "es"})
		res, err := client.Audio.Translations.New(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		// The demo model's translations are rougher than its transcripts (MODEL_CARD.md): what this checks is
		// that Spanish came back, not the English transcript or another clip's words.
		es, en, got := plain(s.es), plain(s.spoken), plain(res.Text)
		if d := textnorm.EditDistance(es, got); d > len(es)/3 || d >= textnorm.EditDistance(en, got) {
			t.Errorf("translation %q, want %q (%d words off)", res.Text, s.es, d)
		}
	})
	t.Run("translate/default", func(t *testing.T) {
		// The demo model hears English only and cannot translate into it: its transcript is the answer.
		res, err := client.Audio.Translations.New(ctx, openai.AudioTranslationNewParams{File: open(t, files["wav"]), Model: openai.AudioModelWhisper1})
		if err != nil {
			t.Fatal(err)
		}
		if w := words(res.Text); w != want {
			t.Errorf("heard %q, want %q", w, want)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, c := range []struct {
			name   string
			client openai.Client
			data   []byte
			status int
			code   string
		}{
			{"wrong key", sdk(base, option.WithAPIKey("wrong")), mustRead(t, files["wav"]), 401, "invalid_api_key"},
			{"not audio", client, []byte("just some text, not audio at all"), 415, "unsupported_format"},
			{"truncated", client, mustRead(t, files["wav"])[:100], 400, "invalid_file"},
		} {
			_, err := c.client.Audio.Transcriptions.New(ctx, openai.AudioTranscriptionNewParams{
				File: openai.File(bytes.NewReader(c.data), "a.wav", "audio/wav"), Model: openai.AudioModelWhisper1}, option.WithMaxRetries(0))
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) {
				t.Errorf("%s: %v, want an API error", c.name, err)
				continue
			}
			if apiErr.StatusCode != c.status || apiErr.Code != c.code || apiErr.Message == "" || apiErr.Type == "" {
				t.Errorf("%s: status %d code %q type %q message %q; want %d %q", c.name, apiErr.StatusCode, apiErr.Code, apiErr.Type, apiErr.Message, c.status, c.code)
			}
		}
	})
}

func mustRead(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestServeOpenAIQueueFull: SDK clients beyond the queue get 429 at once, the others their transcript.
func TestServeOpenAIQueueFull(t *testing.T) {
	s := heldOut(t, 1)[0]
	data := mustRead(t, clips(t, s)["wav"])
	base, _, _, _ := startServer(t, Config{Token: testToken, Queue: 1, Load: demoLoad(t)})
	waitReady(t, base)
	client := sdk(base, option.WithMaxRetries(0))
	want := strings.Join(textnorm.Normalise(s.spoken), " ")
	// 12 at once against room for 2: at least the last ones find the queue full.
	const n = 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, full := 0, 0
	for i := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			start := time.Now()
			res, err := client.Audio.Transcriptions.New(ctx, openai.AudioTranscriptionNewParams{
				File: openai.File(bytes.NewReader(data), fmt.Sprintf("c%d.wav", i), "audio/wav"), Model: openai.AudioModelWhisper1})
			mu.Lock()
			defer mu.Unlock()
			var apiErr *openai.Error
			switch {
			case err == nil:
				ok++
				if w := words(res.Text); w != want {
					t.Errorf("heard %q, want %q", w, want)
				}
			case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusTooManyRequests:
				full++
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("429 after %s: a full queue must answer at once", d)
				}
			default:
				t.Errorf("request %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	t.Logf("%d transcribed, %d refused with 429", ok, full)
	if ok < 2 || full == 0 || ok+full != n {
		t.Errorf("%d ok and %d refused of %d; want at least 2 ok and some 429", ok, full, n)
	}
}
