// Package dictate is desktop dictation: hold a global shortcut, speak, release, and the text is typed
// into the application that had focus.
//
// It drives the live pipeline (app/live) with the microphone open all the time but gated: audio reaches
// the segmenter and the model only while the shortcut is held (plus a short pre-roll from just before
// the press), so the model decodes the speech into its context while the person speaks. The release
// closes the gate with the segmenter's trailing silence sent at once, so the utterance ends on the key,
// not half a second of quiet later, and only text generation remains. The final text (or its translation
// when a target language is set) goes through the spoken commands ("new line", "new paragraph") and is
// typed through a Sink.
//
// The shortcut and the sink are interfaces: ui/x11 implements them for X11 (adapted with Keys), ui/wayland
// through the desktop portal's GlobalShortcuts and RemoteDesktop, fakes in the tests.
package dictate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/app/segment"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/capture"
	"github.com/verbatim-app/verbatim/capture/pcm"
)

// KeyEvent is the shortcut going down or up.
type KeyEvent struct {
	Down bool
	At   time.Time // when it was received; the release's is where the latency is measured from
}

// Shortcut is a global shortcut: Events delivers its presses and releases, and closes when it ends.
type Shortcut interface {
	Events() <-chan KeyEvent
}

// Keys is a Shortcut over another package's key events (ui/x11's grab), converted one by one until the
// source closes or ctx ends: the one adapter for every front end.
func Keys[E any](ctx context.Context, events <-chan E, convert func(E) KeyEvent) Shortcut {
	ch := make(chan KeyEvent)
	go func() {
		defer close(ch)
		for e := range events {
			select {
			case ch <- convert(e):
			case <-ctx.Done():
				return
			}
		}
	}()
	return keyChan(ch)
}

type keyChan chan KeyEvent

func (k keyChan) Events() <-chan KeyEvent { return k }

// Sink types text into another application (ui/x11's Keyboard types it; its Paster pastes it through the
// clipboard and puts the previous clipboard back).
type Sink interface {
	// Focused names the window that has the keyboard focus now (0 when unknown).
	Focused(ctx context.Context) (uint32, error)
	// Type types text into window (0 = whichever has focus) and returns once the display server has it.
	Type(ctx context.Context, window uint32, text string) error
}

// Mode is how the shortcut is used.
type Mode int

const (
	Hold   Mode = iota // speak while the shortcut is held
	Toggle             // one press starts, the next ends
)

// ParseMode reads "hold" or "toggle".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "hold", "":
		return Hold, nil
	case "toggle":
		return Toggle, nil
	}
	return Hold, fmt.Errorf("dictate: mode %q: want hold or toggle", s)
}

// State is what the indicator shows.
type State int

const (
	Idle      State = iota
	Listening       // the shortcut is held
	Thinking        // released; text on its way
)

func (s State) String() string {
	return [...]string{"idle", "listening", "thinking"}[s]
}

// Typed reports one text typed, for the indicator, logs and latency measurements.
type Typed struct {
	Text     string
	Lang     string    // "" for the transcript, else the translation's language
	Released time.Time // the release that ended its take (zero if typed while the shortcut was still held)
	Done     time.Time // the sink had it all
}

// Config is one dictation service. Zero fields take defaults.
type Config struct {
	// Live is the pipeline's configuration: microphone, device, backend, translation target, Open (tests
	// pass fakes).
	// SessionRoot and Provisional are ignored: dictation records no session.
	Live     live.Config
	Mode     Mode
	Commands bool          // apply the spoken commands ("new line", "new paragraph")
	PreRoll  time.Duration // audio from before the press that is heard (default 300 ms)
	Log      *slog.Logger
	OnState  func(State) // called from Run's goroutine
	OnTyped  func(Typed) // called from Run's goroutine after each text is typed
	// OnError is told of a take that failed while dictation goes on (no model loaded, the model's
	// error), from Run's goroutine, so that a window can say why nothing was typed.
	OnError func(error)
	// StopTimeout bounds how long ending Run may take to finish a take in progress (default 10 s).
	StopTimeout time.Duration
}

// take is one press-to-release: its window and where it lies in the gated stream.
type take struct {
	window   uint32
	release  time.Duration // stream position of the release (0 while open)
	end      time.Duration // ... and of the end of the silence sent after it
	released time.Time
	typed    string // the last text typed for it
}

