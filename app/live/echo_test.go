package live

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/session"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/capture"
	"github.com/verbatim-app/verbatim/capture/audiofile"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// Sentences for the echo tests: short and long, alike in rhythm and not.
var echoPhrases = []string{
	"bring the red box to the kitchen",
	"hello from the other side of the call",
	"at five please",
	"we should meet on tuesday at ten",
	"the quick brown fox jumps over the lazy dog",
	"can you hear me now",
}

var phraseCache struct {
	sync.Mutex
	clips map[string][]float32
}

// phrase is a sentence spoken by espeak-ng, without pauses around it.
func phrase(tb testing.TB, text string) []float32 {
	tb.Helper()
	testenv.NeedTools(tb, "espeak-ng")
	phraseCache.Lock()
	defer phraseCache.Unlock()
	if x, ok := phraseCache.clips[text]; ok {
		return x
	}
	x, _ := spoken(tb, 0, text)
	if phraseCache.clips == nil {
		phraseCache.clips = map[string][]float32{}
	}
	phraseCache.clips[text] = x
	return x
}

// mixAt adds gain·x into out from time at.
func mixAt(out, x []float32, at time.Duration, gain float32) []float32 {
	o := samplesOf(at)
	for i, v := range x {
		if o+i < len(out) {
			out[o+i] += gain * v
		}
	}
	return out
}

// quiet is a room's noise, seeded.
func quiet(total time.Duration, seed uint64) []float32 {
	return testenv.Noise(rand.New(rand.NewPCG(seed, 7)), samplesOf(total), -60)
}

// room plays x through a loudspeaker into a room and back into a microphone: a first-order low-pass,
// and a reverberation tail of decaying noise (RT60 about 400 ms).
func room(x []float32, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 9))
	ir := make([]float32, samplesOf(400*time.Millisecond))
	ir[0] = 1
	for k := 1; k < len(ir); k++ {
		ir[k] = float32(rng.NormFloat64()*0.05) * float32(math.Exp(-6.9*float64(k)/float64(len(ir))))
	}
	out := make([]float32, len(x)+len(ir))
	for i, v := range x {
		if v == 0 {
			continue
		}
		for k, h := range ir {
			out[i+k] += v * h
		}
	}
	var y float32
	for i := range out {
		y += 0.5 * (out[i] - y)
		out[i] = y
	}
	return out
}

// The envelope comparison alone: every pair of different sentences stays under the threshold at every
// lag, and a sentence against itself (delayed, quieter, through a room) stays over it, with the lag
// and loudness found.
func TestEchoMatchSeparatesSameFromDifferent(t *testing.T) {
	const total = 10 * time.Second
	at := 2 * time.Second
	worstDifferent, worstSame := 0.0, 1.0
	var rooms [][]float32
	for j, p := range echoPhrases {
		rooms = append(rooms, room(phrase(t, p), uint64(j)))
	}
	for i, pi := range echoPhrases {
		for j, pj := range echoPhrases {
			for _, delay := range []time.Duration{0, 150 * time.Millisecond, 700 * time.Millisecond} {
				orig, copy, through := phrase(t, pi), phrase(t, pj), rooms[j]
				a := mixAt(quiet(total, 1), orig, at, 1)
				b := mixAt(quiet(total, 2), through, at+delay, 0.3)
				e := newEchoes(EchoConfig{})
				e.add(0, b) // the microphone hears the room
				e.add(1, a) // the system audio had the original
				e.speechStart(1, at-500*time.Millisecond)
				start := at + delay - 500*time.Millisecond
				m := e.check(context.Background(), 0, start, start+dur(len(copy))+time.Second)
				if i != j {
					worstDifferent = max(worstDifferent, m.corr)
					if m.echo || m.corr >= 0.6 {
						t.Errorf("%q against %q (delay %v): correlation %.3f, echo %v", pj, pi, delay, m.corr, m.echo)
					}
					continue
				}
				worstSame = min(worstSame, m.corr)
				if !m.echo || m.corr < 0.8 || m.lag < delay-20*time.Millisecond || m.lag > delay+20*time.Millisecond {
					t.Errorf("%q through the room, %v later: %+v; want an echo at lag %v", pi, delay, m, delay)
				}
			}
		}
	}
	t.Logf("different sentences: best correlation %.3f at most; a sentence and its echo: %.3f at least", worstDifferent, worstSame)
}

