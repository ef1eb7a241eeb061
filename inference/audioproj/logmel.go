package audioproj

import (
	"math"

	"github.com/verbatim-app/verbatim/inference/gguf"
)

// LogMel is Verbatim's own projector type: a fixed log-mel front end whose window, filters and
// normalisation are stored in the GGUF (so Go needs no formula of its own), `stack` frames of 10 ms
// concatenated per 40 ms, RMS-normalised, times one matrix.
type LogMel struct {
	m                      matrix
	nfft, hop, stack, bins int
	window, filters        []float32 // filters: bins rows of nfft/2+1
	mean, std              []float32
	cos, sin               []float32 // DFT tables, (nfft/2+1)×nfft
}

func (p *LogMel) Type() string { return gguf.ProjectorLogMel }
func (p *LogMel) Dim() int     { return p.m.rows }

func (p *LogMel) init() {
	k := p.nfft/2 + 1
	p.cos = make([]float32, k*p.nfft)
	p.sin = make([]float32, k*p.nfft)
	for f := 0; f < k; f++ {
		for n := 0; n < p.nfft; n++ {
			a := 2 * math.Pi * float64((f*n)%p.nfft) / float64(p.nfft)
			p.cos[f*p.nfft+n] = float32(math.Cos(a))
			p.sin[f*p.nfft+n] = float32(math.Sin(a))
		}
	}
}

// lookahead is how far past a 40 ms piece its last analysis window reaches.
func (p *LogMel) lookahead() int { return (p.stack-1)*p.hop + p.nfft - FrameSamples }

// features computes the normalised log-mel vector of the window starting at x[0].
func (p *LogMel) features(x []float32, dst []float32) {
	k := p.nfft/2 + 1
	xw := make([]float32, p.nfft)
	for i := range xw {
		xw[i] = x[i] * p.window[i]
	}
	power := make([]float32, k)
	for f := 0; f < k; f++ {
		c, s := p.cos[f*p.nfft:(f+1)*p.nfft], p.sin[f*p.nfft:(f+1)*p.nfft]
		var re, im float32
		for n, v := range xw {
			re += v * c[n]
			im += v * s[n]
		}
		power[f] = re*re + im*im
	}
	for b := 0; b < p.bins; b++ {
		row := p.filters[b*k : (b+1)*k]
		var mel float32
		for f, w := range row {
			mel += w * power[f]
		}
		lm := float32(math.Log(math.Max(float64(mel), 1e-10)))
		dst[b] = (lm - p.mean[b]) / p.std[b]
	}
}

func (p *LogMel) token(x []float32) []float32 {
	v := make([]float32, p.bins*p.stack)
	for s := 0; s < p.stack; s++ {
		p.features(x[s*p.hop:], v[s*p.bins:(s+1)*p.bins])
	}
	return p.m.project(v)
}

func (p *LogMel) NewStream() Stream { return &logMelStream{p: p} }

type logMelStream struct {
	p   *LogMel
	buf []float32 // audio not yet fully consumed; buf[0] is the start of the next 40 ms piece
	n   int       // samples pushed in all
}

func (s *logMelStream) Push(samples []float32) [][]float32 {
	s.buf = appendClean(s.buf, samples)
	s.n += len(samples)
	var out [][]float32
	need := FrameSamples + s.p.lookahead()
	for len(s.buf) >= need {
		out = append(out, s.p.token(s.buf[:need]))
		s.buf = s.buf[FrameSamples:]
	}
	s.buf = append([]float32(nil), s.buf...)
	return out
}

func (s *logMelStream) Flush() [][]float32 {
	total := (s.n + FrameSamples - 1) / FrameSamples
	done := (s.n - len(s.buf)) / FrameSamples
	padded := make([]float32, (total-done)*FrameSamples+s.p.lookahead())
	copy(padded, s.buf)
	var out [][]float32
	for i := 0; i < total-done; i++ {
		out = append(out, s.p.token(padded[i*FrameSamples:]))
	}
	s.buf = nil
	return out
}
