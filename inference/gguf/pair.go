package gguf

import "fmt"

// ProjectorTypeKey, in a language model, names the clip.projector_type of the audio projector the model was
// trained with. It is Verbatim's own metadata (the demo models carry it); a model without it is checked on
// width alone.
const ProjectorTypeKey = "verbatim.audio.projector_type"

// CheckPair refuses a projector that cannot feed a model: one that makes embeddings of another width, or one
// of another type than the model was trained with. Either way the model would be given features it has
// never seen and decode confident nonsense (or nothing), so this is an error before any audio is read.
// model is the language model's parsed header and minfo its Info; pinfo is the projector's Info.
func CheckPair(model *File, minfo, pinfo Info) error {
	if pinfo.ProjectorType == ProjectorGemma4A && !IsGoEngineArchitecture(minfo.Architecture) {
		return fmt.Errorf("projector %s is Gemma 4's audio encoder (%s) but model %s is a %q model; pass it with the Gemma 4 E2B or E4B model it came with",
			pinfo.Path, ProjectorGemma4A, minfo.Path, minfo.Architecture)
	}
	if pinfo.ProjectionDim != 0 && pinfo.ProjectionDim != minfo.EmbeddingLen {
		return fmt.Errorf("projector %s makes embeddings of width %d but model %s expects %d; they do not belong together",
			pinfo.Path, pinfo.ProjectionDim, minfo.Path, minfo.EmbeddingLen)
	}
	if want := model.String(ProjectorTypeKey); want != "" && pinfo.ProjectorType != want {
		return fmt.Errorf("projector %s is a %s projector but model %s was trained with a %s projector; pass the projector that came with the model",
			pinfo.Path, pinfo.ProjectorType, minfo.Path, want)
	}
	return nil
}
