// Package live is the live listening pipeline: microphone → segmenter → model → timed segments, with
// the session recorded to disk as it happens.
//
// Three goroutines keep the microphone from ever waiting on the model:
//
//   - the reader takes audio from the capture stream, appends it to the session file and pushes it
//     through the segmenter at once; the segmenter's events (SpeechStart, Speech, SpeechEnd) go onto an
//     unbounded queue, in order;
//   - the worker takes that queue: it starts an utterance at SpeechStart, feeds each Speech chunk as it
//     arrives (the engine decodes audio into its KV cache while the person is still speaking), may peek
//     for provisional text, and at SpeechEnd finishes the utterance into one final segment per target;
//   - the mailbox forwards events to the caller's channel, so a caller that reads slowly holds up nobody
//     (level events are dropped rather than queued behind a backlog).
//
// Silence never reaches the model: only the segmenter's utterances do. Every utterance starts from a
// fresh model context (speech.Model.StartUtterance resets it), so an hour of speech never fills it.
package live

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/verbatim-app/verbatim/app/segment"
	"github.com/verbatim-app/verbatim/app/session"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/capture"
	"github.com/verbatim-app/verbatim/capture/pcm"
)

// Source is a running capture: *capture.Stream, or a fake in tests.
type Source interface {
	Audio() <-chan []float32
	Levels() <-chan capture.Level
	Err() <-chan error
	Stop(ctx context.Context) error
}

// Config describes one listening run. Zero fields take defaults.
type Config struct {
	Device      string          // input device name ("" = the system default)
	Backend     capture.Backend // audio system (BackendAuto = miniaudio's choice)
	Translate   string          // also translate each utterance into this language ("" = transcript only); SetTranslate changes it
	Segment     segment.Config  // voice activity detection
	SessionRoot string          // record a crash-safe session under this folder ("" = no session)
	Provisional bool            // peek for provisional text while someone speaks
	// Mic is the microphone the run records from.
	Mic capture.Microphone
	// Open, when set, opens the capture instead of Mic: tests pass fakes, dictation wraps the stream.
	Open func(ctx context.Context, cfg capture.Config) (Source, error)
	// MaxPeekTokens bounds provisional text (default 24).
	MaxPeekTokens int
}

// PeekEvery is how much new speech passes between two provisional peeks.
const PeekEvery = 500 * time.Millisecond

// Event is one thing that happened; exactly one field is set.
type Event struct {
	Level   *capture.Level
	Segment *transcript.Segment // provisional (Final false) or final; translations have Lang set
	Stats   *Stats              // after each utterance's final segments
	Err     error               // a device, model or disk error; listening goes on where it can
	Stopped bool                // the last event: everything captured has been transcribed (and saved)
}

// Stats measures one utterance.
type Stats struct {
	TokensPerSec float64 // generation speed of the transcript
	LatencyMs    float64 // end of speech (the segmenter's SpeechEnd) → first final segment sent
	RTF          float64 // model time spent on the utterance / its audio duration
	Audio        time.Duration
}

// Recorder runs the pipeline, one run at a time.
type Recorder struct {
	model func() speech.Model

	mu        sync.Mutex
	translate string
	cur       *run
}

// New returns a recorder that hears through the model model returns when each utterance starts (so a
// model loaded or swapped mid-session is picked up at the next utterance; nil = none loaded). Share a
// model with other users through a speech.Loaded, whose lease makes utterances take turns.
func New(model func() speech.Model) *Recorder { return &Recorder{model: model} }

// SetTranslate changes the translation target from the next utterance on ("" = none).
func (r *Recorder) SetTranslate(lang string) {
	r.mu.Lock()
	r.translate = lang
	r.mu.Unlock()
}

func (r *Recorder) targets() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.translate == "" {
		return []string{""}
	}
	return []string{"", r.translate}
}

// SessionDir is the folder of the current (or last) run's session, "" when none is recorded.
func (r *Recorder) SessionDir() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur == nil || r.cur.sess == nil {
		return ""
	}
	return r.cur.sess.Dir()
}

// ErrRunning is returned by Start while a run is still going.
var ErrRunning = errors.New("live: already listening")

// Start opens the device (ctx bounds the opening only) and starts listening. Events arrive on the
// returned channel until Stop, or a device error, ends the run: then Stopped is sent and the channel
// closes. Read the channel until it closes.
func (r *Recorder) Start(ctx context.Context, cfg Config) (<-chan Event, error) {
	r.mu.Lock()
	if r.cur != nil && !r.cur.finished() {
		r.mu.Unlock()
		return nil, ErrRunning
	}
	r.translate = cfg.Translate
	r.mu.Unlock()
	if r.model == nil {
		return nil, errors.New("live: no model")
	}
	if cfg.MaxPeekTokens <= 0 {
		cfg.MaxPeekTokens = 24
	}
	open := cfg.Open
	if open == nil {
		if cfg.Mic == nil {
			return nil, errors.New("live: no microphone")
		}
		open = func(ctx context.Context, c capture.Config) (Source, error) { return cfg.Mic.Open(ctx, c) }
	}
	var sess *session.Session
	if cfg.SessionRoot != "" {
		var err error
		if sess, err = session.Create(cfg.SessionRoot); err != nil {
			return nil, err
		}
	}
	src, err := open(ctx, capture.Config{DeviceName: cfg.Device, Backend: cfg.Backend})
	if err != nil {
		if sess != nil {
			sess.Close()
		}
		return nil, err
	}
	workCtx, cancel := context.WithCancel(context.Background())
	ru := &run{
		r: r, cfg: cfg, src: src, sess: sess,
		seg:    segment.New(cfg.Segment),
		ctx:    workCtx,
		cancel: cancel,
		out:    newMailbox(),
		queue:  newQueue(),
		done:   make(chan struct{}),
	}
	r.mu.Lock()
	r.cur = ru
	r.mu.Unlock()
	go ru.read()
	go ru.work()
	return ru.out.ch, nil
}

