package pcm

// The resampler converts audio between sample rates with a Kaiser-windowed sinc filter.
//
// The filter is evaluated as a polyphase table: for the usual rates (44.1, 48, 22.05, 8 kHz, ...)
// the ratio reduces to a small number of phases and every output sample uses an exact phase; for
// odd rates the table is interpolated linearly between neighbouring phases, which keeps the
// timing error far below the filter's own stopband.

import (
	"fmt"
	"math"
)

// Quality knobs. The cutoff sits at 15/16 of the lower Nyquist frequency (7.5 kHz for 16 kHz output)
// with a transition band of 1/16 of the lower rate, so at 16 kHz the passband reaches 7 kHz and
// everything from 8 kHz up is suppressed by about 90 dB: aliasing is inaudible and speech models see
// the whole band they were trained on.
const (
	stopbandDB   = 90.0
	cutoffFactor = 15.0 / 16.0
	transFactor  = 1.0 / 16.0
	// maxPhases bounds the table size for odd ratios (phases × taps floats).
	maxPhases = 1024
	// MaxRate is the highest rate accepted; it bounds the filter length and so the memory used.
	MaxRate = 384000
	// maxTable bounds the filter table (floats). Extreme downsampling ratios (384 kHz to a few Hz) would
	// otherwise ask for a table of hundreds of megabytes; every rate pair the app uses (1 kHz and up to
	// 16 kHz) needs under 2.3 M.
	maxTable = 1 << 22
)

// Resampler converts a stream at one rate to another. It is not safe for concurrent use.
type Resampler struct {
	inRate, outRate int
	l, m            int64 // out/in reduced: l phases, step of m/l input samples per output
	half            int   // taps on each side of the output position
	phases          int   // rows in table (l when exact)
	table           []float32
	exact           bool
	pass            bool // same rate: copy

	buf     []float32 // input history; buf[0] is input index base
	base    int64     // absolute input index of buf[0] (negative while inside the zero pre-pad)
	nextInt int64     // integer part of the next output position
	nextRem int64     // remainder (numerator over l) of the next output position
	nIn     int64     // inputs seen
	nOut    int64     // outputs produced
}

// NewResampler returns a resampler from inRate to outRate (Hz).
func NewResampler(inRate, outRate int) (*Resampler, error) {
	if inRate <= 0 || outRate <= 0 || inRate > MaxRate || outRate > MaxRate {
		return nil, fmt.Errorf("resample: unsupported rates %d Hz → %d Hz (must be 1..%d)", inRate, outRate, MaxRate)
	}
	g := gcd(inRate, outRate)
	r := &Resampler{inRate: inRate, outRate: outRate, l: int64(outRate / g), m: int64(inRate / g)}
	if inRate == outRate {
		r.pass = true
		return r, nil
	}
	low := math.Min(float64(inRate), float64(outRate))
	cutoff := cutoffFactor * low / 2 // Hz, the −6 dB point
	trans := transFactor * low       // Hz, full transition width
	// Kaiser's estimate of the length, in input samples, for the wanted attenuation.
	n := (stopbandDB - 8) / (2.285 * 2 * math.Pi * trans / float64(inRate))
	r.half = int(math.Ceil(n/2)) + 1
	beta := 0.1102 * (stopbandDB - 8.7)
	fc := cutoff / float64(inRate) // cycles per input sample

	r.phases = maxPhases
	r.exact = r.l <= maxPhases
	if r.exact {
		r.phases = int(r.l)
	}
	taps := 2 * r.half
	rows := r.phases + 1 // one extra row so interpolation at the top phase has a neighbour
	if n > maxTable || rows*taps > maxTable {
		return nil, fmt.Errorf("resample: ratio %d Hz → %d Hz too extreme (filter of %.0f taps)", inRate, outRate, n)
	}
	r.table = make([]float32, rows*taps)
	i0b := bessel0(beta)
	tmp := make([]float64, taps)
	for p := 0; p < rows; p++ {
		frac := float64(p) / float64(r.phases)
		row := r.table[p*taps : (p+1)*taps]
		var sum float64
		for j := -r.half; j < r.half; j++ {
			// Output at position t = k + frac takes input k - j at distance x = frac + j.
			x := frac + float64(j)
			w := 0.0
			if a := x / float64(r.half); a > -1 && a < 1 {
				w = bessel0(beta*math.Sqrt(1-a*a)) / i0b
			}
			v := 2 * fc * sinc(2*fc*x) * w
			tmp[j+r.half] = v
			sum += v
		}
		// Normalise each phase to unity DC gain so a constant stays constant (no phase-dependent ripple).
		for i, v := range tmp {
			row[i] = float32(v / sum)
		}
	}
	// The zero pre-pad centres the first output on the first input: no delay to compensate.
	r.buf = make([]float32, r.half)
	r.base = -int64(r.half)
	return r, nil
}

