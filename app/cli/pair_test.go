package cli

import (
	"strings"
	"testing"

	"github.com/verbatim-app/verbatim/assets"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// A projector from another model is refused in one line before any audio is heard: the raw-frame (gemma4ua)
// projector with the model trained on log-mel and the other way round (same width, so only the model's
// metadata can tell), and a projector of another width.
func TestProjectorOfAnotherModelIsRefused(t *testing.T) {
	if !assets.HasDemo() {
		t.Fatal("this build has no bundled demo model")
	}
	s := newSynth(t)
	const rawModel, rawProjector, draftProjector = "demo-raw.gguf", "demo-raw.mmproj.gguf", "demo-draft.mmproj.gguf" // in the repository only
	path := map[string]string{rawModel: testenv.Asset(t, rawModel), rawProjector: testenv.Asset(t, rawProjector),
		draftProjector: testenv.Asset(t, draftProjector)}
	for _, n := range []string{assets.DemoModel, assets.DemoProjector} {
		p, err := assets.Extract(s.dir, n)
		if err != nil {
			t.Fatal(err)
		}
		path[n] = p
	}
	for _, c := range []struct{ model, projector, want string }{
		{assets.DemoModel, rawProjector, "is a gemma4ua projector but model"},
		{rawModel, assets.DemoProjector, "is a verbatim_logmel projector but model"},
		{assets.DemoModel, draftProjector, "makes embeddings of width 128 but model"},
	} {
		code, stdout, stderr := run(t, "transcribe", "--model", path[c.model], "--projector", path[c.projector], s.wav)
		if code == 0 || stdout != "" || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s + %s: exit %d, stdout %q, stderr %q; want one error line containing %q", c.model, c.projector, code, stdout, stderr, c.want)
		}
	}
}
