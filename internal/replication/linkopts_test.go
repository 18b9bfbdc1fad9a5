package replication

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestLinkOptionsApplyToLiveLinks: compression, its level, the batch size and the bandwidth
// cap change on a link that is already streaming.
func TestLinkOptionsApplyToLiveLinks(t *testing.T) {
	a := newMember(t, 1, "s", 2)
	b := newMember(t, 2, "s", 1)
	b.r.SetLinkOptions(LinkOptions{}) // compression off
	link(t, a, b)
	value := strings.Repeat("compressible ", 100)
	write := func(prefix string, n int) {
		for i := range n {
			b.set(fmt.Sprintf("%s%d", prefix, i), value)
		}
		waitFor(t, prefix, func() bool { return a.get(fmt.Sprintf("%s%d", prefix, n-1)) == value })
	}
	write("plain", 50)
	p := b.r.peers[1]
	raw, wire := p.raw.Load(), p.wire.Load()
	if raw == 0 || raw != wire {
		t.Fatalf("uncompressed link: raw %d, wire %d", raw, wire)
	}
	b.r.SetLinkOptions(LinkOptions{Compress: true, CompressionLevel: 3, BatchMaxBytes: 2048})
	write("zstd", 50)
	dRaw, dWire := p.raw.Load()-raw, p.wire.Load()-wire
	if dWire*5 > dRaw {
		t.Fatalf("compression switched on live: %d bytes sent as %d", dRaw, dWire)
	}
	in := b.r.Info()
	if len(in.Peers) != 1 || in.Peers[0].DataRaw != p.raw.Load() || in.Peers[0].DataWire != p.wire.Load() {
		t.Fatalf("Info peers %+v", in.Peers)
	}
	// A cap of 20 KB/s: 100 KB more (uncompressed) take seconds instead of milliseconds.
	b.r.SetLinkOptions(LinkOptions{MaxBandwidth: 20_000})
	start := time.Now()
	write("capped", 70)
	if d := time.Since(start); d < 2*time.Second {
		t.Fatalf("capped link sent %d values of %d bytes in %v", 70, len(value), d)
	}
}

func TestThrottleFollowsALiveCap(t *testing.T) {
	rate := int64(0)
	th := &throttled{w: discard{}, rateOf: func() int64 { return rate }}
	var slept time.Duration
	th.sleep = func(d time.Duration) { slept += d }
	th.Write(make([]byte, 1<<20)) // no cap: no wait
	if slept != 0 {
		t.Fatalf("uncapped write slept %v", slept)
	}
	rate = 1000
	for range 3 {
		th.Write(make([]byte, 1000)) // a full bucket, then ~2 s of waiting
	}
	if slept < 1900*time.Millisecond || slept > 2100*time.Millisecond {
		t.Fatalf("slept %v", slept)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
