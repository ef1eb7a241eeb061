package live

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/capture/audiofile"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// spoken synthesises phrases with espeak-ng and lays them out at 16 kHz with pause between them (and
// before the first); it returns the samples and where each phrase lies.
func spoken(tb testing.TB, pause time.Duration, phrases ...string) ([]float32, []span) {
	tb.Helper()
	dir := tb.TempDir()
	gap := make([]float32, samplesOf(pause))
	out := append([]float32(nil), gap...)
	var spans []span
	for _, p := range phrases {
		raw := filepath.Join(dir, "p.wav")
		if b, err := exec.Command("espeak-ng", "-v", "en-us", "-w", raw, p).CombinedOutput(); err != nil {
			tb.Fatalf("espeak-ng: %v: %s", err, b)
		}
		a, err := audiofile.DecodeFile(raw)
		if err != nil {
			tb.Fatal(err)
		}
		s := span{start: dur(len(out))}
		out = append(out, a.Samples...)
		s.end = dur(len(out))
		spans = append(spans, s)
		out = append(out, gap...)
	}
	return out, spans
}

func writeWAV(tb testing.TB, samples []float32) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "speech.wav")
	testenv.WriteWAV(tb, path, samples)
	return path
}
