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
//
// With Config.SystemAudio the computer's own sound (a call's other side) is a second source with its
// own reader, segmenter, queue and worker; the two workers share the model, whose lease makes their
// utterances take turns. Segments carry their Speaker and their place on the session's one timeline,
// which starts when listening starts; an utterance that is the other source's echo is dropped (see
// EchoConfig).
package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
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

	// SystemAudio also records what the computer plays (a call's other side) as a second source with
	// its own segmenter. The microphone's segments then say transcript.Mic ("You") and the system
	// audio's transcript.System ("Others") as their Speaker (Recorder.RenameSpeaker renames them), both
	// timed on the session's one timeline, and the session keeps the two as audio.wav and system.wav.
	// An utterance that is the other source's echo is dropped (see EchoConfig). Levels are the
	// microphone's.
	SystemAudio bool
	// SystemDevice is the input device that hears the computer's sound, named as Device is ("" = the
	// monitor of the default output, which Mic finds when it implements capture.SystemAudio).
	SystemDevice string
	// OpenSystem, when set, opens the system audio instead of Mic (tests).
	OpenSystem func(ctx context.Context, cfg capture.Config) (Source, error)
	// Echo tunes echo suppression between the two sources.
	Echo EchoConfig
}

// PeekEvery is how much new speech passes between two provisional peeks.
const PeekEvery = 500 * time.Millisecond

// Event is one thing that happened; exactly one field is set. A provisional Segment with empty Text
// takes back the provisional text shown under its ID: the utterance turned out to be the other
// source's echo (that ID's line is filled by the same source's next utterance).
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

