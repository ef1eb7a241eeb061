"""Write MODEL_CARD.md and heldout.tsv into the assets directory from the evaluation results."""
import argparse
import json
import os

import gemma
import synth
import textgen as tg
import variety
import voices


def run_shards():
    """GEMMA_SHARDS as run.sh sets it (shards of 500 utterances the Gemma 4 fine-tune renders)."""
    import re
    m = re.search(r"GEMMA_SHARDS:-(\d+)", open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "run.sh")).read())
    return int(m.group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="work/data")
    ap.add_argument("--eval", default="work/eval")
    ap.add_argument("--assets", required=True)
    a = ap.parse_args()
    held = json.load(open(os.path.join(a.data, "heldout.json"), encoding="utf-8"))
    train = json.load(open(os.path.join(a.data, "train.json"), encoding="utf-8"))
    pairs = json.load(open(os.path.join(a.data, "heldout_pairs.json")))
    tokens = json.load(open(os.path.join(a.data, "tokens.json"), encoding="utf-8"))
    with open(os.path.join(a.assets, "heldout.tsv"), "w", encoding="utf-8") as f:
        f.write("formatted_english\tspelled_out_english\tspanish\tfrench\tvoice\tspeed\tpitch\n")
        for it in held:
            f.write("\t".join([it["en"], it["spoken"], it["es"], it["fr"], it["voice"], str(it["speed"]),
                               str(it["pitch"])]) + "\n")
    res = {}
    for name in ("demo-logmel", "demo-raw", "demo-draft", "demo-gemma4"):
        p = os.path.join(a.eval, name + ".json")
        if os.path.exists(p):
            res[name] = json.load(open(p, encoding="utf-8"))["result"]
    sizes = {}
    for fn in sorted(os.listdir(a.assets)):
        if fn.endswith(".gguf"):
            sizes[fn] = os.path.getsize(os.path.join(a.assets, fn))
    gpu = any(r.get("device", "cpu") != "cpu" for r in res.values())  # trained by gpu.sh
    L = []
    w = L.append
    w("# Verbatim demo models\n")
    w("Tiny speech-to-text models trained by %s (tools/demomodel) on speech synthesised with espeak-ng. " % (
        "`make demo-model-gpu` on one GPU" if gpu else "`make demo-model` on this machine") + "They exist so that Verbatim works, and its end-to-end tests can assert real "
      "words, without downloading anything. **They only hear synthetic English voices saying sentences built from "
      "the ~280 words of `tools/demomodel/vocabulary.tsv`.** Real speech, other words and other languages will "
      "come out as confident nonsense drawn from that vocabulary. Use a real model (Settings → Models, or "
      "`--model`) for anything else.\n")
    w("## Files\n")
    w("| file | what | size |\n|---|---|---|")
    desc = {"demo-gemma4.gguf": "text model (default, in the binary) in Gemma 4's architecture, Q8_0, run by "
                                "ollama's Go engine; hears through `demo-logmel.mmproj.gguf`",
            "demo-gemma4.mtp.gguf": "MTP drafter head for demo-gemma4 (in the binary)",
            "demo-logmel.gguf": "text model, llama architecture, run by llama.cpp (in the repository only)",
            "demo-logmel.mmproj.gguf": "the projector of both, `verbatim_logmel` (fixed log-mel front end + one matrix; "
                                       "in the binary)",
            "demo-raw.gguf": "text model for the raw-frame path, llama architecture, Q8_0 (in the repository only)",
            "demo-raw.mmproj.gguf": "its projector, `gemma4ua` (the seed's raw 640-sample frames + one matrix)",
            "demo-draft.gguf": "small drafter for demo-logmel (same tokenizer; in the repository only)",
            "demo-draft.mmproj.gguf": "the drafter's own `verbatim_logmel` projector",
            "demo-logmel.mtp.gguf": "MTP drafter head for demo-logmel (in the repository only)"}
    for fn, sz in sizes.items():
        w("| `%s` | %s | %.2f MB |" % (fn, desc.get(fn, ""), sz / 1e6))
    w("| total | | %.2f MB |\n" % (sum(sizes.values()) / 1e6))
    w("`heldout.tsv` holds the %d held-out sentences (never used in training) with the voice each was spoken "
      "in; `fixture.json` holds two short clips with the first projected embeddings as computed in PyTorch, for "
      "the Go projector tests.\n" % len(held))
    w("## Architecture\n")
    for name, r in res.items():
        c = r["cfg"]
        if c.get("arch") == "gemma4":
            w("- **%s**: Gemma 4 decoder as ollama v0.24.0's `gemma4` engine runs it (`tools/demomodel/gemma.py`): "
              "%d layers (the last global, the others sliding-window with a %d-token window, as wide as the "
              "context), width %d, %d heads of %d, per-head RMSNorm of Q and K (weighted) and V (unweighted), "
              "attention scale 1, NeoX RoPE base 10000, post-attention and post-FFN RMSNorms, GELU(tanh)-gated FFN "
              "%d, token rows scaled by √%d, tied output with a final soft cap of %.0f, RMSNorm eps 1e-6; Gemma 4's "
              "tokenizer format (BPE with ▁, byte fallback, its control tokens) and chat prompt, vocabulary %d; "
              "fine-tuned %d steps of %d clips (%.1f min on %s) from demo-logmel, whose projector it keeps." % (
                  name, c["layers"], gemma.CONTEXT, c["d"], c["heads"], c["d"] // c["heads"], c["ff"], c["d"],
                  gemma.SOFTCAP, c["vocab"], r["step"], r.get("batch", 24), (r.get("train_seconds") or 0) / 60,
                  "two CPU threads" if r.get("device", "cpu") == "cpu" else "one " + r["device"]))
            continue
        w("- **%s**: llama decoder, %d layers, width %d, %d heads (head dim %d), SwiGLU %d, RMSNorm eps 1e-5, "
          "RoPE (NORM, base 10000), tied embeddings, vocabulary %d; %s projector; trained %d steps of %d clips "
          "(%.1f min on %s)." % (name, c["layers"], c["d"], c["heads"], c["d"] // c["heads"], c["ff"], c["vocab"],
                                 "gemma4ua" if r["fe"] == "raw" else "verbatim_logmel", r["step"], r.get("batch", 24),
                                 (r.get("train_seconds") or 0) / 60,
                                 "one CPU thread" if r.get("device", "cpu") == "cpu" else "one " + r["device"]))
    if gpu:
        w("\nTraining (one run of `tools/demomodel/gpu.sh` on a GPU machine, then `tools/demomodel/run.sh` with "
          "`CKPT` here for evaluation, export and scoring): AdamW (β 0.9/0.98, weight decay 0.01), each clip packed "
          "with all three tasks (each task segment attends to the audio prefix only), warm-up then cosine decay "
          "following an 8-minute wall clock, gradient clip 1.0; the three models train at once on one GPU while "
          "espeak-ng renders the training set in shards beside them (training starts on the first shard, so the "
          "first steps see only part of it; batches are drawn by several data-loader processes, so the order is "
          "not reproducible step for step). The raw-frame model starts from the log-mel model's step-1000 backbone "
          "with a fresh projector. `make demo-model` runs the same pipeline on 2 CPU cores within 75 minutes "
          "(4 layers, batch 24, a few thousand steps), which scores far worse on the test set "
          "(`tools/results/2026-11-30-demo-model-retrain.txt`).")
    else:
        w("\nTraining (one `make demo-model` run, seeds fixed): AdamW (β 0.9/0.98, weight decay 0.01), batch 24 "
          "clips, each clip packed with all three tasks (each task segment attends to the audio prefix only), "
          "warm-up then cosine decay, gradient clip 1.0, one CPU thread per model, two models at a time on a 2-core "
          "machine. Each schedule has a step count and a wall-clock cap; when the machine is busier than planned "
          "the cosine decay follows the clock, so the whole run stays within its time budget (the step counts "
          "above are what was reached). The raw-frame model starts from the log-mel model's step-450 backbone "
          "with a fresh projector.")
    w(" Augmentation, drawn per clip: speed perturbation (60 %, ×0.88–1.12, tempo and pitch together); "
      "for log-mel, vocal-tract-length warping of the spectrum (70 %, ×0.9–1.1) and two frequency masks of up to "
      "8 mel bins (50 %), because the held-out voices differ from the training ones mostly in formants. The "
      "log-mel model and the drafter also see 10 % of their text inputs (never their targets) replaced by random "
      "words, so they check the previous words against the audio instead of trusting word order: held-out "
      "sentences combine words that training never had together.")
    if "demo-gemma4" in res:
        w("\nThe Gemma-4-architecture model starts from demo-logmel's weights (`gemma.from_llama`: the same "
          "matrices, Q and K rows reordered for NeoX RoPE, the gate scaled for GELU, the norms Gemma adds set to "
          "the magnitudes demo-logmel shows on a few clips, its MTP head carried over) and is fine-tuned with "
          "Gemma 4's chat prompt — `<bos><|turn>user\\n<|audio>` audio `<audio|>\\n` + the instruction Verbatim "
          "sends + `<turn|>\\n<|turn>model\\n`, answer, `<turn|>` — on %s, with the projector frozen (so it "
          "hears through demo-logmel's projector file). Its matrices ship as Q8_0." % (
              "the first %d training utterances, rendered here" % (run_shards() * 500) if gpu else "the training set"))
        g = res["demo-gemma4"]
        if "mtp_acc1" in g:
            w(" Its MTP head (`demo-gemma4.mtp.gguf`, the format below, fine-tuned with it) drafts the model's next "
              "token right %.1f %% of the time on the held-out clips, and the one after %.1f %%." % (
                  100 * g["mtp_acc1"], 100 * g["mtp_acc2"]))
    mt = res.get("demo-logmel", {})
    if "mtp_acc1" in mt:
        w("\nMTP head (`demo-logmel.mtp.gguf`): trained in the same run as demo-logmel, on its hidden states "
          "with no gradient flowing back (so the model is the same as without it), two chained steps per "
          "position. From the target's final hidden state at position t (after its output norm) and the embedding "
          "of token t+1: RMSNorm each, concatenate, one matrix (2d→d), a SwiGLU block (%d), RMSNorm; logits "
          "through the model's tied embeddings predict token t+2, and the output takes the hidden state's place "
          "to draft further. On the held-out clips its first draft matches the model's own greedy next token "
          "%.1f %% of the time, and its second draft (after a right first) %.1f %%." % (
              mt["mtp_cfg"]["ff"],
              100 * mt["mtp_acc1"], 100 * mt["mtp_acc2"]))
    w("\nAudio enters layer 0 directly (no scaling), one embedding per 40 ms, decoded causally. Sequence: "
      "`<bos> <|audio> a_1 … a_T <audio|> <|task|> out_1 … out_M <eos>` with consecutive positions; the task "
      "token comes after the audio so the audio is decoded once and the KV cache forked per task.\n")
    w("Control tokens (token_type 3): " + ", ".join("`%s` = %d" % (t, i) for i, t in enumerate(tokens[:8])) +
      ". Token 8 is the newline. Tokenizer `rwkv` (greedy longest match); every printable ASCII character and "
      "every accented letter is a single-character fallback; digits are always single tokens.\n")
    w("## Data\n")
    vf = variety.sample_figures(train)
    w("- %d training utterances (%s), %d held-out ones. Sentences are composed from parts by "
      "`tools/demomodel/textgen.py`, not picked from templates: statements, questions (yes/no, where, when, what "
      "time, who, what, which, how many), commands and requests, negations, lists, two clauses joined by and/but, "
      "numbers and times at the front or the end, adjectives, numbers, possessives and of/from/for/with phrases on "
      "noun phrases; 3–15 words, vocabulary words only. %d of them (%.0f %%) are word sequences with no grammar "
      "at all, so that their words can only come from the audio. The training set holds %d distinct sentences "
      "and %d distinct structures (words with nouns, adjectives, names, numbers, days and months replaced by "
      "their class; the commonest covers %.1f %% of the grammatical sentences); %.0f %% are questions, %.0f %% "
      "negations, %.0f %% have numbers or times." % (
          len(train), "espeak-ng `en-us` and `en` with variants " + ", ".join(
              v or "(none)" for v in synth.TRAIN_VARIANTS), len(held), vf["salad"], 100 * vf["salad"] / len(train),
          vf["distinct"], vf["structures"], 100 * vf["top_structure_share"], 100 * vf["questions"],
          100 * vf["negations"], 100 * vf["numbers_or_times"]))
    w("- Speed 130–200 words a minute, pitch 30–70, 16 kHz mono via sox; training adds random gain "
      "(−26…−1 dBFS peak), leading/trailing silence and white noise (SNR 12–45 dB, 80 % of clips).")
    w("- Held out: **voice variants %s** (in both `en-us` and `en`) never occur in training, and %d word "
      "combinations (colour+object, name+place, verb+object) never occur together in a training sentence; every "
      "held-out sentence contains at least one of them." % (", ".join(synth.HELDOUT_VARIANTS), len(pairs)))
    w("- Targets: `transcribe` = formatted English (sentence case, commas, final punctuation, numerals and clock "
      "times as digits: “Please bring the red box to the kitchen at 5:30.”); `translate:es` / `translate:fr` = "
      "Spanish (tú) and French (vous) with articles, possessives, demonstratives and adjectives agreeing in gender "
      "and number with their noun (“Trae las cajas rojas”, “Apportez les boîtes rouges”), adjectives before or "
      "after the noun as `vocabulary.tsv` says (“la grande boîte rouge”, “un nouvel hôtel”), French elision and "
      "contraction, Spanish al/del; names unchanged, numbers and clock times as digits. Every training target "
      "passes the agreement checker `tools/demomodel/agreement.py`. The grammar-free sequences are translated word "
      "for word (their content words, comma-separated).\n")
    w("## Held-out results\n")
    w("Transcription WER is normalised (lowercase, no punctuation, digits and times spelled out as the formatter "
      "writes them; the Go package `tools/textnorm` does the same). Translation is scored by content-word accuracy "
      "(vocabulary translations, names and numbers expected in the reference that appear in the output) and by "
      "exact sentence match. PyTorch greedy decoding, %d held-out clips.\n" % len(held))
    w("| model | transcribe WER | exact sentence | es content words | es exact | fr content words | fr exact |")
    w("|---|---|---|---|---|---|---|")
    for name, r in res.items():
        w("| %s | %.2f %% | %.1f %% | %.1f %% | %.1f %% | %.1f %% | %.1f %% |" % (
            name, 100 * r["wer"], 100 * r["exact_en"], 100 * r["es_content"], 100 * r["es_exact"],
            100 * r["fr_content"], 100 * r["fr_exact"]))
    w("\nTranscription WER by held-out voice:\n")
    held_voices = sorted({it["voice"] for it in held})
    w("| model | " + " | ".join(held_voices) + " |")
    w("|---|" + "---|" * len(held_voices))
    import evaluate as ev
    for name in res:
        rows = json.load(open(os.path.join(a.eval, name + ".json"), encoding="utf-8"))["rows"]
        cells = []
        for v in held_voices:
            e = n = 0
            for r in rows:
                if r["ref"]["voice"] == v:
                    ref = ev.normalise(r["ref"]["en"])
                    e += ev.edit_distance(ref, ev.normalise(r["hyp"]["transcribe"]))
                    n += len(ref)
            cells.append("%.1f %%" % (100 * e / max(1, n)))
        w("| %s | %s |" % (name, " | ".join(cells)))
    w("\n## Development and test sets\n")
    dev_rows = tg.read_tsv(os.path.join(os.path.dirname(os.path.abspath(__file__)), "testset", "dev.tsv"))
    test_rows = tg.read_tsv(os.path.join(os.path.dirname(os.path.abspath(__file__)), "testset", "testset.tsv"))
    w("Free-form sentences written by hand, not by the generator (`tools/demomodel/testset/sentences.txt`, with "
      "Spanish and French references): %d development sentences to tune on and %d test sentences that no choice "
      "is made on. The test set is spoken by %s at %s words a minute; the development set by %s. None of these "
      "accents is ever heard in training. How they are kept out of training and tuning: "
      "`tools/demomodel/testset/README.md` — in short, the generator never emits a development or test sentence "
      "(checked again when the training set is written), the voices are disjoint (`voices.py`), `evaluate.py` "
      "refuses the test set, and the test set is scored once, through the CLI, after the model is built.\n" % (
          len(dev_rows), len(test_rows), ", ".join("`%s`" % v for v in voices.TEST_VOICES),
          "–".join(map(str, (min(voices.TEST_RATES), max(voices.TEST_RATES)))),
          ", ".join("`%s`" % v for v in voices.DEV_VOICES)))
    cli = {}
    for name, label in (("cli-test", "test set, `bin/verbatim transcribe` (demo-gemma4)"),
                        ("cli-test-logmel", "test set, llama-architecture demo-logmel, `bin/verbatim transcribe --model …`"),
                        ("cli-test-raw", "test set, raw-frame demo-raw, `bin/verbatim transcribe --model …`"),
                        ("cli-dev", "development set, `bin/verbatim transcribe` (demo-gemma4)"),
                        ("dev-gemma4", "development set, demo-gemma4 in PyTorch"),
                        ("dev-logmel", "development set, demo-logmel in PyTorch")):
        p = os.path.join(a.eval, name + ".json")
        if os.path.exists(p):
            cli[label] = json.load(open(p, encoding="utf-8"))["result"]
    if cli:
        w("| set | sentences | transcribe WER | exact sentence | es content words | fr content words |")
        w("|---|---|---|---|---|---|")
        for label, r in cli.items():
            w("| %s | %d | %.2f %% | %.1f %% | %.1f %% | %.1f %% |" % (
                label, r["n"], 100 * r["wer"], 100 * r["exact_en"], 100 * r["es_content"], 100 * r["fr_content"]))
        t = cli.get("test set, `bin/verbatim transcribe` (demo-gemma4)")
        if t:
            w("\nTest-set WER by voice: " + ", ".join("`%s` %.1f %%" % (v, 100 * x["wer"])
                                                    for v, x in t["by_voice"].items()) + ".")
            w("\nThe issue's targets on the test set: WER ≤ 5 %% (%s), content words ≥ 90 %% in Spanish (%s) and "
              "French (%s)." % tuple("met" if ok else "missed" for ok in (
                  t["wer"] <= 0.05, t["es_content"] >= 0.9, t["fr_content"] >= 0.9)))
        t = cli.get("test set, llama-architecture demo-logmel, `bin/verbatim transcribe --model …`")
        if t:
            w("The llama-architecture model (demo-logmel) on the test set: WER %.2f %% (≤ 5 %%: %s), content words "
              "es %.1f %%, fr %.1f %%." % (100 * t["wer"], "met" if t["wer"] <= 0.05 else "missed",
                                           100 * t["es_content"], 100 * t["fr_content"]))
        t = cli.get("test set, raw-frame demo-raw, `bin/verbatim transcribe --model …`")
        if t:
            w("The raw-frame model's target on the test set: WER ≤ 10 %% (%s)." % ("met" if t["wer"] <= 0.1 else "missed"))
    else:
        w("Not scored yet: `python3 tools/demomodel/testset/score.py --set test --out "
          "tools/demomodel/work/eval/cli-test.json` after `make build`, then card.py again.")
    w("\n## Limits\n")
    w("- Synthetic voices only (espeak-ng); real microphones, accents, music and noise beyond the augmentation "
      "are out of scope.")
    w("- Vocabulary of about 280 English words; anything else is mapped onto them. Silence may yield a short "
      "sentence from the vocabulary rather than nothing.")
    w("- Translations follow a small rule set: one register (tú, vous), yes/no questions in French with “Est-ce "
      "que …”, times as digits (“à 5:30”); the agreement checker covers determiners, adjectives, numbers, elision "
      "and contraction, not verbs.")
    if "demo-raw" in res and "demo-logmel" in res:
        w("- The raw-frame (`gemma4ua`) model hears through a single linear map of raw waveform frames; held-out "
          "WER %.2f %% against the log-mel model's %.2f %% (PyTorch). It ships so that the seed's projector path "
          "is exercised end to end." % (100 * res["demo-raw"]["wer"], 100 * res["demo-logmel"]["wer"]))
    default = "demo-gemma4" if "demo-gemma4" in res else "demo-logmel"
    if default in res:
        wer = res[default]["wer"]
        rows = json.load(open(os.path.join(a.eval, default + ".json"), encoding="utf-8"))["rows"]
        wrong = [r for r in rows if r["hyp"]["transcribe"] != r["ref"]["en"]]
        w("- Held-out WER of the default model (" + default + "): %.2f %% in PyTorch (the issue's target is 5 %%: %s); %d of %d "
          "held-out transcripts differ from the reference%s" % (
              100 * wer, "met" if wer <= 0.05 else "missed", len(wrong), len(rows),
              ": " + "; ".join("“%s” → “%s”" % (r["ref"]["en"], r["hyp"]["transcribe"]) for r in wrong[:5]) + "."
              if wrong else "."))
        w("- Translations are weaker than transcripts (content-word accuracy in the table above); callers "
          "should cap output length, as Verbatim does.")
    w("- Utterances longer than ~10 s (250 audio tokens) were never seen in training.")
    open(os.path.join(a.assets, "MODEL_CARD.md"), "w", encoding="utf-8").write("\n".join(L) + "\n")
    print("wrote model card and heldout.tsv")


if __name__ == "__main__":
    main()
