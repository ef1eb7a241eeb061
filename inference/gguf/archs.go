package gguf

// textArchitectures are the values of general.architecture that the llama.cpp linked into Verbatim
// (ollama v0.24.0, llama.cpp ec98e2002) can load, copied from LLM_ARCH_NAMES in src/llama-arch.cpp.
// Anything else makes llama.cpp fail or abort, so it is refused before llama.cpp sees the file.
var textArchitectures = map[string]bool{}

func init() {
	for _, a := range []string{"llama", "llama4", "deci", "falcon", "grok", "gpt2", "gptj", "gptneox", "mpt",
		"baichuan", "starcoder", "refact", "bert", "nomic-bert", "nomic-bert-moe", "neo-bert", "jina-bert-v2",
		"jina-bert-v3", "bloom", "stablelm", "qwen", "qwen2", "qwen2moe", "qwen2vl", "qwen3", "qwen3moe",
		"qwen3next", "qwen3vl", "qwen3vlmoe", "phi2", "phi3", "phimoe", "plamo", "plamo2", "codeshell", "orion",
		"internlm2", "minicpm", "minicpm3", "gemma", "gemma2", "gemma3", "gemma3n", "gemma-embedding",
		"starcoder2", "mamba", "mamba2", "jamba", "falcon-h1", "xverse", "command-r", "cohere2", "dbrx", "olmo",
		"olmo2", "olmoe", "openelm", "arctic", "deepseek", "deepseek2", "chatglm", "glm4", "glm4moe", "bitnet",
		"t5", "t5encoder", "jais", "nemotron", "nemotron_h", "nemotron_h_moe", "exaone", "exaone4", "rwkv6",
		"rwkv6qwen2", "rwkv7", "arwkv7", "granite", "granitemoe", "granitehybrid", "chameleon", "solar",
		"wavtokenizer-dec", "plm", "bailingmoe", "bailingmoe2", "dots1", "arcee", "afmoe", "ernie4_5",
		"ernie4_5-moe", "hunyuan-moe", "hunyuan-dense", "smollm3", "gpt-oss", "lfm2", "lfm2moe", "dream",
		"smallthinker", "llada", "llada-moe", "seed_oss", "grovemoe", "apertus", "minimax-m2", "cogvlm", "rnd1",
		"pangu-embedded", "mistral3"} {
		textArchitectures[a] = true
	}
}

// IsGoEngineArchitecture reports architectures run by ollama's Go engine (inference/gemma4), not by
// llama.cpp; Check verifies their metadata and tensors the way that engine reads them.
func IsGoEngineArchitecture(arch string) bool { return arch == "gemma4" }

// Audio projector types Verbatim runs, and where.
const (
	ProjectorGemma4UA = "gemma4ua"        // raw 40 ms frames → RMSNorm → one matrix, computed in Go
	ProjectorLogMel   = "verbatim_logmel" // Verbatim's own: fixed log-mel front end → RMSNorm → one matrix, in Go
)

// mtmdAudioProjectors are run by llama.cpp's mtmd (whisper front end, 30 s windows).
var mtmdAudioProjectors = map[string]bool{"ultravox": true, "qwen2a": true, "voxtral": true}

// SupportedProjectors lists every audio projector type Verbatim accepts, for error messages.
func SupportedProjectors() []string {
	return []string{ProjectorGemma4UA, ProjectorLogMel, ProjectorGemma4A, "ultravox", "qwen2a", "voxtral"}
}

// IsGoProjector reports whether Verbatim computes this projector itself in Go.
func IsGoProjector(t string) bool { return t == ProjectorGemma4UA || t == ProjectorLogMel }

// IsMtmdProjector reports whether this projector type runs through llama.cpp's mtmd.
func IsMtmdProjector(t string) bool { return mtmdAudioProjectors[t] }
