// Package pcm is the audio vocabulary every other package shares: the 16 kHz mono float32 form the
// models hear (Rate), conversions between sample counts and time, the resampler that brings any source to
// that rate, and the 16-bit PCM WAV codec. It imports only the standard library, so anything may use it.
package pcm

import "time"

// Rate is the sample rate of all audio inside Verbatim: what capture delivers, what files decode to,
// what sessions store and what the models consume.
const Rate = 16000

// MaxChannels bounds the channel count of any source (WAV allows 65535; nothing real has more than 64).
const MaxChannels = 64

// Duration is the time n samples at Rate last.
func Duration(n int64) time.Duration { return time.Duration(n) * time.Second / Rate }

// Samples is the number of samples at Rate in d, rounded down.
func Samples(d time.Duration) int { return int(d * Rate / time.Second) }
