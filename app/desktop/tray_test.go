package desktop

import (
	"bufio"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/verbatim-app/verbatim/tools/testenv"
)

// A tray is there only while something owns the StatusNotifier watcher's name on the bus; no bus at all
// is no tray.
func TestTrayHost(t *testing.T) {
	testenv.NeedTools(t, "dbus-daemon")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if TrayHost(ctx, "unix:path="+filepath.Join(t.TempDir(), "none")) {
		t.Fatal("a tray without a bus")
	}
	bus := exec.Command("dbus-daemon", "--session", "--nofork", "--print-address=1",
		"--address=unix:path="+filepath.Join(t.TempDir(), "bus"))
	out, err := bus.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Process.Kill(); bus.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon: %v", err)
	}
	addr = strings.TrimSpace(addr)
	if TrayHost(ctx, addr) {
		t.Fatal("a tray on a bus where nobody owns the watcher")
	}
	host, err := dbus.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	if err := host.Auth(nil); err != nil {
		t.Fatal(err)
	}
	if err := host.Hello(); err != nil {
		t.Fatal(err)
	}
	if r, err := host.RequestName(trayWatcher, dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own the watcher's name: %v %v", r, err)
	}
	if !TrayHost(ctx, addr) {
		t.Fatal("no tray while the watcher's name is owned")
	}
}
