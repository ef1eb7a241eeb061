"""Sentence generator for the Verbatim demo model.

Every sentence is built from the words in vocabulary.tsv only, in ordinary English word order, and is
rendered four ways: the words as spoken (what espeak-ng reads), formatted English (sentence case, final
punctuation, numerals and clock times as digits), Spanish and French.

Translation conventions (kept simple and consistent on purpose, see MODEL_CARD.md):
- every content word with a translation in vocabulary.tsv is rendered with exactly that form (adjectives
  are NOT inflected for gender or number; they follow the noun in both languages);
- names stay as they are; numbers and clock times stay as digits, exactly as in the English text.
"""
import random

# ---------------------------------------------------------------------------------------------------
# lexicon
# ---------------------------------------------------------------------------------------------------
NUM_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
             "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
             "nineteen"]
TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy", 8: "eighty",
        9: "ninety"}
ES_NUM = {"one": "uno", "two": "dos", "three": "tres", "four": "cuatro", "five": "cinco", "six": "seis",
          "seven": "siete", "eight": "ocho", "nine": "nueve", "ten": "diez", "eleven": "once",
          "twelve": "doce"}
FR_NUM = {"one": "un", "two": "deux", "three": "trois", "four": "quatre", "five": "cinq", "six": "six",
          "seven": "sept", "eight": "huit", "nine": "neuf", "ten": "dix", "eleven": "onze",
          "twelve": "douze"}


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


# noun: english singular, english plural (None = no plural), es sg, es pl, es gender, fr sg, fr pl, fr gender
# kind: obj (portable), dev (device/switchable), event, mass, place
N = {}


def noun(key, en_pl, es, es_pl, es_g, fr, fr_pl, fr_g, kind, plural_only=False):
    N[key] = dict(en=key, en_pl=en_pl, es=es, es_pl=es_pl, es_g=es_g, fr=fr, fr_pl=fr_pl, fr_g=fr_g,
                  kind=kind, plural_only=plural_only)


noun("box", "boxes", "caja", "cajas", "f", "boîte", "boîtes", "f", "obj")
noun("ball", None, "pelota", None, "f", "balle", None, "f", "obj")
noun("cup", "cups", "taza", "tazas", "f", "tasse", "tasses", "f", "obj")
noun("book", "books", "libro", "libros", "m", "livre", "livres", "m", "obj")
noun("chair", "chairs", "silla", "sillas", "f", "chaise", "chaises", "f", "obj")
noun("table", None, "mesa", None, "f", "table", None, "f", "obj")
noun("lamp", None, "lámpara", None, "f", "lampe", None, "f", "obj")
noun("key", "keys", "llave", "llaves", "f", "clé", "clés", "f", "obj")
noun("phone", None, "teléfono", None, "m", "téléphone", None, "m", "obj")
noun("bottle", "bottles", "botella", "botellas", "f", "bouteille", "bouteilles", "f", "obj")
noun("bag", None, "bolsa", None, "f", "sac", None, "m", "obj")
noun("hat", None, "sombrero", None, "m", "chapeau", None, "m", "obj")
noun("shoes", "shoes", "zapatos", "zapatos", "m", "chaussures", "chaussures", "f", "obj", True)
noun("pen", None, "bolígrafo", None, "m", "stylo", None, "m", "obj")
noun("clock", None, "reloj", None, "m", "horloge", None, "f", "obj")
noun("letter", None, "carta", None, "f", "lettre", None, "f", "doc")
noun("ticket", "tickets", "billete", "billetes", "m", "billet", "billets", "m", "obj")
noun("apples", "apples", "manzanas", "manzanas", "f", "pommes", "pommes", "f", "obj", True)
noun("bread", None, "pan", None, "m", "pain", None, "m", "mass")
noun("coffee", None, "café", None, "m", "café", None, "m", "mass")
noun("tea", None, "té", None, "m", "thé", None, "m", "mass")
noun("water", None, "agua", None, "f", "eau", None, "f", "mass")
noun("report", None, "informe", None, "m", "rapport", None, "m", "doc")
noun("email", None, "correo", None, "m", "e-mail", None, "m", "doc")
noun("message", None, "mensaje", None, "m", "message", None, "m", "doc")
noun("photo", None, "foto", None, "f", "photo", None, "f", "doc")
noun("song", None, "canción", None, "f", "chanson", None, "f", "media")
noun("music", None, "música", None, "f", "musique", None, "f", "media")
noun("window", None, "ventana", None, "f", "fenêtre", None, "f", "fix")
noun("door", None, "puerta", None, "f", "porte", None, "f", "fix")
noun("car", None, "coche", None, "m", "voiture", None, "f", "vehicle")
noun("bike", None, "bicicleta", None, "f", "vélo", None, "m", "vehicle")
noun("alarm", None, "alarma", None, "f", "alarme", None, "f", "dev")
noun("lights", "lights", "luces", "luces", "f", "lumières", "lumières", "f", "dev", True)
noun("heater", None, "calefacción", None, "f", "chauffage", None, "m", "dev")
noun("radio", None, "radio", None, "f", "radio", None, "f", "dev")
noun("timer", None, "temporizador", None, "m", "minuteur", None, "m", "dev")
noun("reminder", None, "recordatorio", None, "m", "rappel", None, "m", "event")
noun("meeting", None, "reunión", None, "f", "réunion", None, "f", "event")
noun("train", None, "tren", None, "m", "train", None, "m", "transport")
noun("bus", None, "autobús", None, "m", "bus", None, "m", "transport")
noun("flight", None, "vuelo", None, "m", "vol", None, "m", "transport")
# places
noun("kitchen", None, "cocina", None, "f", "cuisine", None, "f", "place")
noun("garden", None, "jardín", None, "m", "jardin", None, "m", "place")
noun("garage", None, "garaje", None, "m", "garage", None, "m", "place")
noun("bedroom", None, "dormitorio", None, "m", "chambre", None, "f", "place")
noun("office", None, "oficina", None, "f", "bureau", None, "m", "place")
noun("station", None, "estación", None, "f", "gare", None, "f", "place")
noun("market", None, "mercado", None, "m", "marché", None, "m", "place")
noun("school", None, "escuela", None, "f", "école", None, "f", "place")
noun("park", None, "parque", None, "m", "parc", None, "m", "place")
noun("museum", None, "museo", None, "m", "musée", None, "m", "place")
noun("library", None, "biblioteca", None, "f", "bibliothèque", None, "f", "place")
noun("airport", None, "aeropuerto", None, "m", "aéroport", None, "m", "place")
noun("hotel", None, "hotel", None, "m", "hôtel", None, "m", "place")
noun("hospital", None, "hospital", None, "m", "hôpital", None, "m", "place")
noun("bank", None, "banco", None, "m", "banque", None, "f", "place")
noun("city", None, "ciudad", None, "f", "ville", None, "f", "place")
noun("street", None, "calle", None, "f", "rue", None, "f", "place")
noun("room", None, "habitación", None, "f", "pièce", None, "f", "place")
noun("house", None, "casa", None, "f", "maison", None, "f", "place")
noun("hall", None, "pasillo", None, "m", "couloir", None, "m", "place")

PORTABLE = [k for k, v in N.items() if v["kind"] in ("obj", "doc")]
COUNTABLE = [k for k, v in N.items() if v["kind"] == "obj" and v["en_pl"] and not v["plural_only"]]
THINGS = [k for k, v in N.items() if v["kind"] in ("obj", "doc", "fix", "vehicle", "mass")]
COLOURABLE = [k for k, v in N.items() if v["kind"] in ("obj", "fix", "vehicle")]
PLACES = [k for k, v in N.items() if v["kind"] == "place"]
INDOOR = ["kitchen", "garage", "bedroom", "office", "room", "house", "hall", "hotel", "library",
          "museum", "station", "school", "bank", "hospital", "airport"]
DEVICES = ["lights", "heater", "radio"]
DOCS = ["letter", "report", "email", "message", "book"]
EVENTS = ["meeting", "train", "bus", "flight"]

COLOURS = {"red": ("rojo", "rouge"), "green": ("verde", "vert"), "blue": ("azul", "bleu"),
           "yellow": ("amarillo", "jaune"), "black": ("negro", "noir"), "white": ("blanco", "blanc"),
           "orange": ("naranja", "orange"), "purple": ("morado", "violet"), "pink": ("rosa", "rose"),
           "brown": ("marrón", "marron"), "gray": ("gris", "gris")}
