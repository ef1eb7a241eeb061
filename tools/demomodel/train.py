"""Train one demo model (main log-mel, raw gemma4ua, or the drafter)."""
import argparse
import glob
import json
import math
import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, IterableDataset

from gemma import GemmaModel, GemmaTokenizer, build_gemma_vocab, from_llama
from common import (TASKS, TASK_FIELD, TASK_TOKEN, Model, MTPHead, Tokenizer, audio_features, logmel_frames,
                    n_audio_tokens)


def load_set(path):
    z = np.load(path)
    items = json.load(open(path.replace(".npz", ".json"), encoding="utf-8"))
    audio, offs = z["audio"], z["offsets"]
    clips = [audio[offs[i]:offs[i + 1]] for i in range(len(items))]
    return items, clips


class Clips:
    """The training audio: train.npz, or the shards `synth.py --render` writes (train_NNN.npz, in order) over
    the text-only train.json, of which the ones rendered so far are used; refresh() picks up new ones."""

    def __init__(self, data):
        self.data = data
        one = os.path.join(data, "train.npz")
        if os.path.exists(one):
            self.items, self.clips = load_set(one)
            self.shards = None
            return
        self.items = json.load(open(os.path.join(data, "train.json"), encoding="utf-8"))
        self.clips, self.shards = [], 0
        deadline = time.time() + 600
        while not self.refresh():
            if time.time() > deadline:
                raise SystemExit("no training shard appeared in %s" % data)
            time.sleep(2)

    def refresh(self):
        """Load the shards rendered since the last call; True when any audio is there."""
        while self.shards is not None:
            path = os.path.join(self.data, "train_%03d.npz" % self.shards)
            if not os.path.exists(path):
                break
            _, clips = load_set(path)
            self.clips += clips
            self.shards += 1
        return len(self.clips) > 0


SPEED_PERTURB = False


def augment(r, a):
    """int16 clip -> float32 tensor with gain, padding and noise augmentation."""
    x = a.astype(np.float32) / 32768.0
    if SPEED_PERTURB and r.random() < 0.6:
        # speed perturbation (tempo and pitch together), a cheap stand-in for unseen voices
        f = r.uniform(0.88, 1.12)
        n = int(len(x) / f)
        x = np.interp(np.arange(n) * f, np.arange(len(x)), x).astype(np.float32)
    lead = r.randint(0, 6400) if r.random() < 0.7 else 0
    tail = r.randint(0, 3200)
    x = np.concatenate([np.zeros(lead, np.float32), x, np.zeros(tail, np.float32)])
    peak = float(np.abs(x).max()) + 1e-6
    x = x * (10 ** (r.uniform(-26, -1) / 20) / peak)
    if r.random() < 0.8:
        rms = math.sqrt(float((x * x).mean()) + 1e-12)
        snr = r.uniform(12, 45)
        x = x + np.random.RandomState(r.randint(0, 2 ** 31 - 1)).randn(len(x)).astype(np.float32) * (
            rms / (10 ** (snr / 20)))
    return torch.from_numpy(np.clip(x, -1, 1))


def prompt_format(tok):
    """(tokens before the audio, each task's tokens after it, the end token) of a model's tokenizer: the
    llama demo's task tokens, or Gemma 4's chat prompt (gemma.GemmaTokenizer)."""
    if isinstance(tok, GemmaTokenizer):
        before, after = tok.prompts()
        return before, after, tok.eot
    return [tok.bos, tok.audio_begin], {t: [tok.audio_end, tok.id[TASK_TOKEN[t]]] for t in TASKS}, tok.eos


