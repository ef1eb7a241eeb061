package dictate

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/app/speech"
)

// step is one thing the person (or the room) does.
type step struct {
	press, release bool          // the shortcut
	room, voice    time.Duration // audio into the microphone
	focus          uint32        // the focus moves to this window
	want           *typed        // this is typed next (within a second)
	none           time.Duration // nothing is typed for this long
}

func press() step                       { return step{press: true} }
func release() step                     { return step{release: true} }
func room(d time.Duration) step         { return step{room: d} }
func voice(d time.Duration) step        { return step{voice: d} }
func focus(w uint32) step               { return step{focus: w} }
func want(w uint32, text string) step   { return step{want: &typed{w, text}} }
func nothingFor(d time.Duration) step   { return step{none: d} }
func say(text string) map[string]string { return sayIn(text) }

// sayIn is one utterance's text: the transcript, then target/translation pairs.
func sayIn(transcript string, pairs ...string) map[string]string {
	m := map[string]string{"": transcript}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return m
}

const ms = time.Millisecond

func TestDictation(t *testing.T) {
	for _, tc := range []struct {
		name      string
		mode      Mode
		translate string
		commands  bool
		script    []map[string]string
		steps     []step
		started   int // utterances the model was asked to hear
	}{
		{
			name:   "hold, speak, release: typed into the window focused at the press",
			script: []map[string]string{say("Please bring the red box.")},
			steps: []step{focus(42), room(time.Second), press(), voice(1500 * ms), focus(7), release(),
				want(42, "Please bring the red box.")},
			started: 1,
		},
		{
			name:      "translation on: the translation is typed",
			translate: "es",
			script:    []map[string]string{sayIn("Please bring the red box.", "es", "Por favor, trae la caja roja.")},
			steps:     []step{focus(3), press(), voice(time.Second), release(), want(3, "Por favor, trae la caja roja.")},
			started:   1,
		},
		{
			name:      "translation failed: the transcript is typed",
			translate: "fr",
			script:    []map[string]string{say("Bring the box.")},
			steps:     []step{focus(3), press(), voice(time.Second), release(), want(3, "Bring the box.")},
			started:   1,
		},
		{
			name:     "spoken commands",
			commands: true,
			script:   []map[string]string{say("Dear Anna, new line, thank you. New paragraph. Bye")},
			steps:    []step{focus(1), press(), voice(time.Second), release(), want(1, "Dear Anna\nthank you.\n\nBye")},
			started:  1,
		},
		{
			name:      "spoken commands in the translation",
			commands:  true,
			translate: "es",
			script:    []map[string]string{sayIn("Hello, new line, bye.", "es", "Hola, nueva línea, adiós.")},
			steps:     []step{focus(1), press(), voice(time.Second), release(), want(1, "Hola\nadiós.")},
			started:   1,
		},
		{
			name:    "commands off: typed as said",
			script:  []map[string]string{say("Dear Anna, new line, thank you.")},
			steps:   []step{focus(1), press(), voice(time.Second), release(), want(1, "Dear Anna, new line, thank you.")},
			started: 1,
		},
		{
			name:   "a pause inside the take: two sentences, typed after the release, space between",
			script: []map[string]string{say("Bring the box."), say("Then go home.")},
			steps: []step{focus(5), press(), voice(time.Second), room(1200 * ms), voice(time.Second),
				nothingFor(300 * ms), // the first sentence is ready, but the key is still down
				release(), want(5, "Bring the box."), want(5, " Then go home.")},
			started: 2,
		},
		{
			name:   "speech while the shortcut is up is not heard",
			script: []map[string]string{say("Not for you."), say("For you.")},
			steps: []step{focus(9), voice(2 * time.Second), room(time.Second), nothingFor(300 * ms),
				press(), voice(time.Second), release(), want(9, "Not for you.")},
			started: 1, // the first line of the script went to the only utterance heard
		},
		{
			name:    "a take with nothing said types nothing",
			script:  []map[string]string{say("Ghost.")},
			steps:   []step{focus(9), press(), room(time.Second), release(), nothingFor(500 * ms)},
			started: 0,
		},
		{
			name:   "toggle: one press starts, the next ends",
			mode:   Toggle,
			script: []map[string]string{say("Toggled.")},
			steps: []step{focus(2), press(), release(), voice(time.Second), nothingFor(300 * ms),
				press(), release(), want(2, "Toggled.")},
			started: 1,
		},
		{
			name:   "two takes, two windows",
			script: []map[string]string{say("First."), say("Second.")},
			steps: []step{focus(1), press(), voice(time.Second), release(), want(1, "First."),
				focus(2), press(), voice(time.Second), release(), want(2, "Second.")},
			started: 2,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mic := newFakeMic()
			go mic.run()
			model := &fakeModel{script: tc.script}
			keys := fakeKeys{ch: make(chan KeyEvent)}
			sink := &fakeSink{got: make(chan typed, 16)}
			states := make(chan State, 64)
			var released []time.Duration // release → typed, per text
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				done <- Run(ctx, func() speech.Model { return model }, keys, sink, Config{
					Live:     live.Config{Open: mic.open, Translate: tc.translate},
					Mode:     tc.mode,
					Commands: tc.commands,
					Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
					OnState:  func(s State) { states <- s },
					OnTyped: func(ty Typed) {
						if !ty.Released.IsZero() {
							released = append(released, ty.Done.Sub(ty.Released))
						}
					},
				})
			}()
			waitState := func(want State) {
				t.Helper()
				for {
					select {
					case s := <-states:
						if s == want {
							return
						}
					case <-time.After(5 * time.Second):
						t.Fatalf("state %v never came", want)
					}
				}
			}
			waitState(Idle)
			open := false
			for i, s := range tc.steps {
				switch {
				case s.press:
					keys.ch <- KeyEvent{Down: true, At: time.Now()}
					if !open {
						waitState(Listening)
						open = true
					} else {
						waitState(Thinking)
						open = false
					}
				case s.release:
					keys.ch <- KeyEvent{Down: false, At: time.Now()}
					if open && tc.mode == Hold {
						waitState(Thinking)
						open = false
					} else {
						time.Sleep(50 * ms)
					}
				case s.room > 0:
					mic.push(mic.room(s.room))
				case s.voice > 0:
					mic.push(mic.voice(s.voice))
				case s.focus != 0:
					sink.setFocus(s.focus)
				case s.want != nil:
					// Nothing more comes from the microphone: the release alone must end the utterance.
					select {
					case got := <-sink.got:
						if got != *s.want {
							t.Fatalf("step %d: typed %q into %d, want %q into %d", i, got.text, got.window, s.want.text, s.want.window)
						}
					case <-time.After(3 * time.Second):
						t.Fatalf("step %d: nothing typed within 3 s, want %q", i, s.want.text)
					}
				case s.none > 0:
					select {
					case got := <-sink.got:
						t.Fatalf("step %d: typed %q into %d, want nothing yet", i, got.text, got.window)
					case <-time.After(s.none):
					}
				}
			}
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return within 10 s of the context's end")
			}
			select {
			case got := <-sink.got:
				t.Fatalf("typed %q after the script", got.text)
			default:
			}
			model.mu.Lock()
			defer model.mu.Unlock()
			if model.started != tc.started {
				t.Errorf("model heard %d utterances, want %d", model.started, tc.started)
			}
			for _, d := range released {
				// The fake model answers at once: what remains is the pipeline's own work.
				if d > 500*ms {
					t.Errorf("release → typed took %v", d)
				}
			}
		})
	}
}

