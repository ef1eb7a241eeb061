package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tg4 "github.com/verbatim-app/verbatim/inference/testmodel/gemma4"
)

// Gemma 4 as `ollama pull` leaves it, in a fake Ollama store: `verbatim models` names each by its tag and
// says whether it hears; the 12B's blob and projector blob transcribe exactly as the Hugging Face pair they
// were made from; an E2B-style blob transcribes through its own conformer, passed as its own projector; a
// blob that cannot hear is refused with one line saying what it lacks.
func TestGemma4OllamaStore(t *testing.T) {
	s := newGemma4(t)
	e2b, broken := filepath.Join(s.dir, "e2b.gguf"), filepath.Join(s.dir, "e2b-broken.gguf")
	if err := tg4.New(tg4.ESpec()).WriteConformerBlob(e2b, 2, tg4.Edit{}); err != nil {
		t.Fatal(err)
	}
	err := tg4.New(tg4.ESpec()).WriteConformerBlob(broken, 2, tg4.Edit{Tensor: func(name string, shape []uint64) []uint64 {
		if name == "a.conv1d.1.weight" {
			return []uint64{3, 3, 2, shape[3] * 2} // as many elements, the wrong input channels
		}
		return shape
	}})
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	store := filepath.Join(home, ".ollama", "models")
	blob12, projBlob, err := tg4.OllamaStore(store, "12b", s.model, s.projector)
	if err != nil {
		t.Fatal(err)
	}
	blob31, _, err := tg4.OllamaStore(store, "31b", s.model, "")
	if err != nil {
		t.Fatal(err)
	}
	blobE2B, _, err := tg4.OllamaStore(store, "e2b", e2b, "")
	if err != nil {
		t.Fatal(err)
	}
	blobBroken, _, err := tg4.OllamaStore(store, "e2b-broken", broken, "")
	if err != nil {
		t.Fatal(err)
	}
	// E2B as ggml-org publishes it on Hugging Face (the same weights as the E2B blob): a text GGUF and a
	// gemma4a mmproj, in a snapshot of the Hugging Face cache.
	snap := filepath.Join(home, "cache", "huggingface", "hub", "models--ggml-org--gemma-4-E2B-it-GGUF", "snapshots", "0123abc")
	hfText, hfMmproj := filepath.Join(snap, "gemma-4-E2B-it-Q8_0.gguf"), filepath.Join(snap, "mmproj-gemma-4-E2B-it-f16.gguf")
	if err := os.MkdirAll(snap, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := tg4.New(tg4.ESpec()).WriteModel(hfText); err != nil {
		t.Fatal(err)
	}
	if err := tg4.New(tg4.ESpec()).WriteConformerMmproj(hfMmproj, 2, tg4.Edit{}); err != nil {
		t.Fatal(err)
	}
	// Only the fake store is searched: ~/.ollama/models under a home of its own, and no other cache.
	for _, k := range []string{"OLLAMA_MODELS", "HF_HUB_CACHE", "HF_HOME"} {
		t.Setenv(k, "")
	}
	t.Setenv("HOME", home)
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, "data"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))

	t.Run("models", func(t *testing.T) {
		code, out, errOut := run(t, "models")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		want := map[string][]string{ // name → what its line must say
			"gemma4:12b":             {"gemma4,", "hears audio", blob12},
			"gemma4:12b (projector)": {"projector gemma4ua", "hears audio", projBlob},
			"gemma4:31b":             {" model ", "cannot hear: ", "no audio encoder", blob31},
			"gemma4:e2b":             {"gemma4,", "hears audio", blobE2B},
			"gemma4:e2b-broken":      {"cannot hear: ", "tensor a.conv1d.1.weight has shape [3 3 2 8]; want [3 3 4 channels]", blobBroken},
			filepath.Base(hfText):    {"huggingface", "gemma4,", "hears audio", hfText},
			filepath.Base(hfMmproj):  {"huggingface", "projector gemma4a", "hears audio", hfMmproj},
		}
		for _, line := range strings.Split(out, "\n") {
			name, _, _ := strings.Cut(line, "  ")
			says, ok := want[name]
			if !ok {
				continue
			}
			for _, w := range says {
				if !strings.Contains(line, w) {
					t.Errorf("%s is listed as\n%s\nwithout %q", name, line, w)
				}
			}
			delete(want, name)
		}
		if len(want) > 0 {
			t.Errorf("not listed: %v\n%s", want, out)
		}
	})
	t.Run("transcribe the 12B's blobs", func(t *testing.T) {
		code, fromFiles, errOut := run(t, "transcribe", "--model", s.model, "--projector", s.projector, s.wav)
		if code != 0 {
			t.Fatalf("Hugging Face pair: exit %d: %s", code, errOut)
		}
		code, fromBlobs, errOut := run(t, "transcribe", "--model", blob12, "--projector", projBlob, s.wav)
		if code != 0 || strings.TrimSpace(fromBlobs) == "" || fromBlobs != fromFiles {
			t.Fatalf("Ollama blobs: exit %d, %q; the same weights as files gave %q\n%s", code, fromBlobs, fromFiles, errOut)
		}
	})
	t.Run("transcribe the E2B blob through its own conformer", func(t *testing.T) {
		code, out, errOut := run(t, "transcribe", "--model", blobE2B, "--projector", blobE2B, "--format", "json", s.wav)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var doc struct{ Segments []struct{ Text string } }
		if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Segments) != 2 || strings.TrimSpace(doc.Segments[0].Text) == "" {
			t.Fatalf("want two segments (%v):\n%s", err, out)
		}
	})
	t.Run("transcribe E2B as llama.cpp publishes it", func(t *testing.T) {
		code, fromBlob, errOut := run(t, "transcribe", "--model", blobE2B, "--projector", blobE2B, "--translate", "es", s.wav)
		if code != 0 {
			t.Fatalf("Ollama blob: exit %d: %s", code, errOut)
		}
		code, fromPair, errOut := run(t, "transcribe", "--model", hfText, "--projector", hfMmproj, "--translate", "es", s.wav)
		if code != 0 || strings.TrimSpace(fromPair) == "" || fromPair != fromBlob {
			t.Fatalf("text GGUF + gemma4a mmproj: exit %d, %q; the same weights as Ollama's blob gave %q\n%s", code, fromPair, fromBlob, errOut)
		}
	})
	for _, c := range []struct{ name, blob, want string }{
		{"31B as its own projector", blob31, "no audio encoder"},
		{"broken E2B as its own projector", blobBroken, "its audio encoder is incomplete"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := run(t, "transcribe", "--model", c.blob, "--projector", c.blob, s.wav)
			if code == 0 || !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut)
			}
		})
	}
}
