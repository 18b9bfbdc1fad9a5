package replication

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"time"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/oplog"
	"github.com/concord-db/concord/internal/peerwire"
	"github.com/concord-db/concord/internal/rawconn"
)

// The receiving side of a link: this member dials a peer, authenticates, sends its vector
// clock and applies what the peer streams, in causal order.

const (
	backoffMin = 100 * time.Millisecond
	backoffMax = 5 * time.Second
	// maxState bounds a full resync's state: far above any real dataset, it only keeps a
	// broken peer from making this member grow without end.
	maxState = 1 << 40
	// modeTimeout bounds the wait for the sender's Mode frame.
	modeTimeout = 2 * time.Minute
)

// runPeer keeps the link pulling from p up: it redials with exponential backoff forever.
func (r *Replicator) runPeer(ctx context.Context, p *peer) {
	defer r.wg.Done()
	backoff := backoffMin
	for ctx.Err() == nil {
		r.setState(p, StateConnecting, nil)
		start := time.Now()
		err := r.pull(ctx, p)
		if ctx.Err() != nil {
			return
		}
		r.pullFailed(p, err) // startup.go
		r.setState(p, StateDown, err)
		if time.Since(start) > 10*time.Second {
			backoff = backoffMin // it was up for a while: retry soon
		}
		d := backoff/2 + rand.N(backoff/2+1)
		select {
		case <-ctx.Done():
			return
		case <-time.After(d):
		}
		backoff = min(backoff*2, backoffMax)
	}
}

// setState records a link state change and logs it once: a link that keeps failing for the
// same reason logs that reason once, not at every retry.
func (r *Replicator) setState(p *peer, state string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.forgotten[p.id] {
		p.state = StateDown
		return
	}
	prev := p.state
	p.state = state
	switch state {
	case StateConnected:
		if prev != StateConnected {
			r.log.Info("peer link up", "member", p.id, "name", p.name, "addr", p.addr)
		}
		p.reason = ""
	case StateDown:
		reason, msg := "closed", "closed"
		if err != nil {
			reason, msg = reasonClass(err), err.Error()
		}
		if prev == StateConnected || reason != p.reason {
			r.log.Warn("peer link down", "member", p.id, "addr", p.addr, "err", msg)
		}
		p.reason = reason
	}
}

func (r *Replicator) pull(ctx context.Context, p *peer) error {
	d := net.Dialer{Timeout: handshakeTimeout, KeepAlive: 15 * time.Second}
	dial := func(ctx context.Context, addr string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }
	if r.cfg.Dial != nil {
		dial = r.cfg.Dial // TLS (tls-replication)
	}
	conn, err := dial(ctx, p.addr)
	if err != nil {
		return err
	}
	return r.PullConn(ctx, p.id, conn)
}

// PullConn runs the receiving side of a link over conn (dialed to peer id) until it fails or
// ctx ends. Any malformed frame or protocol error closes only this connection.
func (r *Replicator) PullConn(ctx context.Context, id clock.MemberID, conn net.Conn) error {
	r.mu.Lock()
	p := r.peers[id]
	r.mu.Unlock()
	if p == nil {
		conn.Close()
		return fmt.Errorf("member %d is not a configured peer", id)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	r.mu.Lock()
	p.pullConn = conn
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		if p.pullConn == conn {
			p.pullConn = nil
		}
		r.mu.Unlock()
	}()
	// Raw system calls (rawconn): this goroutine reads, sendAcks writes.
	rw := rawconn.ReadWriter(conn)
	rd := peerwire.NewReader(rw)
	defer rd.Close()
	wr := peerwire.NewWriter(rw, false) // only acks go this way
	defer wr.Close()
	rd.Bytes, wr.Bytes = &p.bytesIn, &p.bytesOut

	conn.SetDeadline(time.Now().Add(handshakeTimeout))
	hello, err := dialHandshake(rd, wr, r.cfg.Member, r.cfg.Name, r.cfg.Secret, id)
	if err != nil {
		return err
	}
	r.mu.Lock()
	p.name = hello.Name
	r.mu.Unlock()
	r.e.Lock()
	vc := r.e.Vector()
	r.e.Unlock()
	if err := wr.Write(peerwire.Sync, peerwire.AppendVector(nil, vc)); err != nil {
		return err
	}
	if err := wr.Flush(); err != nil {
		return err
	}
	// The sender answers once it has chosen partial or full resync, which for a full one
	// means exporting its whole state first: give it time.
	conn.SetDeadline(time.Now().Add(modeTimeout))
	mode, err := readExpect(rd, peerwire.Mode)
	if err != nil {
		return err
	}
	if len(mode) != 1 || (mode[0] != peerwire.ModePartial && mode[0] != peerwire.ModeFull) {
		return fmt.Errorf("%w: bad mode", peerwire.ErrFrame)
	}
	conn.SetDeadline(time.Time{})
	r.setState(p, StateConnected, nil)

	acksDone := make(chan struct{})
	go func() {
		defer close(acksDone)
		r.sendAcks(ctx, conn, wr)
	}()
	defer func() { conn.Close(); <-acksDone }()
	in := inbound{r: r, p: p}
	for {
		conn.SetReadDeadline(time.Now().Add(idleTimeout))
		f, err := rd.Read()
		if err != nil {
			return err
		}
		if err := in.handle(f); err != nil {
			return err
		}
	}
}