// ResampledLen is the number of samples a whole stream of n input samples produces: ceil(n·out/in).
func ResampledLen(n int64, inRate, outRate int) int64 {
	if n <= 0 {
		return 0
	}
	num := n * int64(outRate)
	return (num + int64(inRate) - 1) / int64(inRate)
}

// Process consumes in and returns the output samples that are complete so far. The returned slice is
// newly allocated and owned by the caller.
func (r *Resampler) Process(in []float32) []float32 { return r.AppendProcess(nil, in) }

// AppendProcess is Process appending to dst, so that a streaming caller can reuse one output buffer.
// Any chunking of the input gives the same samples as one call on the whole signal.
func (r *Resampler) AppendProcess(dst, in []float32) []float32 {
	r.nIn += int64(len(in))
	if r.pass {
		r.nOut += int64(len(in))
		return append(dst, in...)
	}
	r.buf = append(r.buf, in...)
	return r.produce(dst, r.base+int64(len(r.buf)), false)
}

// Flush returns the remaining output as if the input were followed by silence, so that the total output
// of the stream is exactly ResampledLen(inputs). The resampler is reset afterwards and can take a new stream.
func (r *Resampler) Flush() []float32 { return r.AppendFlush(nil) }

// AppendFlush is Flush appending to dst.
func (r *Resampler) AppendFlush(dst []float32) []float32 {
	defer r.Reset()
	if r.pass {
		return dst
	}
	total := ResampledLen(r.nIn, r.inRate, r.outRate)
	r.buf = append(r.buf, make([]float32, r.half+1)...)
	start := len(dst)
	out := r.produce(dst, r.base+int64(len(r.buf)), true)
	if extra := r.nOut - total; extra > 0 {
		out = out[:max(start, len(out)-int(extra))]
	}
	return out
}

// Reset forgets the stream so far.
func (r *Resampler) Reset() {
	r.nIn, r.nOut, r.nextInt, r.nextRem = 0, 0, 0, 0
	if !r.pass {
		r.buf = append(r.buf[:0], make([]float32, r.half)...)
		r.base = -int64(r.half)
	}
}

// produce emits outputs whose filter support lies inside the buffered input (absolute end = avail).
func (r *Resampler) produce(out []float32, avail int64, flushing bool) []float32 {
	taps := 2 * r.half
	total := ResampledLen(r.nIn, r.inRate, r.outRate)
	for {
		if flushing && r.nOut >= total {
			break
		}
		// Inputs used: nextInt-half+1 .. nextInt+half.
		if r.nextInt+int64(r.half) >= avail {
			break
		}
		var row []float32
		var row2 []float32
		var a float32
		if r.exact {
			p := int(r.nextRem)
			row = r.table[p*taps : (p+1)*taps]
		} else {
			x := float64(r.nextRem) / float64(r.l) * float64(r.phases)
			p := int(x)
			a = float32(x - float64(p))
			row = r.table[p*taps : (p+1)*taps]
			row2 = r.table[(p+1)*taps : (p+2)*taps]
		}
		// in[k] with k = nextInt - j, j from -half..half-1 → k from nextInt+half down to nextInt-half+1.
		start := r.nextInt - int64(r.half) + 1 - r.base
		seg := r.buf[start : start+int64(taps)]
		var acc float32
		if row2 == nil {
			for i, c := range row {
				acc += c * seg[taps-1-i]
			}
		} else {
			for i, c := range row {
				acc += (c + a*(row2[i]-c)) * seg[taps-1-i]
			}
		}
		out = append(out, acc)
		r.nOut++
		r.nextRem += r.m
		r.nextInt += r.nextRem / r.l
		r.nextRem %= r.l
	}
	// Drop history that no future output needs.
	keepFrom := r.nextInt - int64(r.half) + 1
	if drop := keepFrom - r.base; drop > 0 {
		if drop > int64(len(r.buf)) {
			drop = int64(len(r.buf))
		}
		n := copy(r.buf, r.buf[drop:])
		r.buf = r.buf[:n]
		r.base += drop
	}
	return out
}

// Resample converts a whole signal in one call.
func Resample(in []float32, inRate, outRate int) ([]float32, error) {
	r, err := NewResampler(inRate, outRate)
	if err != nil {
		return nil, err
	}
	out := r.Process(in)
	return append(out, r.Flush()...), nil
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// bessel0 is the zeroth-order modified Bessel function of the first kind (series expansion).
func bessel0(x float64) float64 {
	sum, term := 1.0, 1.0
	h := x / 2
	for k := 1; k < 200; k++ {
		term *= (h / float64(k)) * (h / float64(k))
		sum += term
		if term < sum*1e-17 {
			break
		}
	}
	return sum
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