// Stop ends the run: the device is stopped, the audio it already captured is segmented and
// transcribed, its segments are sent and saved, the session is closed, Stopped is sent and the channel
// closes (once the caller has read it). Stop returns when all of that is done but for the reading, or
// when ctx ends: then the model's work is abandoned and the session closed with the audio it has.
// Errors the run met along the way were sent as Err events; Stop reports only its own.
func (r *Recorder) Stop(ctx context.Context) error {
	r.mu.Lock()
	ru := r.cur
	r.mu.Unlock()
	if ru == nil {
		return nil
	}
	ru.stopSource(ctx)
	select {
	case <-ru.done:
		return ru.closeErr
	case <-ctx.Done():
		ru.cancel()
		// The worker notices the cancellation at its next model call; give it a moment to close the
		// session so the files are complete, without making the caller wait on a stuck model.
		select {
		case <-ru.done:
		case <-time.After(time.Second):
		}
		return fmt.Errorf("live: stop: %w", ctx.Err())
	}
}

type run struct {
	r      *Recorder
	cfg    Config
	src    Source
	sess   *session.Session
	seg    *segment.Segmenter
	ctx    context.Context
	cancel context.CancelFunc
	out    *mailbox
	queue  *queue

	stopOnce sync.Once
	done     chan struct{} // worker finished, session closed
	closeErr error
}

func (ru *run) finished() bool {
	select {
	case <-ru.done:
		return true
	default:
		return false
	}
}

func (ru *run) stopSource(ctx context.Context) {
	ru.stopOnce.Do(func() {
		if err := ru.src.Stop(ctx); err != nil && !errors.Is(err, context.Canceled) {
			ru.out.push(Event{Err: err})
		}
	})
}

// item is a segmenter event stamped with when it was known.
type item struct {
	ev segment.Event
	at time.Time
}

// read is the capture consumer. It never waits on the model.
func (ru *run) read() {
	audio, levels, errs := ru.src.Audio(), ru.src.Levels(), ru.src.Err()
	diskFailed := false
	for audio != nil {
		select {
		case x, ok := <-audio:
			if !ok {
				audio = nil
				continue
			}
			if ru.sess != nil && !diskFailed {
				if err := ru.sess.WriteAudio(x); err != nil {
					diskFailed = true // reported once; transcription goes on
					ru.out.push(Event{Err: err})
				}
			}
			ru.enqueue(ru.seg.Push(x))
		case l, ok := <-levels:
			if !ok {
				levels = nil
				continue
			}
			ru.out.pushDroppable(Event{Level: &l})
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			if err != nil {
				ru.out.push(Event{Err: err})
			}
		}
	}
	// The stream has ended; its error, if any, comes with the end.
	if errs != nil {
		timeout := time.After(time.Second)
	drain:
		for {
			select {
			case err, ok := <-errs:
				if !ok {
					break drain
				}
				if err != nil {
					ru.out.push(Event{Err: err})
				}
			case <-timeout:
				break drain
			}
		}
	}
	ru.enqueue(ru.seg.Flush())
	ru.queue.close()
}

func (ru *run) enqueue(evs []segment.Event) {
	if len(evs) == 0 {
		return
	}
	now := time.Now()
	for _, e := range evs {
		ru.queue.push(item{ev: e, at: now})
	}
}

// work turns the segmenter's events into segments, one utterance at a time, in order.
func (ru *run) work() {
	defer func() {
		ru.stopSource(context.Background()) // release the device after it ended by itself
		if ru.sess != nil {
			if err := ru.sess.Close(); err != nil {
				ru.closeErr = err
				ru.out.push(Event{Err: err})
			}
		}
		ru.cancel()
		close(ru.done)
		ru.out.push(Event{Stopped: true})
		ru.out.close()
	}()
	var u *utterance
	nextID := 0
	for {
		it, ok := ru.queue.pop()
		if !ok {
			if u != nil {
				u.release()
			}
			return
		}
		switch e := it.ev.(type) {
		case segment.SpeechStart:
			if u != nil {
				u.release()
			}
			u = ru.startUtterance(e.At)
		case segment.Speech:
			if u == nil {
				continue
			}
			samples := e.Samples
			// Catch up in one Feed when the model fell behind.
			for {
				next, ok := ru.queue.peekSpeech()
				if !ok {
					break
				}
				samples = append(samples, next.Samples...)
			}
			u.feed(samples, e.At+dur(len(samples)))
			if ru.cfg.Provisional && u.sincePeek >= PeekEvery && ru.queue.len() == 0 {
				u.peek(nextID)
			}
		case segment.SpeechEnd:
			if u == nil { // no SpeechStart seen: hear the whole clip
				u = &utterance{ru: ru, start: e.Utterance.Start, end: e.Utterance.End}
			}
			if ru.finish(u, e.Utterance, it.at, nextID) {
				nextID++
			}
			u = nil
		}
	}
}

