"""Check the hand-written sentences (sentences.txt) and write dev.tsv and testset.tsv.

Every sentence must use vocabulary words only, have 3-15 spoken words, format back to what is spoken (the
English text normalises to the spoken words), keep its numbers and times as digits in both translations, and
pass the agreement checker; no sentence may occur twice. Each row gets a voice (voices.py: accents that
training never hears), a rate and a pitch, deterministically, and the content words its translations must
keep (scoring.content_words).
Usage: python3 testset/build.py [--check]   (--check: fail if dev.tsv or testset.tsv is not what it would write)
"""
import argparse
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import agreement  # noqa: E402
import scoring  # noqa: E402
import textgen as tg  # noqa: E402
import voices  # noqa: E402

COLUMNS = ["id", "spoken", "en", "es", "fr", "voice", "rate", "pitch", "es_content", "fr_content"]
SEED = {"test": 14, "dev": 41}


def read_sentences(path=os.path.join(HERE, "sentences.txt")):
    """{"test": [(en, es, fr), ...], "dev": [...]} in file order."""
    out, section = {}, None
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"\[(\w+)\]", line)
        if m:
            section = m.group(1)
            out[section] = []
            continue
        parts = [p.strip() for p in line.split(" | ")]
        if len(parts) != 3 or section is None:
            raise SystemExit("sentences.txt:%d: expected [section] or 'English | Spanish | French'" % n)
        out[section].append(tuple(parts))
    return out


def problems(en, es, fr):
    words = scoring.normalise(en)
    out = []
    unknown = [w for w in words if w not in tg.ROW]
    if unknown:
        out.append("not in the vocabulary: " + " ".join(unknown))
    if not tg.MIN_WORDS <= len(words) <= tg.MAX_WORDS:
        out.append("%d spoken words" % len(words))
    digits = lambda s: sorted(re.findall(r"\d+(?::\d\d)?", s))
    if digits(es) != digits(fr):
        out.append("numbers differ between es and fr: %s / %s" % (digits(es), digits(fr)))
    for d in digits(en):
        if d not in digits(es):
            out.append("%s is not in the translations as digits" % d)
    for lang, text in (("es", es), ("fr", fr)):
        out += ["%s: %s" % (lang, e) for e in agreement.check(text, lang)]
        if not text.endswith(("?", ".")) or text[:1] != text[:1].upper():
            out.append("%s: sentence case and final punctuation" % lang)
    if en.endswith("?") != fr.endswith("?") or en.endswith("?") != es.endswith("?"):
        out.append("question marks differ")
    if es.endswith("?") and not es.startswith("¿"):
        out.append("es: opening ¿")
    return out


def rows_for(split, sentences):
    r = random.Random(SEED[split])
    vs = voices.TEST_VOICES if split == "test" else voices.DEV_VOICES
    rates = voices.TEST_RATES if split == "test" else voices.DEV_RATES
    rows = []
    for i, (en, es, fr) in enumerate(sentences):
        spoken = " ".join(scoring.normalise(en))
        rows.append(dict(id="%s%03d" % (split, i), spoken=spoken, en=en, es=es, fr=fr, voice=vs[i % len(vs)],
                         rate=str(r.choice(rates)), pitch=str(r.choice(voices.PITCHES)),
                         es_content=";".join(scoring.content_words(spoken, es, "es")),
                         fr_content=";".join(scoring.content_words(spoken, fr, "fr"))))
    return rows


def tsv(rows):
    return "\t".join(COLUMNS) + "\n" + "".join("\t".join(r[c] for c in COLUMNS) + "\n" for r in rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true", help="fail if the TSV files are out of date")
    a = ap.parse_args()
    sents = read_sentences()
    bad = 0
    seen = {}
    for split in ("test", "dev"):
        for en, es, fr in sents[split]:
            spoken = " ".join(scoring.normalise(en))
            if spoken in seen:
                print("%s: %r also in %s" % (split, en, seen[spoken]))
                bad += 1
            seen[spoken] = split
            for p in problems(en, es, fr):
                print("%s: %r: %s" % (split, en, p))
                bad += 1
    if bad:
        raise SystemExit("%d problems" % bad)
    stale = 0
    for split, name in (("test", "testset.tsv"), ("dev", "dev.tsv")):
        text = tsv(rows_for(split, sents[split]))
        path = os.path.join(HERE, name)
        old = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
        if a.check:
            if old != text:
                print("%s is out of date: run python3 testset/build.py" % name)
                stale += 1
            continue
        open(path, "w", encoding="utf-8").write(text)
        n = len(sents[split])
        print("%s: %d sentences, %d spoken words, voices %s" % (name, n, sum(
            len(scoring.normalise(s[0])) for s in sents[split]), ", ".join(
            voices.TEST_VOICES if split == "test" else voices.DEV_VOICES)))
    if stale:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
