"""An agreement checker for the Spanish and French sentences of the demo model (training targets and the
reference translations of the development and test sets).

It reads the genders, plurals and adjective forms from vocabulary.tsv and, independently of the generator's
own rendering code, checks what a reader would notice first:
- a determiner (article, possessive, demonstrative, quel/qué, cuántos, a preposed adjective) agrees in gender
  and number with its noun: "la caja", "les boîtes", never "la caja rojo" or "le maison";
- adjectives right after the noun, and predicative ones ("la caja es roja", "les clés sont petites"), agree
  with it;
- a number before a noun: 1 takes the singular, other numbers the plural;
- French elision and contraction (l'hôtel, d'eau, qu'il, au, du; ce → cet, ma → mon before a vowel) and
  Spanish contraction and conjunctions (al, del; y → e, o → u).
Agreement is not checked across a comma (the word-for-word glosses of grammar-free training sequences are
comma-separated words), nor between subject and verb. check(text, lang) returns a list of problems (empty when none).
"""
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
ELIDED = ("l'", "d'", "j'", "n'", "qu'", "m'", "c'", "s'", "t'")
VOWEL_START = tuple("aeiouyâàéèêëîïôöûùüœ")
H_MUTE = ("hôtel", "hôpita", "horloge", "heure", "henry", "hier")


