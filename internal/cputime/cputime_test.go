package cputime

import (
	"runtime"
	"testing"
	"time"
)

// Busy work must show up as CPU time (on systems where it is read at all).
func TestProcessCountsBusyWork(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("not measured on this system")
	}
	start := Process()
	x := 0
	for deadline := time.Now().Add(50 * time.Millisecond); time.Now().Before(deadline); {
		for i := range 1000 {
			x += i
		}
	}
	_ = x
	if used := Process() - start; used < 10*time.Millisecond {
		t.Fatalf("50 ms of busy work counted as %v of CPU", used)
	}
}
