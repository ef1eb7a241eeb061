"""Tests of the sentence generator, its translations and the development/test sets (no PyTorch).
Run: python3 -m pytest tools/demomodel/test_textgen.py   or   python3 tools/demomodel/test_textgen.py"""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "testset"))

import agreement  # noqa: E402
import scoring  # noqa: E402
import textgen as tg  # noqa: E402
import voices  # noqa: E402
from textgen import NP, VP, Clock, Num, Subj  # noqa: E402

# (noun phrase, Spanish, French): gender and number agreement, adjective order, elision, contraction
NP_CASES = [
    (NP("box", adjs=["red"]), "la caja roja", "la boîte rouge"),
    (NP("box", plural=True, adjs=["red"]), "las cajas rojas", "les boîtes rouges"),
    (NP("car", adjs=["black"]), "el coche negro", "la voiture noire"),
    (NP("bike", plural=False, adjs=["white"]), "la bicicleta blanca", "le vélo blanc"),
    (NP("box", adjs=["big", "red"]), "la caja roja grande", "la grande boîte rouge"),
    (NP("bag", det="a", adjs=["small", "green"]), "una bolsa verde pequeña", "un petit sac vert"),
    (NP("hotel", det="a", adjs=["new"]), "un hotel nuevo", "un nouvel hôtel"),
    (NP("hotel", adjs=["new"], plural=False), "el hotel nuevo", "le nouvel hôtel"),
    (NP("clock", adjs=["old"]), "el reloj viejo", "la vieille horloge"),
    (NP("chair", plural=True, adjs=["old"]), "las sillas viejas", "les vieilles chaises"),
    (NP("shoes", adjs=["brown"]), "los zapatos marrones", "les chaussures marron"),
    (NP("box", det="num", num=Num(3), adjs=["orange"]), "3 cajas naranjas", "3 boîtes orange"),
    (NP("book", det="num", num=Num(25)), "25 libros", "25 livres"),
    (NP("key", det="num", num=Num(2), adjs=["pink"]), "2 llaves rosas", "2 clés roses"),
    (NP("school", det="poss", owner="my"), "mi escuela", "mon école"),
    (NP("key", det="poss", owner="our", plural=True), "nuestras llaves", "nos clés"),
    (NP("car", det="poss", owner="your"), "tu coche", "votre voiture"),
    (NP("bike", det="this"), "esta bicicleta", "ce vélo"),
    (NP("hotel", det="that"), "ese hotel", "cet hôtel"),
    (NP("water"), "el agua", "l'eau"),
    (NP("water", det="some"), "agua", "de l'eau"),
    (NP("bread", det="bare"), "pan", "du pain"),
    (NP("apples", det="some", adjs=["small"]), "unas manzanas pequeñas", "de petites pommes"),
    (NP("train", adjs=["first"]), "el primer tren", "le premier train"),
    (NP("meeting", adjs=["first"]), "la primera reunión", "la première réunion"),
    (NP("bus", adjs=["next"]), "el próximo autobús", "le prochain bus"),
    (NP("cup", det="a", of=NP("tea", det="bare")), "una taza de té", "une tasse de thé"),
    (NP("bottle", det="num", num=Num(2), of=NP("water", det="bare")), "2 botellas de agua",
     "2 bouteilles d'eau"),
    (NP("photo", mod=("of", NP(name="alice"))), "la foto de Alice", "la photo d'Alice"),
    (NP("letter", mod=("from", NP(name="bob"))), "la carta de Bob", "la lettre de Bob"),
    (NP("lamp", mod=("in", NP("garage"))), "la lámpara del garaje", "la lampe du garage"),
    (NP(items=[NP("key", plural=True), NP("phone"), NP("bag", det="a", adjs=["red"])]),
     "las llaves, el teléfono y una bolsa roja", "les clés, le téléphone et un sac rouge"),
    (NP(items=[NP("bread", det="bare"), NP("report", det="a")]), "pan y un informe", "du pain et un rapport"),
]

# French after "de" / "à"
FR_CTX_CASES = [
    (NP("park"), "a", "au parc"), (NP("station"), "a", "à la gare"), (NP("hotel"), "a", "à l'hôtel"),
    (NP("key", plural=True), "a", "aux clés"), (NP("pen"), "de", "du stylo"), (NP("water"), "de", "de l'eau"),
    (NP("key", plural=True), "de", "des clés"), (NP("box", det="a"), "de", "de boîte"),
    (NP("water", det="some"), "de", "d'eau"), (NP(name="emma"), "de", "d'Emma"), (NP(name="tom"), "a", "à Tom"),
]


def cat_noun():
    """A noun outside the vocabulary, to show the rules come from the data: el gato negro, le chat noir."""
    tg.N["cat"] = dict(en="cat", en_pl="cats", es="gato", es_pl="gatos", es_g="m", fr="chat", fr_pl="chats",
                       fr_g="m", kind="obj", plural_only=False)
    return [(NP("cat", adjs=["black"]), "el gato negro", "le chat noir"),
            (NP("cat", plural=True, adjs=["small", "black"]), "los gatos negros pequeños", "les petits chats noirs"),
            (NP("cat", det="a", adjs=["old"]), "un gato viejo", "un vieux chat")]