def build_batch(model, tok, fe, clips, targets, r, idx, aug=True, noise=0.0, noise_ids=(), fmt=None):
    """One packed sequence per clip: prefix, then one segment per task (each attends to the prefix only).
    fmt (prompt_format) gives the prompt tokens around the audio and the end token.
    noise replaces that share of the text inputs (never the targets) with random word tokens, so the model
    learns to check the previous words against the audio instead of trusting its word-order prior: held-out
    speech holds word combinations that training never had together."""
    before, seg_prompt, end = fmt
    feats, seqs = [], []
    for i in idx:
        x = augment(r, clips[i]) if aug else torch.from_numpy(clips[i].astype(np.float32) / 32768.0)
        f = audio_features(model, fe, x, r if aug else None)
        T = f.shape[0]
        feats.append(f)
        toks = list(before) + [-1] * T
        n0 = len(toks)
        pos = list(range(n0))
        seg = [0] * n0
        lab = [-100] * n0
        for k, task in enumerate(TASKS):
            p = seg_prompt[task]
            s = p + targets[i][task] + [end]
            inp = list(s)
            if noise > 0:
                for j in range(len(p), len(inp)):
                    if r.random() < noise:
                        inp[j] = r.choice(noise_ids)
            toks += inp
            pos += list(range(n0, n0 + len(s)))
            seg += [k + 1] * len(s)
            lab += [-100] * (len(p) - 1) + s[len(p):] + [-100]
        seqs.append((toks, pos, seg, lab))
    L = max(len(s[0]) for s in seqs)
    B = len(seqs)
    tokens = torch.zeros(B, L, dtype=torch.long)
    audio_mask = torch.zeros(B, L, dtype=torch.bool)
    pos = torch.zeros(B, L, dtype=torch.long)
    seg = torch.full((B, L), -1, dtype=torch.long)
    lab = torch.full((B, L), -100, dtype=torch.long)
    for b, (t, p, s, l) in enumerate(seqs):
        n = len(t)
        tt = torch.tensor(t)
        audio_mask[b, :n] = tt < 0
        tokens[b, :n] = tt.clamp(min=0)
        pos[b, :n] = torch.tensor(p)
        seg[b, :n] = torch.tensor(s)
        lab[b, :n] = torch.tensor(l)
    ar = torch.arange(L)
    causal = ar[None, :] <= ar[:, None]
    same = (seg[:, None, :] == 0) | (seg[:, None, :] == seg[:, :, None])
    valid = seg[:, None, :] >= 0
    mask = causal[None] & same & valid
    mask |= torch.eye(L, dtype=torch.bool)[None]
    return tokens, audio_mask, torch.cat(feats), pos, mask, lab


class Batches(IterableDataset):
    """Training batches, built on the CPU (augmentation, features, packing), in DataLoader workers when there are
    any: each worker draws its own batches with its own seed. Length bucketing: 8 batches drawn at once, grouped
    by length, the groups shuffled."""

    def __init__(self, data, feats, tok, fe, targets, batch, seed, noise, noise_ids):
        self.data, self.feats, self.tok, self.fe, self.targets = data, feats, tok, fe, targets
        self.fmt = prompt_format(tok)
        self.batch, self.seed, self.noise, self.noise_ids = batch, seed, noise, noise_ids

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid = info.id if info is not None else 0
        r = random.Random(self.seed * 1000 + wid)
        np.random.seed((self.seed * 1000 + wid) % 2 ** 32)
        pending, n = [], 0
        while True:
            if not pending:
                n += 1
                if n % 10 == 0:
                    self.data.refresh()
                clips = self.data.clips
                pool = sorted((r.randrange(len(clips)) for _ in range(self.batch * 8)), key=lambda i: len(clips[i]))
                pending = [pool[k:k + self.batch] for k in range(0, len(pool), self.batch)]
                r.shuffle(pending)
            yield build_batch(self.feats, self.tok, self.fe, self.data.clips, self.targets, r, pending.pop(),
                              noise=self.noise, noise_ids=self.noise_ids, fmt=self.fmt)


def hidden(model, fe, tokens, audio_mask, feats, pos, mask):
    x = model.embed(tokens)
    x = x.masked_scatter(audio_mask[..., None], model.project(fe, feats))
    for b in model.blocks:
        x = b(x, pos, mask)
    return model.norm(x)


def mtp_loss(head, model, h, lab):
    """The MTP head's loss, two chained steps, on the target's detached hidden states: at position j the head
    sees h_j and token j+1 (lab[j]) and predicts token j+2 (lab[j+1]); its output and token j+2 then predict
    token j+3. Nothing flows back into the target."""
    E = model.emb.weight.detach()
    h = h.detach()
    ok1 = (lab[:, :-1] >= 0) & (lab[:, 1:] >= 0)
    g1 = head(h[:, :-1][ok1], E[lab[:, :-1][ok1]])
    loss1 = F.cross_entropy(model.logits(g1), lab[:, 1:][ok1])
    ok2 = ok1[:, :-1] & (lab[:, 2:] >= 0)
    g1full = torch.zeros(h.shape[0], h.shape[1] - 1, h.shape[2], device=h.device)
    g1full[ok1] = g1
    g2 = head(g1full[:, :-1][ok2], E[lab[:, 1:-1][ok2]])
    loss2 = F.cross_entropy(model.logits(g2), lab[:, 2:][ok2])
    return loss1, loss2


