package testenv

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/verbatim-app/verbatim/capture/pcm"
)

// FixtureClip is one clip of assets/models/fixture.json: espeak-ng speech the demo model never heard,
// the words spoken and its samples at 16 kHz.
type FixtureClip struct {
	Spoken  string
	Samples []float32
}

// FixtureClips reads the demo model's fixture clips from the repository (tools that run where espeak-ng
// is missing hear these).
func FixtureClips() ([]FixtureClip, error) {
	path, err := AssetPath("fixture.json")
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var fx struct {
		Clips []struct {
			Spoken     string  `json:"spoken"`
			SampleRate int     `json:"sample_rate"`
			Samples    []int16 `json:"samples"`
		} `json:"clips"`
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var clips []FixtureClip
	for _, c := range fx.Clips {
		s := make([]float32, len(c.Samples))
		for i, v := range c.Samples {
			s[i] = float32(v) / 32768
		}
		if s, err = pcm.Resample(s, c.SampleRate, pcm.Rate); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		clips = append(clips, FixtureClip{Spoken: c.Spoken, Samples: s})
	}
	if len(clips) == 0 {
		return nil, errors.New(path + " holds no clips")
	}
	return clips, nil
}
