package gguf

import (
	"path/filepath"
	"strings"
	"testing"
)

// A projector is refused for a model that was trained with another projector type or that reads embeddings
// of another width; a matching one, or a model that does not say, passes.
func TestCheckPair(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, w *Writer) string {
		p := filepath.Join(dir, name)
		if err := w.WriteFile(p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	model := func(trainedWith string) string {
		w := smallModel()
		if trainedWith != "" {
			w.SetString(ProjectorTypeKey, trainedWith)
		}
		return write("model-"+trainedWith+".gguf", w)
	}
	raw := write("raw.mmproj.gguf", projector(ProjectorGemma4UA))
	wide := NewWriter()
	wide.SetString("general.architecture", "clip")
	wide.SetString("clip.projector_type", ProjectorGemma4UA)
	wide.SetBool("clip.has_audio_encoder", true)
	wide.SetUint32("clip.audio.projection_dim", 8)
	wide.AddTensorF32("mm.a.input_projection.weight", []uint64{640, 8}, make([]float32, 5120))
	widePath := write("wide.mmproj.gguf", wide)

	for _, c := range []struct {
		model, projector string
		want             string // "" = accepted
	}{
		{model(ProjectorGemma4UA), raw, ""},
		{model(""), raw, ""},
		{model(ProjectorLogMel), raw, "is a gemma4ua projector but model"},
		{model(ProjectorGemma4UA), widePath, "width 8 but model"},
	} {
		mf, minfo, err := Check(c.model)
		if err != nil {
			t.Fatal(err)
		}
		_, pinfo, err := Check(c.projector)
		if err != nil {
			t.Fatal(err)
		}
		err = CheckPair(mf, minfo, pinfo)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s + %s: %v; want accepted", c.model, c.projector, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s + %s: %v; want an error containing %q", c.model, c.projector, err, c.want)
		}
	}
}
