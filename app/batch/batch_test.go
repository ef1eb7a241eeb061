package batch

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/capture/audiofile"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// fakeModel "hears" how long each utterance is, so tests can check segmentation and plumbing.
type fakeModel struct{ heard int }

type fakeUtt struct {
	m *fakeModel
	n int
}

func (m *fakeModel) StartUtterance(context.Context) (speech.Utterance, error) {
	return &fakeUtt{m: m}, nil
}
func (u *fakeUtt) Release()                                  {}
func (u *fakeUtt) Feed(_ context.Context, s []float32) error { u.n += len(s); return nil }
func (u *fakeUtt) Finish(_ context.Context, targets []string, emit func(string, string)) (map[string]speech.Result, error) {
	u.m.heard++
	out := map[string]speech.Result{}
	for _, t := range targets {
		out[t] = speech.Result{Text: fmt.Sprintf("utterance %d [%s] of %.1f s", u.m.heard, t, float64(u.n)/16000)}
	}
	return out, nil
}

// speechLike is bursts of a modulated tone separated by silence.
func speechLike(bursts int) []float32 {
	var s []float32
	for b := 0; b < bursts; b++ {
		s = append(s, make([]float32, 16000)...)
		for i := 0; i < 16000; i++ {
			s = append(s, float32(0.4*math.Sin(2*math.Pi*220*float64(i)/16000)*(0.6+0.4*math.Sin(float64(i)/300))))
		}
	}
	return append(s, make([]float32, 16000)...)
}

// Each file's transcript is written beside the others; a bad file is reported by name and stops nothing.
func TestTranscribeWritesEachFileAndReportsBadOnes(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	testenv.WriteWAV(t, filepath.Join(in, "two.wav"), speechLike(2))
	testenv.WriteWAV(t, filepath.Join(in, "three.wav"), speechLike(3))
	if err := os.WriteFile(filepath.Join(in, "broken.wav"), []byte("RIFF....WAVEjunk"), 0o644); err != nil {
		t.Fatal(err)
	}
	files := audiofile.Expand([]string{in, filepath.Join(in, "missing.flac")})
	if len(files) != 4 {
		t.Fatalf("expanded to %v", files)
	}
	type result struct {
		out string
		err error
	}
	done := map[string]result{}
	failed := 0
	for _, f := range files {
		o, _, err := Transcribe(context.Background(), &fakeModel{}, f, Options{Format: "srt", OutDir: out}, nil)
		if err != nil {
			failed++
		}
		done[filepath.Base(f)] = result{o, err}
	}
	if failed != 2 {
		t.Fatalf("%d failures, want 2 (broken.wav, missing.flac)", failed)
	}
	for name, cues := range map[string]int{"two.wav": 2, "three.wav": 3} {
		r := done[name]
		want := filepath.Join(out, strings.TrimSuffix(name, ".wav")+".srt")
		if r.err != nil || r.out != want {
			t.Fatalf("%s: wrote %q, error %v; want %s", name, r.out, r.err, want)
		}
		b, err := os.ReadFile(want)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(string(b), " --> "); got != cues {
			t.Fatalf("%s: %d cues, want %d:\n%s", name, got, cues, b)
		}
	}
	for _, name := range []string{"broken.wav", "missing.flac"} {
		if r := done[name]; r.err == nil || r.out != "" || !strings.Contains(r.err.Error(), name) {
			t.Fatalf("%s: wrote %q, error %v; want nothing written and an error naming the file", name, r.out, r.err)
		}
	}
	// An existing transcript is never replaced: the next free name beside it.
	if o, _, err := Transcribe(context.Background(), &fakeModel{}, filepath.Join(in, "two.wav"), Options{Format: "srt", OutDir: out}, nil); err != nil ||
		o == done["two.wav"].out || filepath.Dir(o) != out {
		t.Errorf("second run wrote %q (error %v); want a new file beside %s", o, err, done["two.wav"].out)
	}
}

func TestOutputNames(t *testing.T) {
	cases := []struct {
		in   string
		opt  Options
		want string
	}{
		{"/a/talk.mp3", Options{Format: "vtt"}, "/a/talk.vtt"},
		{"/a/talk.mp3", Options{Format: "txt", OutDir: "/out"}, "/out/talk.txt"},
		{"/a/talk.mp3", Options{Format: "txt", Translate: "es", OutDir: "/out"}, "/out/talk.es.txt"},
		{"/a/talk.mp3", Options{Format: "json", OutFile: "/x/y.json"}, "/x/y.json"},
	}
	for _, c := range cases {
		if got := Output(c.in, c.opt); got != c.want {
			t.Errorf("Output(%s, %+v) = %s, want %s", c.in, c.opt, got, c.want)
		}
	}
}

// A file cut short is heard up to the cut: the utterances before it come back (and are passed to
// onSegment as they are heard) together with a DamageError naming the time of the damage.
func TestFileDamagedKeepsWhatWasHeard(t *testing.T) {
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.wav")
	testenv.WriteWAV(t, whole, speechLike(4)) // bursts at 1-2, 3-4, 5-6, 7-8 s
	b, err := os.ReadFile(whole)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.wav")
	if err := os.WriteFile(cut, b[:44+2*88000+1], 0o644); err != nil { // 5.5 s: inside the third burst, mid-sample
		t.Fatal(err)
	}
	var streamed []string
	segs, err := File(context.Background(), &fakeModel{}, cut, Options{Format: "txt"}, nil,
		func(s transcript.Segment) { streamed = append(streamed, s.Text) })
	var dmg *audiofile.DamageError
	if !errors.As(err, &dmg) {
		t.Fatalf("error %v, want a DamageError", err)
	}
	if dmg.At < 5400*time.Millisecond || dmg.At > 5600*time.Millisecond {
		t.Errorf("damage at %v, want about 5.5 s", dmg.At)
	}
	if len(segs) != 3 || len(streamed) != 3 { // two whole bursts and the cut third
		t.Fatalf("%d segments (%d streamed), want 3: %v", len(segs), len(streamed), segs)
	}
	out := t.TempDir()
	written, _, err := Transcribe(context.Background(), &fakeModel{}, cut, Options{Format: "srt", OutDir: out}, nil)
	if !errors.As(err, &dmg) || written != filepath.Join(out, "cut.srt") {
		t.Errorf("a damaged file is written and still fails: wrote %q, error %v", written, err)
	}
	if b, err := os.ReadFile(filepath.Join(out, "cut.srt")); err != nil || strings.Count(string(b), " --> ") != 3 {
		t.Errorf("the damaged file's transcript holds what was heard: %v\n%s", err, b)
	}
}

