package live

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/verbatim-app/verbatim/capture/pcm"
)

// EchoConfig tunes echo suppression between the microphone and the system audio. The same words can
// reach both: the others' voice, played by the loudspeakers, is picked up by the microphone a moment
// after the system audio had it; your own voice, played back by the computer, reaches the system audio
// a moment after the microphone. Transcribed twice, every line would be doubled.
//
// An utterance is compared with the other source over the same stretch of the session: their loudness
// envelopes in five frequency bands (every 10 ms) are correlated at every lag up to MaxLag, band by
// band, and when the best mean normalised correlation reaches MinCorrelation the two are one sound.
// (The bands matter: the syllable rhythm of two different sentences alone can correlate 0.8; what is
// said where in the spectrum tells them apart.) The copy that lags is the echo and is dropped; when
// neither lags by more than a frame (10 ms), the quieter one is, and at equal loudness the
// microphone's. Nothing is dropped unless the other source holds an utterance of its own over that
// stretch, not dropped itself, so the words are always heard once. Two people talking over each other
// correlate far less, and both are kept.
type EchoConfig struct {
	Off    bool          // transcribe both sources whatever they hold
	MaxLag time.Duration // the longest delay between a sound and its echo (default 1 s)
	// MinCorrelation is how alike the envelopes must be (default 0.7). Measured on espeak-ng sentences
	// (echo_test.go): six different sentences against each other at any lag up to 1 s, 0.52 at most;
	// a sentence against itself played through a simulated room (low-pass, 400 ms reverberation, noise),
	// 0.88 to 0.94; against itself delayed and quieter, 0.99.
	MinCorrelation float64
}

func (c EchoConfig) withDefaults() EchoConfig {
	if c.MaxLag <= 0 {
		c.MaxLag = time.Second
	}
	if c.MinCorrelation <= 0 {
		c.MinCorrelation = 0.7
	}
	return c
}

const (
	envHop = pcm.Rate / 100 // 10 ms: the envelopes' resolution
	envWin = 256            // samples analysed per frame (16 ms, Hann window)
	// envKeep is how much envelope each source keeps (60 k frames, 1.2 MB): enough for a worker 10
	// minutes behind the audio. An utterance older than that is kept without comparing.
	envKeep = 10 * time.Minute
	// echoWait bounds how long a decision waits for the other source to deliver the stretch it needs
	// (beyond MaxLag after the utterance): a source that stalls does not hold up the other's lines.
	echoWait = 2 * time.Second
	// dropMemory is how far back the record of dropped utterances and of speech reaches.
	dropMemory = 2 * time.Minute
	frameDur   = time.Second / 100
)

// bandEdges are the bands' edges in FFT bins (62.5 Hz each): 125-500, 500-1000, 1000-2000, 2000-4000
// and 4000-8000 Hz.
var bandEdges = [nBands + 1]int{2, 8, 16, 32, 64, envWin/2 + 1}

const nBands = 5

// bands is one frame's envelope: the magnitude in each band.
type bands [nBands]float32

// span is a stretch of audio; end < 0 while it is still going on.
type span struct{ start, end time.Duration }

// echoes is what the two sources' readers and workers share for echo suppression: each source's
// envelope on the session timeline, its speech, and what was dropped.
type echoes struct {
	cfg  EchoConfig
	mu   sync.Mutex
	cond *sync.Cond
	src  [2]envTrack
}

// envTrack is one source's side.
type envTrack struct {
	env     []bands   // ring of frames, frame f at f % len(env)
	frames  int64     // frames complete: the envelope covers [frames-len(env), frames)
	tail    []float32 // the last envWin samples
	fill    int       // samples since the last frame
	ended   bool
	speech  []span // utterances of the segmenter (end < 0 while open), session timeline
	dropped []span // utterances dropped as echoes
}

func newEchoes(cfg EchoConfig) *echoes {
	e := &echoes{cfg: cfg.withDefaults()}
	e.cond = sync.NewCond(&e.mu)
	for i := range e.src {
		e.src[i].env = make([]bands, int(envKeep/frameDur))
		e.src[i].tail = make([]float32, envWin)
	}
	return e
}

