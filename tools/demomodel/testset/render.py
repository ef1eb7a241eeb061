"""Render the speech of the development or test set: one WAV per row, espeak-ng -w with the row's voice, rate and
pitch, exactly as the Go tests speak held-out sentences (22.05 kHz mono; Verbatim resamples). espeak-ng is
deterministic for a given version, voice and text; audio.sha256 holds the digests this folder's audio had with
espeak-ng 1.51, and render.py says when yours differs.
Usage: python3 testset/render.py --set test|dev --out DIR [--jobs 2]
"""
import argparse
import hashlib
import os
import subprocess
import sys
from multiprocessing import Pool

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import textgen as tg  # noqa: E402

TSV = {"test": os.path.join(HERE, "testset.tsv"), "dev": os.path.join(HERE, "dev.tsv")}
DIGESTS = os.path.join(HERE, "audio.sha256")


def espeak_version():
    out = subprocess.run(["espeak-ng", "--version"], stdout=subprocess.PIPE, check=True, text=True).stdout
    return out.split("text-to-speech:")[-1].split("Data")[0].strip()


def _one(job):
    row, out = job
    path = os.path.join(out, row["id"] + ".wav")
    subprocess.run(["espeak-ng", "-v", row["voice"], "-s", row["rate"], "-p", row["pitch"], "-w", path, row["spoken"]],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return path, hashlib.sha256(open(path, "rb").read()).hexdigest()


def render(split, out, jobs=2):
    """Write OUT/<id>.wav for every row of the set; returns (rows, paths, {id: sha256})."""
    os.makedirs(out, exist_ok=True)
    rows = tg.read_tsv(TSV[split])
    with Pool(jobs) as pool:
        done = pool.map(_one, [(r, out) for r in rows])
    return rows, [p for p, _ in done], {r["id"]: d for r, (_, d) in zip(rows, done)}


def known_digests():
    d = {}
    if os.path.exists(DIGESTS):
        for line in open(DIGESTS):
            if line.strip() and not line.startswith("#"):
                k, v = line.split()
                d[k] = v
    return d


def compare(digests):
    """How many rendered files differ from audio.sha256 (rows it lacks are not counted)."""
    ref = known_digests()
    return sum(1 for k, v in digests.items() if k in ref and ref[k] != v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", choices=["test", "dev"], default="test")
    ap.add_argument("--out", required=True)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--write-digests", action="store_true", help="record these digests in audio.sha256")
    a = ap.parse_args()
    rows, paths, digests = render(a.set, a.out, a.jobs)
    version = espeak_version()
    if a.write_digests:
        d = known_digests()
        d.update(digests)
        with open(DIGESTS, "w") as f:
            f.write("# sha256 of each rendered clip, espeak-ng %s\n" % version)
            for k in sorted(d):
                f.write("%s %s\n" % (k, d[k]))
    diff = compare(digests)
    print("rendered %d clips into %s with espeak-ng %s; %s" % (
        len(paths), a.out, version, "all match audio.sha256" if not diff else
        "%d differ from audio.sha256 (another espeak-ng version?)" % diff))


if __name__ == "__main__":
    main()