func TestApplyCommands(t *testing.T) {
	for _, tc := range []struct{ in, lang, want string }{
		{"Dear Anna, new line, thank you.", "", "Dear Anna\nthank you."},
		{"Bring the box. New line. Then go.", "", "Bring the box.\nThen go."},
		{"One new paragraph two", "", "One\n\ntwo"},
		{"new line", "", "\n"},
		{"Hello new line", "", "Hello\n"},
		{"new line new line end", "", "\n\nend"},
		{"A newline is not a command, nor is renew line or new liner.", "", "A newline is not a command, nor is renew line or new liner."},
		{"Hola, nueva línea, adiós.", "es", "Hola\nadiós."},
		{"Hola, nueva línea, adiós.", "", "Hola, nueva línea, adiós."}, // Spanish phrases only in Spanish text
		{"Bonjour. Nouveau paragraphe. À la ligne merci", "fr", "Bonjour.\n\n\nmerci"},
		{"Hallo, neue Zeile, tschüss", "de", "Hallo\ntschüss"},
		{"Hola new line adiós", "es", "Hola\nadiós"}, // the English command said inside a translation
	} {
		if got := ApplyCommands(tc.in, tc.lang); got != tc.want {
			t.Errorf("ApplyCommands(%q, %q) = %q, want %q", tc.in, tc.lang, got, tc.want)
		}
	}
}

func TestParseMode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Mode
		bad  bool
	}{{"hold", Hold, false}, {"", Hold, false}, {"toggle", Toggle, false}, {"push", Hold, true}} {
		got, err := ParseMode(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ParseMode(%q) = %v, %v", tc.in, got, err)
		}
	}
}
