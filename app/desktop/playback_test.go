package desktop

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/session"
	"github.com/verbatim-app/verbatim/capture"
	"github.com/verbatim-app/verbatim/capture/audiofile"
	"github.com/verbatim-app/verbatim/capture/pcm"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// fastSpeakers play through capture.Play into a device in software that takes audio about a hundred
// times faster than real time and keeps what it was given.
type fastSpeakers struct {
	mu    sync.Mutex
	heard []float32
	opens int
}

func (s *fastSpeakers) Play(ctx context.Context, src capture.SampleReader) (*capture.Playback, error) {
	s.mu.Lock()
	s.opens++
	s.mu.Unlock()
	return capture.Play(ctx, s, src, nil)
}

func (s *fastSpeakers) OpenOutput(_ context.Context, fill func([]byte), _ func()) (capture.Hardware, error) {
	return &fastDevice{s: s, fill: fill, quit: make(chan struct{}), done: make(chan struct{})}, nil
}

// samples is what was heard, without the silence a device plays when the ring runs dry.
func (s *fastSpeakers) samples() []float32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return nonZero(s.heard)
}

func nonZero(x []float32) []float32 {
	var out []float32
	for _, v := range x {
		if v != 0 {
			out = append(out, v)
		}
	}
	return out
}

type fastDevice struct {
	s    *fastSpeakers
	fill func([]byte)
	quit chan struct{}
	done chan struct{}
}

func (d *fastDevice) Start() error {
	go func() {
		defer close(d.done)
		b := make([]byte, 4*160)
		for {
			select {
			case <-d.quit:
				return
			default:
			}
			d.fill(b)
			d.s.mu.Lock()
			for i := 0; i < len(b); i += 4 {
				d.s.heard = append(d.s.heard, math.Float32frombits(binary.LittleEndian.Uint32(b[i:])))
			}
			d.s.mu.Unlock()
			time.Sleep(100 * time.Microsecond)
		}
	}()
	return nil
}

func (d *fastDevice) Close() {
	close(d.quit)
	<-d.done
}

// events reads a playback to its end.
func events(t *testing.T, ch <-chan PlaybackEvent) []PlaybackEvent {
	t.Helper()
	var out []PlaybackEvent
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return out
			}
			out = append(out, ev)
		case <-timeout:
			t.Fatalf("playback did not end; events so far %+v", out)
		}
	}
}

