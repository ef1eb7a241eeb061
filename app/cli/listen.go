package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/app/session"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/capture"
)

// flushTimeout bounds how long stopping may take to transcribe what was already heard.
const flushTimeout = time.Minute

func runListen(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "listen", "")
	var mf modelFlags
	mf.register(fs)
	device := fs.String("device", "", "input device: its name or a unique part of it (default: the system's; see 'verbatim devices')")
	backend := fs.String("backend", "", "audio system: pulseaudio, alsa, jack, coreaudio, wasapi or null (default: automatic)")
	translate := fs.String("translate", "", "also translate each segment into this language (e.g. es), printed as a second line")
	seconds := fs.Float64("seconds", 0, "stop after this many seconds (0: until Ctrl-C)")
	timestamps := fs.Bool("timestamps", false, "start each line with the segment's start and end time")
	noSession := fs.Bool("no-session", false, "do not record the session (audio and transcript) in the data folder")
	systemAudio := fs.Bool("system-audio", false, "also transcribe what the computer plays (a call's other side): lines say \"You:\" (the microphone) or \"Others:\"")
	systemDevice := fs.String("system-device", "", "the input device that hears the computer's sound (implies --system-audio; default: the monitor of the default output, on PulseAudio or PipeWire)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: %w", fs.Arg(0), ErrUsage)
	}
	if *seconds < 0 {
		return fmt.Errorf("--seconds %v: want 0 or more: %w", *seconds, ErrUsage)
	}
	if *systemDevice != "" {
		*systemAudio = true
	}
	root := ""
	if !*noSession {
		var err error
		if root, err = session.DefaultRoot(); err != nil {
			return err
		}
		noteCrashed(env, root)
	}
	eng, err := mf.hearing(ctx, env)
	if err != nil {
		return err
	}
	defer eng.Close(context.Background())
	var model speech.Model = eng
	rec := live.New(func() speech.Model { return model })
	events, err := rec.Start(ctx, live.Config{
		Mic: env.Mic, Device: *device, Backend: capture.Backend(*backend), Translate: *translate,
		SessionRoot: root, Provisional: env.StderrIsTTY,
		SystemAudio: *systemAudio, SystemDevice: *systemDevice,
	})
	if err != nil {
		return err
	}

	out := listenOutput{env: env, timestamps: *timestamps}
	var deadline <-chan time.Time
	if *seconds > 0 {
		t := time.NewTimer(time.Duration(*seconds * float64(time.Second)))
		defer t.Stop()
		deadline = t.C
	}
	done := ctx.Done()
	stopped := make(chan error, 1)
	stopping := false
	stop := func() {
		stopping, done, deadline = true, nil, nil
		go func() {
			sctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
			defer cancel()
			stopped <- rec.Stop(sctx)
		}()
	}
	listening, failed := false, false
	for events != nil {
		select {
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			switch {
			case ev.Level != nil && !listening:
				listening = true
				where := "the default input"
				if *device != "" {
					where = *device
				}
				switch {
				case *systemDevice != "":
					where += " (You) and " + *systemDevice + " (Others)"
				case *systemAudio:
					where += " (You) and the system audio (Others)"
				}
				fmt.Fprintf(env.Stderr, "verbatim listen: listening on %s (Ctrl-C to stop)\n", where)
			case ev.Segment != nil:
				out.segment(*ev.Segment)
			case ev.Err != nil:
				failed = true
				out.clearStatus()
				fmt.Fprintf(env.Stderr, "verbatim listen: %v\n", ev.Err)
			}
		case <-done:
			stop()
		case <-deadline:
			stop()
		}
	}
	out.clearStatus()
	if stopping {
		// Its result says whether the flush completed.
		if err := <-stopped; err != nil {
			failed = true
			fmt.Fprintf(env.Stderr, "verbatim listen: %v\n", err)
		}
	} else if err := rec.Stop(context.Background()); err != nil { // the device ended the run
		failed = true
		fmt.Fprintf(env.Stderr, "verbatim listen: %v\n", err)
	}
	if dir := rec.SessionDir(); dir != "" && exists(dir) { // a session that recorded nothing is removed
		fmt.Fprintf(env.Stderr, "verbatim listen: session saved in %s\n", dir)
		indexSession(env, dir, mf.name()) // history: a failure is a warning, the session is saved
	}
	if failed {
		return errReported
	}
	return nil
}

// noteCrashed repairs the sessions an earlier run left open (killed, crashed, power cut) so their audio
// plays, and says where they are: otherwise the command line never mentions them.
func noteCrashed(env Env, root string) {
	infos, err := session.Recover(root)
	if err != nil {
		env.Log.Warn("looking for crashed sessions", "err", err)
		return
	}
	if n := len(infos); n > 0 {
		fmt.Fprintf(env.Stderr, "verbatim listen: %d earlier session(s) were not closed and have been repaired; 'verbatim sessions' lists them\n", n)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// listenOutput prints final segments on stdout and provisional text on a terminal's status line.
type listenOutput struct {
	env        Env
	timestamps bool
	status     bool // a status line is showing
}

func (o *listenOutput) segment(s transcript.Segment) {
	if !s.Final {
		if o.env.StderrIsTTY {
			if s.Text == "" { // taken back: it was the other source's echo
				o.clearStatus()
				return
			}
			fmt.Fprintf(o.env.Stderr, "\r\033[K… %s%s", said(s), truncate(s.Text, 100))
			o.status = true
		}
		return
	}
	o.clearStatus()
	io.WriteString(o.env.Stdout, formatLine(s, o.timestamps)+"\n")
}

func (o *listenOutput) clearStatus() {
	if o.status {
		fmt.Fprint(o.env.Stderr, "\r\033[K")
		o.status = false
	}
}

// formatLine is one final segment as printed: `[00:01.20 → 00:03.10] text`, a translation prefixed
// with its language: `[00:01.20 → 00:03.10] [es] texto`, and with --system-audio the speaker first:
// `[00:01.20 → 00:03.10] Others: [es] texto`.
func formatLine(s transcript.Segment, timestamps bool) string {
	var b strings.Builder
	if timestamps {
		fmt.Fprintf(&b, "[%s → %s] ", clock(s.Start), clock(s.End))
	}
	b.WriteString(said(s))
	if s.Lang != "" {
		fmt.Fprintf(&b, "[%s] ", s.Lang)
	}
	b.WriteString(strings.Join(strings.Fields(s.Text), " "))
	return b.String()
}

// said is "Others: " for a segment that names its speaker, "" for one that names none.
func said(s transcript.Segment) string {
	if name := strings.Join(strings.Fields(s.Speaker), " "); name != "" {
		return name + ": "
	}
	return ""
}

// clock formats a stream position as mm:ss.cc, or h:mm:ss.cc from an hour on.
func clock(d time.Duration) string {
	cs := (d + 5*time.Millisecond) / (10 * time.Millisecond)
	h, m, s, c := cs/360000, cs/6000%60, cs/100%60, cs%100
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d.%02d", h, m, s, c)
	}
	return fmt.Sprintf("%02d:%02d.%02d", m, s, c)
}

// truncate keeps the last n runes of a provisional text (the newest words matter on a status line).
func truncate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return "…" + string(r[len(r)-n+1:])
}