func dur(n int) time.Duration { return pcm.Duration(int64(n)) }

// utterance is the worker's view of one utterance being heard.
type utterance struct {
	ru        *run
	u         speech.Utterance // nil after an error: Finish falls back to hearing the whole clip
	start     time.Duration
	end       time.Duration
	busy      time.Duration // model time spent on it
	sincePeek time.Duration
}

func (ru *run) startUtterance(at time.Duration) *utterance {
	u := &utterance{ru: ru, start: at, end: at}
	m := ru.r.model()
	if m == nil {
		return u
	}
	t0 := time.Now()
	su, err := m.StartUtterance(ru.ctx)
	u.busy += time.Since(t0)
	if err != nil {
		if ru.ctx.Err() == nil {
			ru.out.push(Event{Err: fmt.Errorf("live: start utterance: %w", err)})
		}
		return u
	}
	u.u = su
	return u
}

func (u *utterance) feed(samples []float32, end time.Duration) {
	u.end = end
	u.sincePeek += dur(len(samples))
	if u.u == nil {
		return
	}
	t0 := time.Now()
	err := u.u.Feed(u.ru.ctx, samples)
	u.busy += time.Since(t0)
	if err != nil {
		// Not fatal: the whole clip is heard again at the end of the utterance.
		u.release()
	}
}

func (u *utterance) peek(id int) {
	u.sincePeek = 0
	p, ok := u.u.(speech.Peeker)
	if !ok {
		return
	}
	t0 := time.Now()
	text, err := p.Peek(u.ru.ctx, "", u.ru.cfg.MaxPeekTokens)
	u.busy += time.Since(t0)
	if err != nil || strings.TrimSpace(text) == "" {
		return
	}
	u.ru.out.push(Event{Segment: &transcript.Segment{ID: id, Start: u.start, End: u.end, Text: strings.TrimSpace(text)}})
}

func (u *utterance) release() {
	if u.u != nil {
		u.u.Release()
		u.u = nil
	}
}

// finish ends an utterance into its final segments; false if there was nothing to say.
func (ru *run) finish(u *utterance, utt segment.Utterance, endAt time.Time, id int) bool {
	targets := ru.r.targets()
	t0 := time.Now()
	var res map[string]speech.Result
	var err error
	streamed := u.u != nil
	if streamed {
		res, err = u.u.Finish(ru.ctx, targets, nil)
		u.u = nil
	} else {
		// Streaming failed or never started: hear the whole clip in one go.
		res, err = ru.hear(utt.Samples, targets)
	}
	if err != nil && ru.ctx.Err() == nil && res[""].Text == "" && (streamed || len(targets) > 1) {
		// Never lose the words: report, then try once more for the transcript alone (a model that
		// cannot translate into the target still transcribes).
		ru.out.push(Event{Err: fmt.Errorf("live: utterance at %v: %w", utt.Start.Round(10*time.Millisecond), err)})
		res, err = ru.hear(utt.Samples, []string{""})
	}
	u.busy += time.Since(t0)
	if err != nil && ru.ctx.Err() == nil {
		ru.out.push(Event{Err: fmt.Errorf("live: utterance at %v: %w", utt.Start.Round(10*time.Millisecond), err)})
	}
	var st *Stats
	for _, t := range targets {
		r, ok := res[t]
		if !ok || strings.TrimSpace(r.Text) == "" {
			continue
		}
		s := transcript.Segment{ID: id, Start: utt.Start, End: utt.End, Text: strings.TrimSpace(r.Text), Lang: t, Final: true}
		// Translations are journaled beside their transcript (same ID, Lang set), so a recovered session
		// brings both back.
		if ru.sess != nil {
			if err := ru.sess.AppendSegment(s); err != nil {
				ru.out.push(Event{Err: err})
			}
		}
		ru.out.push(Event{Segment: &s})
		if st == nil {
			audio := utt.End - utt.Start
			st = &Stats{TokensPerSec: res[""].TokensPerSec, LatencyMs: speech.Since(endAt), Audio: audio}
			if audio > 0 {
				st.RTF = u.busy.Seconds() / audio.Seconds()
			}
		}
	}
	if st == nil {
		return false
	}
	ru.out.push(Event{Stats: st})
	return true
}

func (ru *run) hear(samples []float32, targets []string) (map[string]speech.Result, error) {
	m := ru.r.model()
	if m == nil {
		return nil, errors.New("no model loaded")
	}
	return speech.Hear(ru.ctx, m, samples, targets, nil)
}
