package inference

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"time"
	"unicode/utf8"

	"github.com/ollama/ollama/llama"

	"github.com/verbatim-app/verbatim/app/speech"
)

// ErrContextFull means the prompt and text no longer fit into the context window.
var ErrContextFull = errors.New("the model's context window is full")

// Options control generation.
type Options struct {
	MaxTokens   int     // 0: 256
	Temperature float32 // 0: greedy (deterministic)
	TopK        int
	TopP        float32
	Seed        uint32
	Draft       speech.DraftMode
	IgnoreEOG   bool // keep going past end-of-generation (benchmarks that need a fixed length)
}

// Result is one generation's text and its timing.
type Result struct {
	Text         string
	Tokens       []int
	PromptTokens int
	PromptTime   time.Duration // time to decode the prompt (audio included)
	GenTime      time.Duration // time from the first to the last generated token
	Drafted      int           // tokens proposed by a drafter
	Accepted     int           // of those, accepted
	Truncated    bool          // stopped by MaxTokens, not by the model
}

// TokensPerSecond is the generation speed.
func (r Result) TokensPerSecond() float64 {
	if r.GenTime <= 0 {
		return 0
	}
	return float64(len(r.Tokens)) / r.GenTime.Seconds()
}

// decodeTokens adds toks at positions pos… of seq and returns the batch index of the last token's logits.
func (c *core) decodeTokens(seq int, toks []int, pos int) (int, error) {
	if pos+len(toks) > c.nCtx {
		return 0, ErrContextFull
	}
	last := 0
	for start := 0; start < len(toks); start += c.batch {
		end := min(start+c.batch, len(toks))
		c.tokBatch.Clear()
		for i := start; i < end; i++ {
			c.tokBatch.Add(toks[i], nil, pos+i, i == len(toks)-1, seq)
		}
		if err := c.lctx.Decode(c.tokBatch); err != nil {
			return 0, fmt.Errorf("decode: %w", err)
		}
		last = end - start - 1
	}
	return last, nil
}

// decodeEmbeds adds embeddings at positions pos… of seq; logits are not needed for them.
func (c *core) decodeEmbeds(seq int, embs [][]float32, pos int) error {
	if pos+len(embs) > c.nCtx {
		return ErrContextFull
	}
	for start := 0; start < len(embs); start += c.batch {
		end := min(start+c.batch, len(embs))
		c.embBatch.Clear()
		for i := start; i < end; i++ {
			if len(embs[i]) != c.nEmbd {
				return fmt.Errorf("embedding %d has width %d, model wants %d", i, len(embs[i]), c.nEmbd)
			}
			c.embBatch.Add(0, embs[i], pos+i, false, seq)
		}
		if err := c.lctx.Decode(c.embBatch); err != nil {
			return fmt.Errorf("decode audio embeddings: %w", err)
		}
	}
	return nil
}

// pieceWriter turns token pieces into valid UTF-8 text, holding back a split multi-byte character.
type pieceWriter struct {
	pending []byte
	emit    func(string)
	text    []byte
}

func (w *pieceWriter) write(p string) {
	w.pending = append(w.pending, p...)
	n := len(w.pending)
	for n > 0 && !utf8.Valid(w.pending[:n]) && len(w.pending)-n < utf8.UTFMax {
		n--
	}
	if n == 0 || !utf8.Valid(w.pending[:n]) {
		if len(w.pending) < utf8.UTFMax {
			return
		}
		n = len(w.pending) // invalid bytes the model insists on: pass them through
	}
	out := string(w.pending[:n])
	w.pending = w.pending[n:]
	w.text = append(w.text, out...)
	if w.emit != nil && out != "" {
		w.emit(out)
	}
}

func (w *pieceWriter) flush() {
	if len(w.pending) > 0 {
		out := string(w.pending)
		w.pending = nil
		w.text = append(w.text, out...)
		if w.emit != nil {
			w.emit(out)
		}
	}
}

// sampler picks the next token from a batch index's logits.
type sampler struct {
	greedy bool
	sc     *llama.SamplingContext
}

