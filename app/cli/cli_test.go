package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verbatim-app/verbatim/inference"
	"github.com/verbatim-app/verbatim/inference/gguf"
	"github.com/verbatim-app/verbatim/inference/testmodel"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	env := Env{Engines: inference.Engines(), Stdout: &o, Stderr: &e, CacheDir: t.TempDir(), Log: DefaultEnv().Log}
	code = Run(context.Background(), env, args)
	return code, o.String(), e.String()
}

// speechLike is two bursts of a modulated tone with silence around them: two utterances.
func speechLike() []float32 {
	var s []float32
	for b := 0; b < 2; b++ {
		s = append(s, make([]float32, 12000)...)
		for i := 0; i < 12000; i++ {
			s = append(s, float32(0.4*math.Sin(2*math.Pi*200*float64(i)/16000)*(0.6+0.4*math.Sin(float64(i)/250))))
		}
	}
	return append(s, make([]float32, 12000)...)
}

type synth struct{ dir, model, projector, wav string }

func newSynth(t *testing.T) synth {
	t.Helper()
	return synthFrom(t, testmodel.New(testmodel.DefaultSpec()).Files)
}

// synthFrom writes a synthetic model pair with files (a builder's Files) and the two-utterance talk.
func synthFrom(t *testing.T, files func(dir string) (model, projector string, err error)) synth {
	t.Helper()
	dir := t.TempDir()
	model, proj, err := files(dir)
	if err != nil {
		t.Fatal(err)
	}
	wav := filepath.Join(dir, "talk.wav")
	testenv.WriteWAV(t, wav, speechLike())
	return synth{dir, model, proj, wav}
}

// convert makes MP3/FLAC copies with sox, as a user's files would be.
func convert(t *testing.T, in, ext string, extra ...string) string {
	t.Helper()
	testenv.NeedTools(t, "sox")
	out := strings.TrimSuffix(in, ".wav") + ext
	args := append([]string{in}, append(extra, out)...)
	if b, err := exec.Command("sox", args...).CombinedOutput(); err != nil {
		t.Fatalf("sox %v: %v\n%s", args, err, b)
	}
	return out
}

func TestTranscribeFormats(t *testing.T) {
	s := newSynth(t)
	flac := convert(t, s.wav, ".flac", "-r", "44100", "-c", "2")
	mp3 := convert(t, s.wav, ".mp3", "-r", "44100")
	for _, in := range []string{s.wav, flac, mp3} {
		formats := []string{"txt", "srt", "vtt", "json", "md"}
		if in != s.wav {
			formats = []string{"srt"} // the decoders are what differ; every format is checked on WAV
		}
		for _, format := range formats {
			t.Run(filepath.Ext(in)+"/"+format, func(t *testing.T) {
				code, out, errOut := run(t, "transcribe", "--model", s.model, "--projector", s.projector, "--format", format, in)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, errOut)
				}
				switch format {
				case "srt":
					if strings.Count(out, " --> ") != 2 || !strings.HasPrefix(out, "1\n00:00:0") {
						t.Fatalf("want two SRT cues:\n%s", out)
					}
				case "vtt":
					if !strings.HasPrefix(out, "WEBVTT\n\n") || strings.Count(out, " --> ") != 2 {
						t.Fatalf("bad WebVTT:\n%s", out)
					}
				case "json":
					var doc struct {
						Segments []struct{ Start, End float64 }
					}
					if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Segments) != 2 || doc.Segments[0].End <= doc.Segments[0].Start {
						t.Fatalf("bad JSON (%v):\n%s", err, out)
					}
				case "md":
					if !strings.HasPrefix(out, "# talk") {
						t.Fatalf("bad Markdown:\n%s", out)
					}
				}
			})
		}
	}
}

