package inference

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/capture/pcm"
	"github.com/verbatim-app/verbatim/inference/audioproj"
)

// ErrStale means another utterance or generation reset the model since this utterance began.
var ErrStale = errors.New("utterance was superseded by newer work on the same engine")

// Utterance is one stretch of speech being heard. For projectors computed in Go, audio is projected and
// decoded into the KV cache as it arrives, so when speech ends only the answer is left to generate.
// mtmd projectors need the whole clip, so their audio is kept until Finish.
type Utterance struct {
	e       *Engine
	epoch   int
	pos     int // next position in sequence 0
	stream  audioproj.Stream
	held    []float32 // mtmd: the whole clip
	samples int
	start   time.Time
	prefill time.Duration
}

// StartUtterance resets the model's context and prepares it for new audio.
func (e *Engine) StartUtterance(ctx context.Context) (*Utterance, error) {
	if !e.CanHear() {
		return nil, speech.ErrNoAudio
	}
	u := &Utterance{e: e, start: time.Now()}
	err := e.do(ctx, func(c *core) error {
		c.reset()
		u.epoch = c.epoch
		c.history = c.history[:0]
		if c.drafter != nil {
			c.drafter.reset()
		}
		if c.proj == nil {
			return nil
		}
		u.stream = c.proj.NewStream()
		toks, _, err := c.audioTokens(Transcribe)
		if err != nil {
			return err
		}
		if _, err := c.decodeTokens(0, toks, 0); err != nil {
			return err
		}
		c.history = append(c.history, toks...)
		u.pos = len(toks)
		if c.drafter != nil {
			_, err = c.drafter.decode(toks)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// Feed adds 16 kHz mono samples to the utterance.
func (u *Utterance) Feed(ctx context.Context, samples []float32) error {
	u.samples += len(samples)
	if u.stream == nil {
		u.held = append(u.held, samples...)
		return nil
	}
	return u.e.do(ctx, func(c *core) error {
		if c.epoch != u.epoch {
			return ErrStale
		}
		return u.decodeAudio(c, u.stream.Push(samples), samples)
	})
}

// audioTokens are the tokens an utterance with a Go projector decodes around its audio for task t: BOS, the
// chat template's opening and the begin marker before it (the same for every task, so it is decoded before
// the task is known), the end marker and the task's prompt after it.
func (c *core) audioTokens(t Task) (before, after []int, err error) {
	open, _ := c.meta.audioPrompt(Transcribe)
	if before, err = c.model.Tokenize(open, false, true); err != nil {
		return nil, nil, fmt.Errorf("tokenize audio marker: %w", err)
	}
	if c.bos >= 0 {
		before = append([]int{c.bos}, before...)
	}
	_, text := c.meta.audioPrompt(t)
	if after, err = c.model.Tokenize(text, false, true); err != nil {
		return nil, nil, fmt.Errorf("tokenize task prompt: %w", err)
	}
	return before, after, nil
}

// decodeAudio puts projected frames into the target (and the drafter, projected by its own projector).
func (u *Utterance) decodeAudio(c *core, embs [][]float32, samples []float32) error {
	start := time.Now()
	defer func() { u.prefill += time.Since(start) }()
	if err := c.decodeEmbeds(0, embs, u.pos); err != nil {
		return err
	}
	u.pos += len(embs)
	for range embs {
		c.history = append(c.history, -1)
	}
	if d := c.drafter; d != nil && d.stream != nil {
		var dembs [][]float32
		if samples == nil {
			dembs = d.stream.Flush()
		} else {
			dembs = d.stream.Push(samples)
		}
		return d.decodeEmbeds(dembs)
	}
	return nil
}

// Duration is how much audio the utterance holds.
func (u *Utterance) Duration() time.Duration {
	return pcm.Duration(int64(u.samples))
}

// Finish closes the audio and generates text for each task in turn. emit receives text as it is made.
func (u *Utterance) Finish(ctx context.Context, tasks []Task, opt Options, emit func(Task, string)) (map[Task]Result, error) {
	if len(tasks) == 0 {
		tasks = []Task{Transcribe}
	}
	results := map[Task]Result{}
	err := u.e.do(ctx, func(c *core) error {
		if c.epoch != u.epoch {
			return ErrStale
		}
		for _, t := range tasks {
			if err := c.meta.supports(t); err != nil {
				return err
			}
		}
		if u.stream != nil {
			if err := u.decodeAudio(c, u.stream.Flush(), nil); err != nil {
				return err
			}
		} else if err := u.decodeMtmd(c); err != nil {
			return err
		}
		prefix := u.pos
		prefixHist := append([]int(nil), c.history...)
		for i, t := range tasks {
			if i > 0 {
				// Every task continues the same audio: drop the previous task's tokens.
				c.lctx.KvCacheSeqRm(0, prefix, -1)
				c.history = append(c.history[:0], prefixHist...)
				if c.drafter != nil && c.drafter.pos > prefix {
					c.drafter.lctx.KvCacheSeqRm(0, prefix, -1)
					c.drafter.pos = prefix
				}
			}
			_, toks, err := c.audioTokens(t)
			if err != nil {
				return err
			}
			start := time.Now()
			idx, err := c.decodeTokens(0, toks, prefix)
			if err != nil {
				return err
			}
			c.history = append(c.history, toks...)
			res := Result{PromptTokens: prefix + len(toks), PromptTime: u.prefill + time.Since(start)}
			task := t
			err = c.generate(ctx, 0, prefix+len(toks), idx, opt, &res, func(s string) {
				if emit != nil {
					emit(task, s)
				}
			})
			results[t] = res
			if err != nil {
				return err
			}
		}
		return nil
	})
	return results, err
}

// decodeMtmd runs the held clip through llama.cpp's mtmd as WAV bytes and decodes the prompt around it.
func (u *Utterance) decodeMtmd(c *core) error {
	start := time.Now()
	defer func() { u.prefill += time.Since(start) }()
	if c.mtmd == nil {
		return speech.ErrNoAudio
	}
	if len(u.held) == 0 {
		return errors.New("no audio in utterance")
	}
	wav, err := pcm.WAV(u.held, pcm.Rate)
	if err != nil {
		return fmt.Errorf("audio projector: %w", err)
	}
	chunks, err := c.mtmd.MultimodalTokenize(c.lctx, wav)
	if err != nil {
		return fmt.Errorf("audio projector: %w", err)
	}
	var toks []int
	var embs [][]float32
	flush := func() error {
		if len(toks) > 0 {
			if _, err := c.decodeTokens(0, toks, u.pos); err != nil {
				return err
			}
			u.pos += len(toks)
			c.history = append(c.history, toks...)
			toks = nil
		}
		if len(embs) > 0 {
			if err := c.decodeEmbeds(0, embs, u.pos); err != nil {
				return err
			}
			u.pos += len(embs)
			for range embs {
				c.history = append(c.history, -1)
			}
			embs = nil
		}
		return nil
	}
	if c.bos >= 0 {
		toks = append(toks, c.bos)
	}
	before, _ := c.meta.audioPrompt(Transcribe)
	pre, err := c.model.Tokenize(before, false, true)
	if err != nil {
		return err
	}
	toks = append(toks, pre...)
	for _, ch := range chunks {
		if ch.Embed != nil {
			if len(toks) > 0 {
				if err := flush(); err != nil {
					return err
				}
			}
			embs = append(embs, ch.Embed)
			continue
		}
		for _, t := range ch.Tokens {
			if t == c.bos { // mtmd adds a BOS before the media; the prompt already has one
				continue
			}
			if len(embs) > 0 {
				if err := flush(); err != nil {
					return err
				}
			}
			toks = append(toks, t)
		}
	}
	return flush()
}

// Peek generates a provisional text for the audio heard so far without closing the utterance: the task
// prompt and the text are decoded after the audio, then removed from the KV cache again, so later Feed
// calls continue exactly where the audio stopped. Frames still buffered in the projector are not included.
func (u *Utterance) Peek(ctx context.Context, t Task, maxTokens int, emit func(string)) (Result, error) {
	var res Result
	if u.stream == nil {
		return res, errors.New("provisional text needs a projector computed in Go (gemma4ua or verbatim_logmel)")
	}
	err := u.e.do(ctx, func(c *core) error {
		if c.epoch != u.epoch {
			return ErrStale
		}
		if err := c.meta.supports(t); err != nil {
			return err
		}
		hist := len(c.history)
		defer func() {
			c.lctx.KvCacheSeqRm(0, u.pos, -1)
			c.history = c.history[:hist]
		}()
		_, toks, err := c.audioTokens(t)
		if err != nil {
			return err
		}
		idx, err := c.decodeTokens(0, toks, u.pos)
		if err != nil {
			return err
		}
		res.PromptTokens = u.pos + len(toks)
		return c.generate(ctx, 0, u.pos+len(toks), idx, Options{MaxTokens: maxTokens}, &res, emit)
	})
	return res, err
}
