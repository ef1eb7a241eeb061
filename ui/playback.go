package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/verbatim-app/verbatim/app/desktop"
)

// playBar is the window's playback control, above the status bar while something plays: what plays
// and where, play/pause and stop. A line's timestamp, in the Live tab or the History tab, starts it;
// the tabs highlight the line playing (watchers).
type playBar struct {
	m *mainWindow

	gen      int // counts playbacks: the events of one that was replaced are not shown
	source   string
	title    string
	pos      time.Duration
	paused   bool
	active   bool // playing or paused
	watchers []func(source string, pos time.Duration, active bool)

	// widgets of the current build
	box    *fyne.Container
	toggle *widget.Button
	stop   *widget.Button
	label  *widget.Label
}

func newPlayBar(m *mainWindow) *playBar { return &playBar{m: m} }

// watch calls f with every change of what plays.
func (p *playBar) watch(f func(source string, pos time.Duration, active bool)) {
	p.watchers = append(p.watchers, f)
}

func (p *playBar) build() fyne.CanvasObject {
	// In words: Fyne 2.7 has no tooltips to name an icon.
	p.toggle = widget.NewButtonWithIcon(p.m.tr.T("PlayPause"), theme.MediaPauseIcon(), p.togglePause)
	p.stop = widget.NewButtonWithIcon(p.m.tr.T("Stop"), theme.MediaStopIcon(), p.stopPlaying)
	p.label = widget.NewLabel("")
	p.label.Truncation = fyne.TextTruncateEllipsis
	p.box = container.NewBorder(widget.NewSeparator(), nil, container.NewHBox(p.toggle, p.stop), nil, p.label)
	p.refresh()
	return p.box
}

// play plays source (a session folder or an audio file) from at; title names it in the bar.
func (p *playBar) play(source string, at time.Duration, title string) {
	pl := p.m.deps.Player
	if pl == nil || source == "" {
		return
	}
	p.gen++
	gen := p.gen
	p.source, p.title, p.pos, p.paused, p.active = source, title, at, false, true
	p.refresh()
	go func() {
		ch, err := pl.Play(context.Background(), source, at)
		if err != nil {
			p.m.do(func() {
				if gen == p.gen {
					p.active = false
					p.refresh()
				}
				p.showErr(err)
				p.m.notify("playfailed")
			})
			return
		}
		p.m.do(func() { p.m.notify("playing") })
		// This goroutine is the one hop from the player to the screen.
		for ev := range ch {
			p.m.do(func() { p.apply(gen, ev) })
		}
	}()
}

func (p *playBar) apply(gen int, ev desktop.PlaybackEvent) {
	if gen != p.gen {
		return // a playback this one replaced, ending
	}
	p.pos = ev.Position
	if ev.Ended {
		p.active, p.paused = false, false
		if ev.Err != nil {
			p.showErr(ev.Err)
		}
	}
	p.refresh()
	if ev.Ended {
		p.m.notify("playended")
	} else {
		p.m.notify("playpos")
	}
}

func (p *playBar) showErr(err error) { p.m.showError(p.m.tr.T("PlayFailed"), err) }

func (p *playBar) togglePause() {
	pl := p.m.deps.Player
	if pl == nil || !p.active {
		return
	}
	p.paused = !p.paused
	if p.paused {
		pl.Pause()
	} else {
		pl.Resume()
	}
	p.refresh()
}

func (p *playBar) stopPlaying() {
	pl := p.m.deps.Player
	if pl == nil || !p.active {
		return
	}
	p.active, p.paused = false, false
	p.refresh()
	go func() {
		ctx, cancel := timeout()
		defer cancel()
		if err := pl.Stop(ctx); err != nil {
			p.m.do(func() { p.showErr(err) })
		}
	}()
}

// refresh shows the state in the bar and tells the watchers.
func (p *playBar) refresh() {
	for _, f := range p.watchers {
		f(p.source, p.pos, p.active)
	}
	if p.box == nil {
		return
	}
	if !p.active {
		p.box.Hide()
		return
	}
	if p.paused {
		p.toggle.SetIcon(theme.MediaPlayIcon())
		p.toggle.SetText(p.m.tr.T("PlayResume"))
	} else {
		p.toggle.SetIcon(theme.MediaPauseIcon())
		p.toggle.SetText(p.m.tr.T("PlayPause"))
	}
	key := "PlayingAt"
	if p.paused {
		key = "PausedAt"
	}
	p.label.SetText(p.m.tr.T(key, map[string]any{"Title": p.title, "Time": formatStamp(p.pos)}))
	p.box.Show()
}

// markAt is the line playing at pos among n lines: the one that started last by then, -1 when none
// has or the one found ended well before pos. Lines need not be in order (both sides of a call
// overlap); a scan of thousands of lines ten times a second costs nothing to speak of.
func markAt(n int, at func(i int) (start, end time.Duration), pos time.Duration) int {
	mark, best := -1, time.Duration(-1)
	for i := range n {
		if start, _ := at(i); start <= pos && start >= best {
			mark, best = i, start
		}
	}
	if mark >= 0 {
		if _, end := at(mark); end > 0 && pos > end+2*time.Second {
			return -1 // in a silence well after the line
		}
	}
	return mark
}
