package ui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

type fakeServer struct {
	mu       sync.Mutex
	startErr error
	starts   int
	stops    int
}

func (f *fakeServer) Start(string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.starts++
	if f.startErr != nil {
		return "", f.startErr
	}
	return "http://127.0.0.1:8177/v1", nil
}

func (f *fakeServer) Stop(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stops++
	return nil
}

// The local server setting starts and stops the server, shows where clients reach it, says why it could
// not start, and starts it with the window next time when it was left on.
func TestLocalServerSetting(t *testing.T) {
	srv := &fakeServer{}
	h := newHarness(t, "en", func(_ *harness, d *Deps) { d.Server = srv })
	mt := h.m.models
	if mt.serverCheck == nil || mt.serverCheck.Checked || !strings.Contains(mt.serverInfo.Text, "Off") {
		t.Fatalf("initial setting: %+v", mt.serverInfo)
	}
	test.Tap(mt.serverCheck)
	h.wait("server")
	if srv.starts != 1 || !mt.serverCheck.Checked || !strings.Contains(mt.serverInfo.Text, "http://127.0.0.1:8177/v1") {
		t.Fatalf("after switching on: %d starts, checked %v, %q", srv.starts, mt.serverCheck.Checked, mt.serverInfo.Text)
	}
	// A language change rebuilds the widgets; the server's state stays.
	h.m.setLanguage("de")
	if !mt.serverCheck.Checked || !strings.Contains(mt.serverInfo.Text, "http://127.0.0.1:8177/v1") {
		t.Fatalf("after a rebuild: checked %v, %q", mt.serverCheck.Checked, mt.serverInfo.Text)
	}
	test.Tap(mt.serverCheck)
	h.wait("server")
	if srv.stops != 1 || mt.serverCheck.Checked {
		t.Fatalf("after switching off: %d stops, checked %v", srv.stops, mt.serverCheck.Checked)
	}

	// Left on: the next window starts it; a failure unchecks the box and says why.
	failing := &fakeServer{startErr: errors.New("address already in use")}
	h2 := newHarness(t, "en", func(_ *harness, d *Deps) {
		fyne.CurrentApp().Preferences().SetBool(prefServer, true)
		d.Server = failing
	})
	h2.wait("server")
	if failing.starts != 1 || h2.m.models.serverCheck.Checked || !strings.Contains(h2.m.models.serverInfo.Text, "address already in use") {
		t.Fatalf("start with the window: %d starts, checked %v, %q", failing.starts, h2.m.models.serverCheck.Checked, h2.m.models.serverInfo.Text)
	}
}
