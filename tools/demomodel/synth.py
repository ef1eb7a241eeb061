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


def assign(items, variants, r):
    """Each item's voice, rate and pitch (recorded in the item, so that rendering can happen elsewhere)."""
    for it in items:
        it["voice"] = r.choice(LANGS) + r.choice(variants)
        it["speed"] = r.randint(130, 200)
        it["pitch"] = r.randint(30, 70)


def render(items, procs):
    with Pool(procs) as pool:
        return pool.map(synth, [(it["spoken"], it["voice"], it["speed"], it["pitch"]) for it in items], chunksize=16)


def render_shards(items_path, shard, procs):
    """Render a text-only set (--text_only) as shards <set>_NNN.npz of `shard` utterances each, written in
    order as each finishes (via a .tmp name), so that training on a many-core machine can start on the
    first shards while the rest are synthesised (train.load_shards)."""
    items = json.load(open(items_path, encoding="utf-8"))
    base = items_path[:-len(".json")]
    for k in range(0, len(items), shard):
        part = items[k:k + shard]
        out = "%s_%03d" % (base, k // shard)
        auds = render(part, procs)
        json.dump(part, open(out + ".json", "w", encoding="utf-8"), ensure_ascii=False, indent=0)
        np.savez(out + ".tmp.npz", audio=np.concatenate(auds), offsets=np.cumsum([0] + [len(x) for x in auds]))
        os.replace(out + ".tmp.npz", out + ".npz")


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
    ap.add_argument("--procs", type=int, default=2, help="espeak-ng processes at once")
    ap.add_argument("--text_only", action="store_true",
                    help="write the training set's text, voices and tokens but not its audio (see --render)")
    ap.add_argument("--render", default="", help="render this text-only set (train.json) as shards, then stop")
    ap.add_argument("--shard", type=int, default=1000, help="utterances per shard for --render")
    a = ap.parse_args()
    if a.render:
        render_shards(a.render, a.shard, a.procs)
        return
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
    assign(held, HELDOUT_VARIANTS, random.Random(a.seed + 2))
    save(os.path.join(a.out, "heldout.npz"), held, render(held, a.procs))
    assign(train, TRAIN_VARIANTS, random.Random(a.seed + 3))
    if a.text_only:
        json.dump(train, open(os.path.join(a.out, "train.json"), "w", encoding="utf-8"), ensure_ascii=False, indent=0)
    else:
        save(os.path.join(a.out, "train.npz"), train, render(train, a.procs))


if __name__ == "__main__":
    main()
