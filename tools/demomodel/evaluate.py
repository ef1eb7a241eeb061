"""Greedy decoding and held-out evaluation (WER for transcription, content-word accuracy for translation)."""
import argparse
import json
import os
import time

import numpy as np
import torch

import scoring
import textgen as tg
from common import TASKS, TASK_FIELD, Model, MTPHead, Tokenizer, audio_features
from scoring import edit_distance, normalise  # noqa: F401 (card.py reads them from here)
from gemma import GemmaModel, GemmaTokenizer
from train import load_set, prompt_format


def q8_0(x):
    """x rounded as ggml's Q8_0 stores it (gguf.QuantizeQ8_0): per block of 32 along the last axis, a
    half-precision step of the largest magnitude / 127 and whole multiples of it (halves away from zero)."""
    b = x.reshape(-1, 32)
    d = b.abs().amax(1, keepdim=True) / 127
    q = torch.where(d > 0, b / torch.where(d > 0, d, torch.ones_like(d)), torch.zeros_like(b))
    q = torch.sign(q) * torch.floor(q.abs() + 0.5)
    return (q * d.half().float()).reshape(x.shape)


def load_model(path, f16=False, q8=False):
    """Load a checkpoint; f16 rounds the text model's matrices as the GGUF stores them (projectors stay F32);
    q8 rounds them to Q8_0 instead and, as ggml's CPU matmul against Q8_0 weights does, each matrix's input
    rows too (quantize_row_q8_0)."""
    ck = torch.load(path, map_location="cpu")
    c = ck["cfg"]
    cls = GemmaModel if c.get("arch") == "gemma4" else Model
    m = cls(c["vocab"], c["d"], c["layers"], c["heads"], c["kv_heads"], c["ff"], frontends=c["frontends"])
    m.load_state_dict(ck["model"])
    m.eval()
    if f16 or q8:
        with torch.no_grad():
            for n, p in m.named_parameters():
                if p.ndim == 2 and not n.startswith("proj.") and p.numel() >= 4096:
                    p.copy_(q8_0(p) if q8 else p.half().float())
    if q8:
        for n, mod in m.named_modules():
            if isinstance(mod, torch.nn.Linear) and not n.startswith("proj."):
                mod.register_forward_pre_hook(lambda _, inp: (q8_0(inp[0]),))
        m.act_quant = q8_0
    return m, ck


def model_tokenizer(ck, data):
    """The checkpoint's tokenizer: Gemma's when it carries one, else the data set's."""
    if "tokenizer" in ck:
        t = ck["tokenizer"]
        return GemmaTokenizer(t["tokens"], t["types"], t["merges"])
    return Tokenizer.load(os.path.join(data, "tokens.json"))


@torch.no_grad()
def decode(model, tok, fe, audio, tasks=TASKS, max_len=64, ids_out=None):
    """audio: float32 tensor. Decodes the audio once, then forks the KV cache per task (as the app does)."""
    before, seg_prompt, end = prompt_format(tok)
    a = model.project(fe, audio_features(model, fe, audio))
    x = torch.cat([model.embed(torch.tensor(before)), a])[None]
    L = x.shape[1]
    pos = torch.arange(L)[None]
    mask = torch.tril(torch.ones(L, L, dtype=torch.bool))[None]
    caches = [dict() for _ in model.blocks]
    for b, c in zip(model.blocks, caches):
        x = b(x, pos, mask, c)
    outs = {}
    for task in tasks:
        cs = [dict(c) for c in caches]
        feed = list(seg_prompt[task])
        p = L
        ids = []
        for _ in range(max_len):
            n = len(feed)
            h = model.embed(torch.tensor(feed))[None]
            m = torch.tril(torch.ones(n, p + n, dtype=torch.bool), diagonal=p)[None]
            for b, c in zip(model.blocks, cs):
                h = b(h, torch.arange(p, p + n)[None], m, c)
            cur = int(model.logits(model.norm(h[0, -1])).argmax())
            p += n
            if cur in (end, tok.eos):  # Gemma's engine also stops at <eos>
                break
            ids.append(cur)
            feed = [cur]
        outs[task] = tok.decode(ids)
        if ids_out is not None:
            ids_out[task] = ids
    return outs


# ---------------------------------------------------------------------------------------------------
# normalisation and content words: scoring.py (the Go package tools/textnorm normalises the same way)
# ---------------------------------------------------------------------------------------------------
def content_words(item, lang):
    """Expected content words in the translation: vocabulary translations in any gender and number, digits
    and names (scoring.content_words)."""
    return scoring.content_words(item["spoken"], item[lang], lang)


