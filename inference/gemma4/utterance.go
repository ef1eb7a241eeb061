package gemma4

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ollama/ollama/tokenizer"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/capture/pcm"
	"github.com/verbatim-app/verbatim/inference/audioproj"
)

// ErrStale means another utterance reset the model since this utterance began.
var ErrStale = errors.New("utterance was superseded by newer work on the same model")

// Utterance is one stretch of speech being heard: its audio is projected and decoded into the KV cache
// as it arrives, so when speech ends only the answer is left to generate.
type Utterance struct {
	m       *Model
	epoch   int
	pos     int // next position in sequence 0
	stream  audioproj.Stream
	samples int
	heard   int     // audio rows decoded so far; the conformer (E2B/E4B) yields them only at Finish
	head    drafter // drafts the answers; nil decodes plainly
}

// StartUtterance implements speech.Model: it resets the cache and decodes the prompt up to the audio.
func (m *Model) StartUtterance(ctx context.Context) (speech.Utterance, error) {
	u := &Utterance{m: m}
	err := m.do(ctx, func(c *core) error {
		if err := c.rollback(0); err != nil {
			return err
		}
		c.epoch++
		u.epoch = c.epoch
		u.stream = c.proj.NewStream()
		before, _, err := c.prompt(m.cfg.Instruction, "")
		if err != nil {
			return err
		}
		if _, _, err := c.run(tokenRows(before), 0, nil); err != nil {
			return err
		}
		u.pos = len(before)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// prompt is the chat-templated text around the audio for a target, tokenized once and kept: Gemma 4's
// template (model/renderers/gemma4.go: an explicit <bos>, <|turn>role\n … <turn|>\n, then <|turn>model\n),
// the audio between <|audio> and <audio|> at the start of the user's turn, the instruction after it.
func (c *core) prompt(instruction func(string) string, target string) (before, after []int32, err error) {
	if p, ok := c.prompts[target]; ok {
		return p[0], p[1], nil
	}
	text := ""
	if instruction != nil {
		text = instruction(target)
	}
	if before, err = c.m.Encode("<bos><|turn>user\n<|audio>", false); err != nil {
		return nil, nil, fmt.Errorf("tokenize prompt: %w", err)
	}
	if after, err = c.m.Encode("<audio|>\n"+text+"<turn|>\n<|turn>model\n", false); err != nil {
		return nil, nil, fmt.Errorf("tokenize prompt: %w", err)
	}
	c.prompts[target] = [2][]int32{before, after}
	return before, after, nil
}

// Feed implements speech.Utterance: 16 kHz mono samples, decoded frame by frame.
func (u *Utterance) Feed(ctx context.Context, samples []float32) error {
	u.samples += len(samples)
	return u.m.do(ctx, func(c *core) error {
		if c.epoch != u.epoch {
			return ErrStale
		}
		return u.decodeAudio(c, u.stream.Push(samples))
	})
}

func (u *Utterance) decodeAudio(c *core, embs [][]float32) error {
	if len(embs) == 0 {
		return nil
	}
	if _, _, err := c.run(audioRows(embs), u.pos, nil); err != nil {
		return err
	}
	u.pos += len(embs)
	u.heard += len(embs)
	return nil
}

// Release implements speech.Utterance; the next StartUtterance resets the cache.
func (u *Utterance) Release() {}

// Finish implements speech.Utterance: it closes the audio and generates each target's text in turn, every
// target continuing the same audio.
func (u *Utterance) Finish(ctx context.Context, targets []string, emit func(target, piece string)) (map[string]speech.Result, error) {
	if len(targets) == 0 {
		targets = []string{""}
	}
	maxTokens := u.m.cfg.MaxTokens
	if maxTokens == 0 {
		maxTokens = speech.TokenBudget(pcm.Duration(int64(u.samples)))
	}
	results := map[string]speech.Result{}
	err := u.m.do(ctx, func(c *core) error {
		if c.epoch != u.epoch {
			return ErrStale
		}
		if err := u.decodeAudio(c, u.stream.Flush()); err != nil {
			return err
		}
		for _, t := range targets {
			target := t
			res, err := u.answer(ctx, c, target, maxTokens, func(s string) {
				if emit != nil {
					emit(target, s)
				}
			})
			results[target] = res
			if err != nil {
				return err
			}
		}
		return nil
	})
	return results, err
}

// Peek implements speech.Peeker: a provisional text for the audio so far. The prompt and the text are
// rolled back afterwards, so later Feed calls continue exactly where the audio stopped.
func (u *Utterance) Peek(ctx context.Context, target string, maxTokens int) (string, error) {
	var text string
	err := u.m.do(ctx, func(c *core) (err error) {
		if c.epoch != u.epoch {
			return ErrStale
		}
		if u.heard == 0 {
			// The conformer (E2B/E4B) yields rows only at Finish: preview the utterance so far, decode its rows
			// for this answer only, and roll them back after it.
			pv, ok := u.stream.(interface{ Preview() [][]float32 })
			if !ok {
				return nil
			}
			rows := pv.Preview()
			if len(rows) == 0 {
				return nil // nothing heard yet: an answer now would come from the prompt alone
			}
			start := u.pos
			defer func() {
				u.pos = start
				if rerr := c.rollback(start); err == nil {
					err = rerr
				}
			}()
			if _, _, err := c.run(audioRows(rows), u.pos, nil); err != nil {
				return err
			}
			u.pos += len(rows)
		}
		res, err := u.answer(ctx, c, target, maxTokens, nil)
		text = res.Text
		return err
	})
	return text, err
}

// answer decodes the target's prompt after the audio and generates greedily (drafting with u.head when
// there is one), then rolls the cache back to the end of the audio.
func (u *Utterance) answer(ctx context.Context, c *core, target string, maxTokens int, emit func(string)) (res speech.Result, err error) {
	defer func() {
		if rerr := c.rollback(u.pos); err == nil {
			err = rerr
		}
	}()
	_, after, err := c.prompt(u.m.cfg.Instruction, target)
	if err != nil {
		return res, err
	}
	hidden, logits, err := c.run(tokenRows(after), u.pos, []int{len(after) - 1})
	if err != nil {
		return res, err
	}
	start := time.Now()
	g := generation{c: c, head: u.head, maxTokens: maxTokens, emit: emit}
	err = g.run(ctx, hidden[0], logits[0], u.pos+len(after))
	res = speech.Result{Text: strings.TrimSpace(g.out.String()), Tokens: len(g.toks), Drafted: g.drafted, Accepted: g.accepted}
	if d := time.Since(start).Seconds(); d > 0 {
		res.TokensPerSec = float64(len(g.toks)) / d
	}
	return res, err
}

// generation is one greedy answer being generated.
type generation struct {
	c         *core
	head      drafter
	maxTokens int
	emit      func(string)

	toks              []int32
	out               strings.Builder
	pending           []byte // bytes of a character split across tokens
	drafted, accepted int
}

// run decodes greedily from logits (those of the row before pos, whose hidden state is hidden) until an
// end-of-generation token, maxTokens or the end of the context, or until ctx is cancelled (checked between
// steps). With a head, each step drafts tokens after the greedy one and the target verifies them all in
// the same batch: the drafts up to the first that differs from the target's own greedy choice are kept and
// the cache is rolled back past the rest, so the text is the plain greedy text.
func (g *generation) run(ctx context.Context, hidden, logits []float32, pos int) error {
	c := g.c
	for len(g.toks) < g.maxTokens {
		if err := ctx.Err(); err != nil {
			return err
		}
		t := c.argmax(logits)
		if c.m.Is(t, tokenizer.SpecialEOS) {
			return nil
		}
		g.push(t)
		if len(g.toks) == g.maxTokens || pos >= c.nCtx {
			return nil // a full context ends the text like the token budget does
		}
		var draft []int32
		if k := min(mtpMaxDraft, g.maxTokens-len(g.toks), c.nCtx-pos-1); g.head != nil && k > 0 {
			var err error
			if draft, err = propose(g.head, c, hidden, t, pos, k); err != nil {
				return err
			}
		}
		rows := tokenRows(append([]int32{t}, draft...))
		outputs := make([]int, len(rows))
		for i := range outputs {
			outputs[i] = i
		}
		hs, ls, err := c.run(rows, pos, outputs)
		if err != nil {
			return err
		}
		// Row i's logits choose the token after row i: draft i stands if it is that choice.
		n := 0
		for n < len(draft) && c.argmax(ls[n]) == draft[n] {
			g.push(draft[n])
			n++
		}
		g.drafted += len(draft)
		g.accepted += n
		pos += 1 + n
		if n < len(draft) {
			if err := c.rollback(pos); err != nil {
				return err
			}
		}
		hidden, logits = hs[n], ls[n]
	}
	return nil
}

// push adds a chosen token to the text, emitting whole characters.
func (g *generation) push(t int32) {
	g.toks = append(g.toks, t)
	if g.c.isControl(t) {
		return
	}
	piece, _ := g.c.m.Decode([]int32{t})
	g.pending = append(g.pending, piece...)
	if n := validPrefix(g.pending); n > 0 {
		s := string(g.pending[:n])
		g.pending = append(g.pending[:0], g.pending[n:]...)
		g.out.WriteString(s)
		if g.emit != nil {
			g.emit(s)
		}
	}
}

// argmax is the greedy choice, with the suppressed tokens left out.
func (c *core) argmax(logits []float32) int32 {
	for _, id := range c.suppress {
		logits[id] = float32(math.Inf(-1))
	}
	return int32(speech.Greedy(logits))
}

// validPrefix is the length of b without a character cut off at its end (held until its next token).
func validPrefix(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return i
			}
			break
		}
	}
	return len(b)
}