// add appends source i's samples (the next ones on the session timeline) to its envelope. Frame f
// describes the envWin samples that end at (f+1)·envHop.
func (e *echoes) add(i int, x []float32) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := &e.src[i]
	var re, im [envWin]float64
	for len(x) > 0 {
		n := min(len(x), envHop-t.fill)
		copy(t.tail, t.tail[n:])
		copy(t.tail[envWin-n:], x[:n])
		x = x[n:]
		if t.fill += n; t.fill < envHop {
			break
		}
		t.fill = 0
		for k, v := range t.tail {
			re[k], im[k] = float64(v)*hann[k], 0
		}
		fft(re[:], im[:])
		var b bands
		for band := range nBands {
			var p float64
			for k := bandEdges[band]; k < bandEdges[band+1]; k++ {
				p += re[k]*re[k] + im[k]*im[k]
			}
			b[band] = float32(math.Sqrt(p))
		}
		t.env[t.frames%int64(len(t.env))] = b
		t.frames++
	}
	e.cond.Broadcast()
}

var hann = func() (w [envWin]float64) {
	for k := range w {
		w[k] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(k)/envWin)
	}
	return w
}()

// twiddle holds cos and sin of -2πk/envWin, k < envWin/2.
var twiddle = func() (w [envWin / 2][2]float64) {
	for k := range w {
		w[k] = [2]float64{math.Cos(-2 * math.Pi * float64(k) / envWin), math.Sin(-2 * math.Pi * float64(k) / envWin)}
	}
	return w
}()

// fft transforms re+i·im in place (radix 2, len envWin).
func fft(re, im []float64) {
	n := len(re)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			re[i], re[j] = re[j], re[i]
			im[i], im[j] = im[j], im[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		stride := n / size
		for start := 0; start < n; start += size {
			for k := 0; k < size/2; k++ {
				wr, wi := twiddle[k*stride][0], twiddle[k*stride][1]
				a, b := start+k, start+k+size/2
				tr := wr*re[b] - wi*im[b]
				ti := wr*im[b] + wi*re[b]
				re[b], im[b] = re[a]-tr, im[a]-ti
				re[a], im[a] = re[a]+tr, im[a]+ti
			}
		}
	}
}

// speechStart and speechEnd record source i's utterances (session timeline).
func (e *echoes) speechStart(i int, at time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := &e.src[i]
	t.speech = append(prune(t.speech, at), span{at, -1})
}

func (e *echoes) speechEnd(i int, start, end time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := &e.src[i]
	for k := len(t.speech) - 1; k >= 0; k-- {
		if t.speech[k].end < 0 {
			t.speech[k] = span{start, end}
			return
		}
	}
	t.speech = append(t.speech, span{start, end}) // a SpeechEnd without a start: the whole clip
}

// end marks source i as delivering nothing more.
func (e *echoes) end(i int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.src[i].ended = true
	e.cond.Broadcast()
}

// prune drops spans that ended more than dropMemory before now.
func prune(spans []span, now time.Duration) []span {
	k := 0
	for k < len(spans) && spans[k].end >= 0 && spans[k].end < now-dropMemory {
		k++
	}
	return spans[k:]
}

// echoMatch is what a decision found.
type echoMatch struct {
	corr  float64       // best normalised correlation of the envelopes
	lag   time.Duration // positive: the utterance comes after the other source's copy
	level float64       // the utterance's RMS over the other's (same stretch, aligned)
	echo  bool
}