// Which copy is the echo, and when nothing may be dropped.
func TestEchoDecision(t *testing.T) {
	const total = 10 * time.Second
	at := 2 * time.Second
	a, b := phrase(t, echoPhrases[0]), phrase(t, echoPhrases[4])
	type utt struct {
		src        int
		start, end time.Duration
	}
	uttOf := func(src int, x []float32, at time.Duration) utt {
		return utt{src, at - 500*time.Millisecond, at + dur(len(x)) + 500*time.Millisecond}
	}
	for _, tc := range []struct {
		name     string
		mic, sys []float32
		utts     []utt // in the order decided
		echo     []bool
		noSpeech bool // the segmenters found no speech on the other side
	}{
		{
			name: "others' voice picked up by the microphone: the microphone's copy goes",
			mic:  mixAt(quiet(total, 1), room(a, 1), at+150*time.Millisecond, 0.3),
			sys:  mixAt(quiet(total, 2), a, at, 1),
			utts: []utt{uttOf(1, a, at), uttOf(0, a, at+150*time.Millisecond)},
			echo: []bool{false, true},
		},
		{
			name: "decided in the other order, the same",
			mic:  mixAt(quiet(total, 1), room(a, 1), at+150*time.Millisecond, 0.3),
			sys:  mixAt(quiet(total, 2), a, at, 1),
			utts: []utt{uttOf(0, a, at+150*time.Millisecond), uttOf(1, a, at)},
			echo: []bool{true, false},
		},
		{
			name: "your voice played back by the computer: the system audio's copy goes",
			mic:  mixAt(quiet(total, 1), a, at, 1),
			sys:  mixAt(quiet(total, 2), a, at+120*time.Millisecond, 0.5),
			utts: []utt{uttOf(0, a, at), uttOf(1, a, at+120*time.Millisecond)},
			echo: []bool{false, true},
		},
		{
			name: "at the same moment: the quieter copy goes",
			mic:  mixAt(quiet(total, 1), a, at, 1),
			sys:  mixAt(quiet(total, 2), a, at, 0.2),
			utts: []utt{uttOf(1, a, at), uttOf(0, a, at)},
			echo: []bool{true, false},
		},
		{
			name: "at the same moment and as loud: the microphone's goes, never both",
			mic:  mixAt(quiet(total, 1), a, at, 1),
			sys:  mixAt(quiet(total, 1), a, at, 1),
			utts: []utt{uttOf(0, a, at), uttOf(1, a, at)},
			echo: []bool{true, false},
		},
		{
			name: "two people talking over each other: both kept",
			mic:  mixAt(quiet(total, 1), b, at+400*time.Millisecond, 1),
			sys:  mixAt(quiet(total, 2), a, at, 1),
			utts: []utt{uttOf(1, a, at), uttOf(0, b, at+400*time.Millisecond)},
			echo: []bool{false, false},
		},
		{
			name:     "the other side transcribes nothing there: kept",
			mic:      mixAt(quiet(total, 1), room(a, 1), at+150*time.Millisecond, 0.3),
			sys:      mixAt(quiet(total, 2), a, at, 1),
			utts:     []utt{uttOf(0, a, at+150*time.Millisecond)},
			echo:     []bool{false},
			noSpeech: true,
		},
		{
			name: "silence on the other side: kept",
			mic:  mixAt(quiet(total, 1), a, at, 1),
			sys:  quiet(total, 2),
			utts: []utt{uttOf(0, a, at)},
			echo: []bool{false},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEchoes(EchoConfig{})
			e.add(0, tc.mic)
			e.add(1, tc.sys)
			if !tc.noSpeech {
				for _, u := range tc.utts {
					e.speechStart(u.src, u.start)
					e.speechEnd(u.src, u.start, u.end)
				}
			}
			for k, u := range tc.utts {
				m := e.check(context.Background(), u.src, u.start, u.end)
				t.Logf("source %d [%v, %v): %+v", u.src, u.start, u.end, m)
				if m.echo != tc.echo[k] {
					t.Errorf("source %d: echo %v, want %v", u.src, m.echo, tc.echo[k])
				}
			}
		})
	}
}

