package testmodel

import "math"

// The whisper front end exactly as llama.cpp's mtmd computes it at ec98e2002
// (tools/mtmd/mtmd-audio.cpp: mtmd_audio_preprocessor_whisper, log_mel_spectrogram, the filter bank of
// mtmd_audio_global_cache). It is written from that source, not from whisper's Python, because it differs
// from it in ways that change the features:
//   - a clip shorter than 31 s is zero-padded to 31 s first;
//   - the frame count is taken from the clip before its 30 s tail of padding, so one 3000-frame chunk
//     comes out of any clip up to 31 s, and frames past the last whole chunk are dropped;
//   - the filter bank is built here (Slaney mel scale, area-normalised), not read from the file.

const (
	whisperRate   = 16000
	whisperNFFT   = 400 // hparams.audio_n_fft, also the Hann window length (audio_window_len)
	whisperHop    = 160 // hparams.audio_hop_len
	whisperChunk  = 30  // hparams.audio_chunk_len, seconds
	whisperFrames = 3000
)

// WhisperLogMel returns the log-mel chunks mtmd feeds its audio encoder for 16 kHz samples: each chunk is
// nMel rows of 3000 frames, row-major ([mel][frame]), the layout of clip.cpp's inp_raw.
func WhisperLogMel(samples []float32, nMel int) [][]float32 {
	if len(samples) == 0 {
		return nil
	}
	// preprocess: pad short input with zeros to audio_chunk_len + 1 s.
	if min := whisperRate * (whisperChunk + 1); len(samples) < min {
		samples = append(append(make([]float32, 0, min), samples...), make([]float32, min-len(samples))...)
	}
	n := len(samples)
	// log_mel_spectrogram without centre padding: 200 samples reflected in front (samples[200]…samples[1]),
	// then the clip, then 30 s + 200 samples of zeros.
	pad := whisperNFFT / 2
	padded := make([]float64, n+whisperRate*whisperChunk+2*pad)
	for i := 0; i < pad; i++ {
		padded[i] = float64(samples[pad-i])
	}
	for i, v := range samples {
		padded[pad+i] = float64(v)
	}
	nLen := (n-whisperNFFT)/whisperHop + 1 // from n, not from len(padded): mtmd's own count

	hann := make([]float64, whisperNFFT) // periodic
	for i := range hann {
		hann[i] = float64(float32(0.5 * (1 - math.Cos(2*math.Pi*float64(i)/whisperNFFT))))
	}
	filters := melFilters(nMel, whisperNFFT, whisperRate)
	bins := whisperNFFT/2 + 1
	cos, sin := make([]float64, whisperNFFT), make([]float64, whisperNFFT)
	for i := range cos {
		cos[i], sin[i] = math.Cos(2*math.Pi*float64(i)/whisperNFFT), math.Sin(2*math.Pi*float64(i)/whisperNFFT)
	}
	mel := make([]float64, nMel*nLen)
	frame, power := make([]float64, whisperNFFT), make([]float64, bins)
	for t := 0; t < nLen; t++ {
		for j := range frame {
			frame[j] = hann[j] * padded[t*whisperHop+j]
		}
		for k := 0; k < bins; k++ {
			var re, im float64
			for j, v := range frame {
				idx := k * j % whisperNFFT
				re += v * cos[idx]
				im -= v * sin[idx]
			}
			power[k] = re*re + im*im
		}
		for m := 0; m < nMel; m++ {
			var sum float64
			for k, p := range power {
				sum += p * float64(filters[m*bins+k])
			}
			mel[m*nLen+t] = math.Log10(math.Max(sum, 1e-10))
		}
	}
	// Dynamic range: at most 8 (a factor 10⁸ in power) below the loudest value of the whole clip, then
	// scaled to about [-1, 1].
	top := math.Inf(-1)
	for _, v := range mel {
		top = math.Max(top, v)
	}
	for i, v := range mel {
		mel[i] = (math.Max(v, top-8) + 4) / 4
	}
	var chunks [][]float32
	for off := 0; off+whisperFrames <= nLen; off += whisperFrames {
		c := make([]float32, nMel*whisperFrames)
		for m := 0; m < nMel; m++ {
			for t := 0; t < whisperFrames; t++ {
				c[m*whisperFrames+t] = float32(mel[m*nLen+off+t])
			}
		}
		chunks = append(chunks, c)
	}
	return chunks
}

// melFilters is fill_mel_filterbank_matrix: triangles on the Slaney mel scale from 0 Hz to rate/2, each
// scaled by 2/(right-left) ("slaney" area normalisation), row-major [mel][n_fft/2+1].
func melFilters(nMel, nFFT, rate int) []float32 {
	const minLogHz, linSlope = 1000.0, 3 / 200.0
	minLogMel, logStep := minLogHz*linSlope, math.Log(6.4)/27
	hzToMel := func(f float64) float64 {
		if f < minLogHz {
			return f * linSlope
		}
		return minLogMel + math.Log(f/minLogHz)/logStep
	}
	melToHz := func(m float64) float64 {
		if m < minLogMel {
			return m / linSlope
		}
		return minLogHz * math.Exp((m-minLogMel)*logStep)
	}
	lo, hi := hzToMel(0), hzToMel(0.5*float64(rate))
	hz := make([]float64, nMel+2)
	for i := range hz {
		hz[i] = melToHz(lo + (hi-lo)*float64(i)/float64(nMel+1))
	}
	bins := nFFT/2 + 1
	out := make([]float32, nMel*bins)
	for m := 0; m < nMel; m++ {
		left, centre, right := hz[m], hz[m+1], hz[m+2]
		norm := 2 / math.Max(1e-30, right-left)
		for k := 0; k < bins; k++ {
			f := float64(k) * float64(rate) / float64(nFFT)
			var w float64
			if f >= left && f <= centre {
				w = (f - left) / math.Max(1e-30, centre-left)
			} else if f > centre && f <= right {
				w = (right - f) / math.Max(1e-30, right-centre)
			}
			out[m*bins+k] = float32(w * norm)
		}
	}
	return out
}
