package gemma4

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ollama/ollama/ml"
	"github.com/ollama/ollama/model"

	"github.com/verbatim-app/verbatim/app/speech"
	tg4 "github.com/verbatim-app/verbatim/inference/testmodel/gemma4"
)

// Ollama's store keeps each model as one blob. The 12B's text blob with its gemma4ua projector blob loads
// like the Hugging Face pair; a blob with no projector, or passed as its own projector, hears through the
// audio conformer inside it (E2B/E4B) and is otherwise refused before ollama's engine sees it, with
// ErrNoAudio and what is missing: no audio encoder at all (26B/31B), or a conformer tensor or shape.
func TestOllamaBlobLayouts(t *testing.T) {
	dir := t.TempDir()
	m := tg4.New(tg4.DefaultSpec())
	text, proj, err := m.Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, "ollama")
	blob12, projBlob, err := tg4.OllamaStore(store, "12b", text, proj)
	if err != nil {
		t.Fatal(err)
	}
	// The same file as blob12 (same digest): the 31B's manifest simply has no projector.
	blob31, _, err := tg4.OllamaStore(store, "31b", text, "")
	if err != nil {
		t.Fatal(err)
	}
	spoilt := func(tag string, e tg4.Edit) string {
		p := filepath.Join(dir, tag+".gguf")
		if err := tg4.New(tg4.ESpec()).WriteConformerBlob(p, 2, e); err != nil {
			t.Fatal(err)
		}
		blob, _, err := tg4.OllamaStore(store, tag, p, "")
		if err != nil {
			t.Fatal(err)
		}
		return blob
	}
	missing := spoilt("e2b-missing", tg4.Edit{Tensor: func(name string, shape []uint64) []uint64 {
		if name == "a.blk.1.attn_q.weight" {
			return nil
		}
		return shape
	}})
	transposed := spoilt("e2b-transposed", tg4.Edit{Tensor: func(name string, shape []uint64) []uint64 {
		if name == "a.blk.0.ffn_up.weight" {
			return []uint64{shape[1], shape[0]}
		}
		return shape
	}})
	cases := []struct {
		name, model, projector, want string
	}{
		{"31B, no projector", blob31, "", "no audio encoder (no gemma4.audio.block_count, no a.blk.* tensors)"},
		{"31B as its own projector", blob31, blob31, "no audio encoder"},
		{"E2B missing a conformer tensor", missing, missing, "tensor a.blk.1.attn_q.weight is missing"},
		{"E2B with a transposed conformer tensor", transposed, "", "tensor a.blk.0.ffn_up.weight has shape [32 16]; want [16 32]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(context.Background(), Config{ModelPath: c.model, ProjectorPath: c.projector, Instruction: instruction,
				newModel: func(string, ml.BackendParams) (model.Model, error) {
					t.Fatal("ollama's engine was given a model that cannot hear")
					return nil, nil
				}})
			if !errors.Is(err, speech.ErrNoAudio) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.model) {
				t.Fatalf("got %v; want ErrNoAudio naming %s and %q", err, c.model, c.want)
			}
		})
	}
	t.Run("12B blob with its projector blob", func(t *testing.T) {
		loaded, err := Load(context.Background(), Config{ModelPath: blob12, ProjectorPath: projBlob, Threads: 1, Instruction: instruction})
		if err != nil {
			t.Fatal(err)
		}
		defer loaded.Close()
		if loaded.Projector.ProjectorType != "gemma4ua" || loaded.Info.Architecture != "gemma4" {
			t.Fatalf("loaded %s with a %s projector", loaded.Info.Architecture, loaded.Projector.ProjectorType)
		}
	})
}

