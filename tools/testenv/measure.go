package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// RunMeasured runs cmd to the end and returns its wall time and the child's peak resident set in MB.
// A failure carries the command's standard error.
func RunMeasured(cmd *exec.Cmd) (time.Duration, float64, error) {
	var stderr bytes.Buffer
	if cmd.Stderr == nil {
		cmd.Stderr = &stderr
	}
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return wall, 0, fmt.Errorf("%s: %w: %s", strings.Join(cmd.Args, " "), err, strings.TrimSpace(stderr.String()))
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return wall, 0, errors.New("no resource usage for the child on this system")
	}
	return wall, float64(ru.Maxrss) / 1024, nil // Linux reports ru_maxrss in KiB
}
