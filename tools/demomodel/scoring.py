"""How the demo model is scored (plain Python: no PyTorch, so the CLI scorer runs anywhere).

- Transcription: word error rate after normalisation (lowercase, no punctuation, digits and clock times spelled
  out as the generator speaks them); the Go package tools/textnorm does exactly the same.
- Translation: content-word retention. The content words of a reference translation are the translations
  (any gender or number: "roja", "rouges") of the English sentence's vocabulary words that occur in the
  reference, the names, and the numbers and clock times; a hypothesis keeps those it contains (each as often
  as the reference has it).
"""
import os
import re
from collections import Counter

import agreement
import textgen as tg


def normalise(s):
    s = s.lower()
    s = re.sub(r"\b(\d{1,2}):(\d{2})\b",
               lambda m: " ".join(tg.spell(int(m.group(1))) + (["o'clock"] if int(m.group(2)) == 0
                                                                else tg.spell(int(m.group(2))))), s)
    s = re.sub(r"\d+", lambda m: " " + " ".join(tg.spell(int(m.group(0)))) + " ", s)
    s = re.sub(r"[^\w'\- ]|_", " ", s)
    words = []
    for w in s.split():
        w = w.strip("'-")
        if w:
            words.append(w)
    return words


def edit_distance(a, b):
    d = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(b) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] != b[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(b)]


def tr_words(s):
    """A translation as words: lowercase, no punctuation, elided articles split off ("l'eau" → "l'", "eau"),
    clock times kept whole ("5:30")."""
    return agreement.tokens(s)


def _forms():
    """English vocabulary word → every form of its translation (word tuples), per language: the dictionary
    form, and for nouns and adjectives the plural and feminine forms too."""
    out = {"es": {}, "fr": {}}
    for r in tg.VOCAB:
        inflected = r[3] in ("noun", "plural", "adj", "day")
        for lang, cols in (("es", (1, 6, 7, 8)), ("fr", (2, 10, 11, 12, 13))):
            if r[cols[0]] == "-":
                continue
            forms = {tuple(tr_words(r[c])) for c in (cols if inflected else cols[:1]) if r[c] != "-"}
            out[lang][r[0]] = sorted(forms)
    return out


FORMS = _forms()
TIME_RE = re.compile(r"^\d+(:\d\d)?$")


def _find(seq, sub):
    return sum(1 for i in range(len(seq) - len(sub) + 1) if tuple(seq[i:i + len(sub)]) == sub)


def content_words(spoken, ref, lang):
    """Content words a translation of the spoken English sentence should keep (see the module docstring),
    each as often as the reference ref has it. Multi-word ones ("por favor") are one string."""
    rw = tr_words(ref)
    forms = set()
    for w in set(spoken.split()):
        for f in sorted(FORMS[lang].get(w, []), key=len, reverse=True):
            if _find(rw, f):
                forms.add(f)
                break
    exp = []
    for f in sorted(forms):
        exp += [" ".join(f)] * _find(rw, f)
    exp += [w for w in rw if w in tg.NAME_G or TIME_RE.match(w)]
    return exp


def kept(expected, hyp):
    """How many of the expected content words the hypothesis contains (multiset)."""
    hw = tr_words(hyp)
    need = Counter(expected)
    return sum(min(c, _find(hw, tuple(e.split()))) for e, c in need.items())


def corpus_wer(refs, hyps):
    e = n = 0
    for r, h in zip(refs, hyps):
        rw, hw = normalise(r), normalise(h)
        e += edit_distance(rw, hw)
        n += len(rw)
    return e / max(1, n)
