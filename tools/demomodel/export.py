"""Export trained checkpoints as a manifest.json + raw little-endian float32 blobs for tools/ggufconv.

The manifest lists output files; each has typed metadata (kv) and tensors (ggml shape order, ne0 first).
"""
import argparse
import json
import os

import numpy as np
import torch

from common import CONTROL, FRAME, HOP, N_FFT, N_MELS, SR, STACK, TASKS, TASK_TOKEN, Tokenizer, escape_rwkv
from evaluate import load_model, model_tokenizer
import gemma

F16_MIN = 4096  # 2-D tensors with at least this many elements are stored as F16


class Out:
    def __init__(self, root, path):
        self.root, self.path = root, path
        self.kv, self.tensors = [], []

    def set(self, key, typ, value):
        self.kv.append(dict(key=key, type=typ, value=value))

    def tensor(self, name, t, dtype=None):
        a = t.detach().float().contiguous().numpy().astype("<f4")
        shape = list(a.shape[::-1])  # ggml order
        if dtype is None:
            dtype = "f16" if a.ndim == 2 and a.size >= F16_MIN else "f32"
        fn = "%s.%s.bin" % (os.path.basename(self.path).replace(".gguf", ""), name)
        a.tofile(os.path.join(self.root, fn))
        self.tensors.append(dict(name=name, shape=shape, dtype=dtype, file=fn))

    def json(self):
        return dict(path=self.path, kv=self.kv, tensors=self.tensors)


