"""Sentence generator for the Verbatim demo model.

Every sentence uses the words in vocabulary.tsv only and is rendered four ways: the words as spoken (what
espeak-ng reads), formatted English (sentence case, commas, final punctuation, numerals and clock times as
digits), Spanish and French.

Two kinds of sentence:
- grammatical ones, composed from parts rather than picked from a list of templates: statements, questions
  (yes/no, where, when, what time, who, what, which, how many), commands and requests, negations, lists, two
  clauses joined by "and"/"but", numbers and times at the front or the end, optional modifiers on every noun
  phrase (adjectives, numbers, possessives, "of"/"from"/"for"/"with" phrases), 3 to 15 spoken words;
- a share (SALAD_SHARE, a parameter of generate_training) of word sequences with no grammar at all, so that the
  words can only come from the audio. Their translations are word-for-word glosses of the content words,
  comma-separated.

Translations follow a small rule set over the vocabulary's genders and plurals (vocabulary.tsv, columns 4-16):
articles, possessives, demonstratives and adjectives agree in gender and number with their noun, adjectives
stand before or after the noun as the vocabulary says, French elides and contracts (l', d', au, du, des) and
Spanish contracts (al, del). Spanish uses tú, French vous. Names stay as they are; numbers and clock times are
digits, exactly as in the English text.

Deterministic for a given random.Random. No test or development sentence (testset/*.tsv) is ever produced:
generate() draws again when it meets one.
"""
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB_PATH = os.path.join(HERE, "vocabulary.tsv")
EXCLUDED_PATHS = [os.path.join(HERE, "testset", "testset.tsv"), os.path.join(HERE, "testset", "dev.tsv")]
SALAD_SHARE = 0.2
MIN_WORDS, MAX_WORDS = 3, 15


def load_vocab(path=VOCAB_PATH):
    rows = []
    for line in open(path, encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        rows.append(line.rstrip("\n").split("\t"))
    return rows


# ---------------------------------------------------------------------------------------------------
# numbers and clock times
# ---------------------------------------------------------------------------------------------------
NUM_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
             "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
             "nineteen"]
TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy", 8: "eighty",
        9: "ninety"}


