"""Synthesise the training and held-out sets with espeak-ng + sox (deterministic for a given seed).

Training sentences come from textgen.generate_training (grammatical sentences plus a share of grammar-free word
sequences, --salad); none is a development or test sentence (testset/*.tsv), and none is spoken in a
development or test voice (testset/README.md)."""
import argparse
import itertools
import json
import os
import random
import subprocess
from multiprocessing import Pool

import numpy as np

import textgen as tg
from common import Tokenizer, build_vocab

from voices import HELDOUT_VARIANTS, LANGS, TRAIN_VARIANTS  # noqa: F401 (card.py reads them from here)


def heldout_pairs(seed):
    """Word combinations that never occur together in training."""
    r = random.Random(seed)
    pairs = set()
    for a, b in itertools.product(sorted(tg.COLOURS), sorted(tg.COLOURABLE)):
        if r.random() < 0.12:
            pairs.add((a, b))
    for a, b in itertools.product(sorted(tg.NAMES), sorted(tg.PLACES)):
        if r.random() < 0.12:
            pairs.add((a, b))
    for a, b in itertools.product(sorted(tg.ACTION_VERBS), sorted(tg.PORTABLE)):
        if r.random() < 0.12:
            pairs.add((a, b))
    return pairs


def has_pair(words, pairs):
    ws = set(words)
    for w in list(ws):
        # plural nouns count as their singular for combination purposes
        for k, v in tg.N.items():
            if v["en_pl"] == w:
                ws.add(k)
    return any(a in ws and b in ws for a, b in pairs)


def synth(job):
    text, voice, speed, pitch = job
    p1 = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", text],
                        stdout=subprocess.PIPE, check=True)
    p2 = subprocess.run(["sox", "-t", "wav", "-", "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer",
                         "-t", "raw", "-"], input=p1.stdout, stdout=subprocess.PIPE, check=True)
    return np.frombuffer(p2.stdout, dtype="<i2").copy()


def make(items, variants, r):
    jobs = []
    for it in items:
        v = r.choice(LANGS) + r.choice(variants)
        it["voice"] = v
        it["speed"] = r.randint(130, 200)
        it["pitch"] = r.randint(30, 70)
        jobs.append((it["spoken"], v, it["speed"], it["pitch"]))
    with Pool(2) as pool:
        auds = pool.map(synth, jobs, chunksize=16)
    return auds


def save(path, items, auds):
    offs = np.cumsum([0] + [len(a) for a in auds])
    np.savez(path, audio=np.concatenate(auds), offsets=offs)
    json.dump(items, open(path.replace(".npz", ".json"), "w", encoding="utf-8"), ensure_ascii=False, indent=0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="work/data")
    ap.add_argument("--train", type=int, default=8000)
    ap.add_argument("--heldout", type=int, default=90)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--salad", type=float, default=tg.SALAD_SHARE, help="share of grammar-free training sequences")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    r = random.Random(a.seed)
    pairs = heldout_pairs(a.seed)
    train, held, seen = [], [], set()
    # held-out first: new word combinations (and, below, unseen voices)
    while len(held) < a.heldout:
        g = tg.generate(r)
        if len(g["words"]) >= 4 and has_pair(g["words"], pairs) and g["en"] not in seen:
            seen.add(g["en"])
            held.append(g)
    vocab_texts = []
    while len(train) < a.train:
        g = tg.generate_training(r, a.salad)
        vocab_texts += [g["en"], g["es"], g["fr"]]
        if has_pair(g["words"], pairs) or g["en"] in seen:
            continue
        train.append(g)
    # vocabulary: everything the generator can produce (a large extra sample, incl. held-out combinations)
    vr = random.Random(a.seed + 1)
    for _ in range(60000):
        g = tg.generate_training(vr, a.salad)
        vocab_texts += [g["en"], g["es"], g["fr"]]
    for g in held:
        vocab_texts += [g["en"], g["es"], g["fr"]]
    # every vocabulary word, capitalised and with a leading space, is a token too
    for row in tg.load_vocab(os.path.join(os.path.dirname(os.path.abspath(__file__)), "vocabulary.tsv")
                             if not os.environ.get("VOCAB_TSV") else os.environ["VOCAB_TSV"]):
        for w in row[:3]:
            if w != "-":
                vocab_texts += [" " + w, w.capitalize()]
    ex = tg.excluded()
    assert not any(g["spoken"] in ex for g in train + held), "a development or test sentence in training"
    tokens = build_vocab(vocab_texts)
    Tokenizer(tokens).save(os.path.join(a.out, "tokens.json"))
    print("vocab", len(tokens), "train", len(train), "held-out", len(held), "held-out pairs", len(pairs))
    json.dump(sorted(map(list, pairs)), open(os.path.join(a.out, "heldout_pairs.json"), "w"))
    hr = random.Random(a.seed + 2)
    save(os.path.join(a.out, "heldout.npz"), held, make(held, HELDOUT_VARIANTS, hr))
    tr = random.Random(a.seed + 3)
    save(os.path.join(a.out, "train.npz"), train, make(train, TRAIN_VARIANTS, tr))


if __name__ == "__main__":
    main()