@torch.no_grad()
def mtp_accuracy(model, head, tok, fe, clips, ids):
    """How often the MTP head's first and (after a right first) second drafts match the model's own greedy
    output on held-out speech: the acceptance speculative decoding can expect."""
    e = model.emb.weight
    before, seg_prompt, end = prompt_format(tok)
    hit1 = n1 = hit2 = n2 = 0
    for clip, out in zip(clips, ids):
        a = model.project(fe, audio_features(model, fe, torch.from_numpy(clip.astype(np.float32) / 32768.0)))
        for task in TASKS:
            seq = out[task] + [end]
            x = torch.cat([model.embed(torch.tensor(before)), a,
                           model.embed(torch.tensor(seg_prompt[task] + seq[:-1], dtype=torch.long))])[None]
            L = x.shape[1]
            mask = torch.tril(torch.ones(L, L, dtype=torch.bool))[None]
            for b in model.blocks:
                x = b(x, torch.arange(L)[None], mask)
            h = model.norm(x[0])
            p0 = len(before) + a.shape[0] + len(seg_prompt[task]) - 1  # where seq[0] was chosen
            for j in range(len(seq) - 1):
                g1 = head(h[p0 + j], e[seq[j]])
                n1 += 1
                if int(model.logits(g1).argmax()) != seq[j + 1]:
                    continue
                hit1 += 1
                if j + 2 < len(seq):
                    g2 = head(g1, e[seq[j + 1]])
                    n2 += 1
                    hit2 += int(model.logits(g2).argmax()) == seq[j + 2]
    return hit1 / max(1, n1), hit2 / max(1, n2)


def evaluate(model, tok, fe, items, clips, log=None, ids=None):
    errs = words = 0
    exact = 0
    cw = {"es": [0, 0], "fr": [0, 0]}
    ex = {"es": 0, "fr": 0}
    rows = []
    t0 = time.time()
    for it, clip in zip(items, clips):
        got = {}
        out = decode(model, tok, fe, torch.from_numpy(clip.astype(np.float32) / 32768.0), ids_out=got)
        if ids is not None:
            ids.append(got)
        ref = normalise(it["en"])
        hyp = normalise(out["transcribe"])
        errs += edit_distance(ref, hyp)
        words += len(ref)
        exact += out["transcribe"] == it["en"]
        for lang in ("es", "fr"):
            exp = content_words(it, lang)
            cw[lang][1] += len(exp)
            cw[lang][0] += scoring.kept(exp, out["translate:" + lang])
            ex[lang] += out["translate:" + lang] == it[lang]
        rows.append(dict(ref=it, hyp=out))
    n = len(items)
    res = dict(wer=errs / max(1, words), exact_en=exact / n,
               es_content=cw["es"][0] / max(1, cw["es"][1]), fr_content=cw["fr"][0] / max(1, cw["fr"][1]),
               es_exact=ex["es"] / n, fr_exact=ex["fr"] / n, n=n, seconds=time.time() - t0)
    return res, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="work/data")
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--q8", action="store_true", help="round as the Q8_0 export stores the model (export.py --q8)")
    ap.add_argument("--tsv", default="", help="score a development set (testset/dev.tsv) instead of the held-out "
                    "clips; its audio is synthesised here. The test set is scored only through the CLI "
                    "(testset/score.py), once per shipped model")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.tsv:
        if os.path.basename(a.tsv) == "testset.tsv":
            raise SystemExit("evaluate.py: the test set is not for tuning; score it with testset/score.py")
        from synth import synth
        items = [dict(row, words=row["spoken"].split(), speed=int(row["rate"]), pitch=int(row["pitch"]))
                 for row in tg.read_tsv(a.tsv)]
        clips = [synth((it["spoken"], it["voice"], it["speed"], it["pitch"])) for it in items]
    else:
        items, clips = load_set(os.path.join(a.data, "heldout.npz"))
    if a.limit:
        items, clips = items[:a.limit], clips[:a.limit]
    model, ck = load_model(a.ckpt, f16=True, q8=a.q8)
    tok = model_tokenizer(ck, a.data)
    fe = ck["fe"]
    ids = []
    res, rows = evaluate(model, tok, fe, items, clips, ids=ids)
    res.update(step=ck["step"], train_seconds=ck.get("seconds"), fe=fe, cfg=ck["cfg"], device=ck.get("device", "cpu"),
              batch=ck.get("batch", 24))
    if "mtp" in ck:
        head = MTPHead(**ck["mtp_cfg"])
        head.load_state_dict(ck["mtp"])
        head.eval()
        res["mtp_acc1"], res["mtp_acc2"] = mtp_accuracy(model, head, tok, fe, clips, ids)
        res["mtp_cfg"] = ck["mtp_cfg"]
    json.dump(dict(result=res, rows=rows), open(a.out, "w", encoding="utf-8"), ensure_ascii=False, indent=1)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
