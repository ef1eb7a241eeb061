// Command llamacheck loads a converted demo model with the llama.cpp linked into Verbatim and checks that
// it decodes exactly like the PyTorch model it came from. Input: a JSON file written by
// tools/demomodel/dump_check.py (projected audio embeddings, control token ids, and PyTorch's greedy
// token ids and first-step logits per task).
//
//	eval "$(tools/buildenv.sh)"; go run ./tools/demomodel/llamacheck -model assets/models/demo-logmel.gguf \
//	    -check tools/demomodel/work/check-demo-logmel.json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"

	"github.com/ollama/ollama/llama"
	"github.com/ollama/ollama/ml"
)

type clip struct {
	Embeds [][]float32         `json:"embeds"`
	Tasks  map[string]taskWant `json:"tasks"`
}

type taskWant struct {
	Token  int       `json:"token"`
	IDs    []int     `json:"ids"`
	Logits []float32 `json:"logits"`
}

type check struct {
	Bos, AudioBegin, AudioEnd, Eos int
	Clips                          []clip `json:"clips"`
}

func main() {
	model := flag.String("model", "", "text model GGUF")
	path := flag.String("check", "", "dump_check.py output")
	flag.Parse()
	b, err := os.ReadFile(*path)
	if err != nil {
		fail(err)
	}
	var c check
	if err := json.Unmarshal(b, &c); err != nil {
		fail(err)
	}
	llama.BackendInit()
	m, err := llama.LoadModelFromFile(*model, llama.ModelParams{UseMmap: true})
	if err != nil {
		fail(err)
	}
	ctx, err := llama.NewContextWithModel(m, llama.NewContextParams(1024, 512, 1, 2, ml.FlashAttentionDisabled, ""))
	if err != nil {
		fail(err)
	}
	d := m.NEmbd()
	tb, _ := llama.NewBatch(512, 1, 0)
	eb, _ := llama.NewBatch(512, 1, d)
	bad := 0
	for ci, cl := range c.Clips {
		for task, want := range cl.Tasks {
			ctx.KvCacheClear()
			tb.Clear()
			tb.Add(c.Bos, nil, 0, false, 0)
			tb.Add(c.AudioBegin, nil, 1, false, 0)
			must(ctx.Decode(tb))
			eb.Clear()
			for i, e := range cl.Embeds {
				eb.Add(0, e, 2+i, false, 0)
			}
			must(ctx.Decode(eb))
			pos := 2 + len(cl.Embeds)
			tb.Clear()
			tb.Add(c.AudioEnd, nil, pos, false, 0)
			tb.Add(want.Token, nil, pos+1, true, 0)
			must(ctx.Decode(tb))
			pos += 2
			logits := ctx.GetLogitsIth(1)
			maxDiff := 0.0
			for i, v := range want.Logits {
				maxDiff = math.Max(maxDiff, math.Abs(float64(v-logits[i])))
			}
			var got []int
			for len(got) < 64 {
				best := 0
				for i := range logits {
					if logits[i] > logits[best] {
						best = i
					}
				}
				if best == c.Eos {
					break
				}
				got = append(got, best)
				tb.Clear()
				tb.Add(best, nil, pos, true, 0)
				pos++
				must(ctx.Decode(tb))
				logits = ctx.GetLogitsIth(0)
			}
			text := ""
			for _, t := range got {
				text += m.TokenToPiece(t)
			}
			same := fmt.Sprint(got) == fmt.Sprint(want.IDs)
			if !same {
				bad++
			}
			fmt.Printf("clip %d %-13s first-step max |logit diff| %.4g  same ids %v  %q\n", ci, task, maxDiff, same, text)
		}
	}
	if bad > 0 {
		fmt.Printf("%d decodings differ\n", bad)
		os.Exit(1)
	}
}

func must(err error) {
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "llamacheck:", err)
	os.Exit(1)
}