// cancelModel cancels the run once it has heard n utterances.
type cancelModel struct {
	fakeModel
	n      int
	cancel context.CancelFunc
}

func (m *cancelModel) StartUtterance(ctx context.Context) (speech.Utterance, error) {
	if m.heard >= m.n {
		m.cancel()
	}
	return m.fakeModel.StartUtterance(ctx)
}

// An interrupted file returns the segments heard so far with the context's error.
func TestFileInterruptedKeepsWhatWasHeard(t *testing.T) {
	p := filepath.Join(t.TempDir(), "long.wav")
	testenv.WriteWAV(t, p, speechLike(6))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	segs, err := File(ctx, &cancelModel{n: 2, cancel: cancel}, p, Options{Format: "txt"}, nil, nil)
	if !errors.Is(err, context.Canceled) || len(segs) < 2 || len(segs) >= 6 {
		t.Fatalf("%d segments, error %v; want 2-5 segments and context.Canceled", len(segs), err)
	}
	// Transcribe writes nothing for an interrupted file.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	out := t.TempDir()
	if written, _, err := Transcribe(ctx, &cancelModel{n: 2, cancel: cancel}, p, Options{Format: "txt", OutDir: out}, nil); written != "" || !errors.Is(err, context.Canceled) {
		t.Errorf("interrupted: wrote %q, error %v; want nothing written and context.Canceled", written, err)
	}
	if left, _ := os.ReadDir(out); len(left) != 0 {
		t.Errorf("interrupted file left %v", left)
	}
}

// Memory does not grow with the input: a 20-minute file is heard with the heap of a short one.
func TestFileMemoryFlat(t *testing.T) {
	dir := t.TempDir()
	heap := func(minutes int) uint64 {
		p := filepath.Join(dir, fmt.Sprintf("%d.wav", minutes))
		one := speechLike(30) // a minute: 30 bursts of 1 s with 1 s of silence
		writeRepeatedWAV(t, p, one, minutes)
		runtime.GC()
		var peak uint64
		sample := func() { // the live heap: what the run holds, not garbage not yet collected
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		n := 0
		_, err := File(context.Background(), &fakeModel{}, p, Options{Format: "txt"}, nil, func(transcript.Segment) {
			if n++; n%25 == 0 {
				sample()
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if n < 30*minutes {
			t.Fatalf("%d minutes heard as %d utterances, want %d", minutes, n, 30*minutes)
		}
		return peak
	}
	short, long := heap(1), heap(20)
	t.Logf("peak heap: 1 min %.1f MB, 20 min %.1f MB", float64(short)/1e6, float64(long)/1e6)
	// 20 minutes of samples alone would be 77 MB; segments are a few bytes each.
	if long > short+8<<20 {
		t.Errorf("heap grows with the input: %d bytes for 1 min, %d for 20 min", short, long)
	}
}

// writeRepeatedWAV writes one repeated n times as a 16 kHz 16-bit WAV without holding it all in memory.
func writeRepeatedWAV(t *testing.T, path string, one []float32, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	data := uint32(2 * len(one) * n)
	w := bufio.NewWriter(f)
	le := binary.LittleEndian
	hdr := []byte("RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x80\x3e\x00\x00\x00\x7d\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00")
	le.PutUint32(hdr[4:], 36+data)
	le.PutUint32(hdr[40:], data)
	w.Write(hdr)
	pcm := make([]byte, 2*len(one))
	for i, v := range one {
		le.PutUint16(pcm[2*i:], uint16(int16(v*32767)))
	}
	for range n {
		w.Write(pcm)
	}
	if err := errors.Join(w.Flush(), f.Close()); err != nil {
		t.Fatal(err)
	}
}

// With a translation target the batch writes the transcript and the translation, each in its own file,
// from one hearing of each utterance.
func TestTranscribeWritesTranscriptAndTranslation(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	p := filepath.Join(in, "talk.wav")
	testenv.WriteWAV(t, p, speechLike(2))
	m := &fakeModel{}
	written, segs, err := Transcribe(context.Background(), m, p, Options{Format: "txt", OutDir: out, Translate: "es"}, nil)
	if err != nil || written != filepath.Join(out, "talk.txt") {
		t.Fatalf("Transcribe = %q, %v; want the transcript's path", written, err)
	}
	if m.heard != 2 || len(segs) != 4 {
		t.Errorf("heard %d utterances into %d segments, want 2 into 4 (each line and its translation)", m.heard, len(segs))
	}
	for name, lang := range map[string]string{"talk.txt": "[]", "talk.es.txt": "[es]"} {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(string(b), lang); got != 2 || strings.Count(string(b), "\n") != 2 {
			t.Errorf("%s holds %d lines in %s:\n%s", name, got, lang, b)
		}
	}
}
