"""Shared pieces of the demo-model pipeline: tokenizer, audio front ends, model."""
import json
import math
import re

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SR = 16000
FRAME = 640          # 40 ms
N_FFT = 400
HOP = 160
N_MELS = 80
STACK = 4
CONTROL = ["<unk>", "<bos>", "<eos>", "<|audio>", "<audio|>", "<|transcribe|>", "<|translate:es|>",
           "<|translate:fr|>"]
TASKS = ["transcribe", "translate:es", "translate:fr"]
TASK_TOKEN = {"transcribe": "<|transcribe|>", "translate:es": "<|translate:es|>",
              "translate:fr": "<|translate:fr|>"}
TASK_FIELD = {"transcribe": "en", "translate:es": "es", "translate:fr": "fr"}

PIECE_RE = re.compile(r" ?[^\W\d_]+(?:['\-][^\W\d_]+)*'?|.", re.S)


# ---------------------------------------------------------------------------------------------------
# tokenizer (llama.cpp "rwkv": greedy longest match over a byte trie)
# ---------------------------------------------------------------------------------------------------
def escape_rwkv(tok):
    out = []
    for ch in tok:
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7f:
            out.append("\\x%02x" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


def build_vocab(texts):
    chars = set()
    pieces = {}
    for t in texts:
        for p in PIECE_RE.findall(t):
            chars.update(p)
            if len(p) > 1 and not p.isdigit():
                pieces[p] = pieces.get(p, 0) + 1
    tokens = list(CONTROL) + ["\n"] + [chr(c) for c in range(0x20, 0x7f)]
    seen = set(tokens)
    for c in sorted(chars):
        if c not in seen:
            tokens.append(c)
            seen.add(c)
    for p in sorted(pieces):
        if p not in seen:
            tokens.append(p)
            seen.add(p)
    return tokens


class Tokenizer:
    def __init__(self, tokens):
        self.tokens = tokens
        self.id = {t: i for i, t in enumerate(tokens)}
        self.trie = {}
        for i, t in enumerate(tokens):
            node = self.trie
            for b in t.encode("utf-8"):
                node = node.setdefault(b, {})
            node[-1] = i
        self.unk = self.id["<unk>"]
        self.bos = self.id["<bos>"]
        self.eos = self.id["<eos>"]
        self.audio_begin = self.id["<|audio>"]
        self.audio_end = self.id["<audio|>"]

    def encode(self, text):
        data = text.encode("utf-8")
        out = []
        pos = 0
        while pos < len(data):
            node = self.trie.get(data[pos])
            if node is None:
                out.append(self.unk)
                pos += 1
                continue
            tid, tlen = None, 0
            p = pos
            while node is not None:
                if -1 in node:
                    tid, tlen = node[-1], p + 1
                p += 1
                node = node.get(data[p]) if p < len(data) else None
            out.append(tid)
            pos = tlen
        return out

    def decode(self, ids):
        return "".join(self.tokens[i] for i in ids if i >= len(CONTROL))

    def save(self, path):
        json.dump(self.tokens, open(path, "w", encoding="utf-8"), ensure_ascii=False)

    @staticmethod
    def load(path):
        return Tokenizer(json.load(open(path, encoding="utf-8")))


# ---------------------------------------------------------------------------------------------------
# front ends
# ---------------------------------------------------------------------------------------------------
def hann_periodic(n=N_FFT):
    k = np.arange(n, dtype=np.float64)
    return (0.5 - 0.5 * np.cos(2 * np.pi * k / n)).astype(np.float32)


def mel_filters(sr=SR, n_fft=N_FFT, n_mels=N_MELS, fmin=0.0, fmax=8000.0):
    """Slaney-style triangular filters (80 x 201), area-normalised."""
    def hz_to_mel(f):
        f = np.asarray(f, dtype=np.float64)
        mel = f / (200.0 / 3)
        lin = f >= 1000.0
        return np.where(lin, 15.0 + np.log(np.maximum(f, 1e-9) / 1000.0) / (np.log(6.4) / 27.0), mel)

    def mel_to_hz(m):
        m = np.asarray(m, dtype=np.float64)
        f = m * (200.0 / 3)
        lin = m >= 15.0
        return np.where(lin, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)), f)

    fftfreqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    mels = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(mels)
    ramps = mels[:, None] - fftfreqs[None, :]
    w = np.zeros((n_mels, n_fft // 2 + 1))
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        w[i] = np.maximum(0, np.minimum(lower, upper))
    enorm = 2.0 / (mels[2:n_mels + 2] - mels[:n_mels])
    w *= enorm[:, None]
    return w.astype(np.float32)


def n_audio_tokens(n_samples):
    return max(1, (n_samples + FRAME - 1) // FRAME)


def raw_frames(audio, T):
    """audio: float32 tensor [N]; returns [T, 640] normalised frames (gemma4ua)."""
    x = torch.zeros(T * FRAME, dtype=torch.float32)
    n = min(len(audio), T * FRAME)
    x[:n] = audio[:n]
    x = x.view(T, FRAME)
    return x / torch.sqrt((x * x).mean(-1, keepdim=True) + 1e-6)


def logmel_frames(audio, T, window, filters, warp=1.0):
    """audio: float32 tensor [N]; returns log-mel [4T, 80] (before mean/std normalisation).
    warp != 1 stretches the spectrum's frequency axis (vocal-tract-length perturbation, training only)."""
    x = torch.zeros(T * FRAME + 240, dtype=torch.float32)
    n = min(len(audio), T * FRAME)
    x[:n] = audio[:n]
    fr = x.unfold(0, N_FFT, HOP)[:4 * T]           # [4T, 400]
    spec = torch.fft.rfft(fr * window, n=N_FFT)
    power = spec.real ** 2 + spec.imag ** 2          # [4T, 201]
    if warp != 1.0:
        src = (torch.arange(power.shape[1], dtype=torch.float32) / warp).clamp(max=power.shape[1] - 1)
        lo = src.floor().long()
        hi = (lo + 1).clamp(max=power.shape[1] - 1)
        w = src - lo.float()
        power = power[:, lo] * (1 - w) + power[:, hi] * w
    mel = power @ filters.t()                        # [4T, 80]
    return torch.log(torch.clamp(mel, min=1e-10))


def stack_norm(z, T):
    """z: normalised log-mel [4T, 80] -> RMSNorm'd [T, 320]."""
    x = z.reshape(T, STACK * N_MELS)
    return x / torch.sqrt((x * x).mean(-1, keepdim=True) + 1e-6)


# ---------------------------------------------------------------------------------------------------
# model
# ---------------------------------------------------------------------------------------------------
class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.w = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + self.eps) * self.w


def rope(x, pos, head_dim, base=10000.0):
    """x: [B, H, L, D]; pos: [B, L]. llama.cpp NORM rope: rotate adjacent pairs (2i, 2i+1)."""
    inv = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float32, device=x.device) / head_dim)   # [D/2]
    ang = pos.float()[:, None, :, None] * inv                                          # [B,1,L,D/2]
    c, s = torch.cos(ang), torch.sin(ang)
    x0, x1 = x[..., 0::2], x[..., 1::2]
    y0 = x0 * c - x1 * s
    y1 = x0 * s + x1 * c
    return torch.stack((y0, y1), -1).flatten(-2)