// Audio the other source has not delivered yet is waited for, briefly; a stretch the envelope has
// forgotten, or a source that ended, never makes a line go.
func TestEchoWaitsForTheOtherSource(t *testing.T) {
	a := phrase(t, echoPhrases[1])
	at := 2 * time.Second
	sys := mixAt(quiet(8*time.Second, 2), a, at, 1)
	mic := mixAt(quiet(8*time.Second, 1), a, at+100*time.Millisecond, 0.5)
	e := newEchoes(EchoConfig{})
	e.add(0, mic)
	e.speechStart(1, at-500*time.Millisecond)
	half := samplesOf(at)
	e.add(1, sys[:half])
	go func() {
		time.Sleep(300 * time.Millisecond)
		e.add(1, sys[half:])
	}()
	t0 := time.Now()
	m := e.check(context.Background(), 0, at-400*time.Millisecond, at+dur(len(a))+600*time.Millisecond)
	if waited := time.Since(t0); !m.echo || waited < 250*time.Millisecond || waited > echoWait {
		t.Errorf("after waiting %v for the rest: %+v, want an echo", waited, m)
	}

	// A source that stopped delivering: no wait beyond echoWait, and no echo without its audio.
	e = newEchoes(EchoConfig{})
	e.add(0, mic)
	e.add(1, sys[:half])
	e.speechStart(1, at-500*time.Millisecond)
	t0 = time.Now()
	m = e.check(context.Background(), 0, at-400*time.Millisecond, at+dur(len(a))+600*time.Millisecond)
	if waited := time.Since(t0); m.echo || waited < echoWait || waited > echoWait+time.Second {
		t.Errorf("a stalled source: %+v after %v", m, waited)
	}
	e.end(1)
	t0 = time.Now()
	if m = e.check(context.Background(), 0, at-400*time.Millisecond, at+dur(len(a))+600*time.Millisecond); m.echo || time.Since(t0) > 100*time.Millisecond {
		t.Errorf("an ended source: %+v after %v", m, time.Since(t0))
	}
}

// leased is a fake model under the real lease, so the two sources' utterances take turns as they do
// on a loaded model.
func leased(m *fakeModel) speech.Model {
	return speech.Lease(speech.Opened{Model: m, Close: func() {}}, "")
}