// An E2B/E4B-style blob hears through its own conformer (ollama's model_audio.go): one embedding per
// 40 ms (128-bin mel frames every 10 ms, subsampled 4× by two stride-2 convolutions), different audio
// gives different embeddings, and the engine's answer through the speech port, fed in uneven chunks, is
// the plain-Go reference decoder's greedy answer to those embeddings. The reference checks the decoder and
// how the rows reach it, not the conformer's arithmetic, which is ollama's (no independent reference here).
func TestConformerBlobHears(t *testing.T) {
	const maxTokens = 16
	ref := tg4.New(tg4.ESpec())
	dir := t.TempDir()
	path := filepath.Join(dir, "e2b.gguf")
	if err := ref.WriteConformerBlob(path, 2, tg4.Edit{}); err != nil {
		t.Fatal(err)
	}
	blob, _, err := tg4.OllamaStore(filepath.Join(dir, "ollama"), "e2b", path, "")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(context.Background(), Config{ModelPath: blob, ProjectorPath: blob, Threads: 1, MaxTokens: maxTokens, Instruction: instruction})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	samples := noise(16000, 11)
	var before, after []int32
	var rows, other [][]float32
	if err := m.do(context.Background(), func(c *core) (err error) {
		if before, after, err = c.prompt(instruction, ""); err != nil {
			return err
		}
		if rows, err = c.encodeAudio(samples); err != nil {
			return err
		}
		other, err = c.encodeAudio(noise(16000, 12))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// process_audio.go: the clip padded to a multiple of 128, frames of 321 samples every 160 (ollama's
	// numFrames); then two 3×3 convolutions of stride 2 and padding 1.
	frames := (len(samples) + 127) / 128 * 128
	frames = (frames - 321) / 160
	tokens := ((frames-1)/2+1-1)/2 + 1
	if len(rows) != tokens || len(rows[0]) != ref.Spec.Embd {
		t.Fatalf("%d audio rows of width %d; want %d of %d", len(rows), len(rows[0]), tokens, ref.Spec.Embd)
	}
	differ := false
	for i := range rows {
		for j, v := range rows[i] {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("audio row %d holds %v", i, v)
			}
			differ = differ || v != other[i][j]
		}
	}
	if !differ {
		t.Fatal("two different clips gave the same audio embeddings")
	}

	in := append(append(tg4.Tokens(ints(before)), tg4.Audio(rows)...), tg4.Tokens(ints(after))...)
	want, _ := ref.Greedy(in, maxTokens)
	var wantText strings.Builder
	for _, tok := range want {
		wantText.WriteString(ref.Piece(tok))
	}
	u, err := m.StartUtterance(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The conformer hears the clip at Finish; a provisional line encodes what has come so far: nothing from
	// less than one mel frame (an answer would come from the prompt alone), something from more, and from
	// the whole clip what Finish will say. Asking must not disturb the result.
	var peeks []string
	for _, chunk := range [][2]int{{0, 100}, {100, 7000}, {7000, 16000}} {
		if err := u.Feed(context.Background(), samples[chunk[0]:chunk[1]]); err != nil {
			t.Fatal(err)
		}
		p, err := u.(speech.Peeker).Peek(context.Background(), "", maxTokens)
		if err != nil {
			t.Fatal(err)
		}
		peeks = append(peeks, p)
	}
	res, err := u.Finish(context.Background(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := res[""]; got.Text != strings.TrimSpace(wantText.String()) || got.Tokens != len(want) || got.Text == "" {
		t.Fatalf("engine said %q (%d tokens); reference %q (%d tokens)", got.Text, got.Tokens, wantText.String(), len(want))
	}
	if peeks[0] != "" || peeks[1] == "" || peeks[2] != res[""].Text {
		t.Fatalf("provisional lines %q after 100, 7000 and 16000 samples; want nothing, something, and then %q", peeks, res[""].Text)
	}
}

// E2B/E4B as Hugging Face has them from llama.cpp: the text GGUF and a gemma4a mmproj. The engine renames the
// mmproj's conformer into ollama's layout and hears through it exactly as through Ollama's blob of the same
// weights: the same audio rows, bit for bit, and the same words; the temporary renamed file is gone after
// loading, and a spoiled mmproj is refused before ggml sees it.
func TestMmprojConformerHears(t *testing.T) {
	const maxTokens = 16
	ref := tg4.New(tg4.ESpec())
	dir := t.TempDir()
	blob, text, mmproj := filepath.Join(dir, "e2b-blob.gguf"), filepath.Join(dir, "gemma-4-e2b.gguf"), filepath.Join(dir, "mmproj-gemma-4-e2b.gguf")
	if err := ref.WriteConformerBlob(blob, 2, tg4.Edit{}); err != nil {
		t.Fatal(err)
	}
	if err := ref.WriteModel(text); err != nil {
		t.Fatal(err)
	}
	if err := ref.WriteConformerMmproj(mmproj, 2, tg4.Edit{}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", filepath.Join(dir, "tmp"))
	if err := os.Mkdir(os.Getenv("TMPDIR"), 0o755); err != nil {
		t.Fatal(err)
	}
	samples := noise(16000, 11)
	hear := func(model, projector string) (rows [][]float32, text string) {
		m, err := Load(context.Background(), Config{ModelPath: model, ProjectorPath: projector, Threads: 1, MaxTokens: maxTokens, Instruction: instruction})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if err := m.do(context.Background(), func(c *core) (err error) {
			rows, err = c.encodeAudio(samples)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		res, err := speech.Hear(context.Background(), m, samples, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return rows, res[""].Text
	}
	wantRows, wantText := hear(blob, blob)
	gotRows, gotText := hear(text, mmproj)
	if left, _ := os.ReadDir(os.Getenv("TMPDIR")); len(left) != 0 {
		t.Errorf("the renamed audio encoder was left behind: %v", left)
	}
	if len(gotRows) != len(wantRows) || len(gotRows) == 0 {
		t.Fatalf("%d audio rows from the mmproj; %d from Ollama's blob", len(gotRows), len(wantRows))
	}
	for i := range wantRows {
		for j := range wantRows[i] {
			if gotRows[i][j] != wantRows[i][j] {
				t.Fatalf("audio row %d differs at %d: %v from the mmproj, %v from Ollama's blob", i, j, gotRows[i][j], wantRows[i][j])
			}
		}
	}
	if gotText != wantText || gotText == "" {
		t.Fatalf("mmproj pair said %q; Ollama's blob %q", gotText, wantText)
	}

	// Nowhere to put the renamed copy (a full disk fails the same way, at the write): one error saying so.
	t.Setenv("TMPDIR", filepath.Join(dir, "no-such-folder"))
	if _, err := Load(context.Background(), Config{ModelPath: text, ProjectorPath: mmproj, Threads: 1, Instruction: instruction}); err == nil ||
		!strings.Contains(err.Error(), "make a temporary file for its audio encoder") || !strings.Contains(err.Error(), mmproj) {
		t.Fatalf("no temporary folder: %v; want an error saying where the audio encoder could not be put", err)
	}

	spoiled := filepath.Join(dir, "mmproj-spoiled.gguf")
	if err := ref.WriteConformerMmproj(spoiled, 2, tg4.Edit{Tensor: func(name string, shape []uint64) []uint64 {
		if name == "a.blk.0.conv_pw1.weight" {
			return []uint64{shape[1], shape[0]}
		}
		return shape
	}}); err != nil {
		t.Fatal(err)
	}
	_, err := Load(context.Background(), Config{ModelPath: text, ProjectorPath: spoiled, Threads: 1, Instruction: instruction})
	if err == nil || !strings.Contains(err.Error(), "a.blk.0.conv_pw1.weight has shape [32 16]") || !strings.Contains(err.Error(), spoiled) {
		t.Fatalf("spoiled mmproj: %v; want it refused naming the file and the tensor", err)
	}
}