SIZES = {"big": ("grande", "grand"), "small": ("pequeño", "petit"), "new": ("nuevo", "nouveau"),
         "old": ("viejo", "vieux")}
NAMES = ["alice", "bob", "carol", "david", "emma", "frank", "grace", "henry", "olivia", "peter", "sarah",
         "tom"]
DAYS = {"monday": ("lunes", "lundi"), "tuesday": ("martes", "mardi"),
        "wednesday": ("miércoles", "mercredi"), "thursday": ("jueves", "jeudi"),
        "friday": ("viernes", "vendredi"), "saturday": ("sábado", "samedi"),
        "sunday": ("domingo", "dimanche")}
MONTHS = {"january": ("enero", "janvier"), "february": ("febrero", "février"), "march": ("marzo", "mars"),
          "april": ("abril", "avril"), "may": ("mayo", "mai"), "june": ("junio", "juin"),
          "july": ("julio", "juillet"), "august": ("agosto", "août"),
          "september": ("septiembre", "septembre"), "october": ("octubre", "octobre"),
          "november": ("noviembre", "novembre"), "december": ("diciembre", "décembre")}
CAPITALISED = set(NAMES) | set(DAYS) | set(MONTHS) | {"i"}

VOWELS_FR = tuple("aeiouhâàéèêëîïôöûùüœAEIOUHÉ")


# ---------------------------------------------------------------------------------------------------
# phrase helpers: each returns (en_pieces, es_str, fr_str)
# ---------------------------------------------------------------------------------------------------
def es_art(n, plural, definite=True):
    g = N[n]["es_g"]
    if definite:
        if plural:
            return "los" if g == "m" else "las"
        if n == "water":
            return "el"
        return "el" if g == "m" else "la"
    if plural:
        return "unos" if g == "m" else "unas"
    return "un" if g == "m" else "una"


def fr_art(n, plural, definite=True, word=None):
    g = N[n]["fr_g"]
    if definite:
        if plural:
            return "les"
        w = word or N[n]["fr"]
        if w.startswith(VOWELS_FR):
            return "l'"
        return "le" if g == "m" else "la"
    if plural:
        return "des"
    return "un" if g == "m" else "une"


def join_fr(a, b):
    if a.endswith("'"):
        return a + b
    return a + " " + b


def fix_es(s):
    s = (" " + s + " ").replace(" a el ", " al ").replace(" de el ", " del ")
    return s.strip()


def fix_fr(s):
    s = " " + s + " "
    for a, b in ((" à le ", " au "), (" à les ", " aux "), (" de le ", " du "), (" de les ", " des ")):
        s = s.replace(a, b)
    for w in ("de", "je", "que", "ne"):
        for v in VOWELS_FR:
            s = s.replace(" %s %s" % (w, v), " %s'%s" % (w[:-1], v))
    return s.strip()


def np_(r, n=None, plural=None, adj=True, definite=True, owner=None, allow_num=False):
    """Noun phrase. Returns en pieces, es, fr, and the noun key."""
    n = n or r.choice(THINGS)
    info = N[n]
    if plural is None:
        plural = info["plural_only"] or (info["en_pl"] is not None and r.random() < 0.3)
    if info["plural_only"]:
        plural = True
    en_n = info["en_pl"] if plural else n
    es_n = info["es_pl"] if plural and info["es_pl"] else info["es"]
    fr_n = info["fr_pl"] if plural and info["fr_pl"] else info["fr"]
    adjs = []
    if adj and info["kind"] in ("obj", "fix", "vehicle", "doc"):
        p = r.random()
        if p < 0.45 and n in COLOURABLE:
            adjs = [r.choice(list(COLOURS))]
        elif p < 0.6:
            adjs = [r.choice(list(SIZES))]
        elif p < 0.7 and n in COLOURABLE:
            adjs = [r.choice(list(SIZES)), r.choice(list(COLOURS))]
    tr = lambda a, i: (COLOURS.get(a) or SIZES.get(a))[i]
    es_adj = " ".join(tr(a, 0) for a in adjs[::-1] if a in SIZES) + " " + \
        " ".join(tr(a, 0) for a in adjs if a in COLOURS)
    fr_adj = " ".join(tr(a, 1) for a in adjs[::-1] if a in SIZES) + " " + \
        " ".join(tr(a, 1) for a in adjs if a in COLOURS)
    es_np = (es_n + " " + " ".join(tr(a, 0) for a in adjs)).strip()
    fr_np = (fr_n + " " + " ".join(tr(a, 1) for a in adjs)).strip()
    del es_adj, fr_adj
    if owner is not None:
        # owner: (en, es_sg, es_pl, fr_m, fr_f, fr_pl)
        en = [owner[0]] + adjs + [en_n]
        es = (owner[2] if plural else owner[1]) + " " + es_np
        fr_o = owner[5] if plural else (owner[3] if (info["fr_g"] == "m" or fr_n.startswith(VOWELS_FR))
                                         else owner[4])
        fr = fr_o + " " + fr_np
        return en, es, fr, n, plural
    if definite:
        en = ["the"] + adjs + [en_n]
        es = es_art(n, plural) + " " + es_np
        fr = join_fr(fr_art(n, plural, word=fr_n), fr_np)
    else:
        if plural:
            if allow_num:
                k = rnum(r, 2)
                en = [k] + adjs + [en_n]
                es = k.text() + " " + es_np
                fr = k.text() + " " + fr_np
                return en, es, fr, n, plural
            en = ["some"] + adjs + [en_n]
            es = es_art(n, True, False) + " " + es_np
            fr = "des " + fr_np
        elif info["kind"] == "mass":
            en = adjs + [en_n]
            es = es_np
            fr = join_fr("de l'" if fr_n.startswith(VOWELS_FR) else ("du" if info["fr_g"] == "m" else "de la"),
                         fr_np).replace("de l' ", "de l'")
        else:
            first = (adjs + [en_n])[0]
            en = ["an" if first[0] in "aeio" else "a"] + adjs + [en_n]
            es = es_art(n, False, False) + " " + es_np
            fr = fr_art(n, False, False) + " " + fr_np
    return en, es, fr, n, plural


OWNERS = {"my": ("my", "mi", "mis", "mon", "ma", "mes"), "your": ("your", "tu", "tus", "ton", "ta", "tes"),
          "his": ("his", "su", "sus", "son", "sa", "ses"), "her": ("her", "su", "sus", "son", "sa", "ses"),
          "our": ("our", "nuestro", "nuestros", "notre", "notre", "nos"),
          "their": ("their", "su", "sus", "leur", "leur", "leurs")}


def rnum(r, lo=2):
    p = r.random()
    if p < 0.55:
        n = r.randint(lo, 20)
    elif p < 0.85:
        n = r.randint(21, 99)
    elif p < 0.95:
        n = r.choice([100, 200, 300, 400, 500, 600, 700, 800, 900]) + r.choice([0, 0, 0, 10, 20, 25, 50, 75])
    else:
        n = r.choice([1000, 2000, 3000, 5000, 1500, 2500])
    return Num(n)


def place(r, p=None, prep="to"):
    """'to the kitchen' / 'in the garden' / 'at the station'."""
    p = p or r.choice(PLACES)
    info = N[p]
    es_a = es_art(p, False)
    fr_w = info["fr"]
    fr_a = fr_art(p, False)
    fr_np = join_fr(fr_a, fr_w)
    es_np = es_a + " " + info["es"]
    en = [prep, "the", p]
    if prep == "to":
        es = "a " + es_np
        fr = "à " + fr_np
    elif prep == "in":
        es = "en " + es_np
        fr = "dans " + fr_np
    elif prep == "at":
        es = "en " + es_np
        fr = "à " + fr_np
    elif prep == "from":
        es = "de " + es_np
        fr = "de " + fr_np
    return en, fix_es(es), fix_fr(fr), p


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