def test_vocabulary_columns():
    """16 columns everywhere; a noun's plural columns match its plural row; every noun and adjective has them."""
    rows = {r[0]: r for r in tg.VOCAB}
    for r in tg.VOCAB:
        assert len(r) == 16, r
        if r[3] in ("noun", "plural"):
            assert r[5] in "mf" and r[9] in "mf" and "-" not in (r[6], r[10]), r
        if r[3] == "noun" and r[4] != "-":
            p = rows[r[4]]
            assert (p[1], p[2], p[5], p[9]) == (r[6], r[10], r[5], r[9]), (r, p)
        if r[3] == "adj":
            assert "-" not in r[6:9] + r[10:13] and r[14] in ("before", "after") and r[15] in ("before", "after"), r


def test_noun_phrases():
    try:
        for np, es, fr in NP_CASES + cat_noun():
            assert np.es() == es, (np.en(), np.es(), es)
            assert np.fr() == fr, (np.en(), np.fr(), fr)
            assert agreement.check(es, "es") == [] and agreement.check(fr, "fr") == [], (es, fr)
    finally:
        tg.N.pop("cat", None)


def test_spanish_conjunctions():
    assert tg.es_join(["pan", "informes"], "y") == "pan e informes"
    assert tg.es_join(["la caja", "el hotel"], "y") == "la caja y el hotel"
    assert tg.es_join(["Bob", "Olivia"], "o") == "Bob u Olivia"
    assert tg.es_join(["el té", "el café", "el agua"], "o") == "el té, el café o el agua"


def test_french_contractions():
    for np, ctx, fr in FR_CTX_CASES:
        assert np.fr(ctx) == fr, (np.en(), ctx, np.fr(ctx), fr)


def kitchen():
    return ["to", "the", "kitchen"], "a la cocina", "à la cuisine"


def at(h, m):
    c = Clock(h, m)
    return ["at", c], ("a la " if h == 1 else "a las ") + c.text(), "à " + c.text()


# (clause, spoken, English, Spanish, French): whole sentences, numbers and times as digits
SENTENCE_CASES = [
    (lambda: tg.clause(None, VP("bring", obj=NP("box", adjs=["red"]), post=[kitchen(), at(5, 30)]), "imp"),
     "bring the red box to the kitchen at five thirty", "Bring the red box to the kitchen at 5:30.",
     "Trae la caja roja a la cocina a las 5:30.", "Apportez la boîte rouge à la cuisine à 5:30."),
    (lambda: tg.clause(None, VP("bring", obj=NP("box", plural=True, adjs=["red"]), post=[at(1, 15)]), "imp"),
     "bring the red boxes at one fifteen", "Bring the red boxes at 1:15.", "Trae las cajas rojas a la 1:15.",
     "Apportez les boîtes rouges à 1:15."),
    (lambda: tg.clause(None, VP("open", obj=NP("door")), "imp_neg"), "do not open the door",
     "Do not open the door.", "No abras la puerta.", "N'ouvrez pas la porte."),
    (lambda: tg.clause(tg.pron_subj("i"), VP("have", obj=NP("car", det="a")), "neg"), "i do not have a car",
     "I do not have a car.", "No tengo coche.", "Je n'ai pas de voiture."),
    (lambda: tg.clause(tg.name_subj("bob"), VP("need", obj=NP("key", plural=True)), "pres"), "bob needs the keys",
     "Bob needs the keys.", "Bob necesita las llaves.", "Bob a besoin des clés."),
    (lambda: tg.clause(tg.name_subj("alice"), VP("like", obj=NP("apples")), "pres"), "alice likes the apples",
     "Alice likes the apples.", "A Alice le gustan las manzanas.", "Alice aime les pommes."),
    (lambda: tg.clause(tg.pron_subj("you"), VP("need", obj=NP("water", det="some")), "q"),
     "do you need some water", "Do you need some water?", "¿Necesitas agua?",
     "Est-ce que vous avez besoin d'eau ?"),
    (lambda: tg.clause(tg.pron_subj("you"), VP("call", obj=NP(pron="me")), "modal_q", "can"), "can you call me",
     "Can you call me?", "¿Me puedes llamar?", "Est-ce que vous pouvez m'appeler ?"),
    (lambda: tg.clause(tg.name_subj("emma"), VP("buy", obj=NP("ticket", det="num", num=Num(250))), "modal",
                       "will"), "emma will buy two hundred fifty tickets", "Emma will buy 250 tickets.",
     "Emma va a comprar 250 billetes.", "Emma va acheter 250 billets."),
    (lambda: tg.clause(tg.pron_subj("we"), VP("see", obj=NP("bus", adjs=["red"])), "did_neg"),
     "we did not see the red bus", "We did not see the red bus.", "No vimos el autobús rojo.",
     "Nous n'avons pas vu le bus rouge."),
    (lambda: tg.clause(tg.pron_subj("she"), VP("find", obj=NP("hotel", det="a", adjs=["old"])), "modal", "need"),
     "she needs to find an old hotel", "She needs to find an old hotel.", "Ella necesita encontrar un hotel viejo.",
     "Elle a besoin de trouver un vieil hôtel."),
    (lambda: tg.clause(None, VP("meet", obj=NP(pron="me")), "imp"), "meet me", "Meet me.", "Queda conmigo.",
     "Retrouvez-moi."),
]