// The pipeline with two sources: the same sentence played into both (a delay and a gain apart) is
// transcribed once, as the system audio's; two different sentences over each other are both kept,
// each with its speaker, its own time, a unique ID; and the session keeps both sources' audio.
func TestSystemAudioEchoAndOverlap(t *testing.T) {
	a, b := phrase(t, echoPhrases[3]), phrase(t, echoPhrases[1])
	const total = 9 * time.Second
	at := 2 * time.Second
	for _, tc := range []struct {
		name     string
		mic, sys []float32
		want     []transcript.Segment // Speaker, Start and End only
	}{
		{
			name: "the others heard through the loudspeakers",
			mic:  mixAt(quiet(total, 1), room(a, 3), at+180*time.Millisecond, 0.3),
			sys:  mixAt(quiet(total, 2), a, at, 0.8),
			want: []transcript.Segment{{Speaker: transcript.System, Start: at, End: at + dur(len(a))}},
		},
		{
			name: "your voice played back",
			mic:  mixAt(quiet(total, 1), a, at, 0.8),
			sys:  mixAt(quiet(total, 2), a, at+90*time.Millisecond, 0.5),
			want: []transcript.Segment{{Speaker: transcript.Mic, Start: at, End: at + dur(len(a))}},
		},
		{
			name: "two people over each other",
			mic:  mixAt(quiet(total, 1), b, at+time.Second, 0.8),
			sys:  mixAt(quiet(total, 2), a, at, 0.8),
			want: []transcript.Segment{
				{Speaker: transcript.System, Start: at, End: at + dur(len(a))},
				{Speaker: transcript.Mic, Start: at + time.Second, End: at + time.Second + dur(len(b))},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fm := &fakeModel{}
			mic, sys := newFakeSource(tc.mic, false, nil), newFakeSource(tc.sys, false, nil)
			root := t.TempDir()
			r, ch := start(t, leased(fm), Config{Open: mic.open(), SystemAudio: true, OpenSystem: sys.open(),
				SessionRoot: root, Provisional: true})
			for mic.Sent() < len(tc.mic) || sys.Sent() < len(tc.sys) {
				time.Sleep(5 * time.Millisecond)
			}
			dir := r.SessionDir()
			stop(t, r)
			var screen transcript.Store // what a window shows, put in the order events came
			g := collectWith(t, ch, time.Minute, func(e Event) {
				if e.Segment != nil {
					screen.Put(*e.Segment)
				}
			})
			for _, s := range g.finals {
				t.Logf("final %d %s [%v–%v]: %q", s.ID, s.Speaker, s.Start, s.End, s.Text)
			}
			if len(g.errs) > 0 {
				t.Errorf("errors: %v", g.errs)
			}
			if len(g.finals) != len(tc.want) {
				t.Fatalf("%d final segments, want %d", len(g.finals), len(tc.want))
			}
			ids := map[int]bool{}
			for _, w := range tc.want {
				found := false
				for _, s := range g.finals {
					// The segmenter keeps up to 500 ms of quiet each side.
					if s.Speaker == w.Speaker && s.Start > w.Start-700*time.Millisecond && s.Start <= w.Start &&
						s.End >= w.End-100*time.Millisecond && s.End < w.End+700*time.Millisecond {
						found = true
					}
				}
				if !found {
					t.Errorf("no segment of %s over [%v, %v]", w.Speaker, w.Start, w.End)
				}
			}
			for _, s := range append(g.finals, g.provisional...) {
				if s.Speaker != transcript.Mic && s.Speaker != transcript.System {
					t.Errorf("segment %+v names no speaker", s)
				}
			}
			for _, s := range g.finals {
				if ids[s.ID] {
					t.Errorf("ID %d given twice", s.ID)
				}
				ids[s.ID] = true
			}
			// No provisional text of a dropped echo is left on the screen.
			for _, s := range screen.Segments() {
				if !s.Final && s.Text != "" {
					t.Errorf("provisional text left on the screen: %+v", s)
				}
			}
			t.Logf("%d provisional segments", len(g.provisional))
			if fm.maxOpen != 1 {
				t.Errorf("%d utterances open at once on one model", fm.maxOpen)
			}
			info, err := session.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(info.Segments) != len(tc.want) || info.SystemAudioPath == "" {
				t.Fatalf("session %+v: want %d segments and system audio", info, len(tc.want))
			}
			for i, s := range info.Segments {
				if s.Speaker != g.finals[i].Speaker {
					t.Errorf("session segment %d: speaker %q, sent %q", i, s.Speaker, g.finals[i].Speaker)
				}
			}
			// Both files on the one timeline: as long as what was sent, give or take the start.
			for _, p := range []string{info.AudioPath, info.SystemAudioPath} {
				au, err := audiofile.DecodeFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if d := dur(len(au.Samples)) - total; d < 0 || d > 200*time.Millisecond {
					t.Errorf("%s lasts %v, %v sent", p, dur(len(au.Samples)), total)
				}
			}
		})
	}
}