def time_phrase(r, allow_clock=True):
    """A time expression (en pieces, es, fr)."""
    p = r.random()
    if allow_clock and p < 0.38:
        c = clock(r)
        es = ("a la " if c.h == 1 else "a las ") + c.text()
        fr = "à " + c.text()
        en = ["at", c]
        if r.random() < 0.1:
            en = ["before", c]
            es = ("antes de la " if c.h == 1 else "antes de las ") + c.text()
            fr = "avant " + c.text()
        q = r.random()
        if q < 0.15:
            en += ["in", "the", "morning"]; es += " de la mañana"; fr += " du matin"
        elif q < 0.25:
            en += ["in", "the", "afternoon"]; es += " de la tarde"; fr += " de l'après-midi"
        elif q < 0.35:
            en += ["in", "the", "evening"]; es += " de la tarde"; fr += " du soir"
        elif q < 0.5:
            d = r.choice(list(DAYS))
            en += ["on", d]; es += " el " + DAYS[d][0]; fr += " " + DAYS[d][1]
        elif q < 0.6:
            t = r.choice(["today", "tomorrow", "tonight"])
            en += [t]; es += " " + {"today": "hoy", "tomorrow": "mañana", "tonight": "esta noche"}[t]
            fr += " " + {"today": "aujourd'hui", "tomorrow": "demain", "tonight": "ce soir"}[t]
        return en, es, fr
    if allow_clock and p < 0.46:
        h = r.choice(list(ES_NUM))
        kind = r.choice(["half", "quarter past", "quarter to"])
        hn = NUM_WORDS.index(h)
        es_h = "una" if hn == 1 else ES_NUM[h]
        fr_h = "une heure" if hn == 1 else FR_NUM[h] + " heures"
        art = "la" if hn == 1 else "las"
        if kind == "half":
            return (["at", "half", "past", h], "a %s %s y media" % (art, es_h), "à %s et demie" % fr_h)
        if kind == "quarter past":
            return (["at", "a", "quarter", "past", h], "a %s %s y cuarto" % (art, es_h),
                    "à %s et quart" % fr_h)
        return (["at", "a", "quarter", "to", h], "a %s %s menos cuarto" % (art, es_h),
                "à %s moins le quart" % fr_h)
    if p < 0.52:
        w = r.choice(["noon", "midnight"])
        if r.random() < 0.2:
            return (["before", w], "antes del " + {"noon": "mediodía", "midnight": "medianoche"}[w].replace(
                "del medianoche", "de la medianoche"), "avant " + {"noon": "midi", "midnight": "minuit"}[w])
        return (["at", w], "a " + {"noon": "mediodía", "midnight": "medianoche"}[w],
                "à " + {"noon": "midi", "midnight": "minuit"}[w])
    if p < 0.62:
        d = r.choice(list(DAYS))
        q = r.random()
        if q < 0.5:
            return ["on", d], "el " + DAYS[d][0], DAYS[d][1]
        if q < 0.75:
            return ["next", d], "el próximo " + DAYS[d][0], DAYS[d][1] + " prochain"
        part = r.choice(["morning", "afternoon", "evening"])
        es_p = {"morning": "por la mañana", "afternoon": "por la tarde", "evening": "por la tarde"}[part]
        fr_p = {"morning": "matin", "afternoon": "après-midi", "evening": "soir"}[part]
        return ["on", d, part], "el %s %s" % (DAYS[d][0], es_p), "%s %s" % (DAYS[d][1], fr_p)
    if p < 0.72:
        t = r.choice(["today", "tomorrow", "tonight", "yesterday"])
        es = {"today": "hoy", "tomorrow": "mañana", "tonight": "esta noche", "yesterday": "ayer"}[t]
        fr = {"today": "aujourd'hui", "tomorrow": "demain", "tonight": "ce soir", "yesterday": "hier"}[t]
        if t in ("tomorrow", "yesterday") and r.random() < 0.5:
            part = r.choice(["morning", "afternoon", "evening"])
            es += " " + {"morning": "por la mañana", "afternoon": "por la tarde", "evening": "por la tarde"}[part]
            fr += " " + {"morning": "matin", "afternoon": "après-midi", "evening": "soir"}[part]
            return [t, part], es, fr
        return [t], es, fr
    if p < 0.8:
        u = r.choice(["week", "month", "year"])
        w = r.choice(["next", "last"])
        es_u = {"week": ("la", "semana", "próxima", "pasada"), "month": ("el", "mes", "próximo", "pasado"),
                "year": ("el", "año", "próximo", "pasado")}[u]
        fr_u = {"week": ("la semaine", "prochaine", "dernière"), "month": ("le mois", "prochain", "dernier"),
                "year": ("l'année", "prochaine", "dernière")}[u]
        if w == "next":
            return [w, u], "%s %s %s" % (es_u[0], es_u[2], es_u[1]), "%s %s" % (fr_u[0], fr_u[1])
        return [w, u], "%s %s %s" % (es_u[0], es_u[1], es_u[3]), "%s %s" % (fr_u[0], fr_u[2])
    if p < 0.88:
        m = r.choice(list(MONTHS))
        return ["in", m], "en " + MONTHS[m][0], "en " + MONTHS[m][1]
    if p < 0.96:
        u = r.choice(["minutes", "hours", "days"])
        k = Num(r.choice([2, 3, 4, 5, 10, 15, 20, 30, 40, 45]) if u == "minutes" else r.randint(2, 12))
        es_u = {"minutes": "minutos", "hours": "horas", "days": "días"}[u]
        fr_u = {"minutes": "minutes", "hours": "heures", "days": "jours"}[u]
        return ["in", k, u], "en %s %s" % (k.text(), es_u), "dans %s %s" % (k.text(), fr_u)
    w = r.choice(["early", "late"])
    return ([w, "in", "the", "morning"], "%s por la mañana" % {"early": "temprano", "late": "tarde"}[w],
            "%s le matin" % {"early": "tôt", "late": "tard"}[w])


def maybe_time(r, p=0.5, allow_clock=True):
    if r.random() < p:
        return time_phrase(r, allow_clock)
    return [], "", ""


# subjects: en, en 3rd person?, es person index, fr subject
SUBJ = {"i": (False, 0, "je"), "you": (False, 1, "vous"), "we": (False, 2, "nous"), "they": (False, 3, "ils"),
        "he": (True, 4, "il"), "she": (True, 4, "elle")}
ES_VERB = {  # 1sg, 2sg(tú), 1pl, 3pl, 3sg
    "need": ["necesito", "necesitas", "necesitamos", "necesitan", "necesita"],
    "want": ["quiero", "quieres", "queremos", "quieren", "quiere"],
    "have": ["tengo", "tienes", "tenemos", "tienen", "tiene"],
    "see": ["veo", "ves", "vemos", "ven", "ve"],
    "buy": ["compro", "compras", "compramos", "compran", "compra"],
}
FR_VERB = {  # je, vous, nous, ils, il/elle
    "need": ["ai besoin de", "avez besoin de", "avons besoin de", "ont besoin de", "a besoin de"],
    "want": ["veux", "voulez", "voulons", "veulent", "veut"],
    "have": ["ai", "avez", "avons", "ont", "a"],
    "see": ["vois", "voyez", "voyons", "voient", "voit"],
    "buy": ["achète", "achetez", "achetons", "achètent", "achète"],
}
EN_3SG = {"need": "needs", "want": "wants", "have": "has", "like": "likes", "see": "sees", "buy": "buys"}


def subject(r, allow_name=True):
    if allow_name and r.random() < 0.45:
        nm = r.choice(NAMES)
        return [nm], True, 4, nm.capitalize(), nm.capitalize()
    s = r.choice(list(SUBJ))
    third, idx, fr = SUBJ[s]
    return [s], third, idx, None, fr


# ---------------------------------------------------------------------------------------------------
# sentence structures
# ---------------------------------------------------------------------------------------------------
IMP = {  # english verb: (es imperative tú, fr imperative vous)
    "bring": ("trae", "apportez"), "move": ("mueve", "déplacez"), "take": ("lleva", "prenez"),
    "put": ("pon", "mettez"), "send": ("envía", "envoyez"), "find": ("busca", "trouvez"),
    "open": ("abre", "ouvrez"), "close": ("cierra", "fermez"), "buy": ("compra", "achetez"),
    "clean": ("limpia", "nettoyez"), "fix": ("arregla", "réparez"), "check": ("revisa", "vérifiez"),
    "read": ("lee", "lisez"), "write": ("escribe", "écrivez"), "call": ("llama a", "appelez"),
    "meet": ("reúnete con", "retrouvez"), "play": ("pon", "jouez"), "start": ("inicia", "démarrez"),
    "stop": ("para", "arrêtez"), "cancel": ("cancela", "annulez"), "set": ("pon", "réglez"),
    "leave": ("deja", "laissez"), "wait": ("espera a", "attendez"),
}


