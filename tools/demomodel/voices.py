"""Which espeak-ng voices speak which data: training, the held-out clips, the development set and the test set
never share a voice. Training and held-out use the en-us and en (British) voices with variants; development and
test use accents that training never hears (checked with `espeak-ng --voices=en`, espeak-ng 1.51)."""
LANGS = ["en-us", "en"]
# Training variants: espeak-ng's numbered ones plus named ones for more timbres (the test set's +m8/+f5 and the
# development set's +m4/+f3 stay unheard).
TRAIN_VARIANTS = ["", "+m1", "+m2", "+m3", "+m5", "+m6", "+m7", "+f1", "+f2", "+f4", "+Andy", "+Annie", "+Michael",
                  "+Steph", "+Denis", "+Gene", "+Lee", "+Linda", "+Paul", "+Rob", "+klatt", "+klatt3", "+Alicia",
                  "+Storm"]
HELDOUT_VARIANTS = ["+m4", "+f3"]
DEV_VOICES = [a + v for a in ("en-gb-x-gbclan", "en-gb-x-gbcwmd") for v in ("", "+m4", "+f3")]
TEST_VOICES = [a + v for a in ("en-gb-scotland", "en-029", "en-gb-x-rp", "en-us-nyc") for v in ("", "+m8", "+f5")]
DEV_RATES, TEST_RATES = (135, 150, 165, 180, 195), (140, 152, 165, 178, 190)
PITCHES = (35, 42, 50, 58, 65)


def training_voices():
    return {lang + v for lang in LANGS for v in TRAIN_VARIANTS}


def heldout_voices():
    return {lang + v for lang in LANGS for v in HELDOUT_VARIANTS}


def check():
    """The four voice sets are pairwise disjoint, and no development or test voice uses a training accent."""
    sets = [training_voices(), heldout_voices(), set(DEV_VOICES), set(TEST_VOICES)]
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            assert not sets[i] & sets[j], sets[i] & sets[j]
    for v in DEV_VOICES + TEST_VOICES:
        assert v.split("+")[0] not in LANGS, v


check()
