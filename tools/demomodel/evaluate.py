"""Greedy decoding and held-out evaluation (WER for transcription, content-word accuracy for translation)."""
import argparse
import json
import os
import time

import numpy as np
import torch

import scoring
import textgen as tg
from common import TASKS, TASK_FIELD, TASK_TOKEN, Model, MTPHead, Tokenizer, audio_features
from scoring import edit_distance, normalise  # noqa: F401 (card.py reads them from here)
from train import load_set


def load_model(path, f16=False):
    """Load a checkpoint; f16 rounds the text model's matrices as the GGUF stores them (projectors stay F32)."""
    ck = torch.load(path, map_location="cpu")
    c = ck["cfg"]
    m = Model(c["vocab"], c["d"], c["layers"], c["heads"], c["kv_heads"], c["ff"], frontends=c["frontends"])
    m.load_state_dict(ck["model"])
    m.eval()
    if f16:
        with torch.no_grad():
            for n, p in m.named_parameters():
                if p.ndim == 2 and not n.startswith("proj.") and p.numel() >= 4096:
                    p.copy_(p.half().float())
    return m, ck


@torch.no_grad()
def decode(model, tok, fe, audio, tasks=TASKS, max_len=64, ids_out=None):
    """audio: float32 tensor. Decodes the audio once, then forks the KV cache per task (as the app does)."""
    f = audio_features(model, fe, audio)
    T = f.shape[0]
    a = model.project(fe, f)
    e = model.emb.weight
    x = torch.cat([e[tok.bos][None], e[tok.audio_begin][None], a, e[tok.audio_end][None]])[None]
    L = x.shape[1]
    pos = torch.arange(L)[None]
    mask = torch.tril(torch.ones(L, L, dtype=torch.bool))[None]
    caches = [dict() for _ in model.blocks]
    for b, c in zip(model.blocks, caches):
        x = b(x, pos, mask, c)
    outs = {}
    for task in tasks:
        cs = [dict(c) for c in caches]
        cur = tok.id[TASK_TOKEN[task]]
        p = L
        ids = []
        for _ in range(max_len):
            h = e[cur][None, None]
            for b, c in zip(model.blocks, cs):
                h = b(h, torch.tensor([[p]]), None, c)
            logits = model.norm(h[0, -1]) @ e.t()
            cur = int(logits.argmax())
            p += 1
            if cur == tok.eos:
                break
            ids.append(cur)
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
    hit1 = n1 = hit2 = n2 = 0
    for clip, out in zip(clips, ids):
        a = model.project(fe, audio_features(model, fe, torch.from_numpy(clip.astype(np.float32) / 32768.0)))
        for task in TASKS:
            seq = out[task] + [tok.eos]
            x = torch.cat([e[tok.bos][None], e[tok.audio_begin][None], a, e[tok.audio_end][None],
                           e[tok.id[TASK_TOKEN[task]]][None], e[torch.tensor(seq[:-1], dtype=torch.long)]])[None]
            L = x.shape[1]
            mask = torch.tril(torch.ones(L, L, dtype=torch.bool))[None]
            for b in model.blocks:
                x = b(x, torch.arange(L)[None], mask)
            h = model.norm(x[0])
            p0 = a.shape[0] + 3
            for j in range(len(seq) - 1):
                g1 = head(h[p0 + j], e[seq[j]])
                n1 += 1
                if int((g1 @ e.t()).argmax()) != seq[j + 1]:
                    continue
                hit1 += 1
                if j + 2 < len(seq):
                    g2 = head(g1, e[seq[j + 1]])
                    n2 += 1
                    hit2 += int((g2 @ e.t()).argmax()) == seq[j + 2]
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
    ap.add_argument("--tsv", default="", help="score a development set (testset/dev.tsv) instead of the held-out "
                    "clips; its audio is synthesised here. The test set is scored only through the CLI "
                    "(testset/score.py), once per shipped model")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    tok = Tokenizer.load(os.path.join(a.data, "tokens.json"))
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
    model, ck = load_model(a.ckpt, f16=True)
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