def compute_stats(model, clips, n=400):
    r = random.Random(0)
    acc = []
    for i in r.sample(range(len(clips)), min(n, len(clips))):
        x = torch.from_numpy(clips[i].astype(np.float32) / 32768.0)
        acc.append(logmel_frames(x, n_audio_tokens(len(x)), model.window, model.filters))
    z = torch.cat(acc)
    model.feat_mean.copy_(z.mean(0))
    model.feat_std.copy_(z.std(0).clamp(min=1e-3))


def warm_from_llama(path, old_tok, tok, data, head):
    """gemma.from_llama on a llama checkpoint, calibrated on a few training clips; head (or None) takes the
    checkpoint's MTP head when it has one (the head's norms are scale-free; its output norm takes the
    embeddings' 1/sqrt(d) back)."""
    ck = torch.load(path, map_location="cpu")
    c = ck["cfg"]
    old = Model(c["vocab"], c["d"], c["layers"], c["heads"], c["kv_heads"], c["ff"], frontends=c["frontends"])
    old.load_state_dict(ck["model"])
    old.eval()
    r = random.Random(0)
    fe = c["frontends"][0]
    fmt = prompt_format(old_tok)
    calib = []
    with torch.no_grad():
        for _ in range(8):
            i = r.randrange(len(data.clips))
            targets = {i: {t: old_tok.encode(data.items[i][TASK_FIELD[t]]) for t in TASKS}}
            tokens, am, feats, pos, mask, lab = build_batch(old, old_tok, fe, data.clips, targets, r, [i], aug=False,
                                                            fmt=fmt)
            x = old.emb(tokens).masked_scatter(am[..., None], old.project(fe, feats))
            L = x.shape[1]
            calib.append(x[:, :min(L, int(am.sum()) + 2)])  # the prefix: causal, no segment mask needed
    model = from_llama(old, old_tok, tok, calib)
    if head is not None and head.cfg["d"] != c["d"]:
        raise SystemExit("--d %d: %s has width %d" % (head.cfg["d"], path, c["d"]))
    if head is not None and "mtp" in ck:
        head.load_state_dict(ck["mtp"])
        with torch.no_grad():
            head.norm.w.mul_(math.sqrt(c["d"]))
    return model, head


