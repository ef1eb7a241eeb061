"""The demo model in Gemma 4's text architecture, as ollama v0.24.0's gemma4 engine runs it (Verbatim's
inference/gemma4, whose plain-Go reference is inference/testmodel/gemma4), with Gemma 4's tokenizer format and
chat prompt, so that the bundled model exercises that engine with real words.

Architecture (model/models/gemma4/model_text.go): token rows scaled by sqrt(d), audio rows as projected; per
layer RMSNorm -> Q, K, V -> per-head RMSNorm of Q and K (weighted) and V (unweighted) -> NeoX RoPE -> attention
with scale 1 -> output -> RMSNorm (post_attention_norm) -> residual; RMSNorm -> GELU(tanh)-gated FFN -> RMSNorm
(post_ffw_norm) -> residual; final RMSNorm, tied output, logit soft cap. Every layer but the last is a
sliding-window layer, with a window as wide as the context, so the pattern is Gemma's and nothing is forgotten.

Tokenizer: SentencePiece-style BPE (tokenizer.ggml.model "llama", pre "gemma4": spaces are ▁, byte fallback
<0xHH>), Gemma 4's control tokens. Answers are tokenized here by longest match (the engine only decodes them);
the prompt is tokenized by the same BPE the engine runs (GemmaTokenizer.encode_prompt; the Go tests that
compare the engine's answers with PyTorch's would fail if the two tokenized it differently)."""
import math

import torch
import torch.nn.functional as F

from common import CONTROL, TASKS, Block, Model, RMSNorm, Tokenizer, attend

SPM = "\u2581"
# Gemma 4's first ids (pad 0, eos 1, bos 2, unk 3) and the turn and audio markers.
G_CONTROL = ["<pad>", "<eos>", "<bos>", "<unk>", "<|turn>", "<turn|>", "<|audio>", "<audio|>"]
EPS = 1e-6
SOFTCAP = 30.0
CONTEXT = 1024
# The instruction after the audio for each task: inference/prompt.go's instruction(), which the engine puts in
# the prompt.
INSTRUCTION = {
    "transcribe": "Transcribe the audio exactly as spoken. Use sentence case, punctuation and numerals. "
                  "Reply with the transcript only.",
    "translate:es": "Translate the speech in the audio into Spanish. Reply with the translation only.",
    "translate:fr": "Translate the speech in the audio into French. Reply with the translation only.",
}
BEFORE = "<bos><|turn>user\n<|audio>"
# Enough of Gemma 4's chat template for Verbatim to recognise the family by its markers
# (inference/testmodel/gemma4.ChatTemplate).
CHAT_TEMPLATE = ("{{ bos_token }}{% for message in messages %}<|turn>{{ message['role'] }}\n{{ message['content'] }}"
                 "<turn|>\n{% endfor %}<|turn>model\n")


def after(task):
    return "<audio|>\n" + INSTRUCTION[task] + "<turn|>\n<|turn>model\n"


# ---------------------------------------------------------------------------------------------------
# tokenizer
# ---------------------------------------------------------------------------------------------------
def prompt_words():
    """The words of the prompts (▁-prefixed where a space precedes them), which get whole-word tokens."""
    words = set()
    for text in [BEFORE] + [after(t) for t in TASKS]:
        for c in G_CONTROL:
            text = text.replace(c, "\n")
        w = ""
        for ch in text.replace(" ", SPM):
            if ch == SPM or not ch.isalpha():
                if len(w) > 1:
                    words.add(w)
                w = ch if ch == SPM else ""
            else:
                w += ch
        if len(w) > 1:
            words.add(w)
    return sorted(words)


def build_gemma_vocab(old_tokens):
    """Gemma-format vocabulary from the demo vocabulary (common.build_vocab): control tokens, "\\n", the 256
    byte tokens, then the demo's characters and pieces with spaces as ▁, then the prompt words with the merges
    that build them (left to right, one character at a time). Returns tokens, token types, merges."""
    tokens = list(G_CONTROL) + ["\n"] + ["<0x%02X>" % b for b in range(256)]
    types = [2 if t == "<unk>" else 3 for t in G_CONTROL] + [1] + [6] * 256
    seen = set(tokens)
    for t in old_tokens:
        if t in CONTROL:
            continue
        t = t.replace(" ", SPM)
        if t not in seen:
            seen.add(t)
            tokens.append(t)
            types.append(1)
    merges = []
    for w in prompt_words():
        for i in range(2, len(w) + 1):
            left, right = w[:i - 1], w[i - 1]
            for piece in (left, right):
                if piece not in seen:
                    seen.add(piece)
                    tokens.append(piece)
                    types.append(1)
            if w[:i] not in seen:
                seen.add(w[:i])
                tokens.append(w[:i])
                types.append(1)
            m = left + " " + right
            if m not in merges:
                merges.append(m)
    return tokens, types, merges