// check decides whether source i's utterance over [start, end) (session timeline) is the echo of the
// other source, and records it when it is. It waits (at most echoWait, or until ctx ends) for the other
// source to have delivered up to end+MaxLag.
func (e *echoes) check(ctx context.Context, i int, start, end time.Duration) echoMatch {
	j := 1 - i
	lagF := int64(e.cfg.MaxLag / frameDur)
	f0, f1 := frameAt(start), frameAt(end)
	if f1 <= f0 {
		return echoMatch{}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.waitFor(ctx, j, f1+lagF)
	a, b := &e.src[i], &e.src[j]
	// The envelope both sides still hold (the ring forgets the oldest).
	lo := max(f0-lagF, b.frames-int64(len(b.env)), 0)
	if f0 < a.frames-int64(len(a.env)) || f1 > a.frames || lo > f0 {
		return echoMatch{} // too old, or not there: never drop what cannot be compared
	}
	hi := min(f1+lagF, b.frames)
	x := window(a, f0, f1)
	y := window(b, lo, hi)
	m := match(x, y, int(f0-lo), int(lagF))
	if m.corr < e.cfg.MinCorrelation {
		return m
	}
	// Which copy is the echo: the later one; at the same moment the quieter one; at the same loudness
	// the microphone's (source 0).
	switch {
	case m.lag > frameDur:
		m.echo = true
	case m.lag < -frameDur:
		m.echo = false
	case m.level < 0.99:
		m.echo = true
	case m.level > 1.01:
		m.echo = false
	default:
		m.echo = i == 0
	}
	if !m.echo {
		return m
	}
	// Only when the other source transcribes these words itself: it has an utterance over the stretch
	// (shifted by the lag), and that one was not dropped as the echo of this source.
	from, to := start-m.lag, end-m.lag
	if !overlaps(b.speech, from, to) || overlaps(b.dropped, from, to) {
		m.echo = false
		return m
	}
	a.dropped = append(prune(a.dropped, end), span{start, end})
	return m
}

// waitFor waits, with e.mu held, until source j has frames up to f, has ended, ctx ends or echoWait
// passes.
func (e *echoes) waitFor(ctx context.Context, j int, f int64) {
	if e.src[j].frames >= f || e.src[j].ended {
		return
	}
	deadline := time.Now().Add(echoWait)
	stop := context.AfterFunc(ctx, func() {
		e.mu.Lock()
		e.cond.Broadcast()
		e.mu.Unlock()
	})
	defer stop()
	timer := time.AfterFunc(echoWait, func() {
		e.mu.Lock()
		e.cond.Broadcast()
		e.mu.Unlock()
	})
	defer timer.Stop()
	for e.src[j].frames < f && !e.src[j].ended && ctx.Err() == nil && time.Now().Before(deadline) {
		e.cond.Wait()
	}
}

func frameAt(d time.Duration) int64 { return int64(d / frameDur) }

// window copies frames [from, to) of t's envelope, band by band.
func window(t *envTrack, from, to int64) [nBands][]float64 {
	var out [nBands][]float64
	for f := from; f < to; f++ {
		b := t.env[f%int64(len(t.env))]
		for k := range out {
			out[k] = append(out[k], float64(b[k]))
		}
	}
	return out
}

func overlaps(spans []span, start, end time.Duration) bool {
	for _, s := range spans {
		if s.start < end && (s.end < 0 || s.end > start) {
			return true
		}
	}
	return false
}

// match correlates the band envelopes x with y, where x's first frame lines up with y's frame at at
// lag 0, at every lag in [-maxLag, maxLag] for which x lies inside y (x[k] against y[at+k-lag]). It
// returns the best correlation (the mean over the bands that vary of each band's Pearson
// correlation), its lag, and x's loudness over y's there.
func match(x, y [nBands][]float64, at, maxLag int) echoMatch {
	n := len(x[0])
	if n < 10 {
		return echoMatch{}
	}
	var mx, sx [nBands]float64
	for b := range x {
		mx[b], sx[b] = meanStd(x[b])
	}
	best := echoMatch{corr: math.Inf(-1)}
	for lag := -maxLag; lag <= maxLag; lag++ {
		off := at - lag
		if off < 0 || off+n > len(y[0]) {
			continue
		}
		var sum float64
		used := 0
		var ex, ey float64
		for b := range x {
			w := y[b][off : off+n]
			my, sy := meanStd(w)
			ex += sq(x[b])
			ey += sq(w)
			if sx[b] < 1e-9 || sy < 1e-9 {
				continue
			}
			var c float64
			for k := range w {
				c += (x[b][k] - mx[b]) * (w[k] - my)
			}
			sum += c / (float64(n) * sx[b] * sy)
			used++
		}
		if used == 0 {
			continue
		}
		if c := sum / float64(used); c > best.corr {
			best = echoMatch{corr: c, lag: time.Duration(lag) * frameDur, level: math.Sqrt(ex / max(ey, 1e-18))}
		}
	}
	if math.IsInf(best.corr, -1) {
		return echoMatch{}
	}
	return best
}

func meanStd(x []float64) (mean, std float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		std += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(std / float64(len(x)))
}

func sq(x []float64) (s float64) {
	for _, v := range x {
		s += v * v
	}
	return s
}
