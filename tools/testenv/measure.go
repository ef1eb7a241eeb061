package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// RunMeasured runs cmd to the end and returns its wall time and the child's peak resident set in MB.
// A failure carries the command's standard error.
//
// The peak is the child's VmHWM, read from /proc every 10 ms once it runs its own program (a program
// that execs another, as a shell script does, is measured at its largest): the kernel's
// ru_maxrss is useless here, since Go starts children with vfork, and exec records the parent's peak as
// the child's (a benchmark that made a large model would report its own memory).
func RunMeasured(cmd *exec.Cmd) (time.Duration, float64, error) {
	var stderr bytes.Buffer
	if cmd.Stderr == nil {
		cmd.Stderr = &stderr
	}
	// Until the child has exec'd, /proc shows the parent's memory.
	self, err := os.Executable()
	if err != nil {
		return 0, 0, err
	}
	if self, err = filepath.EvalSymlinks(self); err != nil {
		return 0, 0, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, fmt.Errorf("%s: %w", strings.Join(cmd.Args, " "), err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	peak := 0.0
	proc := fmt.Sprintf("/proc/%d/", cmd.Process.Pid)
	for {
		select {
		case err := <-done:
			wall := time.Since(start)
			if err != nil {
				return wall, 0, fmt.Errorf("%s: %w: %s", strings.Join(cmd.Args, " "), err, strings.TrimSpace(stderr.String()))
			}
			if peak == 0 {
				return wall, 0, errors.New("the child ended before its memory could be read")
			}
			return wall, peak, nil
		case <-tick.C:
			if exe, err := os.Readlink(proc + "exe"); err != nil || exe == self {
				continue // not started yet, or ended
			}
			if kb := statusKB(proc+"status", "VmHWM"); kb/1024 > peak {
				peak = kb / 1024
			}
		}
	}
}

// statusKB reads a "Name: N kB" field of a /proc status file (0 when missing).
func statusKB(path, field string) float64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			v, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return v
		}
	}
	return 0
}
