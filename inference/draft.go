package inference

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/ollama/ollama/llama"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/inference/audioproj"
	"github.com/verbatim-app/verbatim/inference/gguf"
)

const (
	maxDraft     = 8  // a drafter's proposals: each costs a drafter step
	maxLookup    = 16 // lookup's proposals cost nothing to make; they are usually whole copied phrases
	lookupNgram  = 3
	minWorthRate = 0.25 // below this acceptance rate drafting costs more than it saves
)

// drafter is a small model kept in step with the target's sequence 0.
type drafter struct {
	model  *llama.Model
	lctx   *llama.Context
	tok    *llama.Batch
	emb    *llama.Batch
	proj   audioproj.Projector
	nVocab int
	pos    int // tokens of the target's history already in the drafter's KV cache
	stream audioproj.Stream
	epoch  int
}

// LoadDrafter adds a draft model (and its own projector, for audio) to the engine. Its vocabulary must be
// the target's, token for token.
func (e *Engine) LoadDrafter(ctx context.Context, modelPath, projectorPath string) error {
	df, dinfo, err := gguf.Check(modelPath)
	if err != nil {
		return fmt.Errorf("load draft model: %w", err)
	}
	if dinfo.Kind != gguf.KindText {
		return fmt.Errorf("load draft model: %s is not a language model", modelPath)
	}
	tf, err := gguf.Open(e.Model.Path)
	if err != nil {
		return err
	}
	if err := gguf.SameVocabulary(tf, df); err != nil {
		return fmt.Errorf("draft model %s cannot draft for %s: %w", modelPath, e.Model.Path, err)
	}
	var proj audioproj.Projector
	if projectorPath != "" {
		if proj, err = audioproj.Load(projectorPath); err != nil {
			return fmt.Errorf("load draft projector: %w", err)
		}
		if uint64(proj.Dim()) != dinfo.EmbeddingLen {
			return fmt.Errorf("draft projector %s has width %d, draft model wants %d", projectorPath, proj.Dim(), dinfo.EmbeddingLen)
		}
		if want := df.String(gguf.ProjectorTypeKey); want != "" && proj.Type() != want {
			return fmt.Errorf("draft projector %s is a %s projector but draft model %s was trained with a %s projector", projectorPath, proj.Type(), modelPath, want)
		}
	}
	return e.do(ctx, func(c *core) error {
		m, err := llama.LoadModelFromFile(modelPath, llama.ModelParams{NumGpuLayers: min(e.GPULayers, 999), UseMmap: true})
		if err != nil {
			return fmt.Errorf("load draft model %s: llama.cpp could not load it", modelPath)
		}
		d := &drafter{model: m, proj: proj, nVocab: m.NumVocab()}
		params := llama.NewContextParams(c.nCtx, c.batch, 1, DefaultThreads(dinfo), 0, "")
		if d.lctx, err = llama.NewContextWithModel(m, params); err != nil {
			llama.FreeModel(m)
			return fmt.Errorf("draft context: %w", err)
		}
		if d.tok, err = llama.NewBatch(c.batch, 1, 0); err == nil {
			d.emb, err = llama.NewBatch(c.batch, 1, m.NEmbd())
		}
		if err != nil {
			d.free()
			return err
		}
		if c.drafter != nil {
			c.drafter.free()
		}
		c.drafter = d
		return nil
	})
}

func (d *drafter) free() {
	if d.tok != nil {
		d.tok.Free()
	}
	if d.emb != nil {
		d.emb.Free()
	}
	if d.lctx != nil {
		freeContext(d.lctx)
	}
	if d.model != nil {
		llama.FreeModel(d.model)
	}
}

func (d *drafter) reset() {
	d.lctx.KvCacheClear()
	d.pos = 0
	if d.proj != nil {
		d.stream = d.proj.NewStream()
	}
}

// decode feeds tokens at d.pos…, returning the batch index of the last logits.
func (d *drafter) decode(toks []int) (int, error) {
	last := 0
	for start := 0; start < len(toks); start += d.tok.Size() {
		end := min(start+d.tok.Size(), len(toks))
		d.tok.Clear()
		for i := start; i < end; i++ {
			d.tok.Add(toks[i], nil, d.pos+i-start, i == len(toks)-1, 0)
		}
		if err := d.lctx.Decode(d.tok); err != nil {
			return 0, fmt.Errorf("draft decode: %w", err)
		}
		d.pos += end - start
		last = end - start - 1
	}
	return last, nil
}

func (d *drafter) decodeEmbeds(embs [][]float32) error {
	for start := 0; start < len(embs); start += d.emb.Size() {
		end := min(start+d.emb.Size(), len(embs))
		d.emb.Clear()
		for i := start; i < end; i++ {
			d.emb.Add(0, embs[i], d.pos+i-start, false, 0)
		}
		if err := d.lctx.Decode(d.emb); err != nil {
			return fmt.Errorf("draft decode audio: %w", err)
		}
		d.pos += end - start
	}
	return nil
}

