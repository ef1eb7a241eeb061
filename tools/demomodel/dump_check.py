"""Dump projected embeddings and PyTorch greedy decodes for llamacheck (Go, llama.cpp)."""
import argparse
import json
import os

import numpy as np
import torch

from common import TASKS, TASK_TOKEN, Tokenizer, audio_features
from evaluate import decode, load_model
from train import load_set


@torch.no_grad()
def first_logits(model, tok, emb, task, f16):
    e = model.emb.weight
    x = torch.cat([e[tok.bos][None], e[tok.audio_begin][None], emb, e[tok.audio_end][None],
                   e[tok.id[TASK_TOKEN[task]]][None]])[None]
    L = x.shape[1]
    h = x
    mask = torch.tril(torch.ones(L, L, dtype=torch.bool))[None]
    for b in model.blocks:
        h = b(h, torch.arange(L)[None], mask)
    return (model.norm(h[0, -1]) @ e.t()).tolist()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="work/data")
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(1)
    tok = Tokenizer.load(os.path.join(a.data, "tokens.json"))
    model, ck = load_model(a.ckpt, f16=True)
    fe = ck["fe"]
    items, clips = load_set(os.path.join(a.data, "heldout.npz"))
    out = dict(Bos=tok.bos, AudioBegin=tok.audio_begin, AudioEnd=tok.audio_end, Eos=tok.eos, clips=[])
    for it, clip in list(zip(items, clips))[:a.n]:
        x = torch.from_numpy(clip.astype(np.float32) / 32768.0)
        with torch.no_grad():
            emb = model.project(fe, audio_features(model, fe, x))
        ids = {}
        dec = decode(model, tok, fe, x, ids_out=ids)
        tasks = {}
        for t in TASKS:
            tasks[t] = dict(token=tok.id[TASK_TOKEN[t]], ids=ids[t],
                            logits=first_logits(model, tok, emb, t, True), text=dec[t])
        out["clips"].append(dict(embeds=emb.tolist(), tasks=tasks, ref=it["en"]))
    json.dump(out, open(a.out, "w"))
    print("wrote", a.out)


if __name__ == "__main__":
    main()
