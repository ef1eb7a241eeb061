package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/verbatim-app/verbatim/capture/audiofile"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// clip is one held-out utterance: its file, its 16 kHz samples and the words spoken.
type clip struct {
	path    string
	samples []float32
	spoken  string
}

// heldOutClips are the development set's sentences (tools/demomodel/testset/dev.tsv: free-form sentences
// in voices training never used) rendered by its render.py. Never the test set: that is scored once per
// shipped model, and the drafting default is chosen from these figures. On a machine without Python or
// espeak-ng (a lent GPU server), the demo model's fixture clips stand in.
func heldOutClips(ctx context.Context, s settings) ([]clip, error) {
	n := 24
	if s.quick {
		n = 4
	}
	render, err := testenv.RepoPath("tools/demomodel/testset/render.py")
	if err != nil {
		return nil, err
	}
	out := filepath.Join(s.dir, "dev")
	cmd := exec.CommandContext(ctx, "python3", render, "--set", "dev", "--out", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		if _, e1 := exec.LookPath("python3"); e1 == nil {
			if _, e2 := exec.LookPath("espeak-ng"); e2 == nil {
				return nil, fmt.Errorf("render the development set: %v: %s", err, b)
			}
		}
		return fixtureClips()
	}
	f, err := os.Open(filepath.Join(filepath.Dir(render), "dev.tsv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma, r.LazyQuotes = '\t', true
	rows, err := r.ReadAll()
	if err != nil || len(rows) < 2 {
		return nil, fmt.Errorf("dev.tsv: %v", err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	var clips []clip
	for _, row := range rows[1:min(len(rows), n+1)] {
		p := filepath.Join(out, row[col["id"]]+".wav")
		a, err := audiofile.DecodeFile(p)
		if err != nil {
			return nil, err
		}
		clips = append(clips, clip{path: p, samples: a.Samples, spoken: row[col["spoken"]]})
	}
	return clips, nil
}

// fixtureClips are assets/models/fixture.json's clips (espeak-ng speech the model never heard).
func fixtureClips() ([]clip, error) {
	fx, err := testenv.FixtureClips()
	if err != nil {
		return nil, fmt.Errorf("no python3/espeak-ng to render speech, and no fixture clip: %w", err)
	}
	var clips []clip
	for _, c := range fx {
		clips = append(clips, clip{samples: c.Samples, spoken: strings.ToLower(c.Spoken)})
	}
	return clips, nil
}
