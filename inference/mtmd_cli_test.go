package inference_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verbatim-app/verbatim/app/cli"
	"github.com/verbatim-app/verbatim/capture/pcm"
	"github.com/verbatim-app/verbatim/inference"
	"github.com/verbatim-app/verbatim/inference/testmodel"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// `verbatim transcribe --model M --projector P clip.wav` on the synthetic pairs (Ultravox and Qwen2-Audio
// projectors): the mtmd path from the command line to text. Random weights say arbitrary words; they must
// say them, and the same each time. mtmd pads every clip to 30 s, which Qwen2-Audio makes 750 positions:
// more than the synthetic model's own 512-token context, hence --ctx.
func TestTranscribeThroughUltravox(t *testing.T) {
	dir := t.TempDir()
	m := testmodel.New(testmodel.DefaultSpec())
	model := filepath.Join(dir, "synthetic.gguf")
	if err := m.WriteModel(model); err != nil {
		t.Fatal(err)
	}
	clips, err := testenv.FixtureClips()
	if err != nil {
		t.Fatal(err)
	}
	silence := make([]float32, pcm.Rate/2)
	audio := append(append(append([]float32(nil), silence...), clips[0].Samples...), silence...)
	wav := filepath.Join(dir, "clip.wav")
	b, err := pcm.WAV(audio, pcm.Rate)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wav, b, 0o644); err != nil {
		t.Fatal(err)
	}
	transcribe := func(proj string) string {
		var out, errOut bytes.Buffer
		env := cli.Env{Engines: inference.Engines(), Stdout: &out, Stderr: &errOut, CacheDir: t.TempDir(), Log: cli.DefaultEnv().Log}
		if code := cli.Run(context.Background(), env, []string{"transcribe", "--model", model, "--projector", proj,
			"--threads", "2", "--ctx", "1024", "--format", "json", wav}); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
		return out.String()
	}
	for _, typ := range []string{"ultravox", "qwen2a"} {
		t.Run(typ, func(t *testing.T) {
			spec := testmodel.DefaultUltravoxSpec(m.Spec.Embd)
			spec.Type = typ
			proj := filepath.Join(dir, typ+".mmproj.gguf")
			if err := testmodel.NewUltravox(spec).Write(proj); err != nil {
				t.Fatal(err)
			}
			first := transcribe(proj)
			var doc struct{ Segments []struct{ Text string } }
			if err := json.Unmarshal([]byte(first), &doc); err != nil {
				t.Fatalf("bad JSON (%v):\n%s", err, first)
			}
			if len(doc.Segments) == 0 || strings.TrimSpace(doc.Segments[0].Text) == "" {
				t.Fatalf("no text came out:\n%s", first)
			}
			t.Logf("heard %q", doc.Segments[0].Text)
			if again := transcribe(proj); again != first {
				t.Fatalf("the same file transcribed differently:\n%s\nthen\n%s", first, again)
			}
		})
	}
}