// propose catches the drafter up with history (whose last token is the one just chosen) and greedily
// proposes k tokens after it.
func (d *drafter) propose(history []int, k int) ([]int, error) {
	if d.pos > len(history) {
		d.lctx.KvCacheSeqRm(0, len(history), -1)
		d.pos = len(history)
	}
	if d.pos == len(history) { // nothing new: re-decode the last token to get its logits
		d.lctx.KvCacheSeqRm(0, d.pos-1, -1)
		d.pos--
	}
	idx, err := d.decode(history[d.pos:])
	if err != nil {
		return nil, err
	}
	var out []int
	for len(out) < k {
		t, margin := argmaxMargin(logitsView(d.lctx, idx, d.nVocab))
		if d.model.TokenIsEog(t) || (len(out) > 0 && margin < draftMinMargin) {
			break
		}
		out = append(out, t)
		if len(out) == k {
			break
		}
		if idx, err = d.decode([]int{t}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// draftMinMargin is how far, in logits, the draft model's choice must lead its runner-up for it to
// draft past the first token: a proposal the target will probably reject only lengthens verification.
const draftMinMargin = 2

// argmaxMargin returns the best index and its lead over the second best.
func argmaxMargin(l []float32) (int, float32) {
	best, second := 0, float32(math.Inf(-1))
	for i := 1; i < len(l); i++ {
		switch v := l[i]; {
		case v > l[best]:
			second, best = l[best], i
		case v > second:
			second = v
		}
	}
	return best, l[best] - second
}

// lookup proposes the tokens that followed the most recent earlier occurrence of the history's last n-gram.
func lookup(history []int, k int) []int {
	for n := lookupNgram; n >= 1; n-- {
		if len(history) <= n {
			continue
		}
		tail := history[len(history)-n:]
		for i := len(history) - n - 1; i >= 0; i-- {
			if slices.Equal(history[i:i+n], tail) {
				var out []int
				for _, t := range history[i+n : min(i+n+k, len(history))] {
					if t < 0 { // an audio position, not a token
						break
					}
					out = append(out, t)
				}
				if len(out) > 0 {
					return out
				}
			}
		}
	}
	return nil
}

// draftMode resolves auto to the drafter loaded (models.LoadConfig loads one for auto only where it pays):
// the MTP head, else the draft model, else none. Prompt lookup, which audio prompts give nothing to look
// up, is used only when asked for.
func (c *core) draftMode(m speech.DraftMode) speech.DraftMode {
	if m != speech.DraftAuto {
		return m
	}
	switch {
	case c.mtp != nil:
		return speech.DraftMTP
	case c.drafter != nil:
		return speech.DraftModel
	}
	return speech.DraftOff
}

// generateSpeculative is greedy decoding with proposals verified in one batch. The tokens it emits are
// exactly those plain greedy decoding emits.
func (c *core) generateSpeculative(ctx context.Context, seq, pos, idx, maxTok int, mode speech.DraftMode, res *Result, pw *pieceWriter) error {
	if mode == speech.DraftModel && c.drafter == nil {
		return fmt.Errorf("no draft model is loaded")
	}
	if mode == speech.DraftMTP && c.mtp == nil {
		return fmt.Errorf("no MTP head is loaded")
	}
	k, kMax, rounds, proposedRecent, acceptedRecent := 4, maxDraft, 0, 0, 0
	if mode == speech.DraftLookup {
		k, kMax = maxLookup, maxLookup
	}
	enabled := true
	for len(res.Tokens) < maxTok {
		if err := ctx.Err(); err != nil {
			return err
		}
		t := speech.Greedy(logitsView(c.lctx, idx, c.nVocab))
		if c.isEOG(t) {
			return nil
		}
		res.Tokens = append(res.Tokens, t)
		c.history = append(c.history, t)
		pw.write(c.piece(t))
		if len(res.Tokens) >= maxTok {
			res.Truncated = true
			return nil
		}
		var draft []int
		if enabled {
			budget := min(k, maxTok-len(res.Tokens))
			switch mode {
			case speech.DraftLookup:
				draft = lookup(c.history, budget)
			case speech.DraftMTP:
				draft = c.mtpPropose(idx, t, budget)
			default:
				var err error
				if draft, err = c.drafter.propose(c.history, budget); err != nil {
					return err
				}
			}
		}
		batch := append([]int{t}, draft...)
		if pos+len(batch) > c.nCtx {
			return ErrContextFull
		}
		c.tokBatch.Clear()
		for i, b := range batch {
			c.tokBatch.Add(b, nil, pos+i, true, seq)
		}
		if err := c.lctx.Decode(c.tokBatch); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		accepted := 0
		for accepted < len(draft) {
			g := speech.Greedy(logitsView(c.lctx, accepted, c.nVocab))
			if g != draft[accepted] || c.isEOG(g) {
				break
			}
			res.Tokens = append(res.Tokens, g)
			c.history = append(c.history, g)
			pw.write(c.piece(g))
			accepted++
		}
		if accepted < len(draft) {
			c.lctx.KvCacheSeqRm(seq, pos+1+accepted, -1)
		}
		pos += 1 + accepted
		idx = accepted
		if len(draft) > 0 {
			res.Drafted += len(draft)
			res.Accepted += accepted
			proposedRecent += len(draft)
			acceptedRecent += accepted
			rounds++
			// k follows the acceptance rate; drafting stops when it does not pay.
			switch {
			case accepted == len(draft) && k < kMax:
				k++
			case accepted < len(draft)/2 && k > 1:
				k--
			}
			if rounds >= 8 {
				if float64(acceptedRecent)/float64(proposedRecent) < minWorthRate {
					enabled = false
				}
				rounds, proposedRecent, acceptedRecent = 0, 0, 0
			}
		}
	}
	res.Truncated = true
	return nil
}