func (c *core) newSampler(opt Options) (*sampler, error) {
	if opt.Temperature <= 0 {
		return &sampler{greedy: true}, nil
	}
	seed := opt.Seed
	if seed == 0 {
		seed = rand.Uint32()
	}
	sc, err := llama.NewSamplingContext(c.model, llama.SamplingParams{TopK: max(opt.TopK, 40), TopP: orDefault(opt.TopP, 0.95),
		MinP: 0.05, TypicalP: 1, Temp: opt.Temperature, RepeatLastN: 64, PenaltyRepeat: 1.1, Seed: seed})
	if err != nil {
		return nil, fmt.Errorf("sampler: %w", err)
	}
	return &sampler{sc: sc}, nil
}

func orDefault(v, d float32) float32 {
	if v == 0 {
		return d
	}
	return v
}

func (s *sampler) pick(c *core, idx int) int {
	if s.greedy {
		return speech.Greedy(logitsView(c.lctx, idx, c.nVocab))
	}
	t := s.sc.Sample(c.lctx, idx)
	s.sc.Accept(t, true)
	return t
}

// generate continues seq from position pos, whose next-token logits sit at batch index idx.
func (c *core) generate(ctx context.Context, seq, pos, idx int, opt Options, res *Result, emit func(string)) error {
	maxTok := opt.MaxTokens
	if maxTok <= 0 {
		maxTok = 256
	}
	s, err := c.newSampler(opt)
	if err != nil {
		return err
	}
	pw := &pieceWriter{emit: emit}
	defer func() { pw.flush(); res.Text = string(pw.text) }()
	start := time.Now()
	defer func() { res.GenTime = time.Since(start) }()
	if mode := c.draftMode(opt.Draft); mode != speech.DraftOff && s.greedy {
		return c.generateSpeculative(ctx, seq, pos, idx, maxTok, mode, res, pw)
	}
	for len(res.Tokens) < maxTok {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.greedy && pos < c.nCtx {
			toks, eog, err := c.greedy.run(idx, pos, seq, min(maxTok-len(res.Tokens), c.nCtx-pos), opt.IgnoreEOG)
			for _, t := range toks {
				res.Tokens = append(res.Tokens, t)
				pw.write(c.piece(t))
				if err := ctx.Err(); err != nil { // cancelled while this chunk's text streams out
					return err
				}
			}
			if eog || err != nil {
				return err
			}
			pos += len(toks)
			idx = 0
			continue
		}
		t := s.pick(c, idx)
		if c.isEOG(t) && !opt.IgnoreEOG {
			return nil
		}
		res.Tokens = append(res.Tokens, t)
		pw.write(c.piece(t))
		if idx, err = c.decodeTokens(seq, []int{t}, pos); err != nil {
			return err
		}
		pos++
	}
	res.Truncated = true
	return nil
}

// reset forgets everything in the KV cache; the epoch tells stale utterances.
func (c *core) reset() {
	c.lctx.KvCacheClear()
	c.epoch++
}

// Generate runs a text prompt through the model (tests and benchmarks; the app only hears). The prompt is
// used as is when raw is true, else wrapped in the model's chat template.
func (e *Engine) Generate(ctx context.Context, prompt string, raw bool, opt Options, emit func(string)) (Result, error) {
	var res Result
	err := e.do(ctx, func(c *core) error {
		c.reset()
		text := prompt
		if !raw {
			text = c.meta.textPrompt(prompt)
		}
		toks, err := c.model.Tokenize(text, false, true)
		if err != nil {
			return fmt.Errorf("tokenize prompt: %w", err)
		}
		if c.bos >= 0 {
			toks = append([]int{c.bos}, toks...)
		}
		if len(toks) == 0 {
			return errors.New("empty prompt")
		}
		res.PromptTokens = len(toks)
		start := time.Now()
		idx, err := c.decodeTokens(0, toks, 0)
		if err != nil {
			return err
		}
		res.PromptTime = time.Since(start)
		return c.generateWithPrompt(ctx, toks, idx, opt, &res, emit)
	})
	return res, err
}

// generateWithPrompt remembers the prompt for prompt-lookup drafting, then generates.
func (c *core) generateWithPrompt(ctx context.Context, prompt []int, idx int, opt Options, res *Result, emit func(string)) error {
	c.history = append(c.history[:0], prompt...)
	return c.generate(ctx, 0, len(prompt), idx, opt, res, emit)
}