def attend(q, k, v, mask, cache, scale):
    """Attention of q [B, H, L, D] over k, v [B, KV, L, D] appended to the layer's cache (a dict, or None),
    keys shared by H/KV heads each; returns [B, L, H*D]."""
    if cache is not None:
        if "k" in cache:
            k = torch.cat([cache["k"], k], 2)
            v = torch.cat([cache["v"], v], 2)
        cache["k"], cache["v"] = k, v
    if k.shape[1] != q.shape[1]:
        k = k.repeat_interleave(q.shape[1] // k.shape[1], 1)
        v = v.repeat_interleave(q.shape[1] // v.shape[1], 1)
    att = (q @ k.transpose(-1, -2)) * scale
    if mask is not None:
        att = att.masked_fill(~mask[:, None], float("-inf"))
    B, _, L, _ = q.shape
    return (att.softmax(-1) @ v).transpose(1, 2).reshape(B, L, -1)


class Block(nn.Module):
    def __init__(self, d, h, kv, ff, norm=RMSNorm):
        super().__init__()
        self.h, self.kv, self.hd = h, kv, d // h
        self.attn_norm = norm(d)
        self.q = nn.Linear(d, h * self.hd, bias=False)
        self.k = nn.Linear(d, kv * self.hd, bias=False)
        self.v = nn.Linear(d, kv * self.hd, bias=False)
        self.o = nn.Linear(h * self.hd, d, bias=False)
        self.ffn_norm = norm(d)
        self.gate = nn.Linear(d, ff, bias=False)
        self.up = nn.Linear(d, ff, bias=False)
        self.down = nn.Linear(ff, d, bias=False)

    def forward(self, x, pos, mask, cache=None):
        B, L, _ = x.shape
        y = self.attn_norm(x)
        q = self.q(y).view(B, L, self.h, self.hd).transpose(1, 2)
        k = self.k(y).view(B, L, self.kv, self.hd).transpose(1, 2)
        v = self.v(y).view(B, L, self.kv, self.hd).transpose(1, 2)
        q, k = rope(q, pos, self.hd), rope(k, pos, self.hd)
        x = x + self.o(attend(q, k, v, mask, cache, 1 / math.sqrt(self.hd)))
        y = self.ffn_norm(x)
        return x + self.down(F.silu(self.gate(y)) * self.up(y))


class Model(nn.Module):
    def __init__(self, vocab, d=192, layers=4, heads=4, kv_heads=4, ff=512, frontends=("logmel",), block=Block,
                 norm=RMSNorm):
        super().__init__()
        self.cfg = dict(vocab=vocab, d=d, layers=layers, heads=heads, kv_heads=kv_heads, ff=ff,
                        frontends=list(frontends))
        self.emb = nn.Embedding(vocab, d)
        nn.init.normal_(self.emb.weight, std=0.02)
        self.blocks = nn.ModuleList([block(d, heads, kv_heads, ff) for _ in range(layers)])
        self.norm = norm(d)
        self.proj = nn.ModuleDict()
        for fe in frontends:
            self.proj[fe] = nn.Linear(FRAME if fe == "raw" else STACK * N_MELS, d, bias=False)
        # log-mel normalisation and STFT constants (buffers so they travel with checkpoints)
        self.register_buffer("window", torch.from_numpy(hann_periodic()))
        self.register_buffer("filters", torch.from_numpy(mel_filters()))
        self.register_buffer("feat_mean", torch.zeros(N_MELS))
        self.register_buffer("feat_std", torch.ones(N_MELS))

    def project(self, fe, feats):
        return self.proj[fe](feats)

    def embed(self, tokens):
        """Token rows as the first layer sees them."""
        return self.emb(tokens)

    act_quant = None  # evaluate.load_model(q8=True): how ggml rounds a matmul's input against Q8_0 weights

    def logits(self, h):
        """h: hidden states after the final norm; the output matrix is the tied embeddings."""
        if self.act_quant is not None:
            h = self.act_quant(h)
        return h @ self.emb.weight.t()

    def forward(self, x, pos, mask, caches=None):
        for i, b in enumerate(self.blocks):
            x = b(x, pos, mask, None if caches is None else caches[i])
        return self.logits(self.norm(x))


def audio_features(model, fe, audio, aug=None):
    """audio float32 tensor [N] -> projector input [T, 640|320].
    aug (a random.Random, training only) adds vocal-tract-length warping and frequency masks to log-mel:
    the held-out voices differ from the training ones mostly in formant positions."""
    T = n_audio_tokens(len(audio))
    if fe == "raw":
        return raw_frames(audio, T)
    warp = aug.uniform(0.9, 1.1) if aug is not None and aug.random() < 0.7 else 1.0
    lm = logmel_frames(audio, T, model.window, model.filters, warp)
    z = (lm - model.feat_mean) / model.feat_std
    if aug is not None and aug.random() < 0.5:
        for _ in range(2):
            w = aug.randint(1, 8)
            f0 = aug.randint(0, N_MELS - w)
            z[:, f0:f0 + w] = 0.0
    return stack_norm(z, T)


class MTPHead(nn.Module):
    """MTP-style drafter head (the way Gemma 4 ships its drafter, much reduced): the target's final hidden
    state at position t (after its output norm) and the embedding of token t+1 give a hidden state whose
    logits, through the target's own tied embeddings, predict token t+2. Its output can be fed back in
    place of the target's hidden state to draft further."""

    def __init__(self, d, ff):
        super().__init__()
        self.cfg = dict(d=d, ff=ff)
        self.norm_h = RMSNorm(d)
        self.norm_e = RMSNorm(d)
        self.fc = nn.Linear(2 * d, d, bias=False)
        self.ffn_norm = RMSNorm(d)
        self.gate = nn.Linear(d, ff, bias=False)
        self.up = nn.Linear(d, ff, bias=False)
        self.down = nn.Linear(ff, d, bias=False)
        self.norm = RMSNorm(d)

    def forward(self, h, e):
        x = self.fc(torch.cat([self.norm_h(h), self.norm_e(e)], -1))
        y = self.ffn_norm(x)
        x = x + self.down(F.silu(self.gate(y)) * self.up(y))
        return self.norm(x)