def test_sentences():
    for make, spoken, en, es, fr in SENTENCE_CASES:
        g = tg.render(make())
        assert (g["spoken"], g["en"], g["es"], g["fr"]) == (spoken, en, es, fr), (g, en, es, fr)


def test_numbers_and_times():
    assert tg.spell(25) == ["twenty", "five"] and tg.spell(1500) == ["one", "thousand", "five", "hundred"]
    assert Clock(9, 0).spoken() == ["nine", "o'clock"] and Clock(9, 0).text() == "9:00"
    assert Clock(5, 45).spoken() == ["five", "forty", "five"] and Clock(5, 45).text() == "5:45"
    assert scoring.normalise("At 5:30, bring 3 boxes.") == ["at", "five", "thirty", "bring", "three", "boxes"]


BAD = [("la caja rojo", "es"), ("las cajas roja", "es"), ("el casa", "es"), ("a el parque", "es"), ("la agua", "es"),
       ("3 caja", "es"), ("pan y informe", "es"), ("la caja es rojo", "es"), ("les boîtes rouge", "fr"),
       ("le maison", "fr"), ("le hôtel", "fr"), ("ce hôtel", "fr"), ("un nouveau hôtel", "fr"),
       ("de le pain", "fr"), ("ma école", "fr"), ("que il", "fr"), ("les clés sont petits", "fr")]


def test_checker_catches_errors():
    for text, lang in BAD:
        assert agreement.check(text, lang), text


def sample(seed, n, salad=0.0):
    r = random.Random(seed)
    return [tg.generate(r, salad) for _ in range(n)]


def test_every_generated_sentence():
    """Every generated target passes the agreement checker; spoken words are vocabulary words, 3-15 of them;
    the formatted English normalises back to what is spoken."""
    for g in sample(7, 3000, 0.2):
        assert tg.MIN_WORDS <= len(g["words"]) <= tg.MAX_WORDS, g
        assert all(w in tg.ROW for w in g["words"]), g
        assert scoring.normalise(g["en"]) == g["words"], g
        for lang in ("es", "fr"):
            assert agreement.check(g[lang], lang) == [], (g[lang], agreement.check(g[lang], lang))


def test_deterministic():
    assert sample(3, 200, 0.2) == sample(3, 200, 0.2)
    assert sample(3, 50) != sample(4, 50)


def test_salad_share():
    n = sum(g["kind"] == "salad" for g in sample(5, 4000, 0.2))
    assert 700 < n < 900, n
    assert not any(g["kind"] == "salad" for g in sample(5, 500))


def test_no_dev_or_test_sentence_in_training():
    ex = tg.excluded()
    assert len(ex) >= 160
    assert not any(g["spoken"] in ex for g in sample(11, 20000, 0.2))
    # and the check works: a sentence the generator makes is never made again once it is excluded
    first = sample(12, 1)[0]["spoken"]
    ex.add(first)
    try:
        assert sample(12, 1)[0]["spoken"] != first
    finally:
        ex.discard(first)


def test_sets_are_up_to_date_and_disjoint():
    import build
    sents = build.read_sentences()
    for split, name in (("test", "testset.tsv"), ("dev", "dev.tsv")):
        path = os.path.join(os.path.dirname(build.__file__), name)
        assert open(path, encoding="utf-8").read() == build.tsv(build.rows_for(split, sents[split])), name
        for en, es, fr in sents[split]:
            assert build.problems(en, es, fr) == [], en
    test = {r["spoken"] for r in tg.read_tsv(os.path.join(os.path.dirname(build.__file__), "testset.tsv"))}
    dev = {r["spoken"] for r in tg.read_tsv(os.path.join(os.path.dirname(build.__file__), "dev.tsv"))}
    assert not test & dev
    voices.check()


def test_content_words():
    got = scoring.content_words("bring the red boxes to alice at five thirty", "Trae las cajas rojas a Alice a las 5:30.",
                                "es")
    assert got == ["cajas", "rojas", "alice", "5:30"], got
    assert scoring.kept(["cajas", "rojas", "alice", "5:30"], "Trae las cajas rojo a Alice a las 5:30.") == 3


if __name__ == "__main__":
    failed = 0
    for name, fn in sorted(globals().items()):
        if name.startswith("test_") and callable(fn):
            try:
                fn()
                print("ok  ", name)
            except AssertionError as e:
                failed += 1
                print("FAIL", name, str(e)[:500])
    sys.exit(1 if failed else 0)
