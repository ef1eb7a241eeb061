// Package audioproj computes the audio projections that have no encoder, in Go: audio at pcm.Rate (16 kHz)
// is cut into 40 ms pieces, each becomes one embedding in the text model's space. Because each embedding
// depends only on its own piece (plus 15 ms of look-ahead for log-mel), audio can be projected while it is
// spoken.
package audioproj

import (
	"fmt"
	"math"
	"os"

	"github.com/verbatim-app/verbatim/inference/gguf"
)

// FrameSamples is the audio covered by one embedding: 40 ms.
const FrameSamples = 640

// Projector turns audio into embeddings.
type Projector interface {
	Type() string
	Dim() int
	// NewStream starts projecting one utterance.
	NewStream() Stream
}

// Stream projects one utterance incrementally. Pushing all audio then calling Flush yields exactly the
// embeddings that projecting the whole utterance at once yields.
type Stream interface {
	// Push adds samples and returns the embeddings that became complete.
	Push(samples []float32) [][]float32
	// Flush zero-pads the tail and returns the remaining embeddings (ceil(N/640) in all).
	Flush() [][]float32
}

// Load reads a projector GGUF that Verbatim computes itself (gemma4ua or verbatim_logmel).
func Load(path string) (Projector, error) {
	f, info, err := gguf.Check(path)
	if err != nil {
		return nil, err
	}
	if !gguf.IsGoProjector(info.ProjectorType) {
		return nil, fmt.Errorf("%s: projector type %q is run by llama.cpp, not by audioproj", path, info.ProjectorType)
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open projector: %w", err)
	}
	defer fh.Close()
	read := func(name string) ([]float32, error) { return f.ReadTensorF32(fh, name) }
	w, err := read("mm.a.input_projection.weight")
	if err != nil {
		return nil, err
	}
	m := matrix{rows: int(info.ProjectionDim), cols: len(w) / int(info.ProjectionDim), w: w}
	if info.ProjectorType == gguf.ProjectorGemma4UA {
		return &Raw{m: m}, nil
	}
	lm := &LogMel{m: m}
	nfft, _ := f.Uint("verbatim.logmel.n_fft")
	hop, _ := f.Uint("verbatim.logmel.hop")
	stack, _ := f.Uint("verbatim.logmel.stack")
	bins, _ := f.Uint("clip.audio.num_mel_bins")
	lm.nfft, lm.hop, lm.stack, lm.bins = int(nfft), int(hop), int(stack), int(bins)
	for name, dst := range map[string]*[]float32{"mm.a.window": &lm.window, "mm.a.mel_filters": &lm.filters,
		"mm.a.feature_mean": &lm.mean, "mm.a.feature_std": &lm.std} {
		if *dst, err = read(name); err != nil {
			return nil, err
		}
	}
	for i, s := range lm.std {
		if !(s > 0) {
			return nil, fmt.Errorf("%s: mm.a.feature_std[%d] is %v; must be positive", path, i, s)
		}
	}
	lm.init()
	return lm, nil
}

// matrix is a row-major rows×cols matrix (ggml shape [cols, rows]).
type matrix struct {
	rows, cols int
	w          []float32
}

// project RMS-normalises x (eps 1e-6, no weight) and multiplies by the matrix.
func (m matrix) project(x []float32) []float32 {
	var ss float64
	for _, v := range x {
		ss += float64(v) * float64(v)
	}
	scale := float32(1 / math.Sqrt(ss/float64(len(x))+1e-6))
	xn := make([]float32, len(x))
	for i, v := range x {
		xn[i] = v * scale
	}
	out := make([]float32, m.rows)
	for r := 0; r < m.rows; r++ {
		row := m.w[r*m.cols : (r+1)*m.cols]
		var acc float32
		for c, v := range row {
			acc += v * xn[c]
		}
		out[r] = acc
	}
	return out
}

// appendClean appends samples clamped to [-1, 1], NaN as silence: the range every model was trained on,
// and a bound that keeps a corrupt float WAV (1e30, ±Inf) from overflowing a projection into NaN.
func appendClean(dst, samples []float32) []float32 {
	for _, v := range samples {
		switch {
		case v != v:
			v = 0
		case v > 1:
			v = 1
		case v < -1:
			v = -1
		}
		dst = append(dst, v)
	}
	return dst
}

// Raw is the gemma4ua projection: each raw 640-sample frame, RMS-normalised, times one matrix.
type Raw struct{ m matrix }

func (p *Raw) Type() string { return gguf.ProjectorGemma4UA }
func (p *Raw) Dim() int     { return p.m.rows }

// NewRaw builds a raw-frame projector from a row-major dim×640 matrix (for tests and tools).
func NewRaw(w []float32, dim int) *Raw { return &Raw{m: matrix{rows: dim, cols: FrameSamples, w: w}} }

func (p *Raw) NewStream() Stream { return &rawStream{p: p} }

type rawStream struct {
	p   *Raw
	buf []float32
}

func (s *rawStream) Push(samples []float32) [][]float32 {
	s.buf = appendClean(s.buf, samples)
	var out [][]float32
	for len(s.buf) >= FrameSamples {
		out = append(out, s.p.m.project(s.buf[:FrameSamples]))
		s.buf = s.buf[FrameSamples:]
	}
	s.buf = append([]float32(nil), s.buf...) // let the consumed prefix be freed
	return out
}

func (s *rawStream) Flush() [][]float32 {
	if len(s.buf) == 0 {
		return nil
	}
	frame := make([]float32, FrameSamples)
	copy(frame, s.buf)
	s.buf = nil
	return [][]float32{s.p.m.project(frame)}
}
