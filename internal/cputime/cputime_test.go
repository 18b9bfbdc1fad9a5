package cputime

import (
	"os"
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

// This process's CPU time from /proc agrees with getrusage's within the tick resolution.
func TestOfProcessAgreesWithProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux's")
	}
	x := 0
	for deadline := time.Now().Add(100 * time.Millisecond); time.Now().Before(deadline); {
		for i := range 1000 {
			x += i
		}
	}
	_ = x
	before := Process()
	got, err := OfProcess(os.Getpid())
	after := Process()
	if err != nil {
		t.Fatal(err)
	}
	if got < before-20*time.Millisecond || got > after+20*time.Millisecond {
		t.Fatalf("/proc says %v, getrusage %v–%v", got, before, after)
	}
	if _, err := OfProcess(-1); err == nil {
		t.Fatal("no error for a process that does not exist")
	}
}
