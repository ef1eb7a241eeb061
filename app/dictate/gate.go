package dictate

import (
	"context"
	"sync"
	"time"

	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/capture"
	"github.com/verbatim-app/verbatim/capture/pcm"
)

// gate is the live pipeline's audio source during dictation. The microphone stays open, so the first
// syllable is never lost to opening the device, but its audio reaches the pipeline only while the
// shortcut is held, with the moment before the press (PreRoll) in front. On release the gate sends the
// trailing silence the segmenter waits for, at once: the utterance ends without waiting for the room to
// fall quiet, and the model hears the same quiet ending it was trained with.
type gate struct {
	in      live.Source
	preRoll int // samples kept from before the press
	tail    int // samples of silence sent on release

	audio chan []float32
	cmds  chan gateCmd
	quit  chan struct{}
	done  chan struct{}
	once  sync.Once
}

type gateCmd struct {
	open  bool
	reply chan int64 // the stream position (samples sent so far) once the command is done
}

func newGate(in live.Source, preRoll, trailing time.Duration) *gate {
	g := &gate{
		in: in, preRoll: pcm.Samples(preRoll),
		// A frame more than the segmenter's trailing silence, so the partial frame before it counts too.
		tail:  pcm.Samples(trailing) + pcm.Rate/50,
		audio: make(chan []float32), cmds: make(chan gateCmd), quit: make(chan struct{}), done: make(chan struct{}),
	}
	go g.run()
	return g
}

func (g *gate) Audio() <-chan []float32      { return g.audio }
func (g *gate) Levels() <-chan capture.Level { return g.in.Levels() }
func (g *gate) Err() <-chan error            { return g.in.Err() }

// Stop stops the microphone; Audio closes once what it delivered has been passed on (or dropped).
func (g *gate) Stop(ctx context.Context) error {
	err := g.in.Stop(ctx)
	g.once.Do(func() { close(g.quit) })
	select {
	case <-g.done:
	case <-ctx.Done():
	}
	return err
}

// set opens or closes the gate and returns the stream position at that moment: where the take starts
// (after its pre-roll) or ends (after its trailing silence).
func (g *gate) set(open bool) int64 {
	c := gateCmd{open: open, reply: make(chan int64, 1)}
	select {
	case g.cmds <- c:
		return <-c.reply
	case <-g.done:
		return -1
	}
}

func (g *gate) run() {
	defer close(g.done)
	defer close(g.audio)
	var (
		ring []float32 // the latest preRoll samples while closed
		open bool
		pos  int64 // samples sent
	)
	send := func(x []float32) bool {
		select {
		case g.audio <- x:
			pos += int64(len(x))
			return true
		case <-g.quit:
			return false
		}
	}
	in := g.in.Audio()
	for {
		select {
		case x, ok := <-in:
			if !ok {
				return
			}
			if open {
				if !send(x) {
					return
				}
				continue
			}
			ring = append(ring, x...)
			if n := len(ring) - g.preRoll; n > 0 {
				ring = append(ring[:0], ring[n:]...)
			}
		case c := <-g.cmds:
			switch {
			case c.open && !open:
				open = true
				if len(ring) > 0 {
					pre := append([]float32(nil), ring...)
					ring = ring[:0]
					if !send(pre) {
						return
					}
				}
			case !c.open && open:
				open = false
				if !send(make([]float32, g.tail)) {
					return
				}
			}
			c.reply <- pos
		case <-g.quit:
			return
		}
	}
}