// sendAcks sends this member's vector clock (its OVC) every OVC interval.
func (r *Replicator) sendAcks(ctx context.Context, conn net.Conn, wr *peerwire.Writer) {
	t := time.NewTicker(r.cfg.OVCInterval)
	defer t.Stop()
	var buf []byte
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.e.Lock()
		vc := r.e.Vector()
		ovc := r.ovc() // bounded by what the disk holds (gc.go)
		r.e.Unlock()
		buf = peerwire.AppendAck(buf[:0], vc, r.direct(), ovc)
		conn.SetWriteDeadline(time.Now().Add(idleTimeout))
		if wr.Write(peerwire.Ack, buf) != nil || wr.Flush() != nil {
			conn.Close()
			return
		}
	}
}

// inbound drives the receive side of one connection (receiver.go's Link, over the member's
// Receiver) and acts on what it reports: the sync point goes to the startup gate, a merged
// state resyncs the peers that lack it, an overflow of the causal buffer closes every pulling
// link.
type inbound struct {
	r    *Replicator
	p    *peer
	link *Link
}

func (in *inbound) handle(f peerwire.Frame) error {
	r := in.r
	if in.link == nil {
		r.e.Lock()
		rc := r.receiver()
		r.e.Unlock()
		in.link = NewLink(rc, r.e)
	}
	started := time.Now()
	ev, err := in.link.Handle(f)
	switch {
	case errors.Is(err, ErrOverflow):
		// The buffer is shared by every link, so every pulling link is closed: their
		// reconnections resync what was dropped.
		r.log.Warn("causal buffer full: dropping it and resyncing every link", "limit", r.cfg.PendingLimit)
		r.closePulls()
		return err
	case err != nil && f.Type == peerwire.StateEnd && !errors.Is(err, peerwire.ErrFrame):
		return fmt.Errorf("merging the state of member %d: %w", in.p.id, err)
	case err != nil:
		return err
	}
	switch ev.Kind {
	case EventSyncPoint:
		r.peerReported(in.p.id, ev.VC) // startup.go
	case EventMerged:
		r.log.Info("merged a peer's state (full resync)", "member", in.p.id, "keys", ev.Keys, "bytes", ev.Bytes,
			"duration_ms", time.Since(started).Milliseconds())
		r.mu.Lock()
		vcs := make(map[clock.MemberID]clock.Vector, len(r.serving))
		for id, s := range r.serving {
			vcs[id] = s.getPeerVC()
		}
		for _, id := range ResyncAfterMerge(in.p.id, ev.VC, vcs) {
			r.serving[id].close()
		}
		r.mu.Unlock()
	}
	return nil
}

// receiver returns the member's Receiver, made at first use. The caller holds the engine lock.
func (r *Replicator) receiver() *Receiver {
	if r.recv == nil {
		r.recv = NewReceiver(replHost{r}, r.cfg.PendingLimit)
	}
	return r.recv
}

// replHost is the Receiver's view of a Replicator's engine and backlog.
type replHost struct{ r *Replicator }

func (h replHost) Apply(b *effect.Effect, enc []byte) error { return h.r.e.ApplyEncoded(b, enc) }

// MergeState merges a full state; counted with the merge (INFO never sees one without the
// other), and the merge restores own batches the sender had (startup.go).
func (h replHost) MergeState(state []byte, theirs clock.Vector) (int, error) {
	r := h.r
	if r.se == nil {
		return 0, errors.New("full resync received but this engine cannot merge state")
	}
	n, err := r.se.MergeState(state, theirs)
	if err != nil {
		return 0, err
	}
	r.mergeReqs.Add(uint64(n))
	r.noteOwn(r.e.Seq())
	return n, nil
}

func (h replHost) Gap(theirs clock.Vector) { h.r.backlog.Gap(theirs) }

func appendUvarint(dst []byte, v uint64) []byte { return binary.AppendUvarint(dst, v) }

// closePulls closes every pulling connection (they redial and resync). It takes r.mu, which
// is allowed under the engine lock.
func (r *Replicator) closePulls() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.peers {
		if p.pullConn != nil {
			p.pullConn.Close()
		}
	}
}

// direct is the set of peers this member pulls from right now (oplog.Origins bits): senders
// need not relay their batches to it.
func (r *Replicator) direct() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var o oplog.Origins
	for id, p := range r.peers {
		if p.state == StateConnected && p.pullConn != nil && !r.forgotten[id] {
			o = o.With(id)
		}
	}
	return uint64(o)
}
