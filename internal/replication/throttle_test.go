package replication

import (
	"io"
	"testing"
	"time"
)

func TestThrottleKeepsTheRate(t *testing.T) {
	th := newThrottled(io.Discard, 1000)
	var slept time.Duration
	th.sleep = func(d time.Duration) { slept += d }
	for range 5 {
		th.Write(make([]byte, 1000)) // 5000 bytes at 1000 B/s with a 1 s burst: ~4 s of waiting
	}
	if slept < 3900*time.Millisecond || slept > 4100*time.Millisecond {
		t.Fatalf("slept %v", slept)
	}
}
