// Package catalog is the list of audio models Verbatim offers to download: where each lives on Hugging
// Face, its files at each quantisation, the languages it hears and how big its text model is (for
// "fits this machine").
package catalog

import (
	"fmt"
	"strings"

	"github.com/verbatim-app/verbatim/inference/gguf"
)

// File is one file of a release.
type File struct {
	Name string // path inside the repository
	// Size is the published size, rounded as Hugging Face shows it where the exact one was not found:
	// it serves the free-disk check and the listing; the download takes the exact size from the
	// server's X-Linked-Size.
	Size int64
	// SHA256 is the published hash (the LFS pointer's oid), or "" where it was not found: the
	// download then takes it from the X-Linked-ETag Hugging Face sends for LFS files, which is that
	// same sha256, and verifies against it.
	SHA256 string
}

// Quant is one quantisation of a model: its text model and the audio projector that goes with it.
type Quant struct {
	Name      string // "Q4_K_M"
	Model     File
	Projector File
}

// Size is what the quantisation downloads.
func (q Quant) Size() int64 { return q.Model.Size + q.Projector.Size }

// Shape is the text model's size, as the GGUF header would give it, for estimating the fit before the
// file is on disk.
type Shape struct {
	Blocks, EmbeddingLen uint64
	Vocab                int
	Parameters           uint64
}

// Model is one downloadable model.
type Model struct {
	ID        string // stable, used for folder and preference names: "voxtral-mini-3b"
	Name      string // "Voxtral Mini 3B"
	Repo      string // Hugging Face "owner/name"
	Revision  string // branch or commit the files are taken from
	Languages []string
	Shape     Shape
	Quants    []Quant // the first is the one offered first
	// NeedsEngine names the engine this build lacks to run the model ("" when it runs today). Such a
	// model is listed, honestly labelled, but not offered for download.
	NeedsEngine string
}

// Info is what speech.EstimateFit needs of q, as the GGUF header would give it.
func (m Model) Info(q Quant) gguf.Info {
	return gguf.Info{Kind: gguf.KindText, Size: q.Model.Size, Quantization: q.Name, BlockCount: m.Shape.Blocks,
		EmbeddingLen: m.Shape.EmbeddingLen, VocabSize: m.Shape.Vocab, Parameters: m.Shape.Parameters}
}

// Quant finds a quantisation by name.
func (m Model) Quant(name string) (Quant, bool) {
	for _, q := range m.Quants {
		if strings.EqualFold(q.Name, name) {
			return q, true
		}
	}
	return Quant{}, false
}

// Folder is the subfolder of the models folder the model's files go into: beside each other, so that
// the scan pairs the model with its projector.
func (m Model) Folder() string { return m.ID }

// Find looks a model up by ID.
func Find(id string) (Model, error) {
	for _, m := range Known() {
		if m.ID == id {
			return m, nil
		}
	}
	return Model{}, fmt.Errorf("no model %q in the catalog", id)
}

// gemma4Engine is what Gemma 4 waits for: its own engine (issue 13, docs/GEMMA4.md); the llama.cpp
// linked in today refuses the gemma4 architecture.
const gemma4Engine = "Gemma 4 engine"

// newerMtmd is what Ultravox and Voxtral wait for: their projectors stack audio frames (8 and 4), and the
// llama.cpp linked in (ec98e2002) counts one embedding fewer per 30 s than its graph makes and aborts on the
// first audio (inference/gguf/mtmd.go refuses such files at load).
const newerMtmd = "newer llama.cpp audio encoder"

