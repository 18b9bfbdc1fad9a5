package wanproxy

import (
	"math/rand/v2"
	"sync"
	"time"
)

// gate holds the link's shape and state that every connection of a proxy consults: latency,
// jitter, paused and cut.
type gate struct {
	mu      sync.Mutex
	latency time.Duration
	jitter  time.Duration
	paused  bool
	cut     bool
	// open is closed while the link is not paused; Pause replaces it with a fresh channel that
	// Resume closes, waking every writer waiting in hold.
	open chan struct{}
}

func newGate(latency, jitter time.Duration) *gate {
	g := &gate{latency: latency, jitter: jitter, open: make(chan struct{})}
	close(g.open)
	return g
}

func (g *gate) setLatency(latency, jitter time.Duration) {
	g.mu.Lock()
	g.latency, g.jitter = latency, jitter
	g.mu.Unlock()
}

// delay is the one-way delay of bytes read now: latency plus a random share of jitter.
func (g *gate) delay() time.Duration {
	g.mu.Lock()
	d, j := g.latency, g.jitter
	g.mu.Unlock()
	if j > 0 {
		d += rand.N(j + 1)
	}
	return d
}

func (g *gate) pause() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.paused {
		g.paused = true
		g.open = make(chan struct{})
	}
}

func (g *gate) resume() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.paused {
		g.paused = false
		close(g.open)
	}
}

// setCut records the cut state and reports whether it changed.
func (g *gate) setCut(cut bool) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	changed := g.cut != cut
	g.cut = cut
	return changed
}

func (g *gate) isCut() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cut
}

func (g *gate) isPaused() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.paused
}

// hold blocks while the link is paused. It returns false if done is closed first.
func (g *gate) hold(done <-chan struct{}) bool {
	for {
		g.mu.Lock()
		paused, open := g.paused, g.open
		g.mu.Unlock()
		if !paused {
			return true
		}
		select {
		case <-open:
		case <-done:
			return false
		}
	}
}