// thinkingLimit is how long the indicator says "thinking" after a release when no text comes (nothing
// was said, or only noise).
const thinkingLimit = 5 * time.Second

// maxTakes bounds the takes kept while waiting for their text (a take with nothing said never gets any).
const maxTakes = 8

// Run serves dictation until ctx ends or the shortcut's events close: it opens the microphone, and for
// each take types the text into the window that had focus when the shortcut was pressed.
func Run(ctx context.Context, model func() speech.Model, sc Shortcut, sink Sink, cfg Config) error {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	if cfg.PreRoll <= 0 {
		cfg.PreRoll = 300 * time.Millisecond
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = 10 * time.Second
	}
	lc := cfg.Live
	lc.SessionRoot, lc.Provisional = "", false
	trailing := segment.New(lc.Segment).Config().TrailingSilence
	open := lc.Open
	if open == nil {
		if lc.Mic == nil {
			return errors.New("dictate: no microphone")
		}
		open = func(ctx context.Context, c capture.Config) (live.Source, error) { return lc.Mic.Open(ctx, c) }
	}
	var g *gate
	lc.Open = func(ctx context.Context, c capture.Config) (live.Source, error) {
		src, err := open(ctx, c)
		if err != nil {
			return nil, err
		}
		g = newGate(src, cfg.PreRoll, trailing)
		return g, nil
	}
	rec := live.New(model)
	events, err := rec.Start(ctx, lc)
	if err != nil {
		return fmt.Errorf("dictate: %w", err)
	}
	d := &dictation{ctx: ctx, cfg: cfg, log: log, sink: sink, gate: g, target: lc.Translate, tail: pcm.Duration(int64(g.tail))}
	d.setState(Idle)
	think := time.NewTimer(time.Hour)
	think.Stop()
	defer think.Stop()
	d.think = think
	keys := sc.Events()
	stopping := false
	var stopped chan error
	for events != nil {
		select {
		case k, ok := <-keys:
			if !ok {
				keys = nil
				if !stopping {
					stopping, stopped = true, d.stop(rec)
				}
				continue
			}
			d.key(k)
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			d.event(ev)
		case <-ctxDone(ctx, stopping):
			stopping, stopped = true, d.stop(rec)
		case <-think.C:
			if d.state == Thinking {
				d.setState(Idle)
			}
		}
	}
	if stopped != nil {
		err = <-stopped
	} else {
		err = rec.Stop(context.Background()) // the device ended the run
	}
	if d.failed != nil && ctx.Err() == nil {
		return errors.Join(d.failed, err)
	}
	return err
}

// ctxDone is ctx's Done until stopping, then nil (a case that never fires).
func ctxDone(ctx context.Context, stopping bool) <-chan struct{} {
	if stopping {
		return nil
	}
	return ctx.Done()
}

type dictation struct {
	ctx    context.Context
	cfg    Config
	log    *slog.Logger
	sink   Sink
	gate   *gate
	target string // translation language ("" = type the transcript)
	tail   time.Duration
	think  *time.Timer // ends "thinking" when no text comes

	down    bool    // the physical key is down (typing now would go to the grab, not the window)
	takes   []*take // open or awaiting text, oldest first
	waiting []transcript.Segment
	pending []pendingText // final texts waiting for the key to go up
	state   State
	failed  error // a device error that ended the run
}

type pendingText struct {
	t    *take
	text string
	lang string
	end  time.Duration // the utterance's end in the stream
}

func (d *dictation) setState(s State) {
	d.state = s
	if d.cfg.OnState != nil {
		d.cfg.OnState(s)
	}
}

func (d *dictation) open() *take {
	if n := len(d.takes); n > 0 && d.takes[n-1].end == 0 {
		return d.takes[n-1]
	}
	return nil
}

// key handles the shortcut: in Hold mode down opens a take and up closes it; in Toggle mode each press
// flips.
func (d *dictation) key(k KeyEvent) {
	d.down = k.Down
	cur := d.open()
	switch {
	case k.Down && cur == nil:
		w, err := d.sink.Focused(d.ctx)
		if err != nil {
			d.log.Warn("dictate: focused window", "err", err)
		}
		d.gate.set(true)
		d.takes = append(d.takes, &take{window: w})
		if len(d.takes) > maxTakes {
			d.takes = d.takes[1:]
		}
		d.think.Stop()
		d.setState(Listening)
	case (d.cfg.Mode == Hold && !k.Down && cur != nil) || (d.cfg.Mode == Toggle && k.Down && cur != nil):
		cur.end, cur.released = pcm.Duration(d.gate.set(false)), k.At
		cur.release = cur.end - d.tail
		d.think.Reset(thinkingLimit)
		d.setState(Thinking)
	}
	if !k.Down {
		d.flush()
	}
}

