"""Write assets/models/fixture.json: two short clips with the projector outputs Python computes for them,
so that a Go test can check its projections (to 1e-4) and, loosely, its decoding."""
import argparse
import json
import os

import numpy as np
import torch

from common import audio_features, n_audio_tokens
from evaluate import decode, load_model, model_tokenizer
from synth import synth

CLIPS = [
    dict(name="time", spoken="what time is it", en="What time is it?", voice="en-us+f3", speed=160, pitch=50),
    dict(name="box", spoken="please bring the red box to the kitchen at five thirty",
         en="Please bring the red box to the kitchen at 5:30.", voice="en+m4", speed=170, pitch=45),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="work/data")
    ap.add_argument("--out", required=True)
    ap.add_argument("--model", action="append", default=[], help="name=checkpoint")
    ap.add_argument("--q8", action="append", default=[], help="a model exported with Q8_0 matrices")
    ap.add_argument("--shared_projector", action="append", default=[], help="a model without its own projector")
    a = ap.parse_args()
    torch.set_num_threads(1)
    models = []
    for spec in a.model:
        name, ck = spec.split("=", 1)
        m, meta = load_model(ck, f16=True, q8=name in a.q8)
        models.append((name, m, meta["fe"], model_tokenizer(meta, a.data)))
    clips = []
    for c in CLIPS:
        pcm = synth((c["spoken"], c["voice"], c["speed"], c["pitch"]))
        x = torch.from_numpy(pcm.astype(np.float32) / 32768.0)
        entry = dict(c, sample_rate=16000, n_samples=len(pcm), n_audio_tokens=n_audio_tokens(len(pcm)),
                     samples=[int(v) for v in pcm], projections={}, python_decode={})
        for name, m, fe, tok in models:
            with torch.no_grad():
                emb = m.project(fe, audio_features(m, fe, x))
            if name not in a.shared_projector:  # its projector file is another model's, recorded there
                entry["projections"][name + ".mmproj.gguf"] = dict(
                    projector_type="gemma4ua" if fe == "raw" else "verbatim_logmel", n_tokens=int(emb.shape[0]),
                    first3=[[round(float(v), 7) for v in row] for row in emb[:3]])
            entry["python_decode"][name] = decode(m, tok, fe, x)
        clips.append(entry)
    doc = dict(description="Two clips synthesised with espeak-ng (voices not used in training). samples are int16 "
                           "at 16 kHz; the projectors take samples/32768 as float32. projections[...].first3 are "
                           "the first 3 embedding vectors computed by tools/demomodel (PyTorch, float32); "
                           "python_decode is PyTorch greedy decoding of each task (the app should normally agree).",
               clips=clips)
    json.dump(doc, open(a.out, "w"), ensure_ascii=False)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
