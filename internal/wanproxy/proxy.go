package wanproxy

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Options shape a proxy's link.
type Options struct {
	// Latency is the one-way delay added to every byte, in both directions.
	Latency time.Duration
	// Jitter adds a uniformly random extra delay in [0, Jitter] (never reordering bytes).
	Jitter time.Duration
	// Logger receives debug messages (dial failures, refused connections); nil discards them.
	Logger *slog.Logger
}

// Proxy forwards connections accepted on its address to a target address.
type Proxy struct {
	ln     net.Listener
	target string // guarded by mu (Retarget)
	gate   *gate
	logger *slog.Logger

	wg     sync.WaitGroup // the accept loop and every connection's run
	mu     sync.Mutex
	conns  map[*conn]struct{}
	closed bool

	accepted  atomic.Uint64
	refused   atomic.Uint64
	bytesUp   atomic.Uint64 // client to target
	bytesDown atomic.Uint64 // target to client
}

// Listen starts a proxy listening on addr (use "127.0.0.1:0" for a free port) that forwards to
// target.
func Listen(addr, target string, opts Options) (*Proxy, error) {
	if opts.Latency < 0 || opts.Jitter < 0 {
		return nil, fmt.Errorf("wanproxy: negative latency or jitter (%v, %v)", opts.Latency, opts.Jitter)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("wanproxy: listen %s: %w", addr, err)
	}
	p := &Proxy{
		ln:     ln,
		target: target,
		gate:   newGate(opts.Latency, opts.Jitter),
		logger: opts.Logger,
		conns:  map[*conn]struct{}{},
	}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the address the proxy listens on (host:port).
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Target is the address connections are forwarded to.
func (p *Proxy) Target() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.target
}

// Retarget sends new connections to target and resets the current ones (a test moving a link
// to another address).
func (p *Proxy) Retarget(target string) {
	p.mu.Lock()
	p.target = target
	p.mu.Unlock()
	p.abortAll()
}

// SetLatency changes the one-way latency and jitter of bytes read from now on.
func (p *Proxy) SetLatency(latency, jitter time.Duration) {
	p.gate.setLatency(max(0, latency), max(0, jitter))
}

// Pause holds every byte read from now on (in both directions) until Resume. Bytes already
// being written when Pause is called may still be delivered.
func (p *Proxy) Pause() { p.gate.pause() }

// Resume delivers the held bytes, in order, and lets new ones flow.
func (p *Proxy) Resume() { p.gate.resume() }

// Paused reports whether the proxy is paused.
func (p *Proxy) Paused() bool { return p.gate.isPaused() }

// Cut closes every current connection with a reset and refuses new ones until Heal.
func (p *Proxy) Cut() {
	p.gate.setCut(true)
	p.abortAll()
}

// abortAll resets every current connection.
func (p *Proxy) abortAll() {
	p.mu.Lock()
	conns := make([]*conn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	for _, c := range conns {
		c.abort()
	}
}

// Heal accepts connections again after Cut. It does not end a pause.
func (p *Proxy) Heal() { p.gate.setCut(false) }

// IsCut reports whether the proxy is cut.
func (p *Proxy) IsCut() bool { return p.gate.isCut() }

// Stats are counters of a proxy since it started.
type Stats struct {
	Conns     int    // connections open now
	Accepted  uint64 // connections accepted and forwarded
	Refused   uint64 // connections refused because the proxy was cut
	BytesUp   uint64 // bytes delivered from clients to the target
	BytesDown uint64 // bytes delivered from the target to clients
}

// Stats returns the proxy's counters.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	n := len(p.conns)
	p.mu.Unlock()
	return Stats{Conns: n, Accepted: p.accepted.Load(), Refused: p.refused.Load(),
		BytesUp: p.bytesUp.Load(), BytesDown: p.bytesDown.Load()}
}

// Close stops listening, closes every connection (held bytes are dropped) and waits until all
// the proxy's goroutines have returned. It is safe to call more than once.
func (p *Proxy) Close() error {
	p.mu.Lock()
	already := p.closed
	p.closed = true
	conns := make([]*conn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	var err error
	if !already {
		err = p.ln.Close()
	}
	for _, c := range conns {
		c.abort()
	}
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		nc, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Temporary failures (e.g. too many open files): back off briefly, as net/http does.
			p.log("accept failed", "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if p.gate.isCut() {
			p.refused.Add(1)
			if tc, ok := nc.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			nc.Close()
			continue
		}
		c := newConn(p, nc)
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			nc.Close()
			return
		}
		p.conns[c] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		p.accepted.Add(1)
		// A Cut between the check above and the registration must not let c through.
		if p.gate.isCut() {
			c.abort()
		}
		go c.run()
	}
}

func (p *Proxy) forget(c *conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

func (p *Proxy) log(msg string, args ...any) {
	if p.logger != nil {
		p.logger.Debug("wanproxy: "+msg, append([]any{"addr", p.Addr()}, args...)...)
	}
}