class S:
    def __init__(self, en, es, fr, q=False):
        self.en, self.es, self.fr, self.q = en, es, fr, q


def please(r, en, es, fr, p=0.4):
    if r.random() < p:
        if r.random() < 0.8:
            return ["please"] + en, "por favor, " + es, "s'il vous plaît, " + fr
        return en + ["please"], es + ", por favor", fr + ", s'il vous plaît"
    return en, es, fr


def cat(*parts):
    return " ".join(p for p in parts if p)


def s_move(r):
    v = r.choice(["bring", "move", "take", "put", "leave"])
    e, es, fr, n, pl = np_(r, r.choice(PORTABLE))
    prep = "in" if v in ("put", "leave") else "to"
    if v in ("put", "leave") and r.random() < 0.3:
        tgt = np_(r, r.choice(["box", "bag", "table", "chair"]), plural=False)
        prep_en = "on" if tgt[3] in ("table", "chair") else "in"
        pe, pes, pfr = [prep_en] + tgt[0], ("en " + tgt[1]), ("sur " if prep_en == "on" else "dans ") + tgt[2]
    else:
        pe, pes, pfr, _ = place(r, prep=prep)
    if v in ("bring", "move", "take") and r.random() < 0.2:
        fe, fes, ffr, fp = place(r, prep="from")
        pe, pes, pfr, _ = place(r, r.choice([x for x in PLACES if x != fp]), prep="to")
        pe, pes, pfr = fe + pe, fes + " " + pes, ffr + " " + pfr
    elif v in ("put", "leave", "bring") and r.random() < 0.12:
        w = r.choice(["here", "there"])
        pe, pes, pfr = [w], {"here": "aquí", "there": "allí"}[w], {"here": "ici", "there": "là"}[w]
    te, tes, tfr = maybe_time(r, 0.45)
    en = [v] + e + pe + te
    es_ = cat(IMP[v][0], es, pes, tes)
    fr_ = cat(IMP[v][1], fr, pfr, tfr)
    return S(*please(r, en, fix_es(es_), fix_fr(fr_)))


def s_give(r):
    v = r.choice(["bring", "send", "take"])
    nm = r.choice(NAMES)
    e, es, fr, n, pl = np_(r, r.choice(PORTABLE))
    te, tes, tfr = maybe_time(r, 0.35)
    if r.random() < 0.5:
        en = [v] + e + ["to", nm] + te
    else:
        en = [v, nm] + e + te
    es_ = cat(IMP[v][0], es, "a", nm.capitalize(), tes)
    fr_ = cat(IMP[v][1], fr, "à", nm.capitalize(), tfr)
    return S(*please(r, en, fix_es(es_), fix_fr(fr_)))


def s_object_action(r):
    v = r.choice(["open", "close", "find", "buy", "clean", "fix", "check", "read", "write", "bring"])
    pool = {"open": ["door", "window", "box", "bag", "book", "letter", "email", "message", "bottle"],
            "close": ["door", "window", "box", "bag", "book"],
            "read": ["book", "letter", "report", "email", "message"],
            "write": ["letter", "report", "email", "message"],
            "fix": ["door", "window", "lamp", "clock", "car", "bike", "phone", "chair", "table", "heater",
                    "radio"],
            "clean": ["kitchen", "room", "bedroom", "garage", "car", "table", "window", "cup", "shoes"]}.get(v)
    if v == "clean" and pool and r.random() < 0.4:
        n = r.choice(["kitchen", "room", "bedroom", "garage", "office", "hall"])
        e, es, fr = ["the", n], es_art(n, False) + " " + N[n]["es"], join_fr(fr_art(n, False), N[n]["fr"])
    else:
        n = r.choice(pool) if pool else r.choice(PORTABLE + ["car", "bike"])
        definite = r.random() < 0.7 or v in ("open", "close", "fix", "clean", "check", "read")
        e, es, fr, n, pl = np_(r, n, definite=definite, allow_num=(v == "buy"))
    extra = [], "", ""
    q = r.random()
    if q < 0.3:
        extra = place(r, prep="in")[:3]
    elif q < 0.45 and v in ("write", "buy", "find"):
        nm = r.choice(NAMES)
        extra = ["for", nm], "para " + nm.capitalize(), "pour " + nm.capitalize()
    te, tes, tfr = maybe_time(r, 0.35)
    en = [v] + e + extra[0] + te
    es_ = cat(IMP[v][0], es, extra[1], tes)
    fr_ = cat(IMP[v][1], fr, extra[2], tfr)
    return S(*please(r, en, fix_es(es_), fix_fr(fr_)))


def s_call(r):
    v = r.choice(["call", "meet", "wait"])
    nm = r.choice(NAMES)
    pe, pes, pfr = [], "", ""
    if v == "meet" or r.random() < 0.3:
        pe, pes, pfr, _ = place(r, prep="at")
    te, tes, tfr = maybe_time(r, 0.6)
    en = [v] + (["for"] if v == "wait" else []) + [nm] + pe + te
    es_ = cat(IMP[v][0], nm.capitalize(), pes, tes)
    fr_ = cat(IMP[v][1], nm.capitalize(), pfr, tfr)
    return S(*please(r, en, fix_es(es_), fix_fr(fr_)))


def s_device(r):
    p = r.random()
    if p < 0.45:
        d = r.choice(DEVICES)
        on = r.random() < 0.5
        pe, pes, pfr = [], "", ""
        if r.random() < 0.5:
            pe, pes, pfr, _ = place(r, prep="in")
        en = ["turn", "on" if on else "off", "the", d] + pe
        if r.random() < 0.4:
            en = ["turn", "the", d, "on" if on else "off"] + pe
        es_ = cat("enciende" if on else "apaga", es_art(d, d == "lights"), N[d]["es"], pes)
        fr_ = cat("allumez" if on else "éteignez", join_fr(fr_art(d, d == "lights"), N[d]["fr"]), pfr)
        te, tes, tfr = maybe_time(r, 0.3)
        return S(*please(r, en + te, fix_es(cat(es_, tes)), fix_fr(cat(fr_, tfr))))
    if p < 0.65:
        te, tes, tfr = time_phrase(r)
        if te[0] != "at":
            c = clock(r)
            te, tes, tfr = ["at", c], ("a la " if c.h == 1 else "a las ") + c.text(), "à " + c.text()
        en = ["set", "an", "alarm", "for"] + te[1:]
        es_ = "pon una alarma para " + tes[2:].strip()
        fr_ = "réglez une alarme pour " + tfr[2:].strip()
        return S(*please(r, en, fix_es(es_), fix_fr(fr_)))
    if p < 0.8:
        k = Num(r.choice([1, 2, 3, 5, 10, 15, 20, 25, 30, 40, 45, 60, 90]))
        u = r.choice(["minutes", "minutes", "hours"]) if k.n > 1 else r.choice(["minute", "hour"])
        es_u = {"minutes": "minutos", "hours": "horas", "minute": "minuto", "hour": "hora"}[u]
        fr_u = {"minutes": "minutes", "hours": "heures", "minute": "minute", "hour": "heure"}[u]
        en = ["set", "a", "timer", "for", k, u]
        return S(*please(r, en, "pon un temporizador de %s %s" % (k.text(), es_u),
                         "réglez un minuteur de %s %s" % (k.text(), fr_u)))
    v = r.choice(["start", "stop", "cancel", "play", "check"])
    obj = {"start": ["timer", "meeting", "music", "radio", "car"], "stop": ["timer", "alarm", "music", "radio",
                                                                          "car", "bus", "train"],
           "cancel": ["meeting", "alarm", "reminder", "flight", "timer"], "play": ["song", "music", "radio"],
           "check": ["timer", "alarm", "reminder", "flight", "train", "bus", "meeting"]}[v]
    n = r.choice(obj)
    owner = OWNERS[r.choice(list(OWNERS))] if r.random() < 0.3 else None
    e, es, fr, n, pl = np_(r, n, plural=False, adj=False, owner=owner)
    te, tes, tfr = maybe_time(r, 0.3) if v in ("cancel", "start", "check") else ([], "", "")
    return S(*please(r, [v] + e + te, fix_es(cat(IMP[v][0], es, tes)), fix_fr(cat(IMP[v][1], fr, tfr))))


