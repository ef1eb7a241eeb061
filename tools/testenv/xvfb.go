package testenv

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Xvfb starts a private X server on a free display for the test and returns its name (":N"); it is
// stopped when the test ends. A missing Xvfb is Unavailable.
func Xvfb(t testing.TB) string {
	t.Helper()
	NeedTools(t, "Xvfb")
	dir := t.TempDir()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	logPath := filepath.Join(dir, "xvfb.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	// -displayfd: the server picks a free display and writes its number, so parallel tests never collide;
	// -noreset: it keeps running (and its state) when its last client leaves, instead of resetting under
	// the next one to connect.
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Fatal(err)
	}
	w.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	num := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		num <- strings.TrimSpace(line)
	}()
	readLog := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	select {
	case n := <-num:
		if n == "" {
			t.Fatalf("Xvfb did not start: %s", readLog())
		}
		return ":" + n
	case <-time.After(30 * time.Second):
		t.Fatalf("Xvfb did not start within 30 s: %s", readLog())
	}
	return ""
}

// XTerm starts an xterm on display whose shell writes every byte it receives, unchanged (raw mode, no
// echo), to a file, gives it the keyboard focus, and returns the file's path: a real X client that
// reads the keyboard map and turns key events into UTF-8 the way applications do. It needs xterm and
// xdotool (Unavailable otherwise) and ends with the test.
func XTerm(t testing.TB, display string) string {
	t.Helper()
	return XTermClass(t, display, "")
}

// XTermClass is XTerm with another WM_CLASS (its instance name is class in lower case), so a test can
// pose as a terminal or another application; xrm are X resources for it (e.g. key translations).
// class "" keeps xterm's own.
func XTermClass(t testing.TB, display, class string, xrm ...string) string {
	t.Helper()
	NeedTools(t, "xterm", "xdotool")
	dir := t.TempDir()
	out, ready := filepath.Join(dir, "typed"), filepath.Join(dir, "ready")
	var args []string
	search := "xterm"
	if class != "" {
		args = append(args, "-name", strings.ToLower(class), "-class", class)
		search = class
	}
	for _, r := range xrm {
		args = append(args, "-xrm", r)
	}
	args = append(args, "-u8", "-geometry", "80x10+0+0", "-e", "sh", "-c",
		`stty raw -echo; : > "$1"; touch "$2"; exec cat > "$1"`, "sh", out, ready)
	cmd := exec.Command("xterm", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "LANG=C.UTF-8", "LC_ALL=C.UTF-8")
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("xterm did not start within 20 s: %s", log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// No window manager here: focus the xterm's window explicitly.
	focus := exec.Command("xdotool", "search", "--sync", "--onlyvisible", "--class", search, "windowfocus", "--sync")
	focus.Env = append(os.Environ(), "DISPLAY="+display)
	if b, err := focus.CombinedOutput(); err != nil {
		t.Fatalf("xdotool windowfocus: %v: %s", err, b)
	}
	return out
}