// SetTranslate changes the translation target from the next utterance on ("" = none). While a run
// records into a session, the utterances heard before it are translated too: each source's worker
// hears them again from the session's audio, after what it has queued already, and sends their
// translations (same IDs, Lang lang) as it would a new utterance's.
func (r *Recorder) SetTranslate(lang string) {
	r.mu.Lock()
	r.translate = lang
	ru := r.cur
	r.mu.Unlock()
	if lang == "" || ru == nil || ru.sess == nil || ru.finished() {
		return
	}
	for _, s := range ru.sources {
		s.queue.push(item{translate: lang})
	}
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
	openSystem := cfg.OpenSystem
	if cfg.SystemAudio && openSystem == nil {
		if cfg.Mic == nil {
			return nil, errors.New("live: no microphone to record the system audio with")
		}
		openSystem = func(ctx context.Context, c capture.Config) (Source, error) {
			if c.DeviceName == "" {
				sa, ok := cfg.Mic.(capture.SystemAudio)
				if !ok {
					return nil, fmt.Errorf("live: system audio: %w (this build's audio input has none)", capture.ErrNoMonitor)
				}
				dev, err := sa.Monitor(ctx, c.Backend)
				if err != nil {
					return nil, fmt.Errorf("live: system audio: %w", err)
				}
				c.DeviceName = dev.ID
			}
			return cfg.Mic.Open(ctx, c)
		}
	}
	var sess *session.Session
	if cfg.SessionRoot != "" {
		var err error
		if sess, err = session.Create(cfg.SessionRoot); err != nil {
			return nil, err
		}
	}
	workCtx, cancel := context.WithCancel(context.Background())
	ru := &run{
		r: r, cfg: cfg, sess: sess,
		ctx:    workCtx,
		cancel: cancel,
		out:    newMailbox(),
		done:   make(chan struct{}),
	}
	mic := &source{ru: ru, levels: true}
	if sess != nil {
		mic.write = sess.WriteAudio
	}
	ru.sources = []*source{mic}
	if cfg.SystemAudio {
		mic.label = transcript.Mic
		sys := &source{ru: ru, idx: 1, label: transcript.System}
		if sess != nil {
			sys.write = sess.WriteSystemAudio
		}
		ru.sources = append(ru.sources, sys)
		if !cfg.Echo.Off {
			ru.echo = newEchoes(cfg.Echo)
		}
	}
	fail := func(err error) (<-chan Event, error) {
		for _, s := range ru.sources {
			if s.src != nil {
				s.src.Stop(context.Background())
			}
		}
		if sess != nil {
			sess.Close()
		}
		cancel()
		ru.out.close()
		return nil, err
	}
	if cfg.SystemAudio {
		ru.t0 = time.Now() // the session's timeline starts before either device does
	}
	// Both devices open side by side: the first one's audio waits in its buffer until the readers
	// start, so neither waits on the other's opening for longer than it must.
	errs := make([]error, len(ru.sources))
	var opening sync.WaitGroup
	for i, s := range ru.sources {
		opening.Add(1)
		go func() {
			defer opening.Done()
			if i == 0 {
				s.src, errs[i] = open(ctx, capture.Config{DeviceName: cfg.Device, Backend: cfg.Backend})
			} else {
				s.src, errs[i] = openSystem(ctx, capture.Config{DeviceName: cfg.SystemDevice, Backend: cfg.Backend})
			}
		}()
	}
	opening.Wait()
	for i, err := range errs {
		if err != nil {
			ru.sources[i].src = nil // a typed nil may hide in the interface: never stopped
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fail(err)
	}
	for _, s := range ru.sources {
		s.seg = segment.New(cfg.Segment)
		s.queue = newQueue()
		s.pending = -1
	}
	r.mu.Lock()
	r.cur = ru
	r.mu.Unlock()
	var workers sync.WaitGroup
	for _, s := range ru.sources {
		workers.Add(1)
		go s.read()
		go func() {
			defer workers.Done()
			s.work()
		}()
	}
	go func() {
		workers.Wait()
		ru.end()
	}()
	return ru.out.ch, nil
}

// RenameSpeaker gives the speaker from (transcript.Mic or transcript.System, or a name given before)
// the name to, in the current run's segments from now on and in its session (every line already
// journaled), or, once the run has ended, in the last run's session on disk. It returns how many
// lines of the session changed. Segments already sent keep the name they had: a screen renames its
// own lines (transcript.Store.RenameSpeaker, which also renames a line still on its way). Refused: a
// name another speaker has, an empty one, and a run without speakers (no SystemAudio).
func (r *Recorder) RenameSpeaker(from, to string) (int, error) {
	r.mu.Lock()
	ru := r.cur
	r.mu.Unlock()
	if ru == nil {
		return 0, errors.New("live: rename speaker: nothing was recorded")
	}
	return ru.rename(from, to)
}

// EditSegment replaces the text of line id (lang "" the transcript, else a translation) of the session in
// dir with what a person wrote, in the journal of the session being recorded when it is that one, else
// in the session on disk; see session.EditSegment. It returns the line as it is now.
func (r *Recorder) EditSegment(dir string, id int, lang, text string) (transcript.Segment, error) {
	r.mu.Lock()
	ru := r.cur
	r.mu.Unlock()
	if ru != nil && ru.sess != nil && ru.sess.Dir() == dir {
		seg, err := ru.sess.EditSegment(id, lang, text)
		if !errors.Is(err, session.ErrClosed) {
			return seg, err
		}
	}
	return session.EditSegment(dir, id, lang, text)
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
	ru.stopSources(ctx)
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
	r       *Recorder
	cfg     Config
	sess    *session.Session
	sources []*source // the microphone, then the system audio if recorded
	echo    *echoes   // nil: one source, or echo suppression off
	t0      time.Time // when the session's timeline starts (two sources)
	ctx     context.Context
	cancel  context.CancelFunc
	out     *mailbox

	idMu   sync.Mutex
	nextID int

	namesMu sync.Mutex
	names   transcript.Store // holds no lines: the speakers renamed (RenameSpeaker)

	done     chan struct{} // workers finished, session closed
	closeErr error
}

// source is one input of a run: its capture, segmenter, queue and worker.
type source struct {
	ru     *run
	idx    int    // 0 the microphone, 1 the system audio
	label  string // its segments' Speaker ("" with one source)
	levels bool   // forward its level events
	src    Source
	seg    *segment.Segmenter
	queue  *queue
	write  func([]float32) error // the session's file for it; nil: none

	// offset is the session time of the source's first sample (two sources: the devices start at
	// different moments, and the session's files and segments share one timeline). Set by the reader
	// before it queues anything; read by the worker after.
	offset time.Duration

	pending int // the ID its provisional text showed, reused by its next final segment (-1: none)

	// The worker's own: the utterances it has heard, and a translation of them asked for while an
	// utterance was being heard (done once it ends: that utterance holds the model).
	heard       []heardUtt
	retranslate string

	stopOnce sync.Once
}

// id is the ID of the source's current utterance, given out when first needed. An utterance that
// ends with nothing to say leaves its ID to the source's next one, so a provisional line it showed is
// replaced, never left behind.
func (s *source) id() int {
	if s.pending < 0 {
		s.ru.idMu.Lock()
		s.pending = s.ru.nextID
		s.ru.nextID++
		s.ru.idMu.Unlock()
	}
	return s.pending
}

// speaker is the name the source's segments carry now.
func (s *source) speaker() string {
	if s.label == "" {
		return ""
	}
	s.ru.namesMu.Lock()
	defer s.ru.namesMu.Unlock()
	return s.ru.names.Speaker(s.label)
}

func (ru *run) rename(from, to string) (int, error) {
	if len(ru.sources) < 2 {
		return 0, errors.New("live: rename speaker: this recording names no speakers (one source)")
	}
	clean, err := transcript.CleanSpeaker(to)
	if err != nil {
		return 0, fmt.Errorf("live: rename speaker: %w", err)
	}
	ru.namesMu.Lock()
	defer ru.namesMu.Unlock()
	known := false
	for _, s := range ru.sources {
		name := ru.names.Speaker(s.label)
		if name == clean && name != from {
			return 0, fmt.Errorf("live: rename speaker %q: %q is already another speaker's name", from, clean)
		}
		known = known || name == from
	}
	if !known {
		return 0, fmt.Errorf("live: rename speaker: no speaker is called %q now", from)
	}
	n := 0
	if ru.sess != nil {
		if ru.finished() {
			n, err = session.RenameSpeaker(ru.sess.Dir(), from, clean)
		} else {
			n, err = ru.sess.RenameSpeaker(from, clean)
		}
	}
	if _, rerr := ru.names.RenameSpeaker(from, clean); err == nil {
		err = rerr
	}
	return n, err
}

func (ru *run) finished() bool {
	select {
	case <-ru.done:
		return true
	default:
		return false
	}
}

// stopSources stops the devices, side by side.
func (ru *run) stopSources(ctx context.Context) {
	var wg sync.WaitGroup
	for _, s := range ru.sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.stop(ctx)
		}()
	}
	wg.Wait()
}