// event handles the pipeline's events: an utterance's final segments, then its Stats.
func (d *dictation) event(ev live.Event) {
	switch {
	case ev.Segment != nil && ev.Segment.Final:
		d.waiting = append(d.waiting, *ev.Segment)
	case ev.Stats != nil:
		d.utterance()
	case ev.Err != nil:
		d.log.Warn("dictate", "err", ev.Err)
		if errors.Is(ev.Err, capture.ErrStalled) {
			d.failed = ev.Err
		} else if d.cfg.OnError != nil {
			d.cfg.OnError(ev.Err)
		}
	}
}

// utterance types the text of the utterance whose segments are waiting: the translation when one is
// asked for and came, else the transcript.
func (d *dictation) utterance() {
	segs := d.waiting
	d.waiting = nil
	if len(segs) == 0 {
		return
	}
	pick := segs[0]
	for _, s := range segs {
		if s.Lang == d.target {
			pick = s
		}
	}
	if d.target != "" && pick.Lang != d.target {
		d.log.Warn("dictate: no translation; typing the transcript", "lang", d.target)
	}
	t := d.takeAt(pick.End)
	if t == nil {
		d.log.Debug("dictate: text outside any take dropped", "text", pick.Text)
		return
	}
	d.pending = append(d.pending, pendingText{t: t, text: pick.Text, lang: pick.Lang, end: pick.End})
	d.flush()
}

// takeAt is the take whose stretch of the gated stream holds position at: takes follow each other in
// the stream, and an utterance ends within its take (at the latest in the silence sent after it).
func (d *dictation) takeAt(at time.Duration) *take {
	for _, t := range d.takes {
		if t.end == 0 || at <= t.end {
			return t
		}
	}
	return nil
}

// flush types what is waiting, unless the key is down: while it is held the keyboard is grabbed, and
// the keys would come back to the shortcut instead of reaching the window.
func (d *dictation) flush() {
	if d.down {
		return
	}
	for len(d.pending) > 0 {
		p := d.pending[0]
		d.pending = d.pending[1:]
		if d.ctx.Err() != nil {
			continue // stopping: nobody asked for this text any more
		}
		text := p.text
		if d.cfg.Commands {
			text = ApplyCommands(text, p.lang)
		}
		if p.t.typed != "" && !strings.HasSuffix(p.t.typed, "\n") && !strings.HasPrefix(text, "\n") {
			text = " " + text // the next sentence of the same take
		}
		if text == "" {
			continue
		}
		if err := d.sink.Type(d.ctx, p.t.window, text); err != nil {
			d.log.Warn("dictate: type", "err", err)
			continue
		}
		p.t.typed = text
		if d.cfg.OnTyped != nil {
			d.cfg.OnTyped(Typed{Text: text, Lang: p.lang, Released: p.t.released, Done: time.Now()})
		}
		// The utterance that the release ended is the take's last: the take is done.
		if p.t.end != 0 && p.end >= p.t.release-frame {
			d.drop(p.t)
		}
	}
	if d.state == Thinking && d.open() == nil && len(d.takes) == 0 {
		d.think.Stop()
		d.setState(Idle)
	}
}

// frame is the segmenter's frame: utterance ends are known to this precision.
const frame = 20 * time.Millisecond

func (d *dictation) drop(t *take) {
	for i, x := range d.takes {
		if x == t {
			d.takes = append(d.takes[:i], d.takes[i+1:]...)
			return
		}
	}
}

// stop ends the pipeline in the background; the result arrives on the channel.
func (d *dictation) stop(rec *live.Recorder) chan error {
	if cur := d.open(); cur != nil {
		cur.end = pcm.Duration(d.gate.set(false))
		cur.release = cur.end - d.tail
	}
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), d.cfg.StopTimeout)
		defer cancel()
		done <- rec.Stop(ctx)
	}()
	return done
}