def text_file(root, name, model, tok, title, desc, fe, matrices="f16"):
    """A llama-architecture text GGUF; matrices is f16, f32 or q8_0 (ggml's 8-bit blocks)."""
    c = model.cfg
    o = Out(root, name + ".gguf")
    o.set("general.architecture", "string", "llama")
    o.set("general.name", "string", title)
    o.set("general.description", "string", desc)
    o.set("general.license", "string", "MIT")
    o.set("llama.context_length", "uint32", 1024)
    o.set("llama.embedding_length", "uint32", c["d"])
    o.set("llama.block_count", "uint32", c["layers"])
    o.set("llama.feed_forward_length", "uint32", c["ff"])
    o.set("llama.attention.head_count", "uint32", c["heads"])
    o.set("llama.attention.head_count_kv", "uint32", c["kv_heads"])
    o.set("llama.rope.dimension_count", "uint32", c["d"] // c["heads"])
    o.set("llama.rope.freq_base", "float32", 10000.0)
    o.set("llama.attention.layer_norm_rms_epsilon", "float32", 1e-5)
    o.set("llama.vocab_size", "uint32", len(tok.tokens))
    o.set("general.file_type", "uint32", {"f32": 0, "f16": 1, "q8_0": 7}[matrices])  # llama_ftype
    o.set("tokenizer.ggml.model", "string", "rwkv")
    o.set("tokenizer.ggml.tokens", "strings", [escape_rwkv(t) for t in tok.tokens])
    o.set("tokenizer.ggml.token_type", "int32s", [3 if t in CONTROL else 1 for t in tok.tokens])
    o.set("tokenizer.ggml.bos_token_id", "uint32", tok.bos)
    o.set("tokenizer.ggml.eos_token_id", "uint32", tok.eos)
    o.set("tokenizer.ggml.unk_token_id", "uint32", tok.unk)
    o.set("tokenizer.ggml.add_bos_token", "bool", False)
    o.set("tokenizer.ggml.add_eos_token", "bool", False)
    o.set("verbatim.audio.begin", "string", "<|audio>")
    o.set("verbatim.audio.end", "string", "<audio|>")
    # The projector type this model was trained with: Verbatim refuses another (its features would be noise).
    o.set("verbatim.audio.projector_type", "string", projector_type(fe))
    o.set("verbatim.tasks", "strings", TASKS)
    for t in TASKS:
        o.set("verbatim.prompt." + t, "string", TASK_TOKEN[t])
    dt = None if matrices == "f16" else matrices
    o.tensor("token_embd.weight", model.emb.weight, dt)
    o.tensor("output_norm.weight", model.norm.w)
    block_tensors(o, model, dt)
    return o


def block_tensors(o, model, dt, norms=()):
    """Each block's tensors under llama.cpp's names (matrices as dt), then the extra norms (name, attribute)."""
    for i, b in enumerate(model.blocks):
        p = "blk.%d." % i
        o.tensor(p + "attn_norm.weight", b.attn_norm.w)
        o.tensor(p + "attn_q.weight", b.q.weight, dt)
        o.tensor(p + "attn_k.weight", b.k.weight, dt)
        o.tensor(p + "attn_v.weight", b.v.weight, dt)
        o.tensor(p + "attn_output.weight", b.o.weight, dt)
        o.tensor(p + "ffn_norm.weight", b.ffn_norm.w)
        o.tensor(p + "ffn_gate.weight", b.gate.weight, dt)
        o.tensor(p + "ffn_up.weight", b.up.weight, dt)
        o.tensor(p + "ffn_down.weight", b.down.weight, dt)
        for name, attr in norms:
            o.tensor(p + name + ".weight", getattr(b, attr).w)


def gemma_text_file(root, name, model, tok, title, desc, fe, q8=True):
    """A Gemma 4 text GGUF as ollama's gemma4 engine reads it (the keys and tensor names of
    inference/testmodel/gemma4, which lists where each comes from): every layer but the last sliding, with a
    window as wide as the context; one head size; RoPE base 10000 everywhere with no rope_freqs; tied output.
    q8 stores the matrices as Q8_0 (ggml's 8-bit blocks), which keeps the bundled files within their budget."""
    c = model.cfg
    L, hd = c["layers"], c["d"] // c["heads"]
    o = Out(root, name + ".gguf")
    o.set("general.architecture", "string", "gemma4")
    o.set("general.name", "string", title)
    o.set("general.description", "string", desc)
    o.set("general.license", "string", "MIT")
    o.set("general.file_type", "uint32", 7 if q8 else 1)  # llama_ftype MOSTLY_Q8_0 / MOSTLY_F16
    g = "gemma4."
    for key, typ, v in (("block_count", "uint32", L), ("embedding_length", "uint32", c["d"]),
                        ("context_length", "uint32", gemma.CONTEXT), ("feed_forward_length", "uint32", c["ff"]),
                        ("attention.head_count", "uint32", c["heads"]), ("attention.head_count_kv", "uint32", c["kv_heads"]),
                        ("attention.key_length", "uint32", hd), ("attention.value_length", "uint32", hd),
                        ("attention.key_length_swa", "uint32", hd), ("attention.value_length_swa", "uint32", hd),
                        ("attention.layer_norm_rms_epsilon", "float32", gemma.EPS),
                        ("attention.sliding_window", "uint32", gemma.CONTEXT),
                        ("attention.sliding_window_pattern", "bools", [i < L - 1 for i in range(L)]),
                        ("attention.shared_kv_layers", "uint32", 0),
                        ("rope.freq_base", "float32", 10000.0), ("rope.dimension_count", "uint32", hd),
                        ("rope.freq_base_swa", "float32", 10000.0), ("rope.dimension_count_swa", "uint32", hd),
                        ("final_logit_softcapping", "float32", gemma.SOFTCAP),
                        ("embedding_length_per_layer_input", "uint32", 0)):
        o.set(g + key, typ, v)
    o.set("tokenizer.ggml.model", "string", "llama")
    o.set("tokenizer.ggml.pre", "string", "gemma4")
    o.set("tokenizer.ggml.tokens", "strings", tok.tokens)
    o.set("tokenizer.ggml.token_type", "int32s", tok.types)
    o.set("tokenizer.ggml.merges", "strings", tok.merges)
    for key, t in (("bos", "<bos>"), ("eos", "<eos>"), ("eot", "<turn|>"), ("unknown", "<unk>"), ("padding", "<pad>")):
        o.set("tokenizer.ggml.%s_token_id" % key, "uint32", tok.id[t])
    o.set("tokenizer.ggml.add_bos_token", "bool", False)
    o.set("tokenizer.ggml.suppress_tokens", "int32s", [tok.audio_end])
    o.set("tokenizer.chat_template", "string", gemma.CHAT_TEMPLATE)
    o.set("verbatim.audio.projector_type", "string", projector_type(fe))
    o.set("verbatim.tasks", "strings", TASKS)  # what the apps offer; the prompt itself is Gemma's chat template
    dt = "q8_0" if q8 else None
    o.tensor("token_embd.weight", model.emb.weight, dt)
    o.tensor("output_norm.weight", model.norm.w)
    block_tensors(o, model, dt, norms=(("attn_q_norm", "q_norm"), ("attn_k_norm", "k_norm"),
                                       ("post_attention_norm", "post_attn_norm"), ("post_ffw_norm", "post_ffn_norm")))
    return o


def projector_type(fe):
    return "gemma4ua" if fe == "raw" else "verbatim_logmel"


def proj_file(root, name, model, fe, title):
    c = model.cfg
    o = Out(root, name + ".mmproj.gguf")
    o.set("general.architecture", "string", "clip")
    o.set("general.name", "string", title)
    o.set("clip.has_audio_encoder", "bool", True)
    o.set("clip.has_vision_encoder", "bool", False)
    o.set("clip.projector_type", "string", projector_type(fe))
    o.set("clip.audio.projection_dim", "uint32", c["d"])
    o.set("clip.audio.sample_rate", "uint32", SR)
    if fe == "raw":
        o.set("general.description", "string",
              "gemma4ua audio projector: 16 kHz audio cut into 640-sample frames (zero-padded), each "
              "frame x/sqrt(mean(x^2)+1e-6), then mm.a.input_projection.weight (640 -> n_embd).")
        o.set("clip.audio.num_mel_bins", "uint32", FRAME)
        o.tensor("mm.a.input_projection.weight", model.proj["raw"].weight, "f32")
    else:
        o.set("general.description", "string",
              "verbatim_logmel audio projector: zero-pad 16 kHz audio to T*640+240 samples (T=ceil(N/640)); "
              "frames i=0..4T-1 at 160*i, 400 samples, times mm.a.window; |rfft(400)|^2 (201 bins) @ "
              "mm.a.mel_filters^T (80x201); ln(max(mel,1e-10)); (x-mm.a.feature_mean)/mm.a.feature_std; "
              "stack 4 consecutive frames (320); x/sqrt(mean(x^2)+1e-6); mm.a.input_projection.weight.")
        o.set("clip.audio.num_mel_bins", "uint32", N_MELS)
        o.set("verbatim.logmel.stack", "uint32", STACK)
        o.set("verbatim.logmel.n_fft", "uint32", N_FFT)
        o.set("verbatim.logmel.hop", "uint32", HOP)
        o.set("verbatim.logmel.log_floor", "float32", 1e-10)
        o.set("verbatim.logmel.norm_eps", "float32", 1e-6)
        o.tensor("mm.a.window", model.window, "f32")
        o.tensor("mm.a.mel_filters", model.filters, "f32")
        o.tensor("mm.a.feature_mean", model.feat_mean, "f32")
        o.tensor("mm.a.feature_std", model.feat_std, "f32")
        o.tensor("mm.a.input_projection.weight", model.proj["logmel"].weight, "f32")
    return o


def mtp_file(root, name, model, ck, tok, title):
    """The MTP drafter head as an assistant file: Verbatim runs it itself (llama.cpp has no such architecture).
    It carries the tokenizer, so a head is only ever paired with its own model's vocabulary, and a copy of the
    target's tied embeddings (input of token t+1, and output matrix)."""
    c = ck["mtp_cfg"]
    o = Out(root, name + ".mtp.gguf")
    o.set("general.architecture", "string", "verbatim_mtp")
    o.set("general.name", "string", title)
    o.set("general.description", "string",
          "MTP drafter head for %s: g = RMSNorm(W_fc [RMSNorm(h_t)*norm_h ; RMSNorm(E[x_t+1])*norm_e] + "
          "SwiGLU(RMSNorm(.))) with h_t the target's final hidden state (after its output norm); argmax(g E^T) "
          "proposes x_t+2, and g takes h's place to draft further." % name)
    o.set("verbatim_mtp.embedding_length", "uint32", c["d"])
    o.set("verbatim_mtp.feed_forward_length", "uint32", c["ff"])
    o.set("verbatim_mtp.layer_norm_rms_epsilon", "float32", 1e-5)
    o.set("verbatim_mtp.target", "string", name + ".gguf")
    if isinstance(tok, gemma.GemmaTokenizer):  # the target's own vocabulary, as its file stores it
        o.set("tokenizer.ggml.model", "string", "llama")
        o.set("tokenizer.ggml.tokens", "strings", tok.tokens)
        o.set("tokenizer.ggml.eos_token_id", "uint32", tok.eot)
    else:
        o.set("tokenizer.ggml.model", "string", "rwkv")
        o.set("tokenizer.ggml.tokens", "strings", [escape_rwkv(t) for t in tok.tokens])
        o.set("tokenizer.ggml.eos_token_id", "uint32", tok.eos)
    sd = ck["mtp"]
    o.tensor("token_embd.weight", model.emb.weight)
    o.tensor("mtp.norm_h.weight", sd["norm_h.w"])
    o.tensor("mtp.norm_e.weight", sd["norm_e.w"])
    o.tensor("mtp.fc.weight", sd["fc.weight"])
    o.tensor("mtp.ffn_norm.weight", sd["ffn_norm.w"])
    o.tensor("mtp.ffn_gate.weight", sd["gate.weight"])
    o.tensor("mtp.ffn_up.weight", sd["up.weight"])
    o.tensor("mtp.ffn_down.weight", sd["down.weight"])
    o.tensor("mtp.output_norm.weight", sd["norm.w"])
    return o


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="work/data")
    ap.add_argument("--out", default="work/export")
    ap.add_argument("--model", action="append", default=[], help="name=checkpoint")
    ap.add_argument("--q8", action="append", default=[], help="a llama model to store as Q8_0 (its matrices)")
    ap.add_argument("--shared_projector", action="append", default=[],
                    help="a model that hears through another model's projector file (trained with --freeze_proj)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    files = []
    for spec in a.model:
        name, ck = spec.split("=", 1)
        model, meta = load_model(ck)
        tok = model_tokenizer(meta, a.data)
        fe = meta["fe"]
        c = model.cfg
        g4 = c.get("arch") == "gemma4"
        desc = ("Verbatim's bundled demo model: a %d-layer, width-%d %s decoder trained for %d steps on "
                "espeak-ng English speech; audio enters through the %s projector. Tasks: transcribe, "
                "translate:es, translate:fr. It only knows the demo vocabulary (see MODEL_CARD.md)."
                % (c["layers"], c["d"], "Gemma 4" if g4 else "llama", meta["step"], projector_type(fe)))
        title = {"demo-logmel": "Verbatim demo (log-mel)", "demo-raw": "Verbatim demo (raw frames)",
                 "demo-draft": "Verbatim demo drafter", "demo-gemma4": "Verbatim demo (Gemma 4 architecture)"}.get(name, name)
        if g4:
            files.append(gemma_text_file(a.out, name, model, tok, title, desc, fe, q8=name in a.q8).json())
        else:
            files.append(text_file(a.out, name, model, tok, title, desc, fe, matrices="q8_0" if name in a.q8 else "f16").json())
        if name not in a.shared_projector:
            files.append(proj_file(a.out, name, model, fe, title + " projector").json())
        if "mtp" in meta:
            files.append(mtp_file(a.out, name, model, meta, tok, title + " MTP head").json())
    json.dump(dict(files=files), open(os.path.join(a.out, "manifest.json"), "w", encoding="utf-8"),
              ensure_ascii=False, indent=1)
    print("wrote", os.path.join(a.out, "manifest.json"), len(files), "files")


if __name__ == "__main__":
    main()