// sessionWithAudio records a session of the given audio and returns its folder.
func sessionWithAudio(t *testing.T, audio []float32) string {
	t.Helper()
	s, err := session.Create(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteAudio(audio); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return s.Dir()
}

func decoded(t *testing.T, path string) []float32 {
	t.Helper()
	a, err := audiofile.DecodeFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return a.Samples
}

func TestPlayerPlaysFromTheLine(t *testing.T) {
	voice := testenv.Voice(pcm.Samples(5 * time.Second))
	dir := sessionWithAudio(t, voice)
	recorded := decoded(t, filepath.Join(dir, "audio.wav")) // as stored: 16-bit
	tone := func(name string) string { return filepath.Join("..", "..", "capture", "audiofile", "testdata", name) }
	for _, tc := range []struct {
		name   string
		source string
		at     time.Duration
		want   []float32 // exactly these samples, silence aside
		near   []float32 // or these, give or take a resampler's start (a WAV at another rate, sought into)
		end    time.Duration
	}{
		{"session folder from a line", dir, 2 * time.Second, recorded[pcm.Samples(2*time.Second):], nil, 5 * time.Second},
		{"session from the start", dir, 0, recorded, nil, 5 * time.Second},
		{"session from before the start", dir, -time.Second, recorded, nil, 5 * time.Second},
		{"session past its end", dir, time.Minute, nil, nil, 5 * time.Second},
		{"FLAC file (decoded up to the line)", tone("tone-44k-stereo.flac"), 100 * time.Millisecond,
			decoded(t, tone("tone-44k-stereo.flac"))[pcm.Samples(100*time.Millisecond):], nil, 0},
		{"MP3 file", tone("tone-24k-mono.mp3"), 120 * time.Millisecond,
			decoded(t, tone("tone-24k-mono.mp3"))[pcm.Samples(120*time.Millisecond):], nil, 0},
		{"44.1 kHz WAV (sought into)", tone("tone-44k-stereo.wav"), 100 * time.Millisecond,
			nil, decoded(t, tone("tone-44k-stereo.wav"))[pcm.Samples(100*time.Millisecond):], 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp := &fastSpeakers{}
			p := NewPlayer(sp)
			ch, err := p.Play(context.Background(), tc.source, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			evs := events(t, ch)
			last := evs[len(evs)-1]
			if !last.Ended || last.Err != nil {
				t.Fatalf("last event %+v, want Ended without error", last)
			}
			for i, ev := range evs[:len(evs)-1] {
				if ev.Ended || (i > 0 && ev.Position < evs[i-1].Position) || ev.Position < max(tc.at, 0) {
					t.Errorf("event %d %+v out of order (from %v)", i, ev, tc.at)
				}
			}
			if tc.end > 0 && last.Position != tc.end {
				t.Errorf("ended at %v, want %v", last.Position, tc.end)
			}
			got := sp.samples()
			switch {
			case tc.near != nil:
				want := nonZero(tc.near)
				if d := len(got) - len(want); d < -8 || d > 8 {
					t.Fatalf("heard %d samples, want about %d", len(got), len(want))
				}
				worst := 0.0
				for i := 64; i < min(len(got), len(want)); i++ {
					worst = max(worst, math.Abs(float64(got[i]-want[i])))
				}
				if worst > 0.01 {
					t.Errorf("heard audio differs from the file's by up to %.4f", worst)
				}
			default:
				want := nonZero(tc.want)
				if len(got) != len(want) {
					t.Fatalf("heard %d samples, want %d", len(got), len(want))
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("sample %d = %v, want %v", i, got[i], want[i])
					}
				}
			}
		})
	}
}

func TestPlayerGoneAudio(t *testing.T) {
	dir := sessionWithAudio(t, testenv.Voice(pcm.Rate))
	for _, tc := range []struct{ name, source string }{
		{"file moved away", filepath.Join(t.TempDir(), "interview.mp3")},
		{"session folder deleted", filepath.Join(filepath.Dir(dir), "2020-01-01_00-00-00")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp := &fastSpeakers{}
			_, err := NewPlayer(sp).Play(context.Background(), tc.source, 0)
			if !errors.Is(err, ErrAudioGone) {
				t.Fatalf("err = %v, want ErrAudioGone", err)
			}
			if sp.opens != 0 {
				t.Error("the output was opened for nothing")
			}
		})
	}
}

