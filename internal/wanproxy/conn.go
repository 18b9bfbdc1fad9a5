package wanproxy

import (
	"context"
	"net"
	"sync"
	"time"
)

// dialTimeout bounds the proxy's dial of the target for one accepted connection.
const dialTimeout = 5 * time.Second

// conn is one proxied connection: the accepted client side and the dialled target side, with
// one pipe per direction.
type conn struct {
	p      *Proxy
	client net.Conn
	server net.Conn // nil until the dial succeeds
	// ctx is cancelled when the connection is torn down; done is its Done channel.
	ctx    context.Context
	cancel context.CancelFunc
	done   <-chan struct{}
	once   sync.Once
	mu     sync.Mutex
}

func newConn(p *Proxy, client net.Conn) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	return &conn{p: p, client: client, ctx: ctx, cancel: cancel, done: ctx.Done()}
}

// run dials the target and forwards both directions until both have ended (each side has
// half-closed) or either fails, then closes both sides. It runs on the proxy's WaitGroup.
func (c *conn) run() {
	defer c.p.wg.Done()
	defer c.p.forget(c)
	defer c.close()

	// Cut or Close during the dial abandons it.
	ctx, cancel := context.WithTimeout(c.ctx, dialTimeout)
	var d net.Dialer
	target := c.p.Target()
	server, err := d.DialContext(ctx, "tcp", target)
	cancel()
	if err != nil {
		c.p.log("dial target failed", "target", target, "err", err)
		return
	}
	c.mu.Lock()
	c.server = server
	c.mu.Unlock()
	select {
	case <-c.done: // torn down while dialling: close() ran before server was set
		server.Close()
		return
	default:
	}

	up := newPipe(c.client, server, c.p.gate, c.done, &c.p.bytesUp)
	down := newPipe(server, c.client, c.p.gate, c.done, &c.p.bytesDown)
	var wg sync.WaitGroup
	var writers sync.WaitGroup
	for _, pp := range []*pipe{up, down} {
		wg.Add(2)
		writers.Add(1)
		go func() {
			defer wg.Done()
			if err := pp.read(); err != nil {
				c.close()
			}
		}()
		go func() {
			defer wg.Done()
			defer writers.Done()
			if err := pp.write(); err != nil {
				c.close()
			}
		}()
	}
	// When both directions have delivered their EOF the connection is over; close it so the
	// readers (blocked on sockets that will say nothing more) return.
	writers.Wait()
	c.close()
	wg.Wait()
}

// close tears the connection down; safe to call many times and from any goroutine.
func (c *conn) close() { c.shut(false) }

// abort tears the connection down with a reset rather than a FIN, so that a cut link looks
// broken to both ends rather than finished. Bytes not yet delivered are dropped.
func (c *conn) abort() { c.shut(true) }

func (c *conn) shut(reset bool) {
	c.once.Do(func() {
		c.cancel()
		c.mu.Lock()
		sides := []net.Conn{c.client, c.server}
		c.mu.Unlock()
		for _, s := range sides {
			if s == nil {
				continue
			}
			if tc, ok := s.(*net.TCPConn); ok && reset {
				tc.SetLinger(0)
			}
			s.Close()
		}
	})
}
