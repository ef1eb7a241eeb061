package capture

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/capture/pcm"
)

// fakeOutput is an output device the test pulls buffers from, as an audio thread would.
type fakeOutput struct {
	openErr   error
	hangClose bool

	mu      sync.Mutex
	fill    func([]byte)
	stopped func()
	started bool
	closed  bool
}

func (o *fakeOutput) OpenOutput(_ context.Context, fill func([]byte), stopped func()) (Hardware, error) {
	if o.openErr != nil {
		return nil, o.openErr
	}
	o.fill, o.stopped = fill, stopped
	return o, nil
}

func (o *fakeOutput) Start() error {
	o.mu.Lock()
	o.started = true
	o.mu.Unlock()
	return nil
}

func (o *fakeOutput) Close() {
	if o.hangClose {
		select {}
	}
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
}

func (o *fakeOutput) isClosed() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.closed
}

// pull asks for n samples, as the device does every period.
func (o *fakeOutput) pull(n int) []float32 {
	b := make([]byte, 4*n)
	for i := range b {
		b[i] = 0xAA // the callback must overwrite every byte
	}
	o.fill(b)
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// ramp is a source whose every sample is distinct and non-zero, so what the device got can be
// matched sample by sample (silence from an underrun is zero).
type ramp struct {
	n, pos int
	err    error // returned instead of io.EOF at the end
}

func (r *ramp) Read(p []float32) (int, error) {
	k := min(len(p), r.n-r.pos)
	for i := range k {
		p[i] = rampValue(r.pos + i)
	}
	r.pos += k
	if r.pos == r.n {
		if r.err != nil {
			return k, r.err
		}
		return k, io.EOF
	}
	return k, nil
}

func rampValue(i int) float32 { return float32(i%30000+1) / 32768 }

// drain pulls until the playback ends, returning the non-silent samples heard.
func drain(t *testing.T, o *fakeOutput, p *Playback) []float32 {
	t.Helper()
	var got []float32
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-p.Done():
			return got
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("playback did not end; %d samples heard", len(got))
		}
		for _, v := range o.pull(160) {
			if v != 0 {
				got = append(got, v)
			}
		}
		time.Sleep(time.Millisecond)
	}
}

func checkRamp(t *testing.T, got []float32, from, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("heard %d samples, want %d", len(got), n)
	}
	for i, v := range got {
		if v != rampValue(from+i) {
			t.Fatalf("sample %d = %v, want %v: out of order or damaged", i, v, rampValue(from+i))
		}
	}
}

func TestPlaybackPlaysEverythingInOrder(t *testing.T) {
	const n = 3*pcm.Rate + 17 // several ring-fulls, not a whole number of buffers
	o := &fakeOutput{}
	p, err := Play(context.Background(), o, &ramp{n: n}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !o.started {
		t.Fatal("device not started")
	}
	got := drain(t, o, p)
	checkRamp(t, got, 0, n)
	if p.Err() != nil {
		t.Errorf("Err after a clean end: %v", p.Err())
	}
	if pos := p.Position(); pos != pcm.Duration(n) {
		t.Errorf("Position = %v, want %v", pos, pcm.Duration(n))
	}
	if !o.isClosed() {
		t.Error("device not closed at the end")
	}
}

func TestPlaybackPauseResume(t *testing.T) {
	const n = 2 * pcm.Rate
	o := &fakeOutput{}
	p, err := Play(context.Background(), o, &ramp{n: n}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []float32
	keep := func(x []float32) {
		for _, v := range x {
			if v != 0 {
				got = append(got, v)
			}
		}
	}
	keep(o.pull(1600))
	p.Pause()
	if !p.Paused() {
		t.Fatal("Paused() false after Pause")
	}
	at := p.Position()
	for range 50 {
		x := o.pull(160)
		for _, v := range x {
			if v != 0 {
				t.Fatalf("sound while paused: %v", v)
			}
		}
	}
	if p.Position() != at {
		t.Errorf("position moved while paused: %v → %v", at, p.Position())
	}
	select {
	case <-p.Done():
		t.Fatal("a paused playback ended")
	default:
	}
	p.Resume()
	got = append(got, drain(t, o, p)...)
	checkRamp(t, got, 0, n) // nothing skipped or repeated across the pause
}

func TestPlaybackStop(t *testing.T) {
	o := &fakeOutput{}
	p, err := Play(context.Background(), o, &ramp{n: 60 * pcm.Rate}, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.pull(800)
	if err := p.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	default:
		t.Fatal("Done open after Stop returned")
	}
	if !o.isClosed() || p.Err() != nil {
		t.Errorf("after Stop: closed %v, Err %v", o.isClosed(), p.Err())
	}
	if err := p.Stop(context.Background()); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestPlaybackEnds(t *testing.T) {
	boom := errors.New("disk read failed")
	for _, tc := range []struct {
		name    string
		src     *ramp
		lose    bool // the device goes away
		wantErr error
		heard   int // -1: do not check
	}{
		{"source error after samples plays them, then reports", &ramp{n: pcm.Rate, err: boom}, false, boom, pcm.Rate},
		{"device lost", &ramp{n: 60 * pcm.Rate}, true, ErrOutputLost, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &fakeOutput{}
			p, err := Play(context.Background(), o, tc.src, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.lose {
				o.pull(160)
				o.stopped()
			}
			got := drain(t, o, p)
			if !errors.Is(p.Err(), tc.wantErr) {
				t.Errorf("Err = %v, want %v", p.Err(), tc.wantErr)
			}
			if tc.heard >= 0 {
				checkRamp(t, got, 0, tc.heard)
			}
			if !o.isClosed() {
				t.Error("device not closed")
			}
		})
	}
}

func TestPlaybackOpenFails(t *testing.T) {
	for _, tc := range []struct {
		name string
		drv  *fakeOutput
		src  SampleReader
	}{
		{"no device", &fakeOutput{openErr: errors.New("no sound server")}, &ramp{n: 100}},
		{"source fails at once", &fakeOutput{}, &ramp{n: 0, err: errors.New("not audio")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Play(context.Background(), tc.drv, tc.src, nil); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

// A driver that hangs in close must not hang Stop for longer than its bound.
func TestPlaybackStopBoundedOnHungDevice(t *testing.T) {
	o := &fakeOutput{hangClose: true}
	p, err := Play(context.Background(), o, &ramp{n: 60 * pcm.Rate}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.stopTimeout = 200 * time.Millisecond // read by the goroutine only at Stop, after this write is published by quit
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(t0); el > 2*time.Second {
		t.Errorf("Stop took %v on a hung device", el)
	}
}
