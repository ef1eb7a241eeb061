package testenv

import (
	"math"
	"math/rand/v2"

	"github.com/verbatim-app/verbatim/capture/pcm"
)

// Noise is n samples of white noise at level dBFS (RMS), 16 kHz: a quiet room.
func Noise(rng *rand.Rand, n int, dBFS float64) []float32 {
	a := math.Pow(10, dBFS/20) * math.Sqrt(3) // uniform noise: RMS = a/√3
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(a * (rng.Float64()*2 - 1))
	}
	return x
}

// Voice is n samples (16 kHz) of a crude voiced sound: a 150 Hz buzz with harmonics, its loudness
// rising and falling in syllables of 200 ms with short dips between them, at about -20 dBFS.
func Voice(n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		t := float64(i) / pcm.Rate
		syl := math.Sin(math.Pi * math.Mod(t, 0.2) / 0.2) // 0 at syllable edges
		env := 0.05 + 0.95*syl
		var v float64
		for h := 1; h <= 8; h++ {
			v += math.Sin(2*math.Pi*150*float64(h)*t) / float64(h)
		}
		x[i] = float32(0.12 * env * v)
	}
	return x
}
