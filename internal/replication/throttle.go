package replication

import (
	"io"
	"time"
)

// throttled caps the rate of writes to w (crdt-link-max-bandwidth): a token bucket refilled at
// rate bytes per second holding at most one second of tokens. A write larger than the bucket
// waits for what it lacks, so the long-run rate never exceeds the cap.
type throttled struct {
	w    io.Writer
	rate float64 // bytes per second
	// rateOf, when set, gives the current cap (0: none) at every write, so that CONFIG SET
	// applies to live links.
	rateOf func() int64
	tokens float64
	last   time.Time
	sleep  func(time.Duration)
}

func newThrottled(w io.Writer, rate int64) *throttled {
	return &throttled{w: w, rate: float64(rate), tokens: float64(rate), last: time.Now(), sleep: time.Sleep}
}

func (t *throttled) Write(p []byte) (int, error) {
	if t.rateOf != nil {
		r := float64(t.rateOf())
		if r <= 0 {
			t.rate = 0
			return t.w.Write(p)
		}
		if r != t.rate {
			t.rate, t.tokens, t.last = r, r, time.Now() // a new cap starts with a full bucket
		}
	}
	now := time.Now()
	if elapsed := now.Sub(t.last); elapsed > 0 {
		t.tokens = min(t.rate, t.tokens+elapsed.Seconds()*t.rate)
		t.last = now
	}
	t.tokens -= float64(len(p))
	if t.tokens < 0 {
		// Wait until the deficit is paid: the bucket is then empty as of that moment.
		d := time.Duration(-t.tokens / t.rate * float64(time.Second))
		t.sleep(d)
		t.tokens, t.last = 0, t.last.Add(d)
	}
	return t.w.Write(p)
}