def _rows(path=os.path.join(HERE, "vocabulary.tsv")):
    for line in open(path, encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        yield line.rstrip("\n").split("\t")


def _add(table, form, gn):
    if form and form != "-":
        table.setdefault(form.lower(), set()).add(gn)


ES_NOUN, FR_NOUN, ES_ADJ, FR_ADJ = {}, {}, {}, {}
ES_PRE, FR_PRE = set(), set()      # adjectives that stand before the noun
FR_BEFORE_VOWEL = {}               # nouveau → nouvel, vieux → vieil
for _r in _rows():
    cls = _r[3]
    if cls in ("noun", "plural", "day"):
        pl = cls == "plural"
        _add(ES_NOUN, _r[1], (_r[5], pl))
        _add(ES_NOUN, _r[6], (_r[5], True))
        _add(FR_NOUN, _r[2], (_r[9], pl))
        _add(FR_NOUN, _r[10], (_r[9], True))
    elif cls == "adj":
        for form, gn in ((_r[1], ("m", False)), (_r[6], ("m", True)), (_r[7], ("f", False)), (_r[8], ("f", True))):
            _add(ES_ADJ, form, gn)
            if _r[14] == "before":
                ES_PRE.add(form)
        for form, gn in ((_r[2], ("m", False)), (_r[10], ("m", True)), (_r[11], ("f", False)), (_r[12], ("f", True)),
                         (_r[13], ("m", False))):
            _add(FR_ADJ, form, gn)
            if _r[15] == "before":
                FR_PRE.add(form)
        if _r[13] != "-":
            FR_BEFORE_VOWEL[_r[2]] = _r[13]
_add(ES_ADJ, "primer", ("m", False))
ES_PRE.add("primer")

MS, FS, MP, FP = ("m", False), ("f", False), ("m", True), ("f", True)
SG, PL = {MS, FS}, {MP, FP}
ES_DET = {"el": {MS}, "la": {FS}, "los": {MP}, "las": {FP}, "un": {MS}, "una": {FS}, "unos": {MP}, "unas": {FP},
          "al": {MS}, "del": {MS}, "este": {MS}, "esta": {FS}, "estos": {MP}, "estas": {FP}, "ese": {MS},
          "esa": {FS}, "esos": {MP}, "esas": {FP}, "mi": SG, "tu": SG, "su": SG, "mis": PL, "tus": PL, "sus": PL,
          "nuestro": {MS}, "nuestra": {FS}, "nuestros": {MP}, "nuestras": {FP}, "cuántos": {MP}, "cuántas": {FP}}
FR_DET = {"le": {MS}, "la": {FS}, "les": PL, "un": {MS}, "une": {FS}, "des": PL, "du": {MS}, "au": {MS},
          "aux": PL, "mon": {MS}, "ton": {MS}, "son": {MS}, "ma": {FS}, "ta": {FS}, "sa": {FS}, "mes": PL,
          "tes": PL, "ses": PL, "notre": SG, "votre": SG, "leur": SG, "nos": PL, "vos": PL, "leurs": PL, "ce": {MS},
          "cet": {MS}, "cette": {FS}, "ces": PL, "quel": {MS}, "quelle": {FS}, "quels": {MP}, "quelles": {FP},
          "l'": SG}
ES_COPULA = {"es", "son", "está", "están", "era", "eran", "estaba", "estaban"}
FR_COPULA = {"est", "sont", "était", "étaient"}
ES_PREP = {"de", "en", "a", "con", "para", "sin", "por", "antes", "del", "al"}
FR_PREP = {"de", "dans", "à", "avec", "pour", "sur", "d'", "du", "des", "au", "aux", "avant"}


def vowel(word):
    w = word.lower()
    return w.startswith(VOWEL_START) or w.startswith(H_MUTE)


def tokens(text, commas=False):
    """Lowercased words; elided articles and pronouns become tokens of their own ("l'", "hôtel"). commas: keep
    each comma as a token (agreement is not checked across one)."""
    text = text.lower()
    if commas:
        text = re.sub(r",(?!\d)", " , ", text)
    text = re.sub(r"[¿?¡!.;:«»\"()]+(?!\d)|,(?!\d)" if not commas else r"[¿?¡!.;:«»\"()]+(?!\d)", " ", text)
    out = []
    for w in text.split():
        for e in ELIDED:
            if w.startswith(e) and len(w) > len(e) and w != "aujourd'hui":
                out += [e, w[len(e):]]
                break
        else:
            out.append(w)
    return out


def _agree(a, b):
    return bool(a & b)


def check(text, lang):
    """Problems with agreement, elision and contraction in one sentence (an empty list when none)."""
    t = tokens(text, commas=True)
    noun = ES_NOUN if lang == "es" else FR_NOUN
    adj = ES_ADJ if lang == "es" else FR_ADJ
    pre = ES_PRE if lang == "es" else FR_PRE
    det = ES_DET if lang == "es" else FR_DET
    cop = ES_COPULA if lang == "es" else FR_COPULA
    preps = ES_PREP if lang == "es" else FR_PREP
    errs = []
    for i, w in enumerate(t):
        if w not in noun:
            continue
        gn = set(noun[w])
        if lang == "es" and w == "agua":
            gn |= {MS}      # "el agua"
        # what stands before the noun: preposed adjectives, a number, a determiner
        j = i - 1
        while j >= 0 and t[j] in pre and t[j] in adj:
            if not _agree(adj[t[j]], gn):
                errs.append("%s %s: adjective does not agree" % (t[j], w))
            if lang == "fr" and j == i - 1 and MS in gn and vowel(w) and t[j] in FR_BEFORE_VOWEL:
                errs.append("%s %s: %s before a vowel" % (t[j], w, FR_BEFORE_VOWEL[t[j]]))
            if lang == "fr" and t[j] in FR_BEFORE_VOWEL.values() and not vowel(t[j + 1]):
                errs.append("%s %s: only before a vowel" % (t[j], t[j + 1]))
            j -= 1
        if j >= 0 and re.fullmatch(r"\d+", t[j]):
            if not _agree(gn, SG if t[j] == "1" else PL):
                errs.append("%s %s: 1 takes the singular, other numbers the plural" % (t[j], w))
            j -= 1
        if j >= 0 and t[j] in det:
            d = det[t[j]]
            if lang == "fr" and t[j] in ("mon", "ton", "son") and vowel(t[j + 1]):
                d = SG
            if lang == "fr" and t[j] in ("le", "la", "ce", "ma", "ta", "sa") and vowel(t[j + 1]):
                errs.append("%s %s: elide or use the form for a vowel" % (t[j], t[j + 1]))
            if lang == "fr" and t[j] == "cet" and not vowel(t[j + 1]):
                errs.append("cet %s: cet only before a vowel" % t[j + 1])
            if lang == "fr" and t[j] == "l'" and not vowel(t[j + 1]):
                errs.append("l'%s: no elision before a consonant" % t[j + 1])
            if lang == "es" and w == "agua" and t[j] in ("el", "un", "al", "del") and j != i - 1:
                errs.append("%s ... agua: el/un only right before agua" % t[j])
            if not _agree(d, gn):
                errs.append("%s %s: determiner does not agree" % (t[j], w))
        # adjectives after the noun
        k = i + 1
        while k < len(t) and t[k] in adj and t[k] not in pre:
            if not _agree(adj[t[k]], gn):
                errs.append("%s %s: adjective does not agree" % (w, t[k]))
            k += 1
        # predicative adjectives: [det] noun [adjs] copula [no/ne pas] [muy/très] adj [y/o/et/ou adj]
        if k < len(t) and t[k] in cop and j >= 0 and t[j] in det and (j == 0 or t[j - 1] not in preps):
            m = k + 1
            while m < len(t) and t[m] in ("no", "pas", "muy", "très", "ne", "n'"):
                m += 1
            while m < len(t) and t[m] in adj:
                if not _agree(adj[t[m]], gn):
                    errs.append("%s ... %s: predicative adjective does not agree" % (w, t[m]))
                if m + 2 < len(t) and t[m + 1] in ("y", "e", "o", "u", "et", "ou"):
                    m += 2
                else:
                    break
    for i in range(len(t) - 1):
        a, b = t[i], t[i + 1]
        if lang == "es":
            if a in ("a", "de") and b == "el":
                errs.append("%s el: contract to al/del" % a)
            if a == "la" and b == "agua":
                errs.append("la agua: el agua")
            if a == "y" and (b.startswith("i") or (b.startswith("hi") and not b.startswith(("hie", "hia")))):
                errs.append("y %s: e before an i sound" % b)
            if a == "o" and b.startswith(("o", "ho")):
                errs.append("o %s: u before an o sound" % b)
        else:
            if a in ("de", "je", "ne", "que", "le", "la", "me", "te", "se") and vowel(b):
                errs.append("%s %s: elide" % (a, b))
            if a == "ce" and vowel(b) and b not in ("est",):
                errs.append("ce %s: cet before a vowel" % b)
            if a in ("à", "de") and b in ("le", "les") and i + 2 < len(t) and (t[i + 2] in noun or t[i + 2] in adj):
                errs.append("%s %s: contract to au/aux/du/des" % (a, b))
    return errs
