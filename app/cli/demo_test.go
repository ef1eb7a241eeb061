package cli

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/verbatim-app/verbatim/assets"
	"github.com/verbatim-app/verbatim/inference/gguf"
	"github.com/verbatim-app/verbatim/tools/testenv"
	"github.com/verbatim-app/verbatim/tools/textnorm"
)

type heldout struct {
	en, spoken, es, fr, voice string
	speed, pitch              int
}

// readHeldout reads the held-out sentences shipped with the demo model: word combinations and voices it
// never heard in training.
func readHeldout(t *testing.T, n int) []heldout {
	t.Helper()
	f, err := os.Open(testenv.Asset(t, "heldout.tsv"))
	if err != nil {
		t.Fatalf("the demo model's held-out sentences: %v", err)
	}
	defer f.Close()
	var out []heldout
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() && len(out) < n {
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 7 {
			t.Fatalf("heldout.tsv: short row %q", sc.Text())
		}
		speed, _ := strconv.Atoi(c[5])
		pitch, _ := strconv.Atoi(c[6])
		out = append(out, heldout{c[0], c[1], c[2], c[3], c[4], speed, pitch})
	}
	return out
}

// heldoutSaying splits the held-out sentences into those that say word and the others, in file order, so
// that a test naming a word does not depend on which sentences a retrained model's set holds.
func heldoutSaying(t *testing.T, word string) (saying, others []heldout) {
	t.Helper()
	for _, r := range readHeldout(t, 1<<30) {
		if slices.Contains(strings.Fields(r.spoken), word) {
			saying = append(saying, r)
		} else {
			others = append(others, r)
		}
	}
	if len(saying) < 2 || len(others) < 1 {
		t.Fatalf("heldout.tsv: %d sentences say %q and %d do not; the tests need 2 and 1", len(saying), word, len(others))
	}
	return saying, others
}

// speak synthesises the sentences afresh with espeak-ng, in the held-out voices.
func speak(t *testing.T, rows []heldout) (dir string, files []string) {
	t.Helper()
	testenv.NeedTools(t, "espeak-ng")
	dir = t.TempDir()
	for i, r := range rows {
		p := filepath.Join(dir, fmt.Sprintf("s%03d.wav", i))
		cmd := exec.Command("espeak-ng", "-v", r.voice, "-s", strconv.Itoa(r.speed), "-p", strconv.Itoa(r.pitch), "-w", p, r.spoken)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("espeak-ng: %v %s", err, b)
		}
		files = append(files, p)
	}
	return dir, files
}

// hear runs `verbatim transcribe` over the files and returns each file's text.
func hear(t *testing.T, files []string, args ...string) []string {
	t.Helper()
	out := t.TempDir()
	full := append([]string{"transcribe", "-o", out + "/"}, args...)
	code, _, errOut := run(t, append(full, files...)...)
	if code != 0 {
		t.Fatalf("transcribe %v: exit %d\n%s", args, code, errOut)
	}
	suffix := ".txt"
	for i, a := range args {
		if a == "--translate" {
			suffix = "." + args[i+1] + ".txt"
		}
	}
	var texts []string
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(out, strings.TrimSuffix(filepath.Base(f), ".wav")+suffix))
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, strings.Join(strings.Fields(string(b)), " "))
	}
	return texts
}

func corpusWER(t *testing.T, refs, hyps []string, norm func(string) []string) float64 {
	t.Helper()
	var edits, words int
	for i := range refs {
		r, h := norm(refs[i]), norm(hyps[i])
		edits += textnorm.EditDistance(r, h)
		words += len(r)
	}
	return float64(edits) / float64(words)
}

// plainWords lowercases and strips punctuation, for translations (numerals stay as they are).
func plainWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return strings.ContainsRune(" .,;:!?¿¡\"«»", r)
	})
}

func TestDemoModelHearsHeldOutSpeech(t *testing.T) {
	if !assets.HasDemo() {
		t.Fatal("this build has no bundled demo model")
	}
	rows := readHeldout(t, 90)
	_, files := speak(t, rows)
	var spoken, es, fr []string
	for _, r := range rows {
		spoken, es, fr = append(spoken, r.spoken), append(es, r.es), append(fr, r.fr)
	}
	// The bundled model (Gemma 4's architecture on ollama's engine, log-mel projector), with no --model:
	// what a user gets.
	hyp := hear(t, files)
	wer := corpusWER(t, spoken, hyp, textnorm.Normalise)
	t.Logf("bundled demo model: WER %.2f%% on %d held-out sentences in unseen voices", 100*wer, len(rows))
	for i := 0; i < 3; i++ {
		t.Logf("  %q → %q", rows[i].en, hyp[i])
	}
	// The bound leaves room for another CPU's rounding, not for a regression.
	if wer > demoWERBound {
		t.Errorf("WER %.1f%% > %.0f%%", 100*wer, 100*demoWERBound)
	}
	for _, c := range []struct {
		lang string
		refs []string
	}{{"es", es}, {"fr", fr}} {
		tr := hear(t, files, "--translate", c.lang)
		e := corpusWER(t, c.refs, tr, plainWords)
		t.Logf("translation to %s: word error %.2f%%; e.g. %q → %q", c.lang, 100*e, c.refs[0], tr[0])
		if e > demoTranslationBound {
			t.Errorf("translation to %s: word error %.1f%% > %.0f%%", c.lang, 100*e, 100*demoTranslationBound)
		}
	}
}