def cpu_state(m):
    """A state dict that loads on a machine without the GPU it was trained on."""
    return {k: v.detach().cpu() for k, v in m.state_dict().items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="work/data")
    ap.add_argument("--out", required=True)
    ap.add_argument("--fe", default="logmel")
    ap.add_argument("--d", type=int, default=192)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ff", type=int, default=512)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--minutes", type=float, default=0, help="stop (with cosine cut short) after this many")
    ap.add_argument("--batch", type=int, default=24)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--init", default="", help="warm start backbone from this checkpoint")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--speed_perturb", action="store_true")
    ap.add_argument("--resume", default="", help="continue from this checkpoint (weights only, new schedule)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ckpt_every", type=int, default=200)
    ap.add_argument("--token_noise", type=float, default=0.0, help="share of text inputs replaced at random")
    ap.add_argument("--mtp_ff", type=int, default=0, help="train an MTP drafter head of this FFN width too")
    ap.add_argument("--snapshot_at", type=int, default=0, help="also save <out>.step<N> at this step")
    ap.add_argument("--device", default="cpu", help="cpu, or cuda on a GPU machine (tools/demomodel/gpu.sh)")
    ap.add_argument("--workers", type=int, default=0, help="DataLoader processes building batches")
    ap.add_argument("--arch", default="llama", help="llama, or gemma4 (gemma.py: Gemma 4's text architecture)")
    ap.add_argument("--from_llama", default="", help="gemma4: start from this llama checkpoint (gemma.from_llama)")
    ap.add_argument("--freeze_proj", action="store_true", help="keep the audio projector (and its front end) as "
                    "initialised, so the model hears through its initial model's projector file")
    ap.add_argument("--until", type=float, default=0, help="like --minutes, as a wall-clock end (Unix seconds)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
    global SPEED_PERTURB
    SPEED_PERTURB = a.speed_perturb
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    tok = Tokenizer.load(os.path.join(a.data, "tokens.json"))
    data = Clips(a.data)
    old_tok = tok
    if a.arch == "gemma4":
        tok = GemmaTokenizer(*build_gemma_vocab(tok.tokens))
    targets = [{t: tok.encode(it[TASK_FIELD[t]]) for t in TASKS} for it in data.items]
    if a.arch == "gemma4":
        model = GemmaModel(len(tok.tokens), a.d, a.layers, a.heads, a.heads, a.ff, frontends=(a.fe,))
    else:
        model = Model(len(tok.tokens), a.d, a.layers, a.heads, a.heads, a.ff, frontends=(a.fe,))
    head = MTPHead(a.d, a.mtp_ff) if a.mtp_ff else None
    if a.from_llama:
        model, head = warm_from_llama(a.from_llama, old_tok, tok, data, head)
    elif a.resume:
        ck = torch.load(a.resume, map_location="cpu")
        model.load_state_dict(ck["model"])
        print("resumed from", a.resume, "step", ck["step"], file=open(a.out + ".log", "a"), flush=True)
    elif a.init:
        ck = torch.load(a.init, map_location="cpu")
        sd = {k: v for k, v in ck["model"].items() if not k.startswith("proj.")}
        missing = model.load_state_dict(sd, strict=False)
        print("warm start from", a.init, "missing", missing.missing_keys)
    else:
        compute_stats(model, data.clips)
    # word pieces the text targets use (not control tokens, not single characters) for input noise
    noise_ids = sorted({t for tg in targets for task in TASKS for t in tg[task] if len(tok.tokens[t]) > 1})
    # the front end's constants as plain CPU tensors for the batch builders (workers never touch the model)
    feats_cpu = type("Frontend", (), {k: getattr(model, k).clone() for k in ("window", "filters", "feat_mean",
                                                                            "feat_std")})
    workers = dict(num_workers=a.workers, prefetch_factor=4, persistent_workers=True) if a.workers else {}
    batches = iter(DataLoader(Batches(data, feats_cpu, tok, a.fe, targets, a.batch, a.seed, a.token_noise, noise_ids),
                              batch_size=None, **workers))
    model.to(dev)
    if head is not None:
        head.to(dev)
    if a.freeze_proj:
        model.proj.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad] + (list(head.parameters()) if head else [])
    opt = torch.optim.AdamW(params, lr=a.lr, betas=(0.9, 0.98), weight_decay=0.01)
    t0 = time.time()
    total = a.steps
    log = open(a.out + ".log", "a")
    step = 0
    ema = None
    mema = None
    budget = a.until - t0 if a.until else a.minutes * 60
    progress = 0.0
    while progress < 1.0:
        if step < a.warmup:
            lr = a.lr * (step + 1) / a.warmup
        else:
            lr = a.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))
        for g in opt.param_groups:
            g["lr"] = lr
        tokens, am, feats, pos, mask, lab = (t.to(dev, non_blocking=True) for t in next(batches))
        h = hidden(model, a.fe, tokens, am, feats, pos, mask)
        sel = lab >= 0
        logits = model.logits(h[sel])
        loss = F.cross_entropy(logits, lab[sel])
        total_loss = loss
        if head is not None:
            l1, l2 = mtp_loss(head, model, h, lab)
            total_loss = loss + l1 + 0.5 * l2
            mema = l1.item() if mema is None else 0.98 * mema + 0.02 * l1.item()
        opt.zero_grad()
        total_loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        if head is not None:
            torch.nn.utils.clip_grad_norm_(head.parameters(), 1.0)
        opt.step()
        step += 1
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        el = time.time() - t0
        # progress after warm-up: by steps, or by wall clock when a time budget is given (whichever is further)
        warm = min(step, a.warmup)
        progress = max((step - warm) / max(1, total - a.warmup) if step > a.warmup else 0.0,
                       (el - 0) / budget if budget > 0 and step > a.warmup else 0.0)
        if step >= total or (budget > 0 and el >= budget):
            progress = 1.0
        if step % 20 == 0 or progress >= 1.0:
            print("step %d loss %.4f%s lr %.2e %.1f s" % (step, ema, "" if mema is None else " mtp %.4f" % mema, lr, el),
                  file=log, flush=True)
        if step % a.ckpt_every == 0 or progress >= 1.0:
            ck = {"model": cpu_state(model), "cfg": model.cfg, "step": step, "fe": a.fe, "seconds": el,
                  "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu", "batch": a.batch}
            if head is not None:
                ck["mtp"], ck["mtp_cfg"] = cpu_state(head), head.cfg
            if isinstance(tok, GemmaTokenizer):
                ck["tokenizer"] = dict(tokens=tok.tokens, types=tok.types, merges=tok.merges)
            torch.save(ck, a.out + ".tmp")
            os.replace(a.out + ".tmp", a.out)
        if step == a.snapshot_at:
            torch.save({"model": cpu_state(model), "cfg": model.cfg, "step": step, "fe": a.fe,
                        "seconds": el}, a.out + ".step%d" % step)
    print("done", step, "steps", "%.1f s" % (time.time() - t0), file=log, flush=True)


if __name__ == "__main__":
    main()