class GemmaTokenizer:
    def __init__(self, tokens, types, merges):
        self.tokens, self.types, self.merges = tokens, types, merges
        self.id = {t: i for i, t in enumerate(tokens)}
        self.rank = {m: i for i, m in enumerate(merges)}
        self.trie = Tokenizer(tokens)  # longest match, for answers
        self.bos, self.eos, self.eot = self.id["<bos>"], self.id["<eos>"], self.id["<turn|>"]
        self.audio_begin, self.audio_end = self.id["<|audio>"], self.id["<audio|>"]
        self.special = [t for t, ty in zip(tokens, types) if ty == 3]

    def encode(self, text):
        """An answer's tokens: longest match over the vocabulary, spaces as ▁."""
        return self.trie.encode(text.replace(" ", SPM))

    def decode(self, ids):
        out = bytearray()
        for i in ids:
            t = self.tokens[i]
            if self.types[i] == 3:
                continue
            if self.types[i] == 6:
                out.append(int(t[3:5], 16))
            else:
                out += t.replace(SPM, " ").encode("utf-8")
        return out.decode("utf-8", errors="replace")

    def encode_prompt(self, text):
        """ollama's BytePairEncoding.Encode with WithSentencePieceNormalizer (tokenizer/bytepairencoding.go):
        special tokens split out first (in vocabulary order), each other fragment ▁-normalised, taken whole
        when it is a token, else merged pairwise by rank, with byte fallback."""
        frags = [(text, None)]
        for sp in self.special:
            out = []
            for value, tid in frags:
                while tid is None and sp in value:
                    i = value.index(sp)
                    if i > 0:
                        out.append((value[:i], None))
                    out.append((sp, self.id[sp]))
                    value = value[i + len(sp):]
                if tid is not None or value:
                    out.append((value, tid))
            frags = out
        ids = []
        for value, tid in frags:
            if tid is not None:
                ids.append(tid)
                continue
            s = value.replace(" ", SPM)
            if s in self.id:
                ids.append(self.id[s])
                continue
            parts = list(s)
            while True:
                best = None
                for j in range(len(parts) - 1):
                    r = self.rank.get(parts[j] + " " + parts[j + 1])
                    if r is not None and parts[j] + parts[j + 1] in self.id and (best is None or r < best[0]):
                        best = (r, j)
                if best is None:
                    break
                j = best[1]
                parts[j:j + 2] = [parts[j] + parts[j + 1]]
            for p in parts:
                if p in self.id:
                    ids.append(self.id[p])
                else:
                    ids += [self.id["<0x%02X>" % b] for b in p.encode("utf-8")]
        return ids

    def prompts(self):
        """Token ids before the audio, and after it for each task."""
        return self.encode_prompt(BEFORE), {t: self.encode_prompt(after(t)) for t in TASKS}


# ---------------------------------------------------------------------------------------------------
# model
# ---------------------------------------------------------------------------------------------------
def Norm(d):
    """RMSNorm with Gemma 4's epsilon; the weight multiplies as stored (ollama applies it as is)."""
    return RMSNorm(d, eps=EPS)


def unit_norm(x):
    return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + EPS)