def s_where(r):
    p = r.random()
    owner = OWNERS[r.choice(list(OWNERS))] if r.random() < 0.4 else None
    n = r.choice(PORTABLE + ["car", "bike"])
    e, es, fr, n, pl = np_(r, n, owner=owner)
    if p < 0.7:
        en = ["where", "are" if pl else "is"] + e
        return S(en, "¿Dónde %s %s?" % ("están" if pl else "está", es), "Où %s %s ?" %
                 ("sont" if pl else "est", fr), True)
    nm = r.choice(NAMES)
    en = ["where", "is", nm]
    return S(en, "¿Dónde está %s?" % nm.capitalize(), "Où est %s ?" % nm.capitalize(), True)


def s_location(r):
    """The keys are in the kitchen. / Alice is at the station."""
    if r.random() < 0.55:
        owner = OWNERS[r.choice(list(OWNERS))] if r.random() < 0.35 else None
        e, es, fr, n, pl = np_(r, r.choice(PORTABLE + ["car", "bike"]), owner=owner)
        be = "are" if pl else "is"
        es_be, fr_be = ("están" if pl else "está"), ("sont" if pl else "est")
    else:
        nm = r.choice(NAMES)
        e, es, fr = [nm], nm.capitalize(), nm.capitalize()
        be, es_be, fr_be = "is", "está", "est"
        if r.random() < 0.25:
            nm2 = r.choice([x for x in NAMES if x != nm])
            pe, pes, pfr, _ = place(r, prep=r.choice(["in", "at"]))
            if r.random() < 0.5:
                pe, pes, pfr = [], "", ""
            return S(e + ["is", "with", nm2] + pe, fix_es(cat(es, "está con", nm2.capitalize(), pes)),
                     fix_fr(cat(fr, "est avec", nm2.capitalize(), pfr)))
    q = r.random()
    if q < 0.25 and e[0] != e[-1]:
        tgt = np_(r, r.choice(["table", "chair", "box", "bag"]), plural=False)
        on = tgt[3] in ("table", "chair")
        pe, pes, pfr = (["on"] if on else ["in"]) + tgt[0], "en " + tgt[1], ("sur " if on else "dans ") + tgt[2]
    else:
        pe, pes, pfr, _ = place(r, prep=r.choice(["in", "at"]))
    if r.random() < 0.3:
        # question form
        en = [be] + e + pe
        return S(en, "¿" + fix_es(cat(es_be, es, pes)) + "?", fix_fr(cat(fr_be, "-ce que", fr, fr_be, pfr))
                 .replace(fr_be + "-ce que", "Est-ce que", 1) + " ?", True)
    neg = r.random() < 0.15
    en = e + [be] + (["not"] if neg else []) + pe
    es_ = cat(es, ("no " if neg else "") + es_be, pes)
    fr_ = cat(fr, (("n'" if fr_be == "est" else "ne ") + fr_be + " pas") if neg else fr_be, pfr)
    return S(en, fix_es(es_), fix_fr(fr_))


def s_have(r):
    en_s, third, idx, es_name, fr_s = subject(r)
    v = r.choice(["need", "want", "have"] if third else ["need", "want", "have", "buy", "see"])
    q = r.random()
    if q < 0.5:
        n = r.choice(COUNTABLE)
        e, es, fr, n, pl = np_(r, n, plural=True, definite=False, allow_num=True)
    else:
        e, es, fr, n, pl = np_(r, r.choice(THINGS), definite=r.random() < 0.5)
    en_v = EN_3SG[v] if third else v
    es_v = ES_VERB[v][idx]
    fr_v = FR_VERB[v][idx]
    if v == "need" and fr.startswith(("des ", "un ", "une ", "du ", "de la ", "de l'")):
        fr = fr.split(" ", 1)[1] if fr.startswith(("des ", "un ", "une ", "du ")) else fr[6:] if fr.startswith(
            "de la ") else fr[5:]
    te, tes, tfr = maybe_time(r, 0.35)
    en = en_s + [en_v] + e + te
    es_ = cat(es_name, es_v, es, tes)
    fr_ = cat(fr_s, fr_v, fr, tfr)
    return S(en, fix_es(es_), fix_fr(fr_))


def s_like(r):
    en_s, third, idx, es_name, fr_s = subject(r)
    e, es, fr, n, pl = np_(r, r.choice(["coffee", "tea", "water", "bread", "apples", "music", "song", "car",
                                        "bike", "hat", "shoes", "book", "books", "photo", "house", "garden",
                                        "park", "museum", "city", "hotel"]) if False else
                           r.choice(["coffee", "tea", "water", "bread", "apples", "music", "song", "car",
                                     "bike", "hat", "shoes", "book", "photo", "house", "garden", "park",
                                     "museum", "city", "hotel", "lamp", "chair"]), definite=True)
    neg = r.random() < 0.2
    es_pron = ["me", "te", "nos", "les", "le"][idx]
    es_v = "gustan" if pl else "gusta"
    es_subj = ("a " + es_name + " ") if es_name else ""
    fr_v = ["aime", "aimez", "aimons", "aiment", "aime"][idx]
    if neg:
        en = en_s + ["do" if not third else "does", "not", "like"] + e
        es_ = es_subj + "no " + es_pron + " " + es_v + " " + es
        fr_ = fr_s + " n'" + fr_v + " pas " + fr
    else:
        en = en_s + [EN_3SG["like"] if third else "like"] + e
        es_ = es_subj + es_pron + " " + es_v + " " + es
        fr_ = fr_s + " " + fr_v + " " + fr
    return S(en, fix_es(es_), fix_fr(fr_))


def s_schedule(r):
    """The train leaves at 5:30. / The meeting starts at noon on Monday."""
    n = r.choice(EVENTS + ["museum", "bank", "library", "market", "school", "office"])
    owner = OWNERS[r.choice(list(OWNERS))] if r.random() < 0.3 and n in EVENTS else None
    e, es, fr, n, pl = np_(r, n, plural=False, adj=False, owner=owner)
    if n in ("train", "bus", "flight") and owner is None and r.random() < 0.35:
        o = r.choice(["first", "last", "next"])
        e = ["the", o, n]
        es = {"first": "el primer", "last": "el último", "next": "el próximo"}[o] + " " + N[n]["es"]
        fr = {"first": "le premier", "last": "le dernier", "next": "le prochain"}[o] + " " + N[n]["fr"]
    if n in EVENTS:
        v = r.choice(["leaves", "starts", "is"]) if n != "meeting" else r.choice(["starts", "is"])
    else:
        v = r.choice(["opens", "closes", "is closed"])
    es_v = {"leaves": "sale", "starts": "empieza", "arrives": "llega", "is": "es", "opens": "abre",
            "closes": "cierra", "is closed": "está cerrado" if N[n]["es_g"] == "m" else "está cerrada"}[v]
    fr_v = {"leaves": "part", "starts": "commence", "arrives": "arrive", "is": "est", "opens": "ouvre",
            "closes": "ferme", "is closed": "est fermé" if N[n]["fr_g"] == "m" else "est fermée"}[v]
    if v == "is closed":
        te, tes, tfr = time_phrase(r, allow_clock=False)
        if te and te[0] == "in" and not isinstance(te[1], str):
            te, tes, tfr = ["on", "sunday"], "el domingo", "dimanche"
    else:
        te, tes, tfr = time_phrase(r)
    if r.random() < 0.25 and v in ("leaves", "starts", "arrives", "opens", "closes") and te and te[0] == "at":
        # question: when does the train leave? / what time does the bank open?
        base = {"leaves": "leave", "starts": "start", "arrives": "arrive", "opens": "open", "closes": "close"}[v]
        en = (["when"] if r.random() < 0.5 else ["what", "time"]) + ["does"] + e + [base]
        es_q = "¿A qué hora " + fix_es(cat(es_v, es)) + "?"
        fr_q = "À quelle heure " + fix_fr(cat(fr_v, fr)) + " ?" if fr_v != "part" else "À quelle heure part " + fr + " ?"
        return S(en, es_q, fr_q, True)
    en = e + v.split() + te
    if r.random() < 0.2 and v in ("leaves", "starts", "arrives", "opens", "closes"):
        en = e + ["will", {"leaves": "leave", "starts": "start", "arrives": "arrive", "opens": "open",
                           "closes": "close"}[v]] + te
    return S(en, fix_es(cat(es, es_v, tes)), fix_fr(cat(fr, fr_v, tfr)))


