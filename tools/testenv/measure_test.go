package testenv

import (
	"os/exec"
	"testing"
)

// The child's own peak is measured, not the parent's: this test process holds 300 MB when it starts a
// small child, which ru_maxrss would report as the child's.
func TestRunMeasuredIsTheChildsPeak(t *testing.T) {
	big := make([]byte, 300<<20)
	for i := range big {
		big[i] = byte(i)
	}
	_, mb, err := RunMeasured(exec.Command("sh", "-c", "sleep 0.2"))
	if err != nil {
		t.Fatal(err)
	}
	if mb <= 0 || mb > 50 {
		t.Errorf("sh's peak RSS read as %.1f MB", mb)
	}
	// And a child that holds 200 MB is measured with it.
	_, mb, err = RunMeasured(exec.Command("python3", "-c", "b = bytearray(200 << 20); import time; time.sleep(0.3)"))
	if err != nil {
		t.Fatal(err)
	}
	if mb < 200 || mb > 260 {
		t.Errorf("a child holding 200 MB read as %.1f MB", mb)
	}
	if big[len(big)-1] != byte(len(big)-1) {
		t.Fatal("unreachable: keeps the parent's memory alive")
	}
}