def spell(n):
    """Cardinal number as spoken by the generator (and as textnorm spells it back)."""
    assert 0 <= n <= 9999
    if n < 20:
        return NUM_WORDS[n].split()
    out = []
    if n >= 1000:
        out += spell(n // 1000) + ["thousand"]
        n %= 1000
        if n == 0:
            return out
    if n >= 100:
        out += spell(n // 100) + ["hundred"]
        n %= 100
        if n == 0:
            return out
    if n < 20:
        return out + NUM_WORDS[n].split()
    out.append(TENS[n // 10])
    if n % 10:
        out.append(NUM_WORDS[n % 10])
    return out


class Num:
    def __init__(self, n):
        self.n = n

    def spoken(self):
        return spell(self.n)

    def text(self):
        return str(self.n)


class Clock:
    def __init__(self, h, m):
        self.h, self.m = h, m

    def spoken(self):
        if self.m == 0:
            return spell(self.h) + ["o'clock"]
        return spell(self.h) + spell(self.m)

    def text(self):
        return "%d:%02d" % (self.h, self.m)


COMMA = ","   # an English piece: attaches to the previous word when formatted, silent when spoken


# ---------------------------------------------------------------------------------------------------
# lexicon (from vocabulary.tsv) and the meaning classes sentences are composed from
# ---------------------------------------------------------------------------------------------------
VOCAB = load_vocab()
ROW = {r[0]: r for r in VOCAB}
CLASS = {r[0]: r[3] for r in VOCAB}


def dash(s):
    return None if s == "-" else s


# kind of each noun the generator uses (time nouns are used by the time phrases only)
KIND = {}
for _k, _ws in (("obj", "box ball cup book key phone bottle bag hat shoes pen clock ticket apples lamp"),
                ("furniture", "chair table"), ("doc", "letter report email message photo"),
                ("food", "coffee tea water bread"), ("media", "song music"), ("fix", "window door"),
                ("surface", "wall"), ("vehicle", "car bike"), ("dev", "lights heater radio alarm timer"),
                ("event", "meeting reminder"), ("transport", "train bus flight"),
                ("place", "kitchen garden garage bedroom office station market school park museum library "
                          "airport hotel hospital bank city street room house hall")):
    for _w in _ws.split():
        KIND[_w] = _k

N = {}
for _r in VOCAB:
    if _r[0] in KIND:
        _pl_only = _r[3] == "plural"
        N[_r[0]] = dict(en=_r[0], en_pl=_r[0] if _pl_only else dash(_r[4]), es=_r[1], es_pl=_r[6], es_g=_r[5],
                        fr=_r[2], fr_pl=_r[10], fr_g=_r[9], kind=KIND[_r[0]], plural_only=_pl_only)
ADJ = {}
for _r in VOCAB:
    if _r[3] == "adj":
        ADJ[_r[0]] = dict(es={("m", False): _r[1], ("m", True): _r[6], ("f", False): _r[7], ("f", True): _r[8]},
                          fr={("m", False): _r[2], ("m", True): _r[10], ("f", False): _r[11], ("f", True): _r[12]},
                          fr_vowel=dash(_r[13]), es_pos=_r[14], fr_pos=_r[15])
NAMES = [r[0] for r in VOCAB if r[3] == "name"]
NAME_G = {r[0]: r[5] for r in VOCAB if r[3] == "name"}
DAYS = {r[0]: (r[1], r[2]) for r in VOCAB if r[3] == "day"}
MONTHS = {r[0]: (r[1], r[2]) for r in VOCAB if r[3] == "month"}
COLOURS = {a: (ADJ[a]["es"][("m", False)], ADJ[a]["fr"][("m", False)]) for a in
           ["red", "green", "blue", "yellow", "black", "white", "orange", "purple", "pink", "brown", "gray"]}
SIZES = {a: (ADJ[a]["es"][("m", False)], ADJ[a]["fr"][("m", False)]) for a in ["big", "small", "new", "old"]}
CAPITALISED = set(NAMES) | set(DAYS) | set(MONTHS) | {"i"}


def nouns(*kinds):
    return [k for k, v in N.items() if v["kind"] in kinds]


PORTABLE = nouns("obj", "doc")
COUNTABLE = [k for k in N if N[k]["en_pl"] and not N[k]["plural_only"]]
THINGS = nouns("obj", "doc", "fix", "vehicle", "food", "furniture")
PLACES = nouns("place")
DEVICES = ["lights", "heater", "radio", "lamp"]
DOCS = ["letter", "report", "email", "message", "book", "photo"]
TRANSPORT = nouns("transport")
COLOURABLE = ["box", "ball", "cup", "book", "chair", "table", "lamp", "key", "phone", "bottle", "bag", "hat",
              "shoes", "pen", "clock", "car", "bike", "door", "window", "ticket", "apples", "lights"]
SIZEABLE = COLOURABLE + ["house", "room", "kitchen", "garden", "park", "city", "hotel", "bedroom", "office",
                         "garage", "library", "museum", "market", "school", "station", "airport", "bank"]
AGEABLE = SIZEABLE + ["photo", "report", "letter", "email", "message", "song", "train", "bus", "radio", "heater",
                      "street", "hospital", "hall"]
ORDINAL_OK = TRANSPORT + ["meeting", "letter", "email", "message", "song", "photo", "book", "box", "room"]
OPENABLE = ["door", "window", "box", "bag", "book", "letter", "email", "message", "bottle"]
FIXABLE = ["door", "window", "lamp", "clock", "car", "bike", "phone", "chair", "table", "heater", "radio", "lights"]
CLEANABLE = ["kitchen", "room", "bedroom", "garage", "office", "hall", "car", "table", "window", "cup", "shoes",
             "door", "chair", "bike"]
CARRY = [n for n in PORTABLE if n not in ("email", "message")]
CONTAINERS = {"cup": [("coffee", False), ("tea", False), ("water", False)], "bottle": [("water", False)],
              "box": [("apples", True), ("book", True), ("shoes", True), ("key", True)],
              "bag": [("apples", True), ("bread", False), ("book", True)]}
VOWELS = tuple("aeiouyâàéèêëîïôöûùüAEIOUYÉ")
H_MUTE = ("hôtel", "hôpital", "horloge", "heure", "Henry")


def mass(noun):
    """Uncountable: no "a", a partitive in French ("du café", "de la musique")."""
    return KIND.get(noun) == "food" or noun == "music"


def fr_vowel(word):
    return word.startswith(VOWELS) or word.startswith(H_MUTE)


# ---------------------------------------------------------------------------------------------------
# verbs. Persons: 0 I, 1 you (tú / vous), 2 he, she, a name or a singular noun, 3 we, 4 they or a plural
# ---------------------------------------------------------------------------------------------------
EN_3SG = {"need": "needs", "want": "wants", "have": "has", "like": "likes", "leave": "leaves", "open": "opens",
          "close": "closes", "start": "starts", "do": "does"}


def V(es_inf, es_pres, es_imp, es_neg, es_pret, fr_inf, fr_pres, fr_pp, fr_imp=None):
    return dict(es_inf=es_inf, es_pres=es_pres.split(","), es_imp=es_imp, es_neg=es_neg,
                es_pret=es_pret.split(",") if es_pret else None, fr_inf=fr_inf, fr_pres=fr_pres.split(","),
                fr_pp=fr_pp, fr_imp=fr_imp or fr_pres.split(",")[1])


# es: infinitive, present (yo,tú,él,nosotros,ellos), imperative tú, negative imperative tú, preterite;
# fr: infinitive, present (je,vous,il,nous,ils), past participle (avoir verbs only; None: no "did" forms)
VERBS = {
    "bring": V("traer", "traigo,traes,trae,traemos,traen", "trae", "traigas", "traje,trajiste,trajo,trajimos,trajeron",
               "apporter", "apporte,apportez,apporte,apportons,apportent", "apporté"),
    "take": V("llevar", "llevo,llevas,lleva,llevamos,llevan", "lleva", "lleves",
              "llevé,llevaste,llevó,llevamos,llevaron", "emporter", "emporte,emportez,emporte,emportons,emportent",
              "emporté"),
    "take_ride": V("tomar", "tomo,tomas,toma,tomamos,toman", "toma", "tomes", "tomé,tomaste,tomó,tomamos,tomaron",
                   "prendre", "prends,prenez,prend,prenons,prennent", "pris"),
    "move": V("mover", "muevo,mueves,mueve,movemos,mueven", "mueve", "muevas", "moví,moviste,movió,movimos,movieron",
              "déplacer", "déplace,déplacez,déplace,déplaçons,déplacent", "déplacé"),
    "put": V("poner", "pongo,pones,pone,ponemos,ponen", "pon", "pongas", "puse,pusiste,puso,pusimos,pusieron", "mettre",
             "mets,mettez,met,mettons,mettent", "mis"),
    "leave": V("dejar", "dejo,dejas,deja,dejamos,dejan", "deja", "dejes", "dejé,dejaste,dejó,dejamos,dejaron",
               "laisser", "laisse,laissez,laisse,laissons,laissent", "laissé"),
    "depart": V("salir", "salgo,sales,sale,salimos,salen", "sal", "salgas", None, "partir",
                "pars,partez,part,partons,partent", None),
    "send": V("enviar", "envío,envías,envía,enviamos,envían", "envía", "envíes",
              "envié,enviaste,envió,enviamos,enviaron", "envoyer", "envoie,envoyez,envoie,envoyons,envoient", "envoyé"),
    "open": V("abrir", "abro,abres,abre,abrimos,abren", "abre", "abras", "abrí,abriste,abrió,abrimos,abrieron",
              "ouvrir", "ouvre,ouvrez,ouvre,ouvrons,ouvrent", "ouvert"),
    "close": V("cerrar", "cierro,cierras,cierra,cerramos,cierran", "cierra", "cierres",
               "cerré,cerraste,cerró,cerramos,cerraron", "fermer", "ferme,fermez,ferme,fermons,ferment", "fermé"),
    "find": V("encontrar", "encuentro,encuentras,encuentra,encontramos,encuentran", "encuentra", "encuentres",
              "encontré,encontraste,encontró,encontramos,encontraron", "trouver",
              "trouve,trouvez,trouve,trouvons,trouvent", "trouvé"),
    "call": V("llamar", "llamo,llamas,llama,llamamos,llaman", "llama", "llames",
              "llamé,llamaste,llamó,llamamos,llamaron", "appeler", "appelle,appelez,appelle,appelons,appellent",
              "appelé"),
    "meet": V("quedar", "quedo,quedas,queda,quedamos,quedan", "queda", "quedes",
              "quedé,quedaste,quedó,quedamos,quedaron", "retrouver",
              "retrouve,retrouvez,retrouve,retrouvons,retrouvent", "retrouvé"),
    "buy": V("comprar", "compro,compras,compra,compramos,compran", "compra", "compres",
             "compré,compraste,compró,compramos,compraron", "acheter", "achète,achetez,achète,achetons,achètent",
             "acheté"),
    "read": V("leer", "leo,lees,lee,leemos,leen", "lee", "leas", "leí,leíste,leyó,leímos,leyeron", "lire",
              "lis,lisez,lit,lisons,lisent", "lu"),
    "write": V("escribir", "escribo,escribes,escribe,escribimos,escriben", "escribe", "escribas",
               "escribí,escribiste,escribió,escribimos,escribieron", "écrire", "écris,écrivez,écrit,écrivons,écrivent",
               "écrit"),
    "play": V("poner", "pongo,pones,pone,ponemos,ponen", "pon", "pongas", "puse,pusiste,puso,pusimos,pusieron",
              "mettre", "mets,mettez,met,mettons,mettent", "mis"),
    "start": V("empezar", "empiezo,empiezas,empieza,empezamos,empiezan", "empieza", "empieces",
               "empecé,empezaste,empezó,empezamos,empezaron", "commencer",
               "commence,commencez,commence,commençons,commencent", "commencé"),
    "start_dev": V("iniciar", "inicio,inicias,inicia,iniciamos,inician", "inicia", "inicies",
                   "inicié,iniciaste,inició,iniciamos,iniciaron", "lancer", "lance,lancez,lance,lançons,lancent",
                   "lancé"),
    "start_car": V("arrancar", "arranco,arrancas,arranca,arrancamos,arrancan", "arranca", "arranques",
                   "arranqué,arrancaste,arrancó,arrancamos,arrancaron", "démarrer",
                   "démarre,démarrez,démarre,démarrons,démarrent", "démarré"),
    "stop": V("parar", "paro,paras,para,paramos,paran", "para", "pares", "paré,paraste,paró,paramos,pararon", "arrêter",
              "arrête,arrêtez,arrête,arrêtons,arrêtent", "arrêté"),
    "cancel": V("cancelar", "cancelo,cancelas,cancela,cancelamos,cancelan", "cancela", "canceles",
                "cancelé,cancelaste,canceló,cancelamos,cancelaron", "annuler",
                "annule,annulez,annule,annulons,annulent", "annulé"),
    "check": V("revisar", "reviso,revisas,revisa,revisamos,revisan", "revisa", "revises",
               "revisé,revisaste,revisó,revisamos,revisaron", "vérifier",
               "vérifie,vérifiez,vérifie,vérifions,vérifient", "vérifié"),
    "clean": V("limpiar", "limpio,limpias,limpia,limpiamos,limpian", "limpia", "limpies",
               "limpié,limpiaste,limpió,limpiamos,limpiaron", "nettoyer",
               "nettoie,nettoyez,nettoie,nettoyons,nettoient", "nettoyé"),
    "fix": V("arreglar", "arreglo,arreglas,arregla,arreglamos,arreglan", "arregla", "arregles",
             "arreglé,arreglaste,arregló,arreglamos,arreglaron", "réparer", "répare,réparez,répare,réparons,réparent",
             "réparé"),
    "see": V("ver", "veo,ves,ve,vemos,ven", None, None, "vi,viste,vio,vimos,vieron", "voir",
             "vois,voyez,voit,voyons,voient", "vu"),
    "need": V("necesitar", "necesito,necesitas,necesita,necesitamos,necesitan", None, None, None, "avoir besoin",
              "ai besoin,avez besoin,a besoin,avons besoin,ont besoin", None),
    "want": V("querer", "quiero,quieres,quiere,queremos,quieren", None, None, None, "vouloir",
              "veux,voulez,veut,voulons,veulent", None),
    "have": V("tener", "tengo,tienes,tiene,tenemos,tienen", None, None, None, "avoir", "ai,avez,a,avons,ont", None),
    "like": V("gustar", "gusta,gusta,gusta,gusta,gusta", None, None, None, "aimer", "aime,aimez,aime,aimons,aiment",
              None),
    "go": V("ir", "voy,vas,va,vamos,van", "ve", "vayas", None, "aller", "vais,allez,va,allons,vont", None),
    "arrive": V("llegar", "llego,llegas,llega,llegamos,llegan", "llega", "llegues", None, "arriver",
                "arrive,arrivez,arrive,arrivons,arrivent", None),
    "wait": V("esperar", "espero,esperas,espera,esperamos,esperan", "espera", "esperes",
              "esperé,esperaste,esperó,esperamos,esperaron", "attendre", "attends,attendez,attend,attendons,attendent",
              "attendu"),
    "turn on": V("encender", "enciendo,enciendes,enciende,encendemos,encienden", "enciende", "enciendas",
                 "encendí,encendiste,encendió,encendimos,encendieron", "allumer",
                 "allume,allumez,allume,allumons,allument", "allumé"),
    "turn off": V("apagar", "apago,apagas,apaga,apagamos,apagan", "apaga", "apagues",
                  "apagué,apagaste,apagó,apagamos,apagaron", "éteindre", "éteins,éteignez,éteint,éteignons,éteignent",
                  "éteint"),
    "set": V("poner", "pongo,pones,pone,ponemos,ponen", "pon", "pongas", "puse,pusiste,puso,pusimos,pusieron",
             "programmer", "programme,programmez,programme,programmons,programment", "programmé"),
}
MODALS = {  # English modal: (es forms + infinitive, fr forms + infinitive)
    "can": ("puedo,puedes,puede,podemos,pueden", "peux,pouvez,peut,pouvons,peuvent"),
    "will": ("voy a,vas a,va a,vamos a,van a", "vais,allez,va,allons,vont"),
    "should": ("debo,debes,debe,debemos,deben", "dois,devez,doit,devons,doivent"),
    "need": ("necesito,necesitas,necesita,necesitamos,necesitan",
             "ai besoin de,avez besoin de,a besoin de,avons besoin de,ont besoin de"),
    "want": ("quiero,quieres,quiere,queremos,quieren", "veux,voulez,veut,voulons,veulent"),
}
ES_ESTAR = "estoy,estás,está,estamos,están".split(",")
FR_ETRE = "suis,êtes,est,sommes,sont".split(",")
FR_AVOIR = "ai,avez,a,avons,ont".split(",")
ES_ESTABA = "estaba,estabas,estaba,estábamos,estaban".split(",")
FR_ETAIT = "étais,étiez,était,étions,étaient".split(",")
ES_LLEGO = "llegué,llegaste,llegó,llegamos,llegaron".split(",")
ES_LLEGA = "llego,llegas,llega,llegamos,llegan".split(",")
# object pronouns: es clitic, fr clitic, fr after an imperative (appelez-moi), es after "con", fr after a
# preposition
PRON = {"me": ("me", "me", "moi", "conmigo", "moi"),
        "you": ("te", "vous", None, "contigo", "vous"),
        "him": ("lo", "le", "le", "con él", "lui"),
        "her": ("la", "la", "la", "con ella", "elle"),
        "us": ("nos", "nous", "nous", "con nosotros", "nous"),
        "them": ("los", "les", "les", "con ellos", "eux")}
ES_CALL_IMP = {"me": "llámame", "him": "llámalo", "her": "llámala", "us": "llámanos", "them": "llámalos"}
SUBJ_PRON = {"i": (0, "", "je"), "you": (1, "", "vous"), "he": (2, "él", "il"), "she": (2, "ella", "elle"),
             "we": (3, "", "nous"), "they": (4, "", "ils")}
SELF = {"i": "me", "you": "you", "he": "him", "she": "her", "we": "us", "they": "them"}


def cat(*parts):
    return " ".join(p for p in parts if p)


def fix_es(s):
    s = " " + s + " "
    s = s.replace(" a el ", " al ").replace(" de el ", " del ")
    return " ".join(s.split())


ELIDE = ("de", "je", "ne", "que", "le", "la", "me", "te")


def elide(s):
    """French elision over a finished string: "de eau" → "d'eau", "que il" → "qu'il", "je ai" → "j'ai"."""
    out = []
    for w in s.split():
        if out and out[-1].lower() in ELIDE and fr_vowel(w):
            prev = out.pop()
            out.append(prev[:-1] + "'" + w)
            continue
        out.append(w)
    return " ".join(out).replace("' ", "'")


# ---------------------------------------------------------------------------------------------------
# noun phrases
# ---------------------------------------------------------------------------------------------------
OWNERS = {"my": ("mi", "mis", "mon", "ma", "mes"), "your": ("tu", "tus", "votre", "votre", "vos"),
          "his": ("su", "sus", "son", "sa", "ses"), "her": ("su", "sus", "son", "sa", "ses"),
          "our": ("nuestro", "nuestros", "notre", "notre", "nos"),
          "their": ("su", "sus", "leur", "leur", "leurs")}


class NP:
    """A noun phrase: a noun with determiner, adjectives and modifiers, a name, a pronoun, or a list.
    det: the, a, some, bare, num, poss, this, that, no, which, how_many. of: a bare noun after a container
    ("a cup of tea"); mod: (preposition, NP) after the noun ("the letter from Alice", "the photo of Tom")."""

    def __init__(self, noun=None, plural=False, det="the", adjs=(), num=None, owner=None, name=None, pron=None,
                 items=None, conj="and", of=None, mod=None):
        self.noun, self.det, self.adjs, self.num, self.owner = noun, det, list(adjs), num, owner
        self.name, self.pron, self.items, self.conj, self.of, self.mod = name, pron, items, conj, of, mod
        if noun and N[noun]["plural_only"]:
            plural = True
        self.plural = plural or bool(items) or (num is not None and num.n != 1)

    def gender(self, lang):
        if self.items:
            return "f" if all(i.gender(lang) == "f" for i in self.items) else "m"
        if self.name:
            return NAME_G[self.name]
        if self.noun:
            return N[self.noun]["es_g" if lang == "es" else "fr_g"]
        return "m"

    def human(self):
        return bool(self.name or self.pron or (self.items and all(i.human() for i in self.items)))

    def indefinite(self):
        return self.det in ("a", "some", "bare", "no") and not self.items and self.noun is not None

    def person(self):
        return 4 if self.plural else 2

    # --- English
    def en(self):
        if self.items:
            out = []
            for k, it in enumerate(self.items):
                if k and k < len(self.items) - 1:
                    out.append(COMMA)
                elif k:
                    out.append(self.conj)
                out += it.en()
            return out
        if self.name:
            return [self.name]
        if self.pron:
            return [self.pron]
        head = N[self.noun]["en_pl"] if self.plural else self.noun
        words = list(self.adjs) + [head]
        d = self.det
        if d == "the":
            pre = ["the"] + ([self.num] if self.num else [])
        elif d == "a":
            pre = ["an" if words[0].startswith(("a", "e", "i", "o")) else "a"]
        elif d in ("some", "no", "this", "that", "which"):
            pre = [d]
        elif d == "how_many":
            pre = ["how", "many"]
        elif d == "num":
            pre = [self.num]
        elif d == "poss":
            pre = [self.owner]
        else:
            pre = []
        out = pre + words
        if self.of is not None:
            out += ["of"] + self.of.en()
        if self.mod is not None:
            out += [self.mod[0]] + self.mod[1].en()
        return out

    # --- Spanish
    def es(self, neg=False):
        """neg: under negation an indefinite article drops ("no tengo coche")."""
        if self.items:
            return es_join([it.es(neg) for it in self.items], "y" if self.conj == "and" else "o")
        if self.name:
            return self.name.capitalize()
        info = N[self.noun]
        g, pl = info["es_g"], self.plural
        head = info["es_pl"] if pl else info["es"]
        pre_adj, post_adj = [], []
        for a in self.adjs:
            form = ADJ[a]["es"][(g, pl)]
            if ADJ[a]["es_pos"] == "before":
                pre_adj.append("primer" if a == "first" and (g, pl) == ("m", False) else form)
            else:
                post_adj.append(form)
        post_adj.reverse()   # the colour stands next to the noun: "la caja roja grande"
        el_fem = head == "agua" and not pre_adj      # "el agua", "un agua"
        d = self.det
        if d == "the":
            art = ("los" if g == "m" else "las") if pl else ("el" if g == "m" or el_fem else "la")
            if self.num:
                art += " " + self.num.text()
        elif d == "a":
            art = "" if neg else ("un" if g == "m" or el_fem else "una")
        elif d == "some":
            art = "" if neg or not pl else ("unos" if g == "m" else "unas")
        elif d == "num":
            art = self.num.text()
        elif d == "poss":
            o = OWNERS[self.owner]
            art = o[1] if pl else o[0]
            if self.owner == "our":
                art = ("nuestros" if g == "m" else "nuestras") if pl else ("nuestro" if g == "m" else "nuestra")
        elif d == "this":
            art = ("estos" if g == "m" else "estas") if pl else ("este" if g == "m" else "esta")
        elif d == "that":
            art = ("esos" if g == "m" else "esas") if pl else ("ese" if g == "m" else "esa")
        elif d == "which":
            art = "qué"
        elif d == "how_many":
            art = "cuántos" if g == "m" else "cuántas"
        else:   # bare, no
            art = ""
        out = cat(art, *pre_adj, head, *post_adj)
        if self.of is not None:
            out += " de " + self.of.es_bare()
        if self.mod is not None:
            prep, np = self.mod
            out += " " + {"from": "de", "of": "de", "in": "de", "for": "para", "with": "con"}[prep] + " " + np.es()
        return fix_es(out)

    def es_bare(self):
        """After "de" of quantity ("una taza de café"): no article."""
        info = N[self.noun]
        return info["es_pl"] if self.plural else info["es"]

    # --- French
    def fr(self, ctx=""):
        """ctx: "" (plain), "de" (after de: besoin de, quantities, "from"; indefinite articles become de),
        "a" (after à: au, aux), "neg" (object of a negated verb: an indefinite article becomes de)."""
        if self.items:
            return fr_join([it.fr(ctx) for it in self.items], "et" if self.conj == "and" else "ou")
        if self.name:
            nm = self.name.capitalize()
            return elide(cat({"de": "de", "a": "à"}.get(ctx, ""), nm))
        info = N[self.noun]
        g, pl = info["fr_g"], self.plural
        head = info["fr_pl"] if pl else info["fr"]
        pre_adj, post_adj = [], []
        for a in self.adjs:
            form = ADJ[a]["fr"][(g, pl)]
            if ADJ[a]["fr_pos"] == "before":
                if (g, pl) == ("m", False) and fr_vowel(head) and ADJ[a]["fr_vowel"]:
                    form = ADJ[a]["fr_vowel"]            # "le nouvel hôtel"
                pre_adj.append(form)
            else:
                post_adj.append(form)
        first = (pre_adj + [head])[0]
        d = self.det
        if ctx in ("de", "neg") and d in ("a", "some", "bare", "no"):
            art, ctx = "de", ""
        elif d == "the":
            art = "les" if pl else ("l'" if fr_vowel(first) else ("le" if g == "m" else "la"))
            if ctx == "de":
                art = {"le": "du", "les": "des"}.get(art, "de " + art)
            elif ctx == "a":
                art = {"le": "au", "les": "aux"}.get(art, "à " + art)
            ctx = ""
            if self.num:
                art += " " + self.num.text()
        elif d == "a":
            art = "un" if g == "m" else "une"
        elif d in ("some", "bare"):
            if pl:
                art = "de" if pre_adj else "des"
            elif mass(self.noun) or d == "some":
                art = "de l'" if fr_vowel(first) else ("du" if g == "m" else "de la")
            else:
                art = ""
        elif d == "num":
            art = self.num.text()
        elif d == "poss":
            o = OWNERS[self.owner]
            art = o[4] if pl else (o[2] if g == "m" or fr_vowel(first) else o[3])
        elif d in ("this", "that"):
            art = "ces" if pl else ("cette" if g == "f" else ("cet" if fr_vowel(first) else "ce"))
        elif d == "which":
            art = {("m", False): "quel", ("f", False): "quelle", ("m", True): "quels", ("f", True): "quelles"}[(g, pl)]
        elif d == "how_many":
            art = "combien de"
        else:
            art = ""
        prep = {"de": "de", "a": "à"}.get(ctx, "")
        out = cat(prep, art, *pre_adj, head, *post_adj)
        if self.of is not None:
            out += " de " + self.of.fr_bare()
        if self.mod is not None:
            p, np = self.mod
            out += " " + (np.fr("de") if p in ("from", "of", "in") else {"for": "pour", "with": "avec"}[p] + " " +
                          np.fr())
        return elide(out)

    def fr_bare(self):
        info = N[self.noun]
        return info["fr_pl"] if self.plural else info["fr"]


def es_join(parts, conj):
    """"a, b y c", with y → e before an i sound and o → u before an o sound."""
    if len(parts) == 1:
        return parts[0]
    low = parts[-1].lower()
    if conj == "y" and (low.startswith("i") or (low.startswith("hi") and not low.startswith(("hie", "hia")))):
        conj = "e"
    if conj == "o" and low.startswith(("o", "ho")):
        conj = "u"
    return ", ".join(parts[:-1]) + " " + conj + " " + parts[-1]


def fr_join(parts, conj):
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " " + conj + " " + parts[-1]


# ---------------------------------------------------------------------------------------------------
# random noun phrases
# ---------------------------------------------------------------------------------------------------
def rnum(r, lo=2, small=False):
    p = r.random()
    if p < 0.6 or small:
        n = r.randint(lo, 12 if small else 20)
    elif p < 0.85:
        n = r.randint(21, 99)
    elif p < 0.95:
        n = r.choice([100, 200, 300, 400, 500, 600, 700, 800, 900]) + r.choice([0, 0, 0, 10, 20, 25, 50, 75])
    else:
        n = r.choice([1000, 2000, 3000, 5000, 1500, 2500])
    return Num(n)


def radjs(r, noun, p=0.45):
    """0-2 adjectives that suit the noun: (size or age) and/or a colour, or an ordinal."""
    if r.random() > p:
        return []
    out = []
    q = r.random()
    if noun in ORDINAL_OK and q < 0.12:
        return [r.choice(["first", "last", "next"])]
    if noun in SIZEABLE and q < 0.45:
        out.append(r.choice(["big", "small"]))
    elif noun in AGEABLE and q < 0.65:
        out.append(r.choice(["new", "old"]))
    if noun in COLOURABLE and (not out or r.random() < 0.4):
        out.append(r.choice(list(COLOURS)))
    return out


DETS = ["the"] * 5 + ["a"] * 2 + ["poss"] * 2 + ["this", "that", "some"] + ["num"] * 4


def rnp(r, pool, det=None, plural=None, adj_p=0.45, allow_num=True, allow_mod=True, dets=None):
    """A random noun phrase over a noun pool (or one noun)."""
    n = r.choice(pool) if isinstance(pool, list) else pool
    info = N[n]
    can_pl = info["en_pl"] is not None
    if plural is None:
        plural = info["plural_only"] or (can_pl and r.random() < 0.35)
    plural = plural and can_pl
    if det is None:
        det = r.choice([d for d in (dets or DETS) if allow_num or d != "num"])
    food = mass(n)
    if det in ("this", "that") and plural:   # "these"/"those" are not in the vocabulary
        det = "the"
    if det == "num" and not can_pl:
        det = "the"
    if det == "num":
        plural = True
    if det == "a" and (plural or food):
        det = "some"
    if det in ("some", "bare") and not (plural or food):
        det = "a"
    num = None
    if det == "num":
        num = rnum(r)
    elif det == "the" and plural and allow_num and not info["plural_only"] and r.random() < 0.08:
        num = rnum(r, small=True)
    adjs = radjs(r, n, adj_p)
    if adjs and adjs[0] in ("first", "last", "next") and (det not in ("the", "poss") or plural or num):
        adjs = []
    np = NP(n, plural=plural, det=det, adjs=adjs, num=num, owner=r.choice(list(OWNERS)) if det == "poss" else None)
    if allow_mod and r.random() < 0.12:
        q = r.random()
        if n in CONTAINERS and det in ("a", "num") and q < 0.6:
            inner, pl = r.choice(CONTAINERS[n])
            np.adjs = []
            np.of = NP(inner, plural=pl, det="bare")
        elif n == "photo" and det in ("the", "a", "this", "that"):
            np.mod = ("of", NP(name=r.choice(NAMES)))
        elif n in DOCS + ["ticket", "box", "bag"] and q < 0.8:
            np.mod = (r.choice(["from", "for"]), NP(name=r.choice(NAMES)))
        elif n in ("box", "bag"):
            np.mod = ("with", rnp(r, ["key", "book", "apples", "shoes", "ticket", "bottle"], det="the",
                                  allow_mod=False, adj_p=0.2))
        elif n in ("lamp", "clock", "table", "chair", "radio", "heater", "door", "window", "lights"):
            np.mod = ("in", NP(r.choice(["kitchen", "office", "bedroom", "hall", "room", "garage"]), det="the"))
    return np


def rlist(r, pool, n=None, conj="and", **kw):
    """Two or three noun phrases: "the keys, the phone and a red bag"."""
    k = n or r.choice([2, 2, 2, 3])
    seen, items = set(), []
    while len(items) < k:
        np = rnp(r, pool, allow_mod=False, **kw)
        if np.noun in seen:
            continue
        if np.det == "bare":   # not "the bread and tea": every item has its own determiner
            np.det = "some"
        seen.add(np.noun)
        items.append(np)
    return NP(items=items, conj=conj)


def rname_np(r):
    if r.random() < 0.85:
        return NP(name=r.choice(NAMES))
    a, b = r.sample(NAMES, 2)
    return NP(items=[NP(name=a), NP(name=b)])


# ---------------------------------------------------------------------------------------------------
# places and times: (en pieces, es, fr)
# ---------------------------------------------------------------------------------------------------
HOME_PLACES = ["kitchen", "garden", "garage", "bedroom", "office", "room", "house", "hall"]
AT_PLACES = ["station", "airport", "office", "school", "bank", "market", "park", "museum", "library", "hospital",
             "hotel", "house"]


def place(r, prep="to", p=None, exclude=()):
    """to/in/at/from a place; "arrive" is "at" in English, "a" in Spanish. Returns (en, es, fr, place)."""
    p = p or r.choice([x for x in (AT_PLACES if prep in ("at", "arrive") else PLACES) if x not in exclude])
    if r.random() < 0.85 or p not in HOME_PLACES:
        np = NP(p, det="the", adjs=radjs(r, p, 0.12))
    else:
        np = NP(p, det="poss", owner=r.choice(list(OWNERS)), adjs=radjs(r, p, 0.1))
    if np.adjs and np.adjs[0] in ("first", "last", "next"):
        np.adjs = []
    en = ["at" if prep == "arrive" else prep] + np.en()
    es = {"to": "a", "in": "en", "at": "en", "from": "de", "arrive": "a"}[prep] + " " + np.es()
    fr = {"in": "dans " + np.fr(), "from": np.fr("de")}.get(prep) or np.fr("a")
    return en, fix_es(es), fr, p


def spot(r, prep=None):
    """On or in a thing: "on the table", "in the red bag"."""
    t = r.choice(["table", "chair", "box", "bag", "car", "wall"])
    prep = prep or ("on" if t in ("table", "chair", "wall") else "in")
    np = rnp(r, t, det=r.choice(["the", "the", "poss"]), plural=False, adj_p=0.3, allow_mod=False)
    return [prep] + np.en(), "en " + np.es(), ("sur " if prep == "on" else "dans ") + np.fr()


def clock(r):
    h = r.randint(1, 12)
    p = r.random()
    if p < 0.25:
        m = 0
    elif p < 0.6:
        m = r.choice([15, 30, 45])
    elif p < 0.8:
        m = r.choice([10, 20, 40, 50])
    else:
        m = r.randint(10, 59)
    return Clock(h, m)


def clock_bare(r):
    """A time of day without its preposition: (en, es with article, fr); es and fr always as digits."""
    p = r.random()
    if p < 0.78:
        c = clock(r)
        en = [c]
    elif p < 0.9:
        h = r.randint(1, 12)
        kind = r.choice(["half past", "quarter past", "quarter to"])
        if kind == "half past":
            en, c = ["half", "past"] + spell(h), Clock(h, 30)
        elif kind == "quarter past":
            en, c = ["a", "quarter", "past"] + spell(h), Clock(h, 15)
        else:
            en, c = ["a", "quarter", "to"] + spell(h), Clock(h - 1 if h > 1 else 12, 45)
    else:
        w = r.choice(["noon", "midnight"])
        return [w], {"noon": "el mediodía", "midnight": "la medianoche"}[w], {"noon": "midi", "midnight": "minuit"}[w]
    return en, ("la " if c.h == 1 else "las ") + c.text(), c.text()


def at_clock(r, prep="at"):
    en, es, fr = clock_bare(r)
    if prep == "before":
        return ["before"] + en, fix_es("antes de " + es), "avant " + fr
    return ["at"] + en, fix_es("a " + es), "à " + fr


PART = {"morning": ("por la mañana", "matin", "de la mañana", "du matin"),
        "afternoon": ("por la tarde", "après-midi", "de la tarde", "de l'après-midi"),
        "evening": ("por la tarde", "soir", "de la tarde", "du soir")}
REL = {"today": ("hoy", "aujourd'hui"), "tomorrow": ("mañana", "demain"), "tonight": ("esta noche", "ce soir"),
       "yesterday": ("ayer", "hier")}


def day_part(en):
    """The part of the day an hour can be said with: 5-11 in the morning, 12-5 in the afternoon, 6-11 in the
    evening (None for noon, midnight and quarter/half past)."""
    c = [p for p in en if isinstance(p, Clock)]
    if not c:
        return None
    h = c[0].h
    if 6 <= h <= 11:
        return "morning" if (h + c[0].m) % 2 else "evening"
    return "morning" if h == 5 else "afternoon"


def time_phrase(r, allow_clock=True, past=False):
    """A time expression (en pieces, es, fr); past: only ones that suit the past tense, else none that
    refer to the past."""
    p = r.random()
    if allow_clock and p < 0.46:
        en, es, fr = at_clock(r, "before" if r.random() < 0.1 else "at")
        q = r.random()
        if en[-1] in ("noon", "midnight"):
            q = 1
        part = day_part(en)
        if q < 0.2 and part:
            en, es, fr = en + ["in", "the", part], es + " " + PART[part][2], fr + " " + PART[part][3]
        elif q < 0.4:
            d = r.choice(list(DAYS))
            en, es, fr = en + ["on", d], es + " el " + DAYS[d][0], fr + " " + DAYS[d][1]
        elif q < 0.55:
            t = "yesterday" if past else r.choice(["today", "tomorrow", "tonight"])
            en, es, fr = en + [t], es + " " + REL[t][0], fr + " " + REL[t][1]
        return en, es, fr
    if p < 0.58:
        d = r.choice(list(DAYS))
        q = r.random()
        if q < 0.5:
            return ["on", d], "el " + DAYS[d][0], DAYS[d][1]
        if q < 0.75:
            if past:
                return ["last", d], "el %s pasado" % DAYS[d][0], "%s dernier" % DAYS[d][1]
            return ["next", d], "el próximo " + DAYS[d][0], "%s prochain" % DAYS[d][1]
        part = r.choice(["morning", "afternoon", "evening"])
        return ["on", d, part], "el %s %s" % (DAYS[d][0], PART[part][0]), "%s %s" % (DAYS[d][1], PART[part][1])
    if p < 0.7:
        t = r.choice(["yesterday", "yesterday", "last"]) if past else r.choice(["today", "tomorrow", "tomorrow",
                                                                                 "tonight"])
        if t == "last":
            return ["last", "night"], "anoche", "hier soir"
        es, fr = REL[t]
        if t in ("tomorrow", "yesterday") and r.random() < 0.4:
            part = r.choice(["morning", "afternoon", "evening"])
            return [t, part], es + " " + PART[part][0], fr + " " + PART[part][1]
        return [t], es, fr
    if p < 0.76:
        u = r.choice(["week", "month", "year"])
        es_u = {"week": ("la", "semana", "próxima", "pasada"), "month": ("el", "mes", "próximo", "pasado"),
                "year": ("el", "año", "próximo", "pasado")}[u]
        fr_u = {"week": ("la semaine", "prochaine", "dernière"), "month": ("le mois", "prochain", "dernier"),
                "year": ("l'année", "prochaine", "dernière")}[u]
        if past:
            return ["last", u], "%s %s %s" % (es_u[0], es_u[1], es_u[3]), "%s %s" % (fr_u[0], fr_u[2])
        return ["next", u], "%s %s %s" % (es_u[0], es_u[2], es_u[1]), "%s %s" % (fr_u[0], fr_u[1])
    if p < 0.81:
        m = r.choice(list(MONTHS))
        return ["in", m], "en " + MONTHS[m][0], "en " + MONTHS[m][1]
    if p < 0.9 and not past:
        u = r.choice(["minutes", "hours", "days"])
        k = Num(r.choice([2, 3, 4, 5, 10, 15, 20, 30, 40, 45]) if u == "minutes" else r.randint(2, 12))
        es_u = {"minutes": "minutos", "hours": "horas", "days": "días"}[u]
        fr_u = {"minutes": "minutes", "hours": "heures", "days": "jours"}[u]
        return ["in", k, u], "en %s %s" % (k.text(), es_u), "dans %s %s" % (k.text(), fr_u)
    if p < 0.95:
        part = r.choice(["morning", "afternoon", "evening", "night"])
        if part == "night":
            return ["at", "night"], "por la noche", "la nuit"
        en = ["in", "the", part]
        if part == "morning" and r.random() < 0.3:
            w = r.choice(["early", "late"])
            return [w] + en, "%s por la mañana" % {"early": "temprano", "late": "tarde"}[w], \
                "%s le matin" % {"early": "tôt", "late": "tard"}[w]
        return en, PART[part][0], {"morning": "le matin", "afternoon": "l'après-midi", "evening": "le soir"}[part]
    if past:
        return ["yesterday"], "ayer", "hier"
    ev = NP(r.choice(["meeting", "flight", "train", "bus"]), det=r.choice(["the", "poss"]),
            owner=r.choice(list(OWNERS)))
    return ["before"] + ev.en(), fix_es("antes de " + ev.es()), "avant " + ev.fr()


def duration(r):
    k = Num(r.choice([2, 3, 5, 10, 15, 20, 25, 30, 40, 45, 60, 90]))
    u = r.choice(["minutes", "minutes", "hours"]) if k.n < 60 else "minutes"
    if r.random() < 0.12:
        k, u = Num(1), r.choice(["minute", "hour"])
    es_u = {"minutes": "minutos", "hours": "horas", "minute": "minuto", "hour": "hora"}[u]
    fr_u = {"minutes": "minutes", "hours": "heures", "minute": "minute", "hour": "heure"}[u]
    return [k, u], "%s %s" % (k.text(), es_u), "%s %s" % (k.text(), fr_u)


def here_there(r):
    w = r.choice(["here", "there"])
    return [w], {"here": "aquí", "there": "allí"}[w], {"here": "ici", "there": "là"}[w]


# ---------------------------------------------------------------------------------------------------
# clauses
# ---------------------------------------------------------------------------------------------------
class S:
    """A rendered clause: English pieces, Spanish, French; q: a question; kind: stmt, imp or salad."""

    def __init__(self, en, es, fr, q=False, kind="stmt", timed=False):
        self.en, self.es, self.fr, self.q, self.kind, self.timed = en, es, fr, q, kind, timed


class Subj:
    """A subject: English pieces, person (0-4), Spanish ("" when dropped) and French."""

    def __init__(self, en, person, es, fr):
        self.en, self.person, self.es, self.fr = en, person, es, fr


def pron_subj(w):
    p, es, fr = SUBJ_PRON[w]
    return Subj([w], p, es, fr)


def name_subj(nm):
    return Subj([nm], 2, nm.capitalize(), nm.capitalize())


def rsubject(r, names=True, nps=None, plural_ok=True, no_i=False):
    """A pronoun, a name, two names, "Bob and I", or (with nps) a noun phrase from that pool."""
    opts = ["pron"] * 5
    if names:
        opts += ["name"] * 4 + (["names", "name_i"] if plural_ok else [])
    if nps:
        opts += ["np"] * 3
    while True:
        k = r.choice(opts)
        if k == "pron":
            w = r.choice(list(SUBJ_PRON))
            if (not plural_ok and w in ("we", "they")) or (no_i and w == "i"):
                continue
            return pron_subj(w)
        if k == "name":
            return name_subj(r.choice(NAMES))
        if k == "names":
            np = NP(items=[NP(name=n) for n in r.sample(NAMES, 2)])
            return Subj(np.en(), 4, np.es(), np.fr())
        if k == "name_i":
            if no_i:
                continue
            nm = r.choice(NAMES)
            return Subj([nm, "and", "i"], 3, es_join([nm.capitalize(), "yo"], "y"), nm.capitalize() + " et moi")
        np = rnp(r, nps, allow_mod=False, adj_p=0.3)
        if not plural_ok and np.plural:
            continue
        return Subj(np.en(), np.person(), np.es(), np.fr())


def fr_neg(phrase):
    """"ai besoin de" → "n'ai pas besoin de"; "vous appelle" → "ne vous appelle pas"."""
    w = phrase.split()
    k = 1
    while w[k - 1] in ("me", "vous", "le", "la", "nous", "les", "m'", "l'") and k < len(w):
        k += 1
    return elide(cat("ne", " ".join(w[:k]), "pas", " ".join(w[k:])))


ES_CLITICS = ("no", "me", "te", "lo", "la", "nos", "los", "le", "les")


def es_invert(vg, subj):
    """Spanish question order: the subject right after the finite verb ("¿Debe Grace llamar a Carol?")."""
    if not subj:
        return vg
    w = vg.split()
    if w[0] in ES_CLITICS[1:]:   # "¿Sarah me va a ver?"
        return subj + " " + vg
    k = 0
    while k < len(w) - 1 and w[k] in ES_CLITICS:
        k += 1
    return " ".join(w[:k + 1] + [subj] + w[k + 1:])


def en_finite(verb, person):
    return EN_3SG[verb] if person == 2 else verb


class VP:
    """A verb with its object and what follows it. verb: the English words ("turn on", "wait for"); key: the
    sense in VERBS; post: (en, es, fr) triples after the object; particle_after: "turn the lights on"."""

    def __init__(self, verb, key=None, obj=None, post=(), particle_after=False):
        self.verb, self.key, self.obj = verb, key or verb, obj
        self.post, self.particle_after = list(post), particle_after


def obj_parts(vp, neg):
    """The object in each language: en, es clitic, es after the verb, fr clitic, fr after the verb."""
    o = vp.obj
    if o is None:
        return [], "", "", "", ""
    if o.pron:
        p = PRON[o.pron]
        if vp.key == "meet":
            return [o.pron], "", p[3], p[1], ""
        return [o.pron], p[0], "", p[1], ""
    es = o.es(neg=neg)
    if vp.key == "meet":
        es = "con " + es
    elif o.human():
        es = "a " + es
    if vp.key == "need":
        fr = o.fr("de")
    elif neg and o.indefinite():
        fr = o.fr("neg")
    else:
        fr = o.fr()
    return o.en(), "", fix_es(es), "", fr


def en_base(vp, o_en):
    words = vp.verb.split()
    if vp.particle_after and o_en:
        return [words[0]] + o_en + words[1:]
    return words + o_en


def clause(subj, vp, mode, modal=None, wrap=True):
    """Subject + verb phrase. mode: pres, neg, q (do-question), did_neg, did_q, modal, modal_neg, modal_q, imp,
    imp_neg. wrap=False leaves questions in statement order (for wh-questions: .parts)."""
    if vp.key == "like":
        return like_clause(subj, vp, mode)
    v = VERBS[vp.key]
    neg = mode in ("neg", "did_neg", "modal_neg", "imp_neg")
    if neg and vp.obj is not None:   # "do not need bread": English "any" is not in the vocabulary
        for np in (vp.obj.items or [vp.obj]):
            if np.det == "some":
                np.det = "the" if vp.obj.items else "bare"
    o_en, es_cl, es_o, fr_cl, fr_o = obj_parts(vp, neg)
    base = en_base(vp, o_en)
    post_en = [w for t in vp.post for w in t[0]]
    post_es = cat(*[t[1] for t in vp.post])
    post_fr = cat(*[t[2] for t in vp.post])
    pron = vp.obj.pron if vp.obj is not None else None
    if mode == "imp":
        if pron and vp.key in ("call", "meet"):
            es_v = ES_CALL_IMP[pron] if vp.key == "call" else v["es_imp"]
            return S(base + post_en, cat(es_v, es_o, post_es), cat(v["fr_imp"] + "-" + PRON[pron][2], post_fr),
                     kind="imp")
        return S(base + post_en, cat(v["es_imp"], es_o, post_es), cat(v["fr_imp"], fr_o, post_fr), kind="imp")
    if mode == "imp_neg":
        return S(["do", "not"] + base + post_en, cat("no", es_cl, v["es_neg"], es_o, post_es),
                 cat(fr_neg(cat(fr_cl, v["fr_imp"])), fr_o, post_fr), kind="imp")
    p = subj.person
    if mode in ("pres", "neg", "q"):
        if mode == "pres":
            en = subj.en + [en_finite(base[0], p)] + base[1:]
        elif mode == "neg":
            en = subj.en + [en_finite("do", p), "not"] + base
        else:
            en = [en_finite("do", p)] + subj.en + base
        es_vg = cat("no" if neg else "", es_cl, v["es_pres"][p])
        fr_vg = cat(fr_cl, v["fr_pres"][p])
        fr_vg = fr_neg(fr_vg) if neg else fr_vg
    elif mode in ("did_neg", "did_q"):
        en = (subj.en + ["did", "not"] + base) if mode == "did_neg" else (["did"] + subj.en + base)
        es_vg = cat("no" if neg else "", es_cl, v["es_pret"][p])
        aux = cat(fr_cl, FR_AVOIR[p])
        fr_vg = cat(fr_neg(aux) if neg else aux, v["fr_pp"])
    else:
        es_m, fr_m = (x.split(",")[p] for x in MODALS[modal])
        if modal in ("need", "want"):
            if mode == "modal":
                en = subj.en + [en_finite(modal, p), "to"] + base
            elif mode == "modal_neg":
                en = subj.en + [en_finite("do", p), "not", modal, "to"] + base
            else:
                en = [en_finite("do", p)] + subj.en + [modal, "to"] + base
        else:
            if mode == "modal":
                en = subj.en + [modal] + base
            elif mode == "modal_neg":
                en = subj.en + [modal, "not"] + base
            else:
                en = [modal] + subj.en + base
        es_vg = cat("no" if neg else "", es_cl, es_m, v["es_inf"])
        fr_vg = cat(fr_neg(fr_m) if neg else fr_m, fr_cl, v["fr_inf"])
    es_rest, fr_rest = cat(es_o, post_es), cat(fr_o, post_fr)
    q = mode in ("q", "did_q", "modal_q")
    s = S(en + post_en, fix_es(cat(subj.es, es_vg, es_rest)), elide(cat(subj.fr, fr_vg, fr_rest)), q=q)
    s.parts = (subj.es, fix_es(es_vg), fix_es(es_rest))
    if q and wrap:
        s.es = fix_es(cat(es_invert(es_vg, subj.es), es_rest))
        s.fr = elide("est-ce que " + s.fr)
    return s


def like_clause(subj, vp, mode):
    """gustar: "a Bob le gustan las manzanas"; aimer takes the definite article: "j'aime le café"."""
    o = vp.obj
    for np in (o.items or [o]):
        if np.det in ("a", "some", "bare", "num"):
            np.det, np.num = "the", None
    p = subj.person
    base = ["like"] + o.en()
    if mode == "pres":
        en = subj.en + [en_finite("like", p)] + base[1:]
    elif mode == "neg":
        en = subj.en + [en_finite("do", p), "not"] + base
    else:
        en = [en_finite("do", p)] + subj.en + base
    es_pron = ["me", "te", "le", "nos", "les"][p]
    es_a = ""
    if p in (2, 4) and subj.es:
        es_a = "a " + subj.es
    elif p == 2:
        es_a = "a " + ("él" if subj.en == ["he"] else "ella")
    neg = mode == "neg"
    es = cat(es_a, "no" if neg else "", es_pron, "gustan" if o.plural else "gusta", o.es())
    fr_v = VERBS["like"]["fr_pres"][p]
    fr = elide(cat(subj.fr, fr_neg(fr_v) if neg else fr_v, o.fr()))
    q = mode == "q"
    return S(en, fix_es(es), elide("est-ce que " + fr) if q else fr, q=q)


# ---------------------------------------------------------------------------------------------------
# verb phrases with suitable objects and complements
# ---------------------------------------------------------------------------------------------------
VP_KEYS = ["bring", "take", "move", "put", "leave", "send", "open", "close", "find", "call", "meet", "buy", "read",
           "write", "play", "start", "stop", "cancel", "check", "clean", "fix", "see", "need", "want", "have", "go",
           "arrive", "wait", "turn", "set", "take_ride", "depart"]
BUYABLE = ["bread", "coffee", "tea", "water", "apples", "ticket", "book", "bottle", "cup", "pen", "hat", "shoes",
           "bag", "lamp", "car", "bike", "ball", "box", "chair", "table", "clock", "phone"]


def to_name(r):
    nm = rname_np(r)
    return ["to"] + nm.en(), "a " + nm.es(), nm.fr("a")


def rvp(r, k=None):
    """A random verb phrase: a verb with an object and complements that suit it."""
    k = k or r.choice(VP_KEYS)
    post = []
    if k in ("bring", "take", "move"):
        obj = rnp(r, CARRY + (["chair", "table"] if k == "move" else [])) if r.random() > 0.15 else \
            rlist(r, CARRY, dets=["the", "the", "poss", "a", "num"])
        q = r.random()
        if q < 0.4:
            post.append(place(r, "to")[:3])
        elif q < 0.55 and k != "move":
            post.append(to_name(r))
        elif q < 0.7:
            fe, fes, ffr, fp = place(r, "from")
            te, tes, tfr, _ = place(r, "to", exclude=(fp,))
            post.append((fe + te, fes + " " + tes, ffr + " " + tfr))
        return VP(k, obj=obj, post=post)
    if k in ("put", "leave"):
        obj = rnp(r, CARRY) if r.random() > 0.15 else rlist(r, CARRY, dets=["the", "the", "poss", "a", "num"])
        q = r.random()
        post.append(spot(r) if q < 0.45 else place(r, "in")[:3] if q < 0.8 else here_there(r))
        return VP(k, obj=obj, post=post)
    if k == "send":
        obj = rnp(r, DOCS + ["box", "key", "ticket"])
        if r.random() < 0.6:
            post.append(to_name(r))
        return VP(k, obj=obj, post=post)
    if k in ("open", "close"):
        pool = OPENABLE if k == "open" else ["door", "window", "box", "bag", "book", "bottle"]
        return VP(k, obj=rnp(r, pool, dets=["the"] * 4 + ["poss", "this", "that"]))
    if k == "find":
        if r.random() < 0.2:
            return VP(k, obj=NP(name=r.choice(NAMES)))
        if r.random() < 0.15:
            return VP(k, obj=rlist(r, CARRY, dets=["the", "poss"]))
        return VP(k, obj=rnp(r, CARRY + ["car", "bike"], dets=["the"] * 4 + ["poss"] * 2 + ["a", "some"]))
    if k == "call":
        return VP(k, obj=NP(pron=r.choice(list(PRON))) if r.random() < 0.3 else rname_np(r))
    if k == "meet":
        obj = NP(pron=r.choice(list(PRON))) if r.random() < 0.3 else rname_np(r)
        if r.random() < 0.6:
            post.append(place(r, "at")[:3])
        return VP(k, obj=obj, post=post)
    if k == "buy":
        if r.random() < 0.25:
            obj = rlist(r, ["bread", "coffee", "tea", "water", "apples", "cup", "bottle", "pen", "book", "ticket"],
                        dets=["the", "some", "num", "a"])
        else:
            obj = rnp(r, BUYABLE, dets=["the", "a", "a", "some", "num", "num", "bare"])
        if r.random() < 0.15:
            nm = NP(name=r.choice(NAMES))
            post.append((["for"] + nm.en(), "para " + nm.es(), "pour " + nm.fr()))
        return VP(k, obj=obj, post=post)
    if k == "read":
        return VP(k, obj=rnp(r, ["letter", "report", "email", "message", "book"], dets=["the"] * 3 + ["poss", "this",
                                                                                                    "a"]))
    if k == "write":
        obj = rnp(r, ["letter", "report", "email", "message"], dets=["the", "a", "a", "poss"])
        if r.random() < 0.3:
            post.append(to_name(r))
        return VP(k, obj=obj, post=post)
    if k == "play":
        n = r.choice(["song", "music", "radio"])
        return VP(k, obj=rnp(r, n, dets=["the", "the", "poss"] + (["some"] if n == "music" else []), adj_p=0.2,
                             allow_mod=False))
    if k in ("start", "stop", "cancel", "check"):
        pool = {"start": ["timer", "meeting", "music", "radio", "car"],
                "stop": ["timer", "alarm", "music", "radio", "car", "bus", "train"],
                "cancel": ["meeting", "alarm", "reminder", "flight", "timer", "ticket"],
                "check": ["timer", "alarm", "reminder", "flight", "train", "bus", "meeting", "report", "email",
                          "car", "door", "window", "ticket", "lights", "heater"]}[k]
        obj = rnp(r, pool, dets=["the"] * 4 + ["poss"] * 2 + ["this", "that"], adj_p=0.15, allow_num=False)
        key = k
        if k == "start":
            key = {"car": "start_car", "meeting": "start", "music": "play", "radio": "turn on"}.get(obj.noun,
                                                                                                 "start_dev")
        return VP(k, key=key, obj=obj)
    if k == "clean":
        return VP(k, obj=rnp(r, CLEANABLE, dets=["the"] * 4 + ["poss"] * 2 + ["this", "that"]))
    if k == "fix":
        return VP(k, obj=rnp(r, FIXABLE, dets=["the"] * 4 + ["poss"] * 2 + ["this", "that"]))
    if k == "see":
        q = r.random()
        if q < 0.2:
            return VP(k, obj=NP(pron=r.choice(list(PRON))))
        if q < 0.4:
            return VP(k, obj=rname_np(r))
        return VP(k, obj=rnp(r, THINGS + TRANSPORT))
    if k in ("need", "want", "have"):
        if r.random() < 0.2:
            obj = rlist(r, THINGS, dets=["the", "a", "some", "num", "poss"])
        else:
            obj = rnp(r, THINGS + ["ticket"] + (["car", "bike"] if k != "need" else []),
                      dets=["the", "a", "a", "some", "num", "num", "poss", "bare"])
        return VP(k, obj=obj)
    if k == "go":
        post.append(place(r, "to")[:3])
        if r.random() < 0.15:
            o = r.choice(NAMES + ["me", "us", "them"])
            if o in NAMES:
                post.append((["with", o], "con " + o.capitalize(), "avec " + o.capitalize()))
            else:
                post.append((["with", o], PRON[o][3], "avec " + PRON[o][4]))
        return VP(k, post=post)
    if k == "arrive":
        if r.random() < 0.6:
            post.append(place(r, "arrive")[:3])
        return VP(k, post=post)
    if k == "depart":
        if r.random() < 0.4:
            post.append(place(r, "from")[:3])
        return VP("leave", key="depart", post=post)
    if k == "wait":
        q = r.random()
        if q < 0.45:
            o = rname_np(r) if r.random() < 0.7 else NP(r.choice(TRANSPORT), det="the")
            return VP("wait for", key="wait", obj=o)
        if q < 0.7:
            post.append(here_there(r))
        elif q < 0.85:
            post.append(place(r, "at")[:3])
        else:
            en, es, fr = duration(r)
            post.append((["for"] + en, es, "pendant " + fr))
        return VP("wait", post=post)
    if k == "turn":
        obj = rnp(r, DEVICES, dets=["the"] * 4 + ["poss", "this", "that"], adj_p=0.15, allow_num=False)
        if r.random() < 0.3:
            post.append(place(r, "in")[:3])
        return VP(r.choice(["turn on", "turn off"]), obj=obj, post=post, particle_after=r.random() < 0.35)
    if k == "set":
        what = r.choice(["alarm", "timer", "reminder"])
        obj = NP(what, det=r.choice(["a", "a", "the", "poss"]), owner=r.choice(list(OWNERS)))
        if what == "timer":
            en, es, fr = duration(r)
            post.append((["for"] + en, "de " + es, "de " + fr))
        else:
            en, es, fr = clock_bare(r)
            post.append((["for"] + en, "para " + es, "pour " + fr))
        return VP(k, obj=obj, post=post)
    if k == "take_ride":
        obj = NP(r.choice(TRANSPORT), det=r.choice(["the", "the", "a"]))
        if r.random() < 0.3:
            post.append(place(r, "to")[:3])
        return VP("take", key="take_ride", obj=obj, post=post)
    raise ValueError(k)


ACTION_VERBS = ["bring", "take", "move", "put", "leave", "send", "open", "close", "find", "buy", "read", "write",
                "check", "clean", "fix", "call", "meet", "cancel", "stop", "start", "play", "set", "turn", "wait"]
DID_OK = {"bring", "take", "move", "put", "leave", "send", "open", "close", "find", "call", "meet", "buy", "read",
          "write", "play", "start", "start_dev", "start_car", "stop", "cancel", "check", "clean", "fix", "see", "wait",
          "turn on", "turn off", "set", "take_ride"}
IMP_OK = DID_OK - {"see"} | {"go", "arrive", "depart"}


def pick_mode(r, vp, subj):
    """A tense/mood the verb phrase allows with this subject (English has only some third-person forms)."""
    opts = ["neg", "neg", "q", "modal", "modal", "modal", "modal_neg", "modal_q"]
    if subj.person != 2 or vp.verb.split()[0] in EN_3SG:
        opts += ["pres"] * 4
    pron = vp.obj is not None and vp.obj.pron
    if vp.key in DID_OK and not pron:
        opts += ["did_neg", "did_q"]
    m = r.choice(opts)
    modal = None
    if m.startswith("modal"):
        modal = r.choice(["can", "will", "should"] + ([] if vp.key in ("need", "want", "have") else ["need", "want"]))
        if m == "modal_neg" and modal == "can":   # "cannot" is not in the vocabulary
            modal = "should"
    return m, modal


# ---------------------------------------------------------------------------------------------------
# sentence frames
# ---------------------------------------------------------------------------------------------------
def add_time(r, s, p=0.4, front=0.25, **kw):
    """A time phrase at the end or (with a comma) at the front."""
    if r.random() >= p or s.timed:
        return s
    en, es, fr = time_phrase(r, **kw)
    if r.random() < front and not s.q:
        t = S(en + [COMMA] + s.en, es + ", " + s.es, fr + ", " + s.fr, s.q, s.kind, True)
        t.fronted = True
        return t
    if s.q and s.es.startswith("¿"):
        return S(s.en + en, s.es[:-1] + " " + es + "?", s.fr[:-2] + " " + fr + " ?", s.q, s.kind, True)
    return S(s.en + en, cat(s.es, es), cat(s.fr, fr), s.q, s.kind, True)


def please(r, s, p=0.35):
    if r.random() >= p:
        return s
    if r.random() < 0.7 and not s.q and not getattr(s, "fronted", False):
        return S(["please"] + s.en, "por favor, " + s.es, "s'il vous plaît, " + s.fr, s.q, s.kind, s.timed)
    return S(s.en + [COMMA, "please"], s.es + ", por favor", s.fr + ", s'il vous plaît", s.q, s.kind, s.timed)


def f_command(r):
    """Bring the red box to the kitchen. / Do not call Bob. / Turn the lights off in the hall, please."""
    vp = rvp(r)
    if vp.key not in IMP_OK:
        vp = rvp(r, "go")
    if vp.obj is not None and vp.obj.pron == "you":
        vp.obj = NP(pron="me")
    s = clause(None, vp, "imp_neg" if r.random() < 0.12 else "imp")
    return please(r, add_time(r, s, 0.5))


def f_request(r):
    """Can you send the report to Alice? / Should we call Tom tomorrow? / Can I buy some apples?"""
    vp = rvp(r)
    if vp.key not in IMP_OK:
        vp = rvp(r, "call")
    who = r.choice(["you", "you", "you", "we", "i"])
    if vp.obj is not None and vp.obj.pron in (SELF[who], "you"):
        vp.obj = NP(name=r.choice(NAMES))
    modal = "can" if who == "you" else r.choice(["can", "should"])
    s = clause(pron_subj(who), vp, "modal_q", modal)
    s = add_time(r, s, 0.4)
    return please(r, s, 0.25) if who == "you" else s


def f_statement(r):
    """Bob needs two tickets. / We did not see the bus. / I want to buy a new car. / Alice likes the red hat."""
    vp = rvp(r, r.choice(VP_KEYS + ["need", "want", "have"] * 3))
    subj = rsubject(r)
    if vp.obj is not None and vp.obj.pron and vp.obj.pron in (SELF.get(subj.en[-1]), "you"):
        vp.obj = NP(name=r.choice(NAMES))
    if vp.key in ("need", "want", "have") and vp.obj is not None:
        q = r.random()
        if q < 0.25:   # need to / want to + another verb phrase
            vp2 = rvp(r)
            if vp2.key in IMP_OK:
                if vp2.obj is not None and vp2.obj.pron and vp2.obj.pron in (SELF.get(subj.en[-1]), "you"):
                    vp2.obj = NP(name=r.choice(NAMES))
                s = clause(subj, vp2, r.choice(["modal", "modal", "modal_neg", "modal_q"]), r.choice(["need", "want"]))
                return add_time(r, s, 0.4)
        elif q < 0.45:  # like
            vp = VP("like", obj=vp.obj)
            m = r.choice(["pres", "pres", "neg", "q"])
            return clause(subj, vp, m)
    mode, modal = pick_mode(r, vp, subj)
    s = clause(subj, vp, mode, modal)
    return add_time(r, s, 0.55, past=mode.startswith("did"))


def f_location(r):
    """The keys are in the car. / Is Bob at the office? / Alice was at the station yesterday."""
    if r.random() < 0.55:
        np = rnp(r, CARRY + ["car", "bike"], dets=["the"] * 4 + ["poss"] * 3 + ["this", "that", "num"])
        subj, thing = Subj(np.en(), np.person(), np.es(), np.fr()), True
    else:
        subj, thing = rsubject(r, no_i=True), False
    p = subj.person
    tense = "past" if p == 2 and r.random() < 0.25 else "pres"
    w = r.random()
    if w < 0.45:
        loc = place(r, r.choice(["in", "at"]))[:3]
    elif w < 0.7 and thing:
        loc = spot(r)
    elif w < 0.8 and not thing:
        o = r.choice([x for x in NAMES if x not in subj.en])
        loc = (["with", o], "con " + o.capitalize(), "avec " + o.capitalize())
    else:
        loc = here_there(r)
    be = "was" if tense == "past" else ("is" if p == 2 else "are")
    es_be = (ES_ESTABA if tense == "past" else ES_ESTAR)[p]
    fr_be = (FR_ETAIT if tense == "past" else FR_ETRE)[p]
    k = r.random()
    if k < 0.22:
        s = S([be] + subj.en + loc[0], cat(es_be, subj.es, loc[1]), elide(cat("est-ce que", subj.fr, fr_be, loc[2])),
              q=True)
    else:
        neg = k < 0.35
        s = S(subj.en + [be] + (["not"] if neg else []) + loc[0], cat(subj.es, "no" if neg else "", es_be, loc[1]),
              cat(subj.fr, fr_neg(fr_be) if neg else fr_be, loc[2]))
    return add_time(r, s, 0.4 if tense == "past" else 0.25, past=tense == "past")


def f_where(r):
    """Where are my keys? / Where is Bob? / Where did you put the box? / Where can I buy tickets?"""
    q = r.random()
    if q < 0.45:
        np = rnp(r, CARRY + ["car", "bike"], dets=["the"] * 3 + ["poss"] * 3 + ["this"])
        return S(["where", "are" if np.plural else "is"] + np.en(),
                 "¿Dónde %s %s?" % ("están" if np.plural else "está", np.es()),
                 "Où %s %s ?" % ("sont" if np.plural else "est", np.fr()), True)
    if q < 0.6:
        s = rsubject(r, no_i=True)
        fr_inv = {"you": "êtes-vous", "we": "sommes-nous", "they": "sont-ils", "he": "est-il", "she": "est-elle"}
        fr = "Où %s ?" % fr_inv[s.en[0]] if s.en[0] in fr_inv else "Où %s %s ?" % (FR_ETRE[s.person], s.fr)
        return add_time(r, S(["where", "is" if s.person == 2 else "are"] + s.en,
                             "¿Dónde %s?" % cat(ES_ESTAR[s.person], s.es), fr, True), 0.4)
    subj = rsubject(r, names=r.random() < 0.3)
    k = r.choice(["put", "leave", "buy", "meet", "go", "find", "wait"])
    if k in ("put", "leave", "find"):
        vp, mode = VP(k, obj=rnp(r, CARRY + (["car", "bike"] if k == "find" else []), dets=["the", "poss"])), "did_q"
    elif k == "buy":
        vp, mode = VP(k, obj=rnp(r, ["ticket", "bread", "coffee", "apples", "water", "book", "pen"],
                                 dets=["the", "some", "bare", "a"])), "modal_q"
    else:
        vp, mode = VP(k), "modal_q"
    modal = r.choice(["can", "should", "want"]) if mode == "modal_q" else None
    s = clause(subj, vp, mode, modal, wrap=False)
    es_s, es_vg, es_rest = s.parts
    return S(["where"] + s.en, "¿%s %s?" % ("Adónde" if k == "go" else "Dónde", cat(es_invert(es_vg, es_s), es_rest)),
             elide("Où est-ce que " + s.fr) + " ?", True)


def f_schedule(r):
    """The train leaves at 5:30. / When does the bank open? / The meeting will not start at noon."""
    n = r.choice(TRANSPORT + ["meeting"] * 2 + ["museum", "bank", "library", "market", "school", "office", "hospital"])
    np = rnp(r, n, det=r.choice(["the", "the", "the", "poss"]), plural=False, allow_mod=False,
             adj_p=0.3 if n in TRANSPORT + ["meeting"] else 0)
    es_np, fr_np = np.es(), np.fr()
    g_es, g_fr = N[n]["es_g"], N[n]["fr_g"]
    if n in TRANSPORT:
        v = r.choice(["leave", "arrive"])
    elif n == "meeting":
        v = r.choice(["start", "be"])
    else:
        v = r.choice(["open", "close", "be_closed"])
    es_v = {"leave": ("sale", "salir"), "arrive": ("llega", "llegar"), "start": ("empieza", "empezar"),
            "open": ("abre", "abrir"), "close": ("cierra", "cerrar"), "be": ("es", "ser")}
    fr_v = {"leave": ("part", "partir"), "arrive": ("arrive", "arriver"), "start": ("commence", "commencer"),
            "open": ("ouvre", "ouvrir"), "close": ("ferme", "fermer"), "be": ("est", "être")}
    en_v = {"leave": "leaves", "start": "starts", "open": "opens", "close": "closes", "be": "is"}
    q = r.random()
    if v == "be_closed":
        te, tes, tfr = time_phrase(r, allow_clock=False)
        es_c, fr_c = ADJ["closed"]["es"][(g_es, False)], ADJ["closed"]["fr"][(g_fr, False)]
        if q < 0.3:
            return S(["is"] + np.en() + ["closed"] + te, "¿%s?" % cat("está", es_np, es_c, tes),
                     elide("est-ce que %s" % cat(fr_np, "est", fr_c, tfr)), True)
        neg = q < 0.45
        return S(np.en() + ["is"] + (["not"] if neg else []) + ["closed"] + te, cat(es_np, "no" if neg else "",
                 "está", es_c, tes), cat(fr_np, fr_neg("est") if neg else "est", fr_c, tfr))
    if q < 0.3:
        wh = r.choice(["when", "what time"])
        if v == "be":
            en = wh.split() + ["is"] + np.en()
            es = "¿%s es %s?" % ("Cuándo" if wh == "when" else "A qué hora", es_np)
            fr = "%s est %s ?" % ("Quand" if wh == "when" else "À quelle heure", fr_np)
            return S(en, es, fr, True)
        en = wh.split() + ["does"] + np.en() + [v]
        es = "¿%s %s %s?" % ("Cuándo" if wh == "when" else "A qué hora", es_v[v][0], es_np)
        fr = elide("%s est-ce que %s %s ?" % ("Quand" if wh == "when" else "À quelle heure", fr_np, fr_v[v][0]))
        return S(en, es, fr, True)
    te, tes, tfr = time_phrase(r)
    mode = r.choice(["pres", "pres", "q", "neg"]) if v == "be" else r.choice(["pres", "pres", "will", "will_neg", "q"])
    if v == "arrive" and mode == "pres":
        mode = "will"
    if mode == "pres":
        return S(np.en() + [en_v[v]] + te, cat(es_np, es_v[v][0], tes), cat(fr_np, fr_v[v][0], tfr))
    if mode == "neg":
        return S(np.en() + ["is", "not"] + te, cat(es_np, "no", es_v[v][0], tes), cat(fr_np, fr_neg(fr_v[v][0]), tfr))
    if mode == "q":
        en = (["is"] + np.en()) if v == "be" else (["does"] + np.en() + [v])
        return S(en + te, "¿%s?" % cat(es_v[v][0], es_np, tes), elide("est-ce que " + cat(fr_np, fr_v[v][0], tfr)),
                 True)
    neg = mode == "will_neg"
    return S(np.en() + ["will"] + (["not"] if neg else []) + [v] + te,
             cat(es_np, "no" if neg else "", "va a", es_v[v][1], tes),
             cat(fr_np, fr_neg("va") if neg else "va", fr_v[v][1], tfr))


def f_late(r):
    """The bus is late. / I will be late tonight. / Bob was early yesterday. / It is very late."""
    w = r.choice(["late", "early"])
    es_w = {"late": "tarde", "early": "temprano"}[w]
    fr_w = {"late": "en retard", "early": "en avance"}[w]
    very = ["very"] if r.random() < 0.2 else []
    es_very, fr_very = ("muy", "très") if very else ("", "")
    if r.random() < 0.08:
        t = r.choice(["is", "was"])
        return S(["it", t] + very + [w], cat("es" if t == "is" else "era", es_very, es_w),
                 cat("il", "est" if t == "is" else "était", fr_very, {"late": "tard", "early": "tôt"}[w]))
    subj = rsubject(r, nps=TRANSPORT + ["meeting"] if r.random() < 0.4 else None)
    p = subj.person
    tense = r.choice(["pres", "will", "past"]) if p == 2 else ("will" if p == 0 else r.choice(["pres", "will"]))
    neg = ["not"] if r.random() < 0.2 else []
    es_no = "no" if neg else ""
    if tense == "pres":
        en = subj.en + ["is" if p == 2 else "are"] + neg + very + [w]
        es = cat(subj.es, es_no, ES_LLEGA[p], es_very, es_w)
        fr = cat(subj.fr, fr_neg(FR_ETRE[p]) if neg else FR_ETRE[p], fr_very, fr_w)
    elif tense == "will":
        en = subj.en + ["will"] + neg + ["be"] + very + [w]
        es_m, fr_m = (x.split(",")[p] for x in MODALS["will"])
        es = cat(subj.es, es_no, es_m, "llegar", es_very, es_w)
        fr = cat(subj.fr, fr_neg(fr_m) if neg else fr_m, "être", fr_very, fr_w)
    else:
        en = subj.en + ["was"] + neg + very + [w]
        es = cat(subj.es, es_no, ES_LLEGO[p], es_very, es_w)
        fr = cat(subj.fr, fr_neg(FR_ETAIT[p]) if neg else FR_ETAIT[p], fr_very, fr_w)
    return add_time(r, S(en, fix_es(es), elide(fr)), 0.5 if tense != "pres" else 0, past=tense == "past")


def f_describe(r):
    """The box is red. / My keys are very small. / Is the car new? / This is my new car."""
    n = r.choice(COLOURABLE + ["house", "room", "city", "hotel", "photo", "report", "book"])
    if r.random() < 0.3:   # "this is ...": singular only ("these" and "those" are not in the vocabulary)
        n = n if not N[n]["plural_only"] else "box"
        np = rnp(r, n, dets=["poss", "poss", "the", "a"], plural=False, adj_p=0.6, allow_mod=False, allow_num=False)
        dem = r.choice(["this", "that"])
        es_dem = {"this": ("este", "esta"), "that": ("ese", "esa")}[dem][np.gender("es") == "f"]
        if r.random() < 0.25:
            return S(["is", dem] + np.en(), "¿%s?" % cat(es_dem, "es", np.es()), "est-ce que c'est " + np.fr(), True)
        return S([dem, "is"] + np.en(), cat(es_dem, "es", np.es()), "c'est " + np.fr())
    np = rnp(r, n, dets=["the"] * 3 + ["poss"] * 3 + ["this", "that", "num"], adj_p=0.25, allow_mod=False)
    pool = (list(COLOURS) * 2 if n in COLOURABLE else []) + (["big", "small"] if n in SIZEABLE else []) + \
        (["new", "old"] if n in AGEABLE else [])
    groups = {adj_group(x) for x in np.adjs}   # not "this new house is old"
    a = r.choice([x for x in pool if adj_group(x) not in groups] or ["old"])
    very = ["very"] if a in SIZES and r.random() < 0.3 else []
    es_very, fr_very = ("muy", "très") if very else ("", "")
    g_es, g_fr, pl = np.gender("es"), np.gender("fr"), np.plural
    es_a, fr_a = ADJ[a]["es"][(g_es, pl)], ADJ[a]["fr"][(g_fr, pl)]
    be = "are" if pl else "is"
    es_be, fr_be = ("son" if pl else "es"), ("sont" if pl else "est")
    if r.random() < 0.2:
        return S([be] + np.en() + very + [a], "¿%s?" % cat(es_be, np.es(), es_very, es_a),
                 elide("est-ce que %s" % cat(np.fr(), fr_be, fr_very, fr_a)), True)
    if r.random() < 0.15 and a in COLOURS:
        b = r.choice([x for x in COLOURS if x != a])
        es_b, fr_b = ADJ[b]["es"][(g_es, pl)], ADJ[b]["fr"][(g_fr, pl)]
        return S(np.en() + [be, a, "and", b], cat(np.es(), es_be, es_join([es_a, es_b], "y")),
                 cat(np.fr(), fr_be, fr_a, "et", fr_b))
    neg = ["not"] if r.random() < 0.2 else []
    return S(np.en() + [be] + neg + very + [a], cat(np.es(), "no" if neg else "", es_be, es_very, es_a),
             cat(np.fr(), fr_neg(fr_be) if neg else fr_be, fr_very, fr_a))


def adj_group(a):
    return "colour" if a in COLOURS else ("size" if a in ("big", "small") else "age")


def f_there(r):
    """There are 25 books in the library. / Is there a bank in the city? / How many cups do you need?"""
    q = r.random()
    if q < 0.35:
        np = NP(r.choice(COUNTABLE), plural=True, det="how_many")
        if r.random() < 0.5:
            loc = place(r, "in")[:3] if r.random() < 0.7 else spot(r, "on")
            return S(np.en() + ["are", "there"] + loc[0], "¿%s hay %s?" % (np.es(), loc[1]),
                     "%s est-ce qu'il y a %s ?" % (np.fr(), loc[2]), True)
        subj = rsubject(r)
        v = r.choice(["need", "have", "want", "see"])
        p = subj.person
        en = np.en() + [en_finite("do", p)] + subj.en + [v]
        es = "¿%s %s%s?" % (np.es(), VERBS[v]["es_pres"][p], " " + subj.es if subj.es else "")
        if v == "need":
            fr = "De %s est-ce que %s %s besoin ?" % (np.fr(), subj.fr, FR_AVOIR[p])
        else:
            fr = "%s est-ce que %s %s ?" % (np.fr(), subj.fr, VERBS[v]["fr_pres"][p])
        return S(en, es, elide(fr), True)
    if r.random() < 0.25:
        np = NP(r.choice([x for x in AT_PLACES if x != "house"] + ["garden", "street"]), det="a",
                adjs=radjs(r, "park", 0.2))
        loc = r.choice([(["in", "the", "city"], "en la ciudad", "dans la ville"), (["here"], "aquí", "ici")] +
                       ([(["in", "the", "street"], "en la calle", "dans la rue")] if np.noun != "street" else []))
    else:
        np = rnp(r, THINGS + ["ticket"], dets=["a", "a", "some", "num", "num", "bare", "no"], allow_mod=False)
        if np.det == "no" and not np.plural and N[np.noun]["kind"] != "food":
            np.det = "a"
        if r.random() < 0.15 and np.det != "no":
            np = rlist(r, THINGS + ["ticket"], dets=["a", "some", "num"])
        loc = place(r, "in")[:3] if r.random() < 0.7 else spot(r)
    be = "are" if np.plural else "is"
    if np.det == "no":
        return S(["there", be] + np.en() + loc[0], cat("no hay", np.es(neg=True), loc[1]),
                 elide(cat("il n'y a pas", np.fr("de"), loc[2])))
    if r.random() < 0.25:
        return S([be, "there"] + np.en() + loc[0], "¿Hay %s %s?" % (np.es(), loc[1]),
                 elide("est-ce qu'il y a %s %s" % (np.fr(), loc[2])), True)
    return S(["there", be] + np.en() + loc[0], cat("hay", np.es(), loc[1]), elide(cat("il y a", np.fr(), loc[2])))


def f_time_talk(r):
    """What time is it? / It is half past five. / Today is Monday. / The meeting is at 10:30 on Friday."""
    q = r.random()
    if q < 0.08:
        return S(["what", "time", "is", "it"], "¿Qué hora es?", "Quelle heure est-il ?", True)
    if q < 0.12:
        return S(["what", "day", "is", "it"], "¿Qué día es hoy?", "Quel jour sommes-nous ?", True)
    if q < 0.35:
        d = r.choice(list(DAYS))
        t = r.choice(["it", "today", "tomorrow"])
        if t == "it":
            return S(["it", "is", d], "es " + DAYS[d][0], "nous sommes " + DAYS[d][1])
        return S([t, "is", d], "%s es %s" % (REL[t][0], DAYS[d][0]), "%s, c'est %s" % (REL[t][1], DAYS[d][1]))
    if q < 0.7:
        en, es, fr = clock_bare(r)
        if en[0] in ("noon", "midnight"):
            return S(["it", "is"] + en, "es " + es.split()[-1], "il est " + fr)
        es = ("es " if es.startswith("la ") else "son ") + es
        if r.random() < 0.2:
            return S(["is", "it"] + en, "¿%s?" % es, "est-ce qu'il est %s" % fr, True)
        s = S(["it", "is"] + en, es, "il est " + fr)
        part = day_part(en)
        if r.random() < 0.2 and part:
            s = S(s.en + ["in", "the", part], s.es + " " + PART[part][2], s.fr + " " + PART[part][3])
        return s
    np = NP(r.choice(["meeting", "flight", "train", "bus", "alarm", "reminder"]), det=r.choice(["the", "poss"]),
            owner=r.choice(list(OWNERS)))
    en, es, fr = time_phrase(r)
    return S(np.en() + ["is"] + en, cat(np.es(), "es", es), cat(np.fr(), "est", fr))


def f_who(r):
    """Who has the keys? / Who was in the kitchen? / Who can fix the heater?"""
    q = r.random()
    if q < 0.45:
        v = r.choice(["have", "need", "want"])
        vp = VP(v, obj=rnp(r, THINGS + ["ticket"], dets=["the", "the", "a", "poss", "num", "some"]))
        o = obj_parts(vp, False)
        return S(["who", EN_3SG[v]] + o[0], "¿Quién %s %s?" % (VERBS[v]["es_pres"][2], o[2]),
                 elide("Qui %s %s ?" % (VERBS[v]["fr_pres"][2], o[4])), True)
    if q < 0.7:
        loc = place(r, r.choice(["in", "at"]))[:3]
        t = r.choice(["is", "was"])
        return S(["who", t] + loc[0], "¿Quién %s %s?" % ("está" if t == "is" else "estaba", loc[1]),
                 "Qui %s %s ?" % ("est" if t == "is" else "était", loc[2]), True)
    vp = rvp(r)
    if vp.key not in IMP_OK or (vp.obj is not None and vp.obj.pron):
        vp = rvp(r, "fix")
    s = clause(Subj(["who"], 2, "quién", "qui"), vp, "modal", r.choice(["can", "will", "should"]))
    return S(s.en, "¿%s?" % s.es, s.fr + " ?", True)


def f_what(r):
    """What do you need? / What does Bob want to buy? / Which bus do you take? / Do you want tea or coffee?"""
    q = r.random()
    subj = rsubject(r)
    p = subj.person
    do = en_finite("do", p)
    es_s = " " + subj.es if subj.es else ""
    if q < 0.35:
        v = r.choice(["need", "want", "have", "see", "to"])
        if v == "to":
            inf = r.choice(["buy", "read", "bring", "send", "write", "check", "fix", "clean"])
            mod = r.choice(["want", "need"])
            es_m, fr_m = (x.split(",")[p] for x in MODALS[mod])
            en = ["what", do] + subj.en + [mod, "to", inf]
            es = "¿Qué %s %s%s?" % (es_m, VERBS[inf]["es_inf"], es_s)
            fr = "Qu'est-ce que %s %s %s ?" % (subj.fr, fr_m, VERBS[inf]["fr_inf"])
            return add_time(r, S(en, es, elide(fr), True), 0.25)
        en = ["what", do] + subj.en + [v]
        es = "¿Qué %s%s?" % (VERBS[v]["es_pres"][p], es_s)
        if v == "need":
            fr = "De quoi est-ce que %s %s besoin ?" % (subj.fr, FR_AVOIR[p])
        else:
            fr = "Qu'est-ce que %s %s ?" % (subj.fr, VERBS[v]["fr_pres"][p])
        return add_time(r, S(en, es, elide(fr), True), 0.3)
    if q < 0.7:
        n = r.choice(COUNTABLE + ["car", "bike", "hat", "bag", "lamp", "phone", "bus", "train", "song", "room"])
        pl = N[n]["en_pl"] is not None and not N[n]["plural_only"] and r.random() < 0.3
        np = NP(n, plural=pl, det="which")
        v = "take_ride" if n in ("bus", "train") else r.choice(["want", "need", "like", "have"])
        en = np.en() + [do] + subj.en + ["take" if v == "take_ride" else v]
        if v == "like":
            es = "¿%s %s %s%s?" % (np.es(), ["me", "te", "le", "nos", "les"][p], "gustan" if np.plural else "gusta",
                                   " a" + es_s if es_s else "")
        else:
            es = "¿%s %s%s?" % (np.es(), VERBS[v]["es_pres"][p], es_s)
        if v == "need":
            fr = "De %s est-ce que %s %s besoin ?" % (np.fr(), subj.fr, FR_AVOIR[p])
        else:
            fr = "%s est-ce que %s %s ?" % (np.fr(), subj.fr, VERBS[v]["fr_pres"][p])
        return add_time(r, S(en, es, elide(fr), True), 0.25 if v in ("want", "need", "take_ride") else 0)
    if r.random() < 0.5:   # do you want tea or coffee?
        a, b = r.sample(["tea", "coffee", "water", "bread", "apples", "book", "ticket", "bag", "hat", "bike"], 2)
        items = NP(items=[NP(x, det="bare" if mass(x) or N[x]["plural_only"] else "a") for x in (a, b)],
                   conj="or")
        return clause(subj, VP(r.choice(["want", "need"]), obj=items), "q")
    np = NP(r.choice(COLOURABLE), det=r.choice(["the", "poss"]), owner=r.choice(list(OWNERS)))
    a, b = r.sample(list(COLOURS), 2)
    g_es, g_fr, pl = np.gender("es"), np.gender("fr"), np.plural
    es = "¿%s %s %s?" % ("son" if pl else "es", np.es(), es_join([ADJ[a]["es"][(g_es, pl)],
                                                                  ADJ[b]["es"][(g_es, pl)]], "o"))
    fr = elide("est-ce que %s %s %s ou %s" % (np.fr(), "sont" if pl else "est", ADJ[a]["fr"][(g_fr, pl)],
                                             ADJ[b]["fr"][(g_fr, pl)]))
    return S(["are" if pl else "is"] + np.en() + [a, "or", b], es, fr, True)


def f_device(r):
    """Set an alarm for 6:30. / Set a timer for 10 minutes. / Turn off the lights in the kitchen."""
    vp = rvp(r, r.choice(["set", "set", "turn", "turn", "play", "start", "stop", "cancel", "check"]))
    return please(r, clause(None, vp, "imp" if r.random() < 0.9 else "imp_neg"), 0.3)


FRAMES = [(f_command, 20), (f_request, 5), (f_statement, 26), (f_location, 8), (f_where, 4), (f_schedule, 7),
          (f_late, 3), (f_describe, 6), (f_there, 7), (f_time_talk, 3), (f_who, 3), (f_what, 4), (f_device, 5)]
CONJ = {"and": ("y", "et"), "but": ("pero", "mais")}


def sentence(r):
    """One grammatical sentence: a frame, sometimes two joined by and/but, sometimes after yes/no."""
    fns, ws = zip(*FRAMES)
    s = r.choices(fns, weights=ws)[0](r)
    p = r.random()
    if p < 0.15 and not s.q:
        for _ in range(20):
            t = r.choices(fns, weights=ws)[0](r)
            if not t.q and (t.kind == "imp") == (s.kind == "imp"):
                break
        else:
            return s
        c = r.choice(["and", "and", "but"])
        es_c, fr_c = CONJ[c]
        low = t.es.lower()
        if c == "and" and (low.startswith("i") or (low.startswith("hi") and not low.startswith(("hie", "hia")))):
            es_c = "e"
        comma = "," if c == "but" else ""
        s = S(s.en + ([COMMA] if comma else []) + [c] + t.en, s.es + comma + " " + es_c + " " + t.es,
              s.fr + comma + " " + fr_c + " " + t.fr, False, s.kind, True)
    elif p < 0.19 and s.kind != "imp" and not s.q:
        y = "no" if "not" in s.en else "yes"
        s = S([y, COMMA] + s.en, {"yes": "sí", "no": "no"}[y] + ", " + s.es,
              {"yes": "oui", "no": "non"}[y] + ", " + s.fr, s.q, s.kind, s.timed)
    return s


# ---------------------------------------------------------------------------------------------------
# word sequences with no grammar
# ---------------------------------------------------------------------------------------------------
SALAD_SKIP = {"o'clock", "hundred", "thousand", "half", "quarter", "past"} | set(NUM_WORDS) | set(TENS.values())
SALAD_WORDS = [r[0] for r in VOCAB if r[0] not in SALAD_SKIP]


def salad(r):
    """3-12 vocabulary words in random order (numbers and clock times as units, never next to each other).
    Targets: the formatted words; es/fr: comma-separated glosses of the content words (vocabulary translations,
    names and digits) in order: a list of words, not a phrase ("Billetes, nuevo, 6, sillas.")."""
    k = r.randint(3, 12)
    units = []
    while len(spoken_words(units)) < k:
        if r.random() < 0.1 and not (units and isinstance(units[-1], (Num, Clock))):
            units.append(clock(r) if r.random() < 0.4 else rnum(r, 1))
        else:
            units.append(r.choice(SALAD_WORDS))
    es, fr = [], []
    for u in units:
        if isinstance(u, (Num, Clock)):
            es.append(u.text())
            fr.append(u.text())
        elif u in NAME_G:
            es.append(u.capitalize())
            fr.append(u.capitalize())
        else:
            if ROW[u][1] != "-":
                es.append(ROW[u][1])
            if ROW[u][2] != "-":
                fr.append(ROW[u][2])
    if not es or not fr or len(spoken_words(units)) > MAX_WORDS:
        return salad(r)
    return S(units, ", ".join(es), ", ".join(fr), False, "salad")


# ---------------------------------------------------------------------------------------------------
# rendering
# ---------------------------------------------------------------------------------------------------
def spoken_words(pieces):
    out = []
    for p in pieces:
        if isinstance(p, (Num, Clock)):
            out += p.spoken()
        elif p != COMMA:
            out.append(p)
    return out


def format_en(pieces, question):
    words = []
    for p in pieces:
        if isinstance(p, (Num, Clock)):
            words.append(p.text())
        elif p == COMMA:
            words[-1] += ","
        elif p in CAPITALISED:
            words.append("I" if p == "i" else p.capitalize())
        else:
            words.append(p)
    s = " ".join(words)
    return s[0].upper() + s[1:] + ("?" if question else ".")


def finish(s, question, lang):
    s = " ".join(s.split())
    if lang == "es":
        s = fix_es(s)
        if question and not s.startswith("¿"):
            s = "¿" + s + ("" if s.endswith("?") else "?")
    else:
        s = elide(s)
        if question and not s.endswith("?"):
            s += " ?"
    if s.startswith("¿"):
        s = "¿" + s[1].upper() + s[2:]
    else:
        s = s[0].upper() + s[1:]
    if not s.endswith(("?", ".")):
        s += "."
    return s


_EXCLUDED = None


def excluded():
    """Spoken forms of every development and test sentence (testset/*.tsv): never generated."""
    global _EXCLUDED
    if _EXCLUDED is None:
        _EXCLUDED = set()
        for p in EXCLUDED_PATHS:
            if os.path.exists(p):
                _EXCLUDED |= {" ".join(row["spoken"].split()) for row in read_tsv(p)}
    return _EXCLUDED


def read_tsv(path):
    """Rows of a TSV file with a header line, as dicts."""
    f = open(path, encoding="utf-8")
    head = f.readline().rstrip("\n").split("\t")
    return [dict(zip(head, line.rstrip("\n").split("\t"))) for line in f if line.strip()]


def render(s):
    words = spoken_words(s.en)
    return dict(spoken=" ".join(words), en=format_en(s.en, s.q), es=finish(s.es, s.q, "es"),
                fr=finish(s.fr, s.q, "fr"), words=words, kind="salad" if s.kind == "salad" else "grammar",
                pieces=s.en)


def generate(r, salad_share=0.0):
    """One sentence: grammatical, or (with probability salad_share) a grammar-free word sequence. Never a
    development or test sentence; always 3-15 spoken words."""
    ex = excluded()
    while True:
        s = salad(r) if salad_share and r.random() < salad_share else sentence(r)
        g = render(s)
        if MIN_WORDS <= len(g["words"]) <= MAX_WORDS and g["spoken"] not in ex:
            del g["pieces"]
            return g


def generate_training(r, salad_share=SALAD_SHARE):
    """What synth.py draws training sentences from: grammatical ones plus a share of word salad."""
    return generate(r, salad_share)


if __name__ == "__main__":
    import sys
    r = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    for _ in range(int(sys.argv[2]) if len(sys.argv) > 2 else 30):
        g = generate_training(r)
        print(g["spoken"])
        print("  ", g["en"])
        print("  ", g["es"])
        print("  ", g["fr"])