func (s *source) stop(ctx context.Context) {
	s.stopOnce.Do(func() {
		if err := s.src.Stop(ctx); err != nil && !errors.Is(err, context.Canceled) {
			s.ru.out.push(Event{Err: err})
		}
	})
}

// end closes the run once every worker is done.
func (ru *run) end() {
	ru.stopSources(context.Background()) // release the devices after they ended by themselves
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
}

// item is a segmenter event stamped with when it was known, or, with translate set instead, a
// request to translate the utterances heard so far into that target (SetTranslate).
type item struct {
	ev        segment.Event
	at        time.Time
	translate string
}

// heardUtt is an utterance a source heard: its ID, where it is on the session's timeline, and the
// languages it has final text in.
type heardUtt struct {
	id         int
	start, end time.Duration
	langs      []string
}

// read is the capture consumer. It never waits on the model.
func (s *source) read() {
	ru := s.ru
	audio, levels, errs := s.src.Audio(), s.src.Levels(), s.src.Err()
	diskFailed := false
	first := true
	record := func(x []float32) {
		if s.write != nil && !diskFailed {
			if err := s.write(x); err != nil {
				diskFailed = true // reported once; transcription goes on
				ru.out.push(Event{Err: err})
			}
		}
		if ru.echo != nil {
			ru.echo.add(s.idx, x)
		}
	}
	for audio != nil {
		select {
		case x, ok := <-audio:
			if !ok {
				audio = nil
				continue
			}
			if first && !ru.t0.IsZero() {
				// Where the source starts on the session's timeline: when the device heard its first
				// sample (a capture.Stream knows; the first device may have been delivering for a
				// while when this reader starts), else about as long before this chunk came as it
				// lasts. The session's files start with as much silence, so that a time means the
				// same moment in each.
				heard := time.Now().Add(-dur(len(x)))
				if f, ok := s.src.(interface{ FirstFrames() time.Time }); ok && !f.FirstFrames().IsZero() {
					heard = f.FirstFrames()
				}
				pad := max(0, pcm.Samples(heard.Sub(ru.t0)))
				s.offset = dur(pad)
				record(make([]float32, pad))
				slog.Debug("live: source started", "speaker", s.label, "at", s.offset)
			}
			first = false
			record(x)
			s.enqueue(s.seg.Push(x))
		case l, ok := <-levels:
			if !ok {
				levels = nil
				continue
			}
			if s.levels {
				ru.out.pushDroppable(Event{Level: &l})
			}
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
	s.enqueue(s.seg.Flush())
	if ru.echo != nil {
		ru.echo.end(s.idx)
	}
	s.queue.close()
}

func (s *source) enqueue(evs []segment.Event) {
	if len(evs) == 0 {
		return
	}
	now := time.Now()
	for _, e := range evs {
		if echo := s.ru.echo; echo != nil {
			switch e := e.(type) {
			case segment.SpeechStart:
				echo.speechStart(s.idx, s.offset+e.At)
			case segment.SpeechEnd:
				echo.speechEnd(s.idx, s.offset+e.Utterance.Start, s.offset+e.Utterance.End)
			}
		}
		s.queue.push(item{ev: e, at: now})
	}
}

// work turns the source's segmenter events into segments, one utterance at a time, in order.
func (s *source) work() {
	ru := s.ru
	var u *utterance
	for {
		it, ok := s.queue.pop()
		if !ok {
			if u != nil {
				u.release()
			}
			return
		}
		if it.translate != "" {
			if u == nil {
				s.translateEarlier(it.translate)
			} else {
				s.retranslate = it.translate // once this utterance, which holds the model, ends
			}
			continue
		}
		switch e := it.ev.(type) {
		case segment.SpeechStart:
			if u != nil {
				u.release()
			}
			u = s.startUtterance(e.At)
		case segment.Speech:
			if u == nil {
				continue
			}
			samples := e.Samples
			// Catch up in one Feed when the model fell behind.
			for {
				next, ok := s.queue.peekSpeech()
				if !ok {
					break
				}
				samples = append(samples, next.Samples...)
			}
			u.feed(samples, e.At+dur(len(samples)))
			if ru.cfg.Provisional && u.sincePeek >= PeekEvery && s.queue.len() == 0 {
				u.peek()
			}
		case segment.SpeechEnd:
			if u == nil { // no SpeechStart seen: hear the whole clip
				u = &utterance{s: s, ru: ru, start: e.Utterance.Start, end: e.Utterance.End}
			}
			s.finish(u, e.Utterance, it.at)
			u = nil
			if lang := s.retranslate; lang != "" {
				s.retranslate = ""
				s.translateEarlier(lang)
			}
		}
	}
}

func dur(n int) time.Duration { return pcm.Duration(int64(n)) }

// utterance is the worker's view of one utterance being heard.
type utterance struct {
	s         *source
	ru        *run
	u         speech.Utterance // nil after an error: Finish falls back to hearing the whole clip
	start     time.Duration
	end       time.Duration
	busy      time.Duration // model time spent on it
	sincePeek time.Duration
	shown     bool // provisional text was sent
}

func (s *source) startUtterance(at time.Duration) *utterance {
	ru := s.ru
	u := &utterance{s: s, ru: ru, start: at, end: at}
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

func (u *utterance) peek() {
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
	s := u.s
	u.shown = true
	u.ru.out.push(Event{Segment: &transcript.Segment{ID: s.id(), Start: s.offset + u.start, End: s.offset + u.end,
		Text: strings.TrimSpace(text), Speaker: s.speaker()}})
}

func (u *utterance) release() {
	if u.u != nil {
		u.u.Release()
		u.u = nil
	}
}

// finish ends an utterance into its final segments; false if there was nothing to say, or it was the
// other source's echo.
func (s *source) finish(u *utterance, utt segment.Utterance, endAt time.Time) bool {
	ru := s.ru
	start, end := s.offset+utt.Start, s.offset+utt.End
	if ru.echo != nil {
		m := ru.echo.check(ru.ctx, s.idx, start, end)
		slog.Debug("live: echo check", "speaker", s.label, "start", start, "end", end,
			"correlation", m.corr, "lag", m.lag, "level", m.level, "echo", m.echo)
		if m.echo {
			u.release()
			if u.shown {
				ru.out.push(Event{Segment: &transcript.Segment{ID: s.id(), Start: start, End: end, Speaker: s.speaker()}})
			}
			return false
		}
	}
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
	heard := heardUtt{id: s.id(), start: start, end: end}
	for _, t := range targets {
		r, ok := res[t]
		if !ok || strings.TrimSpace(r.Text) == "" {
			continue
		}
		seg := transcript.Segment{ID: s.id(), Start: start, End: end, Text: strings.TrimSpace(r.Text), Lang: t, Final: true,
			Speaker: s.speaker()}
		// Translations are journaled beside their transcript (same ID, Lang set), so a recovered session
		// brings both back.
		if ru.sess != nil {
			if err := ru.sess.AppendSegment(seg); err != nil {
				ru.out.push(Event{Err: err})
			}
		}
		ru.out.push(Event{Segment: &seg})
		heard.langs = append(heard.langs, t)
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
	s.heard = append(s.heard, heard)
	s.pending = -1
	ru.out.push(Event{Stats: st})
	return true
}

// translateEarlier translates the utterances the source heard without a translation into lang, oldest
// first, hearing each again from the session's audio (a run without a session keeps no audio to hear
// again). It stops when the target changes again, the run is cancelled, or the model fails (reported
// once: a model that cannot translate into lang fails on every line alike).
func (s *source) translateEarlier(lang string) {
	ru := s.ru
	if ru.sess == nil {
		return
	}
	for i := range s.heard {
		h := &s.heard[i]
		if slices.Contains(h.langs, lang) {
			continue
		}
		if ru.ctx.Err() != nil || !slices.Contains(ru.r.targets(), lang) {
			return
		}
		samples, err := ru.sess.Audio(s.idx == 1, h.start, h.end)
		if err != nil {
			ru.out.push(Event{Err: fmt.Errorf("live: translate earlier lines: %w", err)})
			return
		}
		res, err := ru.hear(samples, []string{lang})
		if err != nil {
			if ru.ctx.Err() == nil {
				ru.out.push(Event{Err: fmt.Errorf("live: translate the utterance at %v: %w", h.start.Round(10*time.Millisecond), err)})
			}
			return
		}
		h.langs = append(h.langs, lang)
		text := strings.TrimSpace(res[lang].Text)
		if text == "" {
			continue
		}
		seg := transcript.Segment{ID: h.id, Start: h.start, End: h.end, Text: text, Lang: lang, Final: true, Speaker: s.speaker()}
		if err := ru.sess.AppendSegment(seg); err != nil {
			ru.out.push(Event{Err: err})
		}
		ru.out.push(Event{Segment: &seg})
	}
}

func (ru *run) hear(samples []float32, targets []string) (map[string]speech.Result, error) {
	m := ru.r.model()
	if m == nil {
		return nil, errors.New("no model loaded")
	}
	return speech.Hear(ru.ctx, m, samples, targets, nil)
}