def s_count(r):
    """There are 25 books in the library. / How many cups are there in the kitchen?"""
    n = r.choice(COUNTABLE)
    pe, pes, pfr, _ = place(r, prep="in")
    info = N[n]
    if r.random() < 0.35:
        en = ["how", "many", info["en_pl"], "are", "there"] + pe
        es_ = "¿Cuántos" if info["es_g"] == "m" else "¿Cuántas"
        return S(en, "%s %s hay %s?" % (es_, info["es_pl"], pes),
                 "Combien de %s y a-t-il %s ?" % (info["fr_pl"], pfr), True)
    e, es, fr, n, pl = np_(r, n, plural=True, definite=False, allow_num=True)
    en = ["there", "are"] + e + pe
    return S(en, fix_es(cat("hay", es, pes)), fix_fr(cat("il y a", fr, pfr)))


def s_clock_talk(r):
    p = r.random()
    if p < 0.2:
        return S(["what", "time", "is", "it"], "¿Qué hora es?", "Quelle heure est-il ?", True)
    if p < 0.3:
        if r.random() < 0.5:
            return S(["what", "day", "is", "it"], "¿Qué día es?", "Quel jour sommes-nous ?", True)
        d = r.choice(list(DAYS))
        return S(["it", "is", d], "es " + DAYS[d][0], "nous sommes " + DAYS[d][1])
    if p < 0.7:
        c = clock(r)
        es = ("es la " if c.h == 1 else "son las ") + c.text()
        return S(["it", "is", c], es, "il est " + c.text())
    w = r.choice(["late", "early"])
    v = r.random() < 0.5
    en = ["it", "is"] + (["very"] if v else []) + [w]
    return S(en, "es " + ("muy " if v else "") + {"late": "tarde", "early": "temprano"}[w],
             "il est " + ("très " if v else "") + {"late": "tard", "early": "tôt"}[w])


def s_plan(r):
    """I will call you tomorrow. / We should meet at the park at 5:30. / Can you send the report?"""
    p = r.random()
    nm = r.choice(NAMES)
    if p < 0.35:
        subj = r.choice(["i", "we", "they", "he", "she"])
        v = r.choice(["call", "meet"])
        obj = r.choice(["you", "him", "her", "us", "them", nm])
        if obj == subj or (subj, obj) in (("i", "us"), ("we", "us"), ("they", "them")):
            obj = nm
        te, tes, tfr = time_phrase(r)
        mod = r.choice(["will", "should", "can"])
        en = [subj, mod, v, obj] + te
        es_obj = {"you": "te", "him": "lo", "her": "la", "us": "nos", "them": "los"}
        fr_obj = {"you": "vous", "him": "le", "her": "la", "us": "nous", "them": "les"}
        idx = {"i": 0, "we": 2, "they": 3, "he": 4, "she": 4}[subj]
        es_mod = {"will": ["voy a", "vamos a", "van a", "va a"], "should": ["debo", "debemos", "deben", "debe"],
                  "can": ["puedo", "podemos", "pueden", "puede"]}[mod][[0, 0, 1, 2, 3][idx]]
        es_v = {"call": "llamar", "meet": "ver"}[v]
        fr_mod = {"will": ["vais", "allons", "vont", "va"], "should": ["dois", "devons", "doivent", "doit"],
                  "can": ["peux", "pouvons", "peuvent", "peut"]}[mod][[0, 0, 1, 2, 3][idx]]
        if mod == "will" and idx == 0:
            fr_mod = "vais"
        fr_v = {"call": "appeler", "meet": "voir"}[v]
        fr_s = SUBJ[subj][2]
        if obj in es_obj:
            es_ = cat(es_mod, es_v + es_obj[obj], tes)
            fr_ = cat(fr_s, fr_mod, fr_obj[obj], fr_v, tfr)
        else:
            es_ = cat(es_mod, es_v, "a", obj.capitalize(), tes)
            fr_ = cat(fr_s, fr_mod, fr_v, obj.capitalize(), tfr)
        return S(en, fix_es(es_), fix_fr(fr_))
    if p < 0.45:
        subj = r.choice(["i", "we", "they", "he", "she"] + NAMES)
        te, tes, tfr = time_phrase(r)
        w = r.choice(["late", "early"])
        en = [subj, "will", "be", w] + te
        idx = {"i": 0, "we": 1, "they": 2}.get(subj, 3)
        es_s = subj.capitalize() if subj in NAMES else ""
        fr_s = subj.capitalize() if subj in NAMES else SUBJ[subj][2]
        es_v = ["voy a", "vamos a", "van a", "va a"][idx] + " llegar " + {"late": "tarde", "early": "temprano"}[w]
        fr_v = ["vais", "allons", "vont", "va"][idx] + " être " + {"late": "en retard", "early": "en avance"}[w]
        return S(en, fix_es(cat(es_s, es_v, tes)), fix_fr(cat(fr_s, fr_v, tfr)))
    if p < 0.75:
        v = r.choice(["bring", "send", "open", "close", "find", "call", "check", "fix", "buy", "read"])
        es_inf = {"bring": "traer", "send": "enviar", "open": "abrir", "close": "cerrar", "find": "buscar",
                  "call": "llamar a", "check": "revisar", "fix": "arreglar", "buy": "comprar", "read": "leer"}[v]
        fr_inf = {"bring": "apporter", "send": "envoyer", "open": "ouvrir", "close": "fermer", "find": "trouver",
                  "call": "appeler", "check": "vérifier", "fix": "réparer", "buy": "acheter", "read": "lire"}[v]
        if v == "call":
            e, es, fr = [nm], nm.capitalize(), nm.capitalize()
        else:
            pool = {"open": ["door", "window", "box", "bag"], "close": ["door", "window", "box", "bag"],
                    "read": DOCS, "fix": ["door", "window", "lamp", "clock", "car", "bike", "phone", "heater"]}
            e, es, fr = np_(r, r.choice(pool.get(v, PORTABLE)))[:3]
        te, tes, tfr = maybe_time(r, 0.3)
        en = ["can", "you", v] + e + te
        if r.random() < 0.25:
            en = en + ["please"]
            return S(en, "¿Puedes %s, por favor?" % fix_es(cat(es_inf, es, tes)),
                     "Pouvez-vous %s, s'il vous plaît ?" % fix_fr(cat(fr_inf, fr, tfr)), True)
        return S(en, "¿Puedes %s?" % fix_es(cat(es_inf, es, tes)), "Pouvez-vous %s ?" % fix_fr(cat(fr_inf, fr, tfr)),
                 True)
    # did / do questions
    v = r.choice(["call", "see", "buy", "find", "send", "have", "need", "want", "like"])
    aux = r.choice(["did", "do", "does"]) if v in ("call", "see", "buy", "find", "send") else r.choice(["do", "does"])
    subj = nm if aux == "does" or (aux == "did" and r.random() < 0.5) else r.choice(["you", "they", "we"])
    if aux == "does" and subj not in NAMES:
        subj = nm
    if aux == "do" and subj in NAMES:
        subj = "you"
    if v == "call":
        obj_en, es_o, fr_o = (["you"], "te", "vous") if subj != "you" else (["me"], "me", "m'")
        e = obj_en
    else:
        e, es_o, fr_o, n, pl = np_(r, r.choice(THINGS), definite=r.random() < 0.6)
    en = [aux, subj, v] + e
    idx = {"you": 1, "they": 3, "we": 2}.get(subj, 4)
    es_s = (subj.capitalize() + " ") if subj in NAMES else ""
    fr_s = subj.capitalize() if subj in NAMES else {"you": "vous", "they": "ils", "we": "nous"}[subj]
    if aux == "did":
        es_past = {"call": ["llamaste", "llamaron", "llamamos", "llamó"], "see": ["viste", "vieron", "vimos", "vio"],
                   "buy": ["compraste", "compraron", "compramos", "compró"],
                   "find": ["encontraste", "encontraron", "encontramos", "encontró"],
                   "send": ["enviaste", "enviaron", "enviamos", "envió"]}[v]
        es_v = es_past[{1: 0, 3: 1, 2: 2, 4: 3}[idx]]
        fr_aux = {1: "avez", 3: "ont", 2: "avons", 4: "a"}[idx]
        fr_pp = {"call": "appelé", "see": "vu", "buy": "acheté", "find": "trouvé", "send": "envoyé"}[v]
        if v == "call":
            es_ = "¿" + es_s + es_o + " " + es_v + "?"
            fr_ = "Est-ce que %s %s %s ?" % (fr_s, (fr_o + " " if fr_o != "m'" else "m'") .replace("m' ", "m'") + fr_aux, fr_pp)
            fr_ = fr_.replace("m'" + " ", "m'")
        else:
            es_ = "¿" + es_s + es_v + " " + es_o + "?"
            fr_ = "Est-ce que %s %s %s %s ?" % (fr_s, fr_aux, fr_pp, fr_o)
        return S(en, fix_es(es_), fix_fr(fr_).replace("Est-ce que il", "Est-ce qu'il").replace(
            "Est-ce que ils", "Est-ce qu'ils"), True)
    if v == "call":
        es_ = "¿" + es_s + es_o + " " + {1: "llamas", 3: "llaman", 2: "llamamos", 4: "llama"}[idx] + "?"
        fr_ = "Est-ce que %s %s %s ?" % (fr_s, fr_o.rstrip("'") if fr_o != "m'" else "m'", {1: "appelez", 3: "appellent", 2: "appelons", 4: "appelle"}[idx])
        fr_ = fr_.replace("m' ", "m'")
        return S(en, es_, fr_, True)
    if v == "like":
        es_pron = {1: "te", 3: "les", 2: "nos", 4: "le"}[idx]
        es_ = "¿" + (("A " + es_s) if es_s else "") + es_pron + " gusta" + ("n" if es_o.startswith(("los", "las", "unos", "unas")) or es_o.split()[0].isdigit() else "") + " " + es_o + "?"
        fr_v = {1: "aimez", 3: "aiment", 2: "aimons", 4: "aime"}[idx]
    else:
        es_v = ES_VERB.get(v, ES_VERB["need"])[{1: 1, 3: 3, 2: 2, 4: 4}[idx]] if v in ES_VERB else None
        if v == "see":
            es_v = {1: "ves", 3: "ven", 2: "vemos", 4: "ve"}[idx]
        if v == "buy":
            es_v = {1: "compras", 3: "compran", 2: "compramos", 4: "compra"}[idx]
        if v == "find":
            es_v = {1: "encuentras", 3: "encuentran", 2: "encontramos", 4: "encuentra"}[idx]
        if v == "send":
            es_v = {1: "envías", 3: "envían", 2: "enviamos", 4: "envía"}[idx]
        es_ = "¿" + es_s + es_v + " " + es_o + "?"
        fr_v = {"need": None, "want": {1: "voulez", 3: "veulent", 2: "voulons", 4: "veut"},
                "have": {1: "avez", 3: "ont", 2: "avons", 4: "a"}, "see": {1: "voyez", 3: "voient", 2: "voyons", 4: "voit"},
                "buy": {1: "achetez", 3: "achètent", 2: "achetons", 4: "achète"},
                "find": {1: "trouvez", 3: "trouvent", 2: "trouvons", 4: "trouve"},
                "send": {1: "envoyez", 3: "envoient", 2: "envoyons", 4: "envoie"}}[v]
        if v == "need":
            fr_v = {1: "avez besoin de", 3: "ont besoin de", 2: "avons besoin de", 4: "a besoin de"}[idx]
            if fr_o.startswith(("des ", "un ", "une ", "du ")):
                fr_o = fr_o.split(" ", 1)[1]
            elif fr_o.startswith("de la "):
                fr_o = fr_o[6:]
            elif fr_o.startswith("de l'"):
                fr_o = fr_o[5:]
        else:
            fr_v = fr_v[idx]
    fr_ = fix_fr("Est-ce que %s %s %s ?" % (fr_s, fr_v, fr_o)).replace("Est-ce que il", "Est-ce qu'il").replace(
        "Est-ce que ils", "Est-ce qu'ils")
    return S(en, fix_es(es_), fr_, True)