// Renaming the others while listening: what comes after carries the new name, the session's journal
// has it on every line, and once the run is over its session on disk is renamed again.
func TestRenameSpeakerWhileListening(t *testing.T) {
	sysSig := scene(5*time.Second, span{500 * time.Millisecond, 1500 * time.Millisecond}, span{3500 * time.Millisecond, 4500 * time.Millisecond})
	mic, sys := newFakeSource(scene(5*time.Second), true, nil), newFakeSource(sysSig, true, nil)
	r, ch := start(t, leased(&fakeModel{}), Config{Open: mic.open(), SystemAudio: true, OpenSystem: sys.open(), SessionRoot: t.TempDir()})
	if _, err := r.RenameSpeaker(transcript.System, transcript.Mic); err == nil {
		t.Error("renamed the others to the microphone's name")
	}
	if _, err := r.RenameSpeaker("Nobody", "Alice"); err == nil {
		t.Error("renamed a speaker who is not there")
	}
	renamed := make(chan struct{})
	var finals []transcript.Segment
	var mu sync.Mutex
	done := make(chan *got, 1)
	go func() {
		done <- collectWith(t, ch, time.Minute, func(e Event) {
			if e.Segment == nil || !e.Segment.Final {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			finals = append(finals, *e.Segment)
			if len(finals) == 1 {
				n, err := r.RenameSpeaker(transcript.System, "Alice")
				if err != nil || n != 1 {
					t.Errorf("RenameSpeaker while listening = %d, %v; want 1 line", n, err)
				}
				close(renamed)
			}
		})
	}()
	select {
	case <-renamed:
	case <-time.After(10 * time.Second):
		t.Fatal("no first line within 10 s")
	}
	for sys.Sent() < len(sysSig) {
		time.Sleep(10 * time.Millisecond)
	}
	dir := r.SessionDir()
	stop(t, r)
	g := <-done
	if len(g.errs) > 0 {
		t.Fatal(g.errs)
	}
	if len(finals) != 2 || finals[0].Speaker != transcript.System || finals[1].Speaker != "Alice" {
		t.Fatalf("finals %+v: want Others, then Alice", finals)
	}
	info, err := session.Load(dir)
	if err != nil || len(info.Segments) != 2 || info.Segments[0].Speaker != "Alice" || info.Segments[1].Speaker != "Alice" {
		t.Fatalf("session: %+v, %v; want both lines Alice's", info.Segments, err)
	}
	// After the run: the session on disk.
	if n, err := r.RenameSpeaker("Alice", "Alicia"); err != nil || n != 2 {
		t.Fatalf("RenameSpeaker after the run = %d, %v; want 2", n, err)
	}
	info, _ = session.Load(dir)
	for _, s := range info.Segments {
		if s.Speaker != "Alicia" {
			t.Errorf("after renaming the finished session: %+v", s)
		}
	}
	// One source names no speakers.
	one, ch1 := start(t, &fakeModel{}, Config{Open: newFakeSource(scene(time.Second), false, nil).open()})
	if _, err := one.RenameSpeaker(transcript.System, "Alice"); err == nil {
		t.Error("renamed a speaker in a recording of one source")
	}
	stop(t, one)
	collect(t, ch1, 10*time.Second)
}

// fakeMic is a capture.Microphone over fake hardware with a microphone and a monitor.
type fakeMic struct {
	mu     sync.Mutex
	opened []string // device names asked for
}

var fakeDevices = []capture.Device{
	{Name: "Built-in microphone", ID: "mic", IsDefault: true},
	{Name: "Monitor of Speakers", ID: "speakers.monitor", Monitor: true},
}

func (m *fakeMic) Devices(context.Context, capture.Backend) ([]capture.Device, error) {
	return fakeDevices, nil
}

func (m *fakeMic) Open(ctx context.Context, cfg capture.Config) (*capture.Stream, error) {
	m.mu.Lock()
	m.opened = append(m.opened, cfg.DeviceName)
	m.mu.Unlock()
	if cfg.DeviceName == "broken" {
		return nil, errors.New("the device is broken")
	}
	return capture.Open(ctx, &fakeDriver{signal: scene(time.Second), devices: fakeDevices}, cfg)
}

// monitorMic also finds the monitor, or fails to.
type monitorMic struct {
	fakeMic
	err error
}

func (m *monitorMic) Monitor(context.Context, capture.Backend) (capture.Device, error) {
	if m.err != nil {
		return capture.Device{}, m.err
	}
	return capture.FindMonitor(fakeDevices, "speakers")
}

// Opening the system audio: the default output's monitor through the microphone's capture.SystemAudio,
// or the device named; when it cannot be opened, Start fails with why, and leaves no device open and no
// session behind.
func TestSystemAudioOpening(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mic    capture.Microphone
		device string
		opened []string
		errIs  error
		errHas string
	}{
		{name: "the default output's monitor", mic: &monitorMic{}, opened: []string{"", "speakers.monitor"}},
		{name: "a device named", mic: &fakeMic{}, device: "Monitor of Speakers", opened: []string{"", "Monitor of Speakers"}},
		{name: "no way to find a monitor", mic: &fakeMic{}, opened: []string{""}, errIs: capture.ErrNoMonitor, errHas: "system audio"},
		{name: "no monitor there", mic: &monitorMic{err: fmt.Errorf("capture: %w: recording system audio needs PulseAudio or PipeWire", capture.ErrNoMonitor)},
			opened: []string{""}, errIs: capture.ErrNoMonitor, errHas: "PulseAudio or PipeWire"},
		{name: "the device fails", mic: &fakeMic{}, device: "broken", opened: []string{"", "broken"}, errHas: "broken"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			r := New(func() speech.Model { return &fakeModel{} })
			ch, err := r.Start(context.Background(), Config{Mic: tc.mic, SystemAudio: true, SystemDevice: tc.device, SessionRoot: root})
			var fm *fakeMic
			switch m := tc.mic.(type) {
			case *fakeMic:
				fm = m
			case *monitorMic:
				fm = &m.fakeMic
			}
			fm.mu.Lock()
			opened := append([]string(nil), fm.opened...)
			fm.mu.Unlock()
			sort.Strings(opened)
			if fmt.Sprint(opened) != fmt.Sprint(tc.opened) {
				t.Errorf("opened %q, want %q", opened, tc.opened)
			}
			if tc.errHas == "" {
				if err != nil {
					t.Fatal(err)
				}
				stop(t, r)
				if g := collect(t, ch, 10*time.Second); len(g.errs) > 0 {
					t.Error(g.errs)
				}
				return
			}
			if err == nil || (tc.errIs != nil && !errors.Is(err, tc.errIs)) || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("Start: %v; want an error saying %q", err, tc.errHas)
			}
			if entries, _ := os.ReadDir(root); len(entries) != 0 {
				t.Errorf("a failed start left %v", entries)
			}
		})
	}
}

