package desktop

import (
	"context"

	"github.com/godbus/dbus/v5"
)

// trayWatcher is the D-Bus name of the StatusNotifier watcher: the tray hosts of KDE, GNOME's
// AppIndicator extension, XFCE, Cinnamon and others own it, and Fyne's tray (fyne.io/systray) registers
// its icon with it.
const trayWatcher = "org.kde.StatusNotifierWatcher"

// TrayHost says whether a system tray is there to show an icon, on the session bus at address ("" the
// session's). Without one an icon would be invisible, and a window hidden to it lost.
func TrayHost(ctx context.Context, address string) bool {
	var conn *dbus.Conn
	var err error
	if address == "" {
		// No autostart: without a session bus there is no tray, and dbus-launch would leave a daemon behind.
		conn, err = dbus.SessionBusPrivateNoAutoStartup(dbus.WithContext(ctx))
	} else {
		conn, err = dbus.Dial(address, dbus.WithContext(ctx))
	}
	if err != nil {
		return false
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return false
	}
	if err := conn.Hello(); err != nil {
		return false
	}
	var has bool
	err = conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, trayWatcher).Store(&has)
	return err == nil && has
}