def s_who(r):
    p = r.random()
    if p < 0.5:
        e, es, fr, n, pl = np_(r, r.choice(PORTABLE))
        v = r.choice(["has", "needs", "wants"])
        en = ["who", v] + e
        es_v = {"has": "tiene", "needs": "necesita", "wants": "quiere"}[v]
        fr_v = {"has": "a", "needs": "a besoin de", "wants": "veut"}[v]
        return S(en, fix_es("¿Quién %s %s?" % (es_v, es)), fix_fr("Qui %s %s ?" % (fr_v, fr)), True)
    pe, pes, pfr, _ = place(r, prep="in")
    return S(["who", "is"] + pe, "¿Quién está %s?" % pes, "Qui est %s ?" % pfr, True)


def s_which(r):
    n = r.choice(COUNTABLE + ["car", "bike", "hat", "bag", "lamp", "phone"])
    info = N[n]
    v = r.choice(["want", "need", "like"])
    en = ["which", n, "do", "you", v]
    es_ = "¿Qué %s %s?" % (info["es"], {"want": "quieres", "need": "necesitas", "like": "te gusta"}[v])
    fr_q = "Quel" if info["fr_g"] == "m" else "Quelle"
    fr_ = "%s %s %s-vous ?" % (fr_q, info["fr"], {"want": "voulez", "need": "voulez", "like": "aimez"}[v])
    if v == "need":
        fr_ = "De %s %s avez-vous besoin ?" % (fr_q.lower(), info["fr"])
    if r.random() < 0.4:
        c = r.choice(list(COLOURS))
        c2 = r.choice([x for x in COLOURS if x != c])
        en = ["do", "you", v if v != "like" else "want", "the", c, "or", "the", c2, n]
        es_ = "¿%s %s %s o %s %s %s?" % ("Necesitas" if v == "need" else "Quieres", es_art(n, False), info["es"] + " " + COLOURS[c][0],
                                         es_art(n, False), info["es"], COLOURS[c2][0])
        fr_a = fr_art(n, False)
        if v == "need":
            fr_ = fix_fr("Avez-vous besoin de %s %s %s ou de %s %s %s ?" % (fr_a, info["fr"], COLOURS[c][1], fr_a,
                                                                       info["fr"], COLOURS[c2][1]))
        else:
            fr_ = "Voulez-vous %s %s ou %s %s ?" % (join_fr(fr_a, info["fr"]), COLOURS[c][1],
                                                    join_fr(fr_a, info["fr"]), COLOURS[c2][1])
    return S(en, es_, fr_, True)


def s_tea(r):
    a, b = r.sample(["tea", "coffee", "water"], 2)
    en = ["do", "you", "want", a, "or", b]
    fr_p = {"tea": "du thé", "coffee": "du café", "water": "de l'eau"}
    return S(en, "¿Quieres %s o %s?" % (N[a]["es"], N[b]["es"]), "Voulez-vous %s ou %s ?" % (fr_p[a], fr_p[b]), True)


def s_answer(r):
    y = r.choice(["yes", "no"])
    inner = r.choice([s_location, s_schedule, s_have, s_clock_talk])(r)
    if inner.q:
        return inner
    en = [y] + inner.en
    es_y = {"yes": "sí", "no": "no"}[y]
    fr_y = {"yes": "oui", "no": "non"}[y]
    return S(en, es_y + ", " + inner.es, fr_y + ", " + inner.fr)