func TestDemoRawFrameModelHears(t *testing.T) {
	if !assets.HasDemo() {
		t.Fatal("this build has no bundled demo model")
	}
	// Not in the binary (no user runs it): read from the repository folder.
	wer := heldOutWER(t, "raw-frame (gemma4ua) demo model", testenv.Asset(t, "demo-raw.gguf"), testenv.Asset(t, "demo-raw.mmproj.gguf"))
	// The raw-frame path is the seed's exact format and is shipped so it runs end to end; it hears far
	// worse than log-mel (see MODEL_CARD.md), so the bound only catches a broken path.
	if wer > rawWERBound {
		t.Errorf("WER %.1f%% > %.0f%%", 100*wer, 100*rawWERBound)
	}
}

// The llama-architecture demo model (in the repository only) hears through llama.cpp, which the CLI picks
// by its architecture, with the projector it shares with the bundled model.
func TestDemoLlamaModelHears(t *testing.T) {
	wer := heldOutWER(t, "llama.cpp demo model", testenv.Asset(t, "demo-logmel.gguf"), testenv.Asset(t, assets.DemoProjector))
	if wer > demoWERBound {
		t.Errorf("WER %.1f%% > %.0f%%", 100*wer, 100*demoWERBound)
	}
}

// heldOutWER is the WER of `transcribe --model model --projector proj` on 30 held-out sentences.
func heldOutWER(t *testing.T, what, model, proj string) float64 {
	t.Helper()
	rows := readHeldout(t, 30)
	_, files := speak(t, rows)
	var spoken []string
	for _, r := range rows {
		spoken = append(spoken, r.spoken)
	}
	hyp := hear(t, files, "--model", model, "--projector", proj)
	wer := corpusWER(t, spoken, hyp, textnorm.Normalise)
	t.Logf("%s: WER %.2f%%; e.g. %q → %q", what, 100*wer, rows[0].en, hyp[0])
	return wer
}

// Bounds a little above what the demo models measure through the app on held-out sentences (MODEL_CARD.md:
// the llama.cpp-architecture demo-logmel WER 0.44 % on 90, translation word error 2.5 % es, 3.4 % fr; the
// bundled demo-gemma4 0.35 % on 30).
const (
	demoWERBound         = 0.02
	demoTranslationBound = 0.06
)

// rawWERBound sits above the raw-frame model's held-out WER in MODEL_CARD.md; a broken projection or
// prompt gives near 100%.
const rawWERBound = 0.60

func TestShippedModelsPassValidation(t *testing.T) {
	dir := t.TempDir()
	bundled := []string{assets.DemoModel, assets.DemoProjector, assets.DemoMTPHead}
	for _, n := range append(bundled, "demo-logmel.gguf", "demo-logmel.mtp.gguf", "demo-raw.gguf", "demo-raw.mmproj.gguf",
		"demo-draft.gguf", "demo-draft.mmproj.gguf") {
		var p string
		var err error
		if !slices.Contains(bundled, n) { // in the repository only, for tests
			p = testenv.Asset(t, n)
		} else if p, err = assets.Extract(dir, n); err != nil {
			t.Fatal(err)
		}
		if _, info, err := gguf.Check(p); err != nil {
			t.Errorf("%s: %v", n, err)
		} else if strings.HasSuffix(n, ".mmproj.gguf") != (info.Kind == gguf.KindProjector) ||
			strings.HasSuffix(n, ".mtp.gguf") != (info.Kind == gguf.KindMTPHead) {
			t.Errorf("%s is a %s", n, info.Kind)
		}
	}
}

// Drafting changes speed, never words. On llama.cpp, the llama-architecture demo model with the demo draft
// model (--draft-model), its MTP head and prompt lookup; on ollama's engine, the bundled model with its MTP
// head: each gives exactly the plain greedy output, transcribing and translating.
func TestDemoDraftingIsExact(t *testing.T) {
	if !assets.HasDemo() {
		t.Fatal("this build has no bundled demo model")
	}
	_, files := speak(t, readHeldout(t, 8))
	llama := []string{"--model", testenv.Asset(t, "demo-logmel.gguf"), "--projector", testenv.Asset(t, assets.DemoProjector)}
	for _, c := range []struct {
		name  string
		model []string
		modes [][]string
	}{
		{"llama.cpp", llama, [][]string{
			{"--draft", "model", "--draft-model", testenv.Asset(t, "demo-draft.gguf"), "--draft-projector", testenv.Asset(t, "demo-draft.mmproj.gguf")},
			{"--draft", "mtp"}, {"--draft", "lookup"}}},
		{"bundled (Gemma 4 engine)", nil, [][]string{{"--draft", "mtp"}}},
	} {
		for _, target := range [][]string{nil, {"--translate", "es"}} {
			plain := hear(t, files, slices.Concat(c.model, target, []string{"--draft", "off"})...)
			for _, mode := range c.modes {
				got := hear(t, files, slices.Concat(c.model, target, mode)...)
				for i := range plain {
					if got[i] != plain[i] {
						t.Errorf("%s %v %v: %q, plain decoding: %q", c.name, target, mode, got[i], plain[i])
					}
				}
			}
		}
	}
}
