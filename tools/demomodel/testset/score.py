"""Score a model on the development or test set through the command line, as a user runs it:
`verbatim transcribe` (and --translate es / fr) over the set's speech, rendered by render.py.

Figures: transcription WER (normalised as scoring.py and tools/textnorm do) and exact sentences; for each
translation, the share of the reference's content words it keeps (the es_content / fr_content columns), and
exact sentences. Prints them, by voice and by rate too, with the worst sentences, and writes a JSON result.
The test set is scored once per shipped model (run.sh does it after `make build`); tune on the dev set.
Usage: python3 testset/score.py [--set test|dev] [--bin bin/verbatim] [--out result.json] [--limit N]
       [--max-wer 0.05 --min-content 0.90] [-- extra transcribe flags, e.g. --model M --projector P]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.dirname(HERE))

import render  # noqa: E402
import scoring  # noqa: E402


def hear(binary, files, extra, lang, env):
    """Run `verbatim transcribe` over the files; returns each file's text (one line)."""
    out = tempfile.mkdtemp(prefix="verbatim-score-")
    cmd = [binary, "transcribe", "-o", out + "/"] + extra + (["--translate", lang] if lang else []) + files
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise SystemExit("%s: exit %d\n%s" % (" ".join(cmd[:4]), p.returncode, p.stderr[-3000:]))
    suffix = "." + lang + ".txt" if lang else ".txt"
    texts = []
    for f in files:
        path = os.path.join(out, os.path.basename(f)[:-len(".wav")] + suffix)
        texts.append(" ".join(open(path, encoding="utf-8").read().split()) if os.path.exists(path) else "")
    shutil.rmtree(out, ignore_errors=True)
    return texts


def figures(rows):
    errs = words = 0
    exact = {"en": 0, "es": 0, "fr": 0}
    cw = {"es": [0, 0], "fr": [0, 0]}
    for r in rows:
        ref = r["spoken"].split()
        r["edits"] = scoring.edit_distance(ref, scoring.normalise(r["hyp_en"]))
        errs += r["edits"]
        words += len(ref)
        exact["en"] += r["hyp_en"] == r["en"]
        for lang in ("es", "fr"):
            exp = [w for w in r[lang + "_content"].split(";") if w]
            k = scoring.kept(exp, r["hyp_" + lang])
            r[lang + "_kept"] = "%d/%d" % (k, len(exp))
            cw[lang][0] += k
            cw[lang][1] += len(exp)
            exact[lang] += r["hyp_" + lang] == r[lang]
    n = max(1, len(rows))
    return dict(n=len(rows), words=words, wer=errs / max(1, words), exact_en=exact["en"] / n,
                es_content=cw["es"][0] / max(1, cw["es"][1]), fr_content=cw["fr"][0] / max(1, cw["fr"][1]),
                es_exact=exact["es"] / n, fr_exact=exact["fr"] / n)


def by(rows, key):
    out = {}
    for v in sorted({r[key] for r in rows}, key=lambda x: (len(x), x)):
        sub = [r for r in rows if r[key] == v]
        out[v] = dict(n=len(sub), wer=sum(r["edits"] for r in sub) / max(1, sum(len(r["spoken"].split())
                                                                                   for r in sub)))
    return out


def main():
    ap = argparse.ArgumentParser(usage=__doc__.split("Usage: ")[1])
    ap.add_argument("--set", choices=["test", "dev"], default="test")
    ap.add_argument("--bin", default=os.path.join(ROOT, "bin", "verbatim"))
    ap.add_argument("--out", default="", help="result JSON (default: testset/result-<set>.json)")
    ap.add_argument("--audio", default="", help="render into this folder and keep it (default: a temporary one)")
    ap.add_argument("--limit", type=int, default=0, help="only the first N sentences (a smoke test)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--max-wer", type=float, default=None, help="exit 1 when the WER is higher")
    ap.add_argument("--min-content", type=float, default=None, help="exit 1 when es or fr keeps fewer")
    a, extra = ap.parse_known_args()
    extra = [x for x in extra if x != "--"]
    t0 = time.time()
    audio = a.audio or tempfile.mkdtemp(prefix="verbatim-%s-" % a.set)
    rows, files, digests = render.render(a.set, audio, a.jobs)
    if a.limit:
        rows, files = rows[:a.limit], files[:a.limit]
    env = dict(os.environ, XDG_DATA_HOME=tempfile.mkdtemp(prefix="verbatim-data-"))   # keep history out of it
    for lang, key in ((None, "hyp_en"), ("es", "hyp_es"), ("fr", "hyp_fr")):
        for r, t in zip(rows, hear(a.bin, files, extra, lang, env)):
            r[key] = t
    res = figures(rows)
    res.update(set=a.set, by_voice=by(rows, "voice"), by_rate=by(rows, "rate"), espeak=render.espeak_version(),
               audio_differs=render.compare(digests), bin=a.bin, args=extra, seconds=round(time.time() - t0, 1))
    out = a.out or os.path.join(HERE, "result-%s.json" % a.set)
    json.dump(dict(result=res, rows=rows), open(out, "w", encoding="utf-8"), ensure_ascii=False, indent=1)
    if not a.audio:
        shutil.rmtree(audio, ignore_errors=True)
    print("%s set, %d sentences (%d words), through %s %s" % (a.set, res["n"], res["words"], a.bin,
                                                               " ".join(extra)))
    print("  transcription: WER %.2f %%, exact %.1f %%" % (100 * res["wer"], 100 * res["exact_en"]))
    for lang in ("es", "fr"):
        print("  translation %s: content words kept %.1f %%, exact %.1f %%" % (
            lang, 100 * res[lang + "_content"], 100 * res[lang + "_exact"]))
    print("  WER by voice: " + ", ".join("%s %.1f %%" % (v, 100 * x["wer"]) for v, x in res["by_voice"].items()))
    print("  WER by rate:  " + ", ".join("%s wpm %.1f %%" % (v, 100 * x["wer"]) for v, x in res["by_rate"].items()))
    if res["audio_differs"]:
        print("  note: %d clips differ from audio.sha256 (espeak-ng %s)" % (res["audio_differs"], res["espeak"]))
    worst = sorted(rows, key=lambda r: -r["edits"])[:8]
    for r in worst:
        if r["edits"]:
            print("  %s [%s, %s wpm] %r → %r" % (r["id"], r["voice"], r["rate"], r["en"], r["hyp_en"]))
    print("wrote", out)
    fail = []
    if a.max_wer is not None and res["wer"] > a.max_wer:
        fail.append("WER %.2f %% > %.2f %%" % (100 * res["wer"], 100 * a.max_wer))
    for lang in ("es", "fr"):
        if a.min_content is not None and res[lang + "_content"] < a.min_content:
            fail.append("%s content words %.1f %% < %.1f %%" % (lang, 100 * res[lang + "_content"],
                                                              100 * a.min_content))
    if fail:
        raise SystemExit("FAIL: " + "; ".join(fail))


if __name__ == "__main__":
    main()