// Known is the catalog, smallest first. It is a new slice on each call: callers may keep or change it.
//
// Repositories and file names are those llama.cpp's own tests and docs use (ggml-org) or the
// well-known quantisers' (mradermacher, unsloth). Sizes are Hugging Face's published ones; hashes are
// given where a published one was found and otherwise come from the server (see File.SHA256).
func Known() []Model {
	const MB = 1_000_000
	return []Model{
		{
			ID: "ultravox-v0.5-1b", Name: "Ultravox v0.5 (Llama 3.2 1B)", Repo: "ggml-org/ultravox-v0_5-llama-3_2-1b-GGUF",
			Revision:    "main",
			Languages:   []string{"en", "de", "es", "fr", "it", "pt", "hi", "th"},
			Shape:       Shape{Blocks: 16, EmbeddingLen: 2048, Vocab: 128256, Parameters: 1_240_000_000},
			NeedsEngine: newerMtmd,
			Quants: []Quant{
				{Name: "Q4_K_M", Model: File{Name: "Llama-3.2-1B-Instruct-Q4_K_M.gguf", Size: 808 * MB},
					Projector: File{Name: "mmproj-ultravox-v0_5-llama-3_2-1b-f16.gguf", Size: 1380 * MB}},
				{Name: "Q8_0", Model: File{Name: "Llama-3.2-1B-Instruct-Q8_0.gguf", Size: 1320 * MB},
					Projector: File{Name: "mmproj-ultravox-v0_5-llama-3_2-1b-f16.gguf", Size: 1380 * MB}},
			},
		},
		{
			ID: "voxtral-mini-3b", Name: "Voxtral Mini 3B", Repo: "ggml-org/Voxtral-Mini-3B-2507-GGUF", Revision: "main",
			Languages:   []string{"en", "fr", "de", "es", "it", "pt", "nl", "hi"},
			Shape:       Shape{Blocks: 30, EmbeddingLen: 3072, Vocab: 131072, Parameters: 3_600_000_000},
			NeedsEngine: newerMtmd,
			Quants: []Quant{
				{Name: "Q4_K_M", Model: File{Name: "Voxtral-Mini-3B-2507-Q4_K_M.gguf", Size: 2470 * MB},
					Projector: File{Name: "mmproj-Voxtral-Mini-3B-2507-Q8_0.gguf", Size: 680 * MB}},
				{Name: "Q8_0", Model: File{Name: "Voxtral-Mini-3B-2507-Q8_0.gguf", Size: 4280 * MB},
					Projector: File{Name: "mmproj-Voxtral-Mini-3B-2507-Q8_0.gguf", Size: 680 * MB}},
			},
		},
		{
			ID: "qwen2-audio-7b", Name: "Qwen2-Audio 7B Instruct", Repo: "mradermacher/Qwen2-Audio-7B-Instruct-GGUF",
			Revision:  "main",
			Languages: []string{"en", "zh", "yue", "fr", "it", "es", "de", "ja"},
			Shape:     Shape{Blocks: 32, EmbeddingLen: 4096, Vocab: 156032, Parameters: 7_750_000_000},
			Quants: []Quant{
				{Name: "Q4_K_M", Model: File{Name: "Qwen2-Audio-7B-Instruct.Q4_K_M.gguf", Size: 4700 * MB},
					Projector: File{Name: "Qwen2-Audio-7B-Instruct.mmproj-Q8_0.gguf", Size: 400 * MB}},
				{Name: "Q8_0", Model: File{Name: "Qwen2-Audio-7B-Instruct.Q8_0.gguf", Size: 8200 * MB},
					Projector: File{Name: "Qwen2-Audio-7B-Instruct.mmproj-Q8_0.gguf", Size: 400 * MB}},
			},
		},
		{
			ID: "gemma-4-e2b", Name: "Gemma 4 E2B", Repo: "ggml-org/gemma-4-E2B-it-GGUF", Revision: "main",
			Languages:   []string{"en", "es", "fr", "de", "it", "pt", "ja", "ko", "zh", "hi", "ar", "ru"},
			Shape:       Shape{Blocks: 35, EmbeddingLen: 1536, Vocab: 262144, Parameters: 5_100_000_000},
			NeedsEngine: gemma4Engine,
			Quants: []Quant{
				{Name: "Q8_0", Model: File{Name: "gemma-4-E2B-it-Q8_0.gguf", Size: 4600 * MB},
					Projector: File{Name: "mmproj-gemma-4-E2B-it-Q8_0.gguf", Size: 600 * MB}},
			},
		},
		{
			ID: "gemma-4-e4b", Name: "Gemma 4 E4B", Repo: "ggml-org/gemma-4-E4B-it-GGUF", Revision: "main",
			Languages:   []string{"en", "es", "fr", "de", "it", "pt", "ja", "ko", "zh", "hi", "ar", "ru"},
			Shape:       Shape{Blocks: 42, EmbeddingLen: 2560, Vocab: 262144, Parameters: 8_000_000_000},
			NeedsEngine: gemma4Engine,
			Quants: []Quant{
				{Name: "Q4_0", Model: File{Name: "gemma-4-E4B-it-Q4_0.gguf", Size: 4200 * MB},
					Projector: File{Name: "mmproj-gemma-4-E4B-it-Q8_0.gguf", Size: 600 * MB}},
			},
		},
		{
			ID: "gemma-4-12b", Name: "Gemma 4 12B", Repo: "unsloth/gemma-4-12b-it-GGUF", Revision: "main",
			Languages:   []string{"en", "es", "fr", "de", "it", "pt", "ja", "ko", "zh", "hi", "ar", "ru"},
			Shape:       Shape{Blocks: 48, EmbeddingLen: 3840, Vocab: 262144, Parameters: 12_000_000_000},
			NeedsEngine: gemma4Engine,
			Quants: []Quant{
				{Name: "Q4_K_M",
					Model: File{Name: "gemma-4-12b-it-Q4_K_M.gguf", Size: 7121861440,
						SHA256: "0a270ec9fe6b34f4a0d33992b6135117b484ebc4766ab76b51d4ae8c457e4c42"},
					Projector: File{Name: "mmproj-F16.gguf", Size: 850 * MB}},
			},
		},
	}
}