func TestTranscribeFolderAndBadFiles(t *testing.T) {
	s := newSynth(t)
	bad := filepath.Join(s.dir, "noise.mp3")
	if err := os.WriteFile(bad, []byte("not audio at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	code, _, errOut := run(t, "transcribe", "--model", s.model, "--projector", s.projector, "--format", "srt", "-o", out, s.wav, bad)
	if code != 1 || !strings.Contains(errOut, "noise.mp3") || !strings.Contains(errOut, "1 of 2 files failed") {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	if b, err := os.ReadFile(filepath.Join(out, "talk.srt")); err != nil || !strings.Contains(string(b), " --> ") {
		t.Fatalf("the good file was not written: %v %q", err, b)
	}
}

func TestBadModelsAreOneLineErrors(t *testing.T) {
	s := newSynth(t)
	good, _ := os.ReadFile(s.model)
	write := func(name string, b []byte) string {
		p := filepath.Join(s.dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	oob := bytes.Clone(good)
	name := []byte("token_embd.weight")
	i := bytes.Index(oob, name) + len(name) + 4 + 16 + 4
	oob[i+7] = 0x7f // offset far beyond the end of the file
	w := gguf.NewWriter()
	w.SetString("general.architecture", "clip")
	w.SetString("clip.projector_type", "glma")
	w.SetBool("clip.has_audio_encoder", true)
	w.AddTensorF32("x", []uint64{1}, []float32{0})
	glma := filepath.Join(s.dir, "glma.gguf")
	if err := w.WriteFile(glma); err != nil {
		t.Fatal(err)
	}
	cases := map[string][2]string{
		"truncated":             {write("trunc.gguf", good[:len(good)/3]), s.projector},
		"random bytes":          {write("rand.gguf", bytes.Repeat([]byte{0x9c, 0x11, 0x42}, 999)), s.projector},
		"out-of-bounds offset":  {write("oob.gguf", oob), s.projector},
		"unsupported projector": {s.model, glma},
	}
	for n, c := range cases {
		t.Run(n, func(t *testing.T) {
			code, _, errOut := run(t, "transcribe", "--model", c[0], "--projector", c[1], s.wav)
			if code == 0 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Fatalf("exit %d, want one error line:\n%s", code, errOut)
			}
			if n == "unsupported projector" && !strings.Contains(errOut, "gemma4ua") {
				t.Fatalf("the error should list the supported projectors: %s", errOut)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	s := newSynth(t)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"transcribe", "--format", "docx", s.wav}, 2, "unknown format"},
		{[]string{"transcribe", "--gpu-layers", "many", s.wav}, 2, "--gpu-layers"},
		{[]string{"transcribe", "--model", s.model, s.wav}, 2, "--projector"},
		{[]string{"transcribe", "--draft", "magic", s.wav}, 2, "draft"},
		{[]string{"transcribe", "--model", s.model, "--projector", s.projector, "--draft", "mtp", s.wav}, 2, "needs an MTP head"},
		{[]string{"transcribe", "--draft", "off", "--mtp-head", s.model, s.wav}, 2, "--mtp-head with --draft off"},
		{[]string{"transcribe", "--model", s.model, "--projector", s.projector, "--draft", "model", s.wav}, 2, "needs a draft model"},
		{[]string{"transcribe", "--draft-model", s.model, s.wav}, 2, "--draft-model and --draft-projector go together"},
		{[]string{"transcribe", "--draft", "lookup", "--draft-model", s.model, "--draft-projector", s.projector, s.wav}, 2, "--draft-model with --draft lookup"},
		{[]string{"transcribe", "--model", s.model, "--projector", s.projector, "--mtp-head", s.projector, s.wav}, 1, "not an MTP head"},
		{[]string{"transcribe"}, 2, "no input files"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"transcribe", "--bogus"}, 2, "bogus"},
		{[]string{"transcribe", "--help"}, 0, "-translate"},
		{[]string{"help", "models"}, 0, "Usage: verbatim models"},
		{[]string{"help"}, 0, "transcribe"},
	}
	for _, c := range cases {
		code, out, errOut := run(t, c.args...)
		if code != c.code || !strings.Contains(out+errOut, c.want) {
			t.Errorf("%v: exit %d, output %q; want exit %d mentioning %q", c.args, code, out+errOut, c.code, c.want)
		}
	}
}

func TestModelsListsFiles(t *testing.T) {
	s := newSynth(t)
	code, out, errOut := run(t, "models", s.model, s.projector)
	if code != 0 || !strings.Contains(out, "llama") || !strings.Contains(out, "gemma4ua") || !strings.Contains(out, "hears audio") {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
}

func TestVersionReportsSIMD(t *testing.T) {
	code, out, _ := run(t, "version", "--verbose")
	if code != 0 || !strings.Contains(out, "CPU features compiled in:") || !strings.Contains(out, "CPU") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}