def s_past(r):
    """The flight was late. / Alice was at the hospital yesterday."""
    p = r.random()
    if p < 0.5:
        n = r.choice(["train", "bus", "flight", "meeting"])
        owner = OWNERS[r.choice(list(OWNERS))] if r.random() < 0.3 else None
        e, es, fr, n, pl = np_(r, n, plural=False, adj=False, owner=owner)
        w = r.choice(["late", "early"])
        v = r.random() < 0.4
        te, tes, tfr = (r.choice([(["yesterday"], "ayer", "hier"), (["today"], "hoy", "aujourd'hui"), ([], "", "")]))
        en = e + ["was"] + (["very"] if v else []) + [w] + te
        es_ = cat(es, "llegó", ("muy " if v else "") + {"late": "tarde", "early": "temprano"}[w], tes)
        fr_ = cat(fr, "était", ("très " if v else "") + {"late": "en retard", "early": "en avance"}[w], tfr)
        return S(en, fix_es(es_), fix_fr(fr_))
    nm = r.choice(NAMES)
    pe, pes, pfr, _ = place(r, prep=r.choice(["in", "at"]))
    te, tes, tfr = r.choice([(["yesterday"], "ayer", "hier"), (["last", "week"], "la semana pasada", "la semaine dernière"),
                             (["on", "monday"], "el lunes", "lundi"), (["last", "night"], "anoche", "hier soir")])
    if te[0] == "on":
        d = r.choice(list(DAYS))
        te, tes, tfr = ["on", d], "el " + DAYS[d][0], DAYS[d][1]
    subj = r.choice([[nm], ["he"], ["she"], ["we"], ["they"], ["i"], [nm, "and", r.choice([x for x in NAMES if x != nm])]])
    plural = len(subj) > 1 or subj[0] in ("we", "they")
    en = subj + ["were" if False else ("was" if not plural else "are")] + pe + te
    if plural:
        # keep to vocabulary: "we were" is not in it, use present for plural subjects without past time
        te, tes, tfr = r.choice([(["today"], "hoy", "aujourd'hui"), (["tonight"], "esta noche", "ce soir"), ([], "", "")])
        en = subj + ["are"] + pe + te
        es_s = {"we": "", "they": ""}.get(subj[0], " ".join(w.capitalize() if w in NAMES else "y" for w in subj))
        fr_s = {"we": "nous", "they": "ils"}.get(subj[0], " ".join(w.capitalize() if w in NAMES else "et" for w in subj))
        es_v = "estamos" if subj[0] == "we" else "están"
        fr_v = "sommes" if subj[0] == "we" else "sont"
        return S(en, fix_es(cat(es_s, es_v, pes, tes)), fix_fr(cat(fr_s, fr_v, pfr, tfr)))
    es_s = {"he": "", "she": "", "i": ""}.get(subj[0], nm.capitalize())
    fr_s = {"he": "il", "she": "elle", "i": "j'"}.get(subj[0], nm.capitalize())
    es_v = "estaba"
    fr_v = "étais" if subj[0] == "i" else "était"
    fr_ = cat(fr_s, fr_v, pfr, tfr).replace("j' ", "j'")
    return S(en, fix_es(cat(es_s, es_v, pes, tes)), fix_fr(fr_))


def s_leave(r):
    """Bob needs to leave at 5:30. / We want to go to the park tomorrow."""
    en_s, third, idx, es_name, fr_s = subject(r)
    v = r.choice(["need", "want"])
    act = r.choice(["go", "leave", "arrive", "go", "wait"])
    te, tes, tfr = time_phrase(r)
    pe, pes, pfr = [], "", ""
    if act == "go":
        pe, pes, pfr, _ = place(r, prep="to")
    elif act == "arrive" and r.random() < 0.5:
        pe, pes, pfr, _ = place(r, prep="at")
    en = en_s + [EN_3SG[v] if third else v, "to", act] + pe + te
    es_inf = {"go": "ir", "leave": "salir", "arrive": "llegar", "wait": "esperar"}[act]
    fr_inf = {"go": "aller", "leave": "partir", "arrive": "arriver", "wait": "attendre"}[act]
    if v == "need":
        es_v = ["necesito", "necesitas", "necesitamos", "necesitan", "necesita"][idx]
        fr_v = FR_VERB["need"][idx]
    else:
        es_v = ES_VERB["want"][idx]
        fr_v = FR_VERB["want"][idx]
    es_ = cat(es_name, es_v, es_inf, pes, tes)
    fr_ = cat(fr_s, fr_v, fr_inf, pfr, tfr)
    return S(en, fix_es(es_), fix_fr(fr_))


def s_photo(r):
    """The photo of Alice is on the wall. / This is my new car. / That book is very old."""
    p = r.random()
    if p < 0.35:
        nm = r.choice(NAMES)
        w = r.choice(["wall", "table"])
        en = ["the", "photo", "of", nm, "is", "on", "the", w]
        return S(en, "la foto de %s está en %s" % (nm.capitalize(), "la pared" if w == "wall" else "la mesa"),
                 "la photo de %s est sur %s" % (nm.capitalize(), "le mur" if w == "wall" else "la table"))
    dem = r.choice(["this", "that"])
    if p < 0.7:
        owner = OWNERS[r.choice(list(OWNERS))]
        e, es, fr, n, pl = np_(r, r.choice(COLOURABLE + DOCS), plural=False, owner=owner)
        en = [dem, "is"] + e
        return S(en, fix_es(("esto es " if dem == "this" else "eso es ") + es),
                 fix_fr(("c'est " ) + fr))
    n = r.choice(COLOURABLE)
    if N[n]["plural_only"]:
        n = "box"
    adj = r.choice(list(COLOURS) + list(SIZES))
    tr = COLOURS.get(adj) or SIZES[adj]
    very = adj in SIZES and r.random() < 0.5
    en = [dem, n, "is"] + (["very"] if very else []) + [adj]
    es_dem = {"this": {"m": "este", "f": "esta"}, "that": {"m": "ese", "f": "esa"}}[dem][N[n]["es_g"]]
    fr_dem = "cet" if (N[n]["fr_g"] == "m" and N[n]["fr"].startswith(VOWELS_FR)) else ("ce" if N[n]["fr_g"] == "m" else "cette")
    return S(en, "%s %s es %s%s" % (es_dem, N[n]["es"], "muy " if very else "", tr[0]),
             "%s %s est %s%s" % (fr_dem, N[n]["fr"], "très " if very else "", tr[1]))


STRUCTS = [(s_move, 12), (s_give, 6), (s_object_action, 12), (s_call, 6), (s_device, 10), (s_where, 6),
           (s_location, 9), (s_have, 10), (s_like, 5), (s_schedule, 9), (s_count, 6), (s_clock_talk, 3),
           (s_plan, 10), (s_who, 3), (s_which, 3), (s_tea, 1), (s_answer, 3), (s_past, 5), (s_leave, 6),
           (s_photo, 4)]


# ---------------------------------------------------------------------------------------------------
# rendering
# ---------------------------------------------------------------------------------------------------
def spoken_words(pieces):
    out = []
    for p in pieces:
        out += p.spoken() if isinstance(p, (Num, Clock)) else [p]
    return out


def format_en(pieces, question):
    words = []
    for p in pieces:
        if isinstance(p, (Num, Clock)):
            words.append(p.text())
        elif p in CAPITALISED:
            words.append("I" if p == "i" else p.capitalize())
        else:
            words.append(p)
    if len(words) > 1 and words[0] in ("yes", "no"):
        words[0] += ","
    if len(words) > 1 and words[-1] == "please":
        words[-2] += ","
    s = " ".join(words)
    s = s[0].upper() + s[1:]
    return s + ("?" if question else ".")


def finish(s, question, lang):
    s = s.strip()
    s = s[0].upper() + s[1:]
    if s.startswith("¿") and len(s) > 1:
        s = "¿" + s[1].upper() + s[2:]
    if s.endswith(("?", ".")):
        return s
    if question:
        return ("¿" + s + "?") if lang == "es" else (s + " ?")
    return s + "."


def content_words(en_pieces):
    return [p for p in en_pieces if isinstance(p, str)]


def generate(r):
    fns, ws = zip(*STRUCTS)
    f = r.choices(fns, weights=ws)[0]
    s = f(r)
    words = spoken_words(s.en)
    return dict(spoken=" ".join(words), en=format_en(s.en, s.q), es=finish(s.es, s.q, "es"),
                fr=finish(s.fr, s.q, "fr"), words=words)


def load_vocab(path):
    rows = []
    for line in open(path, encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        rows.append(line.rstrip("\n").split("\t"))
    return rows


if __name__ == "__main__":
    import sys
    r = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    for _ in range(int(sys.argv[2]) if len(sys.argv) > 2 else 30):
        g = generate(r)
        print(g["spoken"]); print("  ", g["en"]); print("  ", g["es"]); print("  ", g["fr"])