// The envelope's cost, paid by each source's reader: 0.3 ms per second of audio here (0.03 % of a core).
func BenchmarkEchoEnvelope(b *testing.B) {
	x := quiet(time.Second, 1)
	e := newEchoes(EchoConfig{})
	for b.Loop() {
		e.add(0, x)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e9*100, "%core-per-source")
}

// A decision on a 12 s utterance (the segmenter's longest), paid once per utterance: 4.7 ms here.
func BenchmarkEchoCheck(b *testing.B) {
	sig := quiet(20*time.Second, 1)
	e := newEchoes(EchoConfig{})
	e.add(0, sig)
	e.add(1, sig)
	e.speechStart(1, 0)
	for b.Loop() {
		e.check(context.Background(), 0, 4*time.Second, 16*time.Second)
	}
}

// The FFT against the definition.
func TestFFT(t *testing.T) {
	var re, im [envWin]float64
	x := quiet(dur(envWin), 3)
	for k := range re {
		re[k] = float64(x[k])
	}
	fft(re[:], im[:])
	for _, f := range []int{0, 1, 17, envWin / 2} {
		var wr, wi float64
		for n, v := range x {
			a := -2 * math.Pi * float64(f*n) / envWin
			wr += float64(v) * math.Cos(a)
			wi += float64(v) * math.Sin(a)
		}
		if math.Abs(wr-re[f]) > 1e-9 || math.Abs(wi-im[f]) > 1e-9 {
			t.Errorf("bin %d: %v%+vi, want %v%+vi", f, re[f], im[f], wr, wi)
		}
	}
}