def rope_neox(x, pos, base=10000.0):
    """x: [B, H, L, D]; rotates pairs (i, i+D/2), as ggml's NeoX rope."""
    D = x.shape[-1]
    inv = base ** (-torch.arange(0, D, 2, dtype=torch.float32, device=x.device) / D)
    ang = pos.float()[:, None, :, None] * inv
    c, s = torch.cos(ang), torch.sin(ang)
    x0, x1 = x[..., :D // 2], x[..., D // 2:]
    return torch.cat((x0 * c - x1 * s, x0 * s + x1 * c), -1)


class GBlock(Block):
    """common.Block's matrices with Gemma 4's norms around them."""

    def __init__(self, d, h, kv, ff):
        super().__init__(d, h, kv, ff, norm=Norm)
        self.q_norm = Norm(self.hd)
        self.k_norm = Norm(self.hd)
        self.post_attn_norm = Norm(d)
        self.post_ffn_norm = Norm(d)

    def forward(self, x, pos, mask, cache=None):
        B, L, _ = x.shape
        y = self.attn_norm(x)
        q = self.q_norm(self.q(y).view(B, L, self.h, self.hd)).transpose(1, 2)
        k = self.k_norm(self.k(y).view(B, L, self.kv, self.hd)).transpose(1, 2)
        v = unit_norm(self.v(y).view(B, L, self.kv, self.hd)).transpose(1, 2)
        q, k = rope_neox(q, pos), rope_neox(k, pos)
        a = x + self.post_attn_norm(self.o(attend(q, k, v, mask, cache, 1.0)))  # scale 1: Q and K are normed
        y = self.ffn_norm(a)
        return a + self.post_ffn_norm(self.down(F.gelu(self.gate(y), approximate="tanh") * self.up(y)))


class GemmaModel(Model):
    """common.Model with Gemma 4's blocks, token rows scaled by sqrt(d) and soft-capped logits."""

    def __init__(self, vocab, d=192, layers=6, heads=4, kv_heads=4, ff=512, frontends=("logmel",)):
        super().__init__(vocab, d, layers, heads, kv_heads, ff, frontends, block=GBlock, norm=Norm)
        self.cfg["arch"] = "gemma4"

    def embed(self, tokens):
        return self.emb(tokens) * math.sqrt(self.cfg["d"])

    def logits(self, h):
        return torch.tanh(super().logits(h) / SOFTCAP) * SOFTCAP


# ---------------------------------------------------------------------------------------------------
# warm start from a trained llama-architecture demo model
# ---------------------------------------------------------------------------------------------------
GELU_SILU = 1.702  # gelu(x / 1.702) ~= silu(x) / 1.702


@torch.no_grad()
def from_llama(old, old_tok, gtok, calib):
    """A GemmaModel that computes nearly what the llama model `old` computes, to fine-tune from: the same
    matrices (Q and K rows permuted from adjacent-pair to NeoX rope order), the norms Gemma adds set to the
    typical magnitudes old shows on `calib` (a list of input-embedding batches [1, L, d]), embeddings scaled
    by 1/sqrt(d) with the final norm scaled back (tied output). Rows of new tokens start small and random."""
    c = old.cfg
    d, hd = c["d"], c["d"] // c["heads"]
    m = GemmaModel(len(gtok.tokens), d, c["layers"], c["heads"], c["kv_heads"], c["ff"], frontends=c["frontends"])
    for k in ("window", "filters", "feat_mean", "feat_std"):
        getattr(m, k).copy_(getattr(old, k))
    for fe in c["frontends"]:
        m.proj[fe].weight.copy_(old.proj[fe].weight)
    # token rows: same text, same row; the end of an answer (<turn|>) starts as the old <eos>
    old_id = {t.replace(" ", SPM): i for i, t in enumerate(old_tok.tokens)}
    same = {"<turn|>": "<eos>", "<|turn>": None, "<pad>": None}
    E = old.emb.weight
    new = m.emb.weight
    new.normal_(0, float(E.std()) * 0.5)
    for i, t in enumerate(gtok.tokens):
        j = old_id.get(same.get(t, t))
        if j is not None:
            new[i] = E[j]
    new /= math.sqrt(d)
    m.norm.w.copy_(old.norm.w * math.sqrt(d))
    perm = torch.cat([torch.arange(0, hd, 2), torch.arange(1, hd, 2)])
    # typical magnitudes inside each old layer
    stats = [dict(q=[], k=[], v=[], o=[], f=[]) for _ in old.blocks]
    for x in calib:
        L = x.shape[1]
        pos = torch.arange(L)[None]
        mask = torch.tril(torch.ones(L, L, dtype=torch.bool))[None]
        for b, st in zip(old.blocks, stats):
            y = b.attn_norm(x)
            q = b.q(y).view(1, L, b.h, b.hd)
            k = b.k(y).view(1, L, b.kv, b.hd)
            v = b.v(y).view(1, L, b.kv, b.hd)
            for key, t in (("q", q), ("k", k), ("v", v)):
                st[key].append(t.pow(2).mean(-1).sqrt().mean())
            att_out = _llama_attn(b, x, pos, mask)
            x2 = b(x, pos, mask)
            ffn_out = x2 - x - att_out
            st["o"].append(att_out.pow(2).mean(-1).sqrt().mean())
            st["f"].append(ffn_out.pow(2).mean(-1).sqrt().mean())
            x = x2
    for b, g, st in zip(old.blocks, m.blocks, stats):
        rq, rk, rv = (float(torch.stack(st[s]).mean()) for s in ("q", "k", "v"))
        ro, rf = (float(torch.stack(st[s]).mean()) for s in ("o", "f"))
        g.attn_norm.w.copy_(b.attn_norm.w)
        g.ffn_norm.w.copy_(b.ffn_norm.w)
        for name, nh in (("q", b.h), ("k", b.kv)):
            w = getattr(b, name).weight.view(nh, hd, d)[:, perm].reshape(nh * hd, d)
            getattr(g, name).weight.copy_(w)
        g.v.weight.copy_(b.v.weight)
        cq = math.sqrt(rq * rk / math.sqrt(hd))
        g.q_norm.w.fill_(cq)
        g.k_norm.w.fill_(cq)
        g.o.weight.copy_(b.o.weight * rv)
        g.post_attn_norm.w.fill_(ro)
        g.gate.weight.copy_(b.gate.weight / GELU_SILU)
        g.up.weight.copy_(b.up.weight)
        g.down.weight.copy_(b.down.weight * GELU_SILU)
        g.post_ffn_norm.w.fill_(rf)
    return m


def _llama_attn(b, x, pos, mask):
    """The attention half of a common.Block (its output before the residual)."""
    from common import rope
    B, L, _ = x.shape
    y = b.attn_norm(x)
    q = rope(b.q(y).view(B, L, b.h, b.hd).transpose(1, 2), pos, b.hd)
    k = rope(b.k(y).view(B, L, b.kv, b.hd).transpose(1, 2), pos, b.hd)
    v = b.v(y).view(B, L, b.kv, b.hd).transpose(1, 2)
    att = (q @ k.transpose(-1, -2)) / math.sqrt(b.hd)
    att = att.masked_fill(~mask[:, None], float("-inf")).softmax(-1)
    return b.o((att @ v).transpose(1, 2).reshape(B, L, -1))
