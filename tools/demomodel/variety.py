"""How varied the training text is, and how far the development and test sets are from it.

For a training-sized sample (20 000 sentences, fixed seed): distinct sentences, distinct structures (the spoken
words with nouns, adjectives, names, numbers, days and months replaced by their class: "bring the A N to the
N at NUM"), lengths, and the share of questions, commands, negations, lists, numbers and times. For the
development and test sets: how many of their word 3- and 4-grams and of their structures occur anywhere in
the sample, and how many of their sentences the generator produces on its own (without the exclusion).
Usage: python3 variety.py [--n 20000] [--other OLD_textgen.py]   (--other: the same figures for another
generator, e.g. `git show HEAD~1:tools/demomodel/textgen.py > /tmp/old_textgen.py`)
"""
import argparse
import importlib.util
import os
import random
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import textgen as tg  # noqa: E402

OPEN_CLASS = {"noun": "N", "plural": "N", "adj": "A", "name": "NAME", "num": "NUM", "day": "DAY", "month": "MONTH"}
KEEP = {"half", "past", "quarter"}


def structure(words):
    out = []
    for w in words:
        c = OPEN_CLASS.get(tg.CLASS.get(w)) if w not in KEEP else None
        c = c or w
        if c == "NUM" and out and out[-1] == "NUM":
            continue
        out.append(c)
    return tuple(out)


def ngrams(words, n):
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def draw(gen, n, seed, training=True):
    r = random.Random(seed)
    out = []
    for _ in range(n):
        if hasattr(gen, "generate_training") and training:
            g = gen.generate_training(r)
        else:
            g = gen.generate(r)
        out.append(g)
    return out


def sample_figures(items):
    spoken = [g["spoken"] for g in items]
    words = [s.split() for s in spoken]
    gram = [g for g in items if g.get("kind", "grammar") != "salad"]
    st = Counter(structure(g["words"]) for g in gram)
    lens = Counter(len(w) for w in words)
    q = sum(g["en"].endswith("?") for g in gram)
    neg = sum("not" in g["words"] or "no" in g["words"][1:] for g in gram)
    lists = sum("," in g["en"][:-1] and " and " in g["en"] for g in gram)
    num = sum(any(ch.isdigit() for ch in g["en"]) for g in gram)
    first = Counter(g["words"][0] for g in gram)
    return dict(n=len(items), distinct=len(set(spoken)), structures=len(st),
                structures_once=sum(1 for v in st.values() if v == 1), salad=len(items) - len(gram),
                mean_len=sum(map(len, words)) / len(words), max_len=max(lens), min_len=min(lens),
                questions=q / max(1, len(gram)), negations=neg / max(1, len(gram)), lists=lists / max(1, len(gram)),
                numbers_or_times=num / max(1, len(gram)), first_words=len(first),
                top_structure_share=st.most_common(1)[0][1] / max(1, len(gram)))


def overlap(items, rows):
    train3 = set().union(*(ngrams(g["words"], 3) for g in items))
    train4 = set().union(*(ngrams(g["words"], 4) for g in items))
    tstruct = {structure(g["words"]) for g in items}
    tsent = {g["spoken"] for g in items}
    w = [r["spoken"].split() for r in rows]
    g3 = [x for ws in w for x in ngrams(ws, 3)]
    g4 = [x for ws in w for x in ngrams(ws, 4)]
    return dict(n=len(rows), trigrams_seen=sum(x in train3 for x in g3) / max(1, len(g3)),
                fourgrams_seen=sum(x in train4 for x in g4) / max(1, len(g4)),
                structures_seen=sum(structure(ws) in tstruct for ws in w) / max(1, len(w)),
                sentences_seen=sum(r["spoken"] in tsent for r in rows))


def report(name, gen, n, sets):
    items = draw(gen, n, 1)
    f = sample_figures(items)
    print("%s: %d sentences (%d grammar-free): %d distinct, %d distinct structures (%d seen once; the commonest "
          "is %.1f %% of the grammatical ones), %d first words" % (
              name, f["n"], f["salad"], f["distinct"], f["structures"], f["structures_once"],
              100 * f["top_structure_share"], f["first_words"]))
    print("  length %d-%d words (mean %.1f); questions %.0f %%, negations %.0f %%, lists %.0f %%, numbers or "
          "times %.0f %%" % (f["min_len"], f["max_len"], f["mean_len"], 100 * f["questions"], 100 * f["negations"],
                             100 * f["lists"], 100 * f["numbers_or_times"]))
    for sname, rows in sets.items():
        o = overlap(items, rows)
        print("  %s set (%d): %.1f %% of its 3-grams and %.1f %% of its 4-grams occur in the sample; %.1f %% of its "
              "structures; %d of its sentences" % (sname, o["n"], 100 * o["trigrams_seen"], 100 * o["fourgrams_seen"],
                                                   100 * o["structures_seen"], o["sentences_seen"]))
    return f


def unexcluded(gen, rows, n):
    """How many set sentences the generator makes on its own in n draws (with the exclusion switched off)."""
    saved = gen._EXCLUDED
    gen._EXCLUDED = set()
    try:
        made = {g["spoken"] for g in draw(gen, n, 99, training=False)}
    finally:
        gen._EXCLUDED = saved
    return sum(r["spoken"] in made for r in rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--other", default="", help="another textgen.py to compare with")
    a = ap.parse_args()
    sets = {s: tg.read_tsv(os.path.join(HERE, "testset", f)) for s, f in (("dev", "dev.tsv"), ("test", "testset.tsv"))}
    report("textgen.py", tg, a.n, sets)
    for s, rows in sets.items():
        print("  without the exclusion, %d of the %d %s sentences come out of %d generated ones" % (
            unexcluded(tg, rows, a.n), len(rows), s, a.n))
    if a.other:
        spec = importlib.util.spec_from_file_location("other_textgen", a.other)
        other = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(other)
        report(os.path.basename(a.other), other, a.n, sets)


if __name__ == "__main__":
    main()