func TestPlayerPauseStopReplace(t *testing.T) {
	dir := sessionWithAudio(t, testenv.Voice(pcm.Samples(10*time.Minute)))
	// A device in real time, so that the playback is still going while the test looks at it.
	sp := &fastSpeakers{}
	p := NewPlayer(realtimeSpeakers{sp})
	ch, err := p.Play(context.Background(), dir, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	waitFor := func(what string, ok func(PlaybackEvent) bool) PlaybackEvent {
		t.Helper()
		timeout := time.After(5 * time.Second)
		for {
			select {
			case ev := <-ch:
				if ok(ev) {
					return ev
				}
			case <-timeout:
				t.Fatalf("no event where %s", what)
			}
		}
	}
	waitFor("it plays", func(ev PlaybackEvent) bool { return ev.Position > time.Minute && !ev.Paused })
	p.Pause()
	paused := waitFor("it is paused", func(ev PlaybackEvent) bool { return ev.Paused })
	time.Sleep(3 * positionEvery)
	if ev := waitFor("paused still", func(ev PlaybackEvent) bool { return true }); ev.Position != paused.Position || !ev.Paused {
		t.Errorf("while paused: %+v, then %+v", paused, ev)
	}
	p.Resume()
	waitFor("it plays on", func(ev PlaybackEvent) bool { return !ev.Paused && ev.Position > paused.Position })

	// Another line's Play replaces this playback: this one ends, without an error.
	ch2, err := p.Play(context.Background(), dir, 4*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if evs := events(t, ch); !evs[len(evs)-1].Ended || evs[len(evs)-1].Err != nil {
		t.Errorf("replaced playback ended with %+v", evs[len(evs)-1])
	}
	ch = ch2
	waitFor("the second plays", func(ev PlaybackEvent) bool { return ev.Position > 4*time.Minute })
	if err := p.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	evs := events(t, ch)
	if last := evs[len(evs)-1]; !last.Ended || last.Err != nil || last.Position > 5*time.Minute {
		t.Errorf("stopped playback ended with %+v", last)
	}
	if err := p.Stop(context.Background()); err != nil {
		t.Errorf("Stop with nothing playing: %v", err)
	}
}

// realtimeSpeakers play through a device that takes 10 ms of audio every 10 ms.
type realtimeSpeakers struct{ *fastSpeakers }

func (s realtimeSpeakers) Play(ctx context.Context, src capture.SampleReader) (*capture.Playback, error) {
	return capture.Play(ctx, s, src, nil)
}

func (s realtimeSpeakers) OpenOutput(_ context.Context, fill func([]byte), _ func()) (capture.Hardware, error) {
	return &realtimeDevice{fill: fill, quit: make(chan struct{}), done: make(chan struct{})}, nil
}

type realtimeDevice struct {
	fill func([]byte)
	quit chan struct{}
	done chan struct{}
}

func (d *realtimeDevice) Start() error {
	go func() {
		defer close(d.done)
		b := make([]byte, 4*pcm.Rate/100)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-d.quit:
				return
			case <-tick.C:
				d.fill(b)
			}
		}
	}()
	return nil
}

func (d *realtimeDevice) Close() {
	close(d.quit)
	<-d.done
}

// A session that recorded the computer's sound beside the microphone plays both at once, from the
// same moment in each: a call as it sounded.
func TestPlayerMixesBothSidesOfACall(t *testing.T) {
	s, err := session.Create(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// The microphone speaks in the first two seconds, the other side in the two after.
	mic := append(testenv.Voice(pcm.Samples(2*time.Second)), make([]float32, pcm.Samples(2*time.Second))...)
	sys := append(make([]float32, pcm.Samples(2*time.Second)), testenv.Voice(pcm.Samples(2*time.Second))...)
	for i := range sys {
		sys[i] *= 0.5 // told apart from the microphone by its level
	}
	if err := s.WriteAudio(mic); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteSystemAudio(sys); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	sp := &fastSpeakers{}
	ch, err := NewPlayer(sp).Play(context.Background(), s.Dir(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if evs := events(t, ch); evs[len(evs)-1].Err != nil || evs[len(evs)-1].Position != 4*time.Second {
		t.Fatalf("ended with %+v, want at 4 s without error", evs[len(evs)-1])
	}
	micQ, sysQ := decoded(t, filepath.Join(s.Dir(), "audio.wav")), decoded(t, filepath.Join(s.Dir(), "system.wav"))
	var want []float32
	for i := pcm.Samples(time.Second); i < len(micQ); i++ {
		want = append(want, micQ[i]+sysQ[i])
	}
	got, want := sp.samples(), nonZero(want)
	if len(got) != len(want) {
		t.Fatalf("heard %d samples, want %d (both sides from 1 s)", len(got), len(want))
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > 1e-6 {
			t.Fatalf("sample %d = %v, want %v (the two sides summed)", i, got[i], want[i])
		}
	}
}
