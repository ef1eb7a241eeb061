//go:build cgo

package serve

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/verbatim-app/verbatim/tools/textnorm"
)

// BenchmarkServeLoad is a bounded load test on loopback: 200 requests from 8 SDK clients against the demo
// model, with room in the queue for all of them. Every response is checked for the right words; the
// figures are throughput and client-side latency (queueing included).
func BenchmarkServeLoad(b *testing.B) {
	const requests, clients = 200, 8
	s := heldOut(b, 1)[0]
	data := mustRead(b, clips(b, s)["wav"])
	want := strings.Join(textnorm.Normalise(s.spoken), " ")
	base, _, _, _ := startServer(b, Config{Token: testToken, Queue: clients, Load: demoLoad(b)})
	waitReady(b, base)
	client := sdk(base, option.WithMaxRetries(0))
	var lat []time.Duration
	var elapsed time.Duration
	runs := 0
	for b.Loop() {
		runs++
		var next atomic.Int64
		var mu sync.Mutex
		var wg sync.WaitGroup
		start := time.Now()
		for range clients {
			wg.Go(func() {
				for i := next.Add(1); i <= requests; i = next.Add(1) {
					t0 := time.Now()
					res, err := client.Audio.Transcriptions.New(context.Background(), openai.AudioTranscriptionNewParams{
						File: openai.File(bytes.NewReader(data), fmt.Sprintf("r%d.wav", i), "audio/wav"), Model: openai.AudioModelWhisper1})
					d := time.Since(t0)
					if err != nil {
						b.Errorf("request %d: %v", i, err)
						continue
					}
					if w := strings.Join(textnorm.Normalise(res.Text), " "); w != want {
						b.Errorf("request %d heard %q, want %q", i, w, want)
					}
					mu.Lock()
					lat = append(lat, d)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		elapsed += time.Since(start)
	}
	if len(lat) != runs*requests {
		b.Fatalf("%d good responses to %d requests", len(lat), runs*requests)
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op") // one op is a whole load run; its time says nothing on its own
}
