package audiofile

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/capture/pcm"
)

// readStream reads s to the end in reads of size n and returns the samples and the final error.
func readStream(t testing.TB, s *Stream, n int) ([]float32, error) {
	t.Helper()
	var out []float32
	buf := make([]float32, n)
	for {
		k, err := s.Read(buf)
		if k < 0 || k > n {
			t.Fatalf("Read returned %d for a buffer of %d", k, n)
		}
		out = append(out, buf[:k]...)
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return out, err
		}
	}
}

// TestStreamEqualsDecode checks that any read size gives the samples Decode gives, and that for PCM
// those are exactly the one-shot resampling of the downmixed file.
func TestStreamEqualsDecode(t *testing.T) {
	for _, file := range []string{"tone-44k-stereo.wav", "tone-48k-24bit.wav", "tone-16k-6ch-s32.wav",
		"tone-8k-float.wav", "tone-44k-stereo.flac", "tone-16k-24bit.flac", "tone-44k-stereo.mp3", "tone-24k-mono.mp3"} {
		path := filepath.Join("testdata", file)
		whole, err := DecodeFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 7, 160, 4096, 1 << 20} {
			s, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := readStream(t, s, n)
			s.Close()
			if err != nil {
				t.Fatalf("%s, reads of %d: %v", file, n, err)
			}
			if len(got) != len(whole.Samples) {
				t.Fatalf("%s, reads of %d: %d samples, Decode gave %d", file, n, len(got), len(whole.Samples))
			}
			for i := range got {
				if got[i] != whole.Samples[i] {
					t.Fatalf("%s, reads of %d: sample %d is %v, Decode gave %v", file, n, i, got[i], whole.Samples[i])
				}
			}
		}
	}
	// PCM: the stream equals the whole file downmixed and resampled in one call.
	data, err := os.ReadFile("testdata/tone-44k-stereo.wav")
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewStream(bytes.NewReader(data), "tone.wav")
	if err != nil {
		t.Fatal(err)
	}
	got, err := readStream(t, s, 333)
	if err != nil {
		t.Fatal(err)
	}
	raw := data[bytes.Index(data, []byte("data"))+8:]
	var mono []float32
	for i := 0; i+3 < len(raw); i += 4 {
		l, r := float32(int16(binary.LittleEndian.Uint16(raw[i:])))/32768, float32(int16(binary.LittleEndian.Uint16(raw[i+2:])))/32768
		mono = append(mono, (l+r)*0.5)
	}
	want, err := pcm.Resample(mono, 44100, pcm.Rate)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d samples, one-shot resampling gives %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("sample %d is %v, one-shot resampling gives %v", i, got[i], want[i])
		}
	}
}

// writeLongWAV writes a 16-bit mono WAV of the given length at rate, generated as it is written so
// that an 8-hour file costs no memory: a 440 Hz tone with a slow level change, so the samples vary.
func writeLongWAV(t testing.TB, path string, rate int, d time.Duration) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n := int64(d / time.Second * time.Duration(rate))
	w := bufio.NewWriterSize(f, 1<<20)
	i := 0
	err = pcm.WriteWAV(w, n, rate, func(block []float32) {
		for j := range block {
			x := float64(i + j)
			block[j] = float32(0.3 * math.Sin(2*math.Pi*440*x/float64(rate)) * (0.6 + 0.4*math.Sin(x/float64(rate)/7)))
		}
		i += len(block)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// streamPeakHeap decodes path through a Stream and returns the highest live heap seen while doing so
// (sampled every ~10 s of audio) and the number of samples.
func streamPeakHeap(t testing.TB, path string) (peak uint64, samples int64) {
	t.Helper()
	runtime.GC()
	var ms runtime.MemStats
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	buf := make([]float32, 16000)
	for i := 0; ; i++ {
		n, err := s.Read(buf)
		samples += int64(n)
		if i%10 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return peak, samples
}

// TestStreamMemoryFlat decodes 1 and 20 minutes of 8 kHz audio (upsampled, so the resampler works): the
// peak heap must not grow with the length. Whole-file decoding held 4 bytes per output sample (77 MB
// for the 20 minutes); the stream holds a few blocks.
func TestStreamMemoryFlat(t *testing.T) {
	dir := t.TempDir()
	var peaks []uint64
	for _, d := range []time.Duration{time.Minute, 20 * time.Minute} {
		path := filepath.Join(dir, fmt.Sprintf("%v.wav", d))
		writeLongWAV(t, path, 8000, d)
		peak, n := streamPeakHeap(t, path)
		if want := int64(d / time.Second * pcm.Rate); n != want {
			t.Fatalf("%v: %d samples, want %d", d, n, want)
		}
		t.Logf("%v: peak heap %.1f MB", d, float64(peak)/(1<<20))
		peaks = append(peaks, peak)
	}
	if grow := int64(peaks[1]) - int64(peaks[0]); grow > 4<<20 {
		t.Errorf("peak heap grew by %.1f MB from 1 to 20 minutes", float64(grow)/(1<<20))
	}
}

// BenchmarkStreamPeakHeap reports the peak heap of decoding synthetic 1-hour and 8-hour WAV files
// (8 kHz mono, resampled to 16 kHz), written to a temporary folder first (57 MB per hour).
func BenchmarkStreamPeakHeap(b *testing.B) {
	for _, d := range []time.Duration{time.Hour, 8 * time.Hour} {
		b.Run(d.String(), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "long.wav")
			writeLongWAV(b, path, 8000, d)
			b.ResetTimer()
			var peak uint64
			for b.Loop() {
				p, n := streamPeakHeap(b, path)
				if n != int64(d/time.Second*pcm.Rate) {
					b.Fatalf("%d samples", n)
				}
				peak = max(peak, p)
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			b.ReportMetric(d.Hours(), "audio-h")
		})
	}
}

func TestEmptyInputIsAnError(t *testing.T) {
	// A well-formed header with no samples: no error would make an empty transcript look like success.
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"zero data", wav(fmtBody(1, 1, 16000, 16), 0, nil)},
		{"one byte of data", wav(fmtBody(1, 1, 16000, 16), 0, []byte{1})},
	} {
		_, err := Decode(bytes.NewReader(tc.data), tc.name+".wav")
		if !errors.Is(err, ErrNoAudio) {
			t.Errorf("%s: got %v, want ErrNoAudio", tc.name, err)
		}
	}
}
