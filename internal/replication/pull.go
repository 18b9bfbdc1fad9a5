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
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/oplog"
	"github.com/concord-db/concord/internal/peerwire"
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
	conn, err := d.DialContext(ctx, "tcp", p.addr)
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
	rd := peerwire.NewReader(conn)
	defer rd.Close()
	wr := peerwire.NewWriter(conn, false) // only acks go this way
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
		r.e.Unlock()
		buf = peerwire.AppendAck(buf[:0], vc, r.direct())
		conn.SetWriteDeadline(time.Now().Add(idleTimeout))
		if wr.Write(peerwire.Ack, buf) != nil || wr.Flush() != nil {
			conn.Close()
			return
		}
	}
}

// inbound is the receive state of one link: the record stream, the causal buffer and a
// full resync being received.
type inbound struct {
	r       *Replicator
	p       *peer
	records peerwire.Records
	batch   []*effect.Effect

	inState  bool
	stateVC  clock.Vector
	stateLen uint64
	state    []byte
}

// errOverflow closes a link whose causal buffer overflowed. The buffer is shared by every
// link, so every pulling link is closed: their reconnections resync what was dropped.
var errOverflow = errors.New("causal buffer full: dropping it and resyncing")

func (in *inbound) handle(f peerwire.Frame) error {
	switch f.Type {
	case peerwire.Data:
		if in.inState {
			return fmt.Errorf("%w: data inside a state transfer", peerwire.ErrFrame)
		}
		in.batch = in.batch[:0]
		err := in.records.Feed(f.Payload, func(rec []byte) error {
			b, err := effect.Decode(rec)
			if err != nil {
				return err
			}
			in.batch = append(in.batch, b)
			return nil
		})
		if err != nil {
			return err
		}
		return in.apply(in.batch)
	case peerwire.Ping:
		if len(f.Payload) > 0 {
			return in.syncPoint(f.Payload) // startup.go
		}
		return nil
	case peerwire.StateBegin:
		if in.inState {
			return fmt.Errorf("%w: nested state transfer", peerwire.ErrFrame)
		}
		vc, total, err := peerwire.ParseStateBegin(f.Payload)
		if err != nil {
			return err
		}
		if total > maxState {
			return fmt.Errorf("%w: state of %d bytes", peerwire.ErrFrame, total)
		}
		in.inState, in.stateVC, in.stateLen, in.state = true, vc, total, nil
		return nil
	case peerwire.StateChunk:
		if !in.inState || uint64(len(in.state)+len(f.Payload)) > in.stateLen {
			return fmt.Errorf("%w: unexpected state chunk", peerwire.ErrFrame)
		}
		in.state = append(in.state, f.Payload...)
		return nil
	case peerwire.StateEnd:
		if !in.inState || uint64(len(in.state)) != in.stateLen {
			return fmt.Errorf("%w: incomplete state transfer", peerwire.ErrFrame)
		}
		in.inState = false
		state, vc := in.state, in.stateVC
		in.state = nil
		if err := in.r.mergeState(in.p.id, state, vc); err != nil {
			return err
		}
		in.r.e.Lock()
		defer in.r.e.Unlock()
		return in.r.drain() // buffered batches may have become ready (or already applied)
	case peerwire.Error:
		return fmt.Errorf("%w: %s", errRefused, truncate(string(f.Payload), 200))
	}
	return fmt.Errorf("%w: unexpected %s frame", peerwire.ErrFrame, f.Type)
}

// apply applies decoded batches under one acquisition of the engine lock; a batch whose
// dependencies are missing waits in the causal buffer.
func (in *inbound) apply(batches []*effect.Effect) error {
	if len(batches) == 0 {
		return nil
	}
	r := in.r
	r.e.Lock()
	defer r.e.Unlock()
	for _, b := range batches {
		if err := r.applyOrBuffer(b); err != nil {
			return err
		}
	}
	return nil
}

// The causal buffer holds batches that arrived before their dependencies, from any link: a
// batch may wait for one that arrives on another link, so every apply drains it. It is
// guarded by the engine lock and bounded by PendingLimit bytes; past the bound it is dropped
// and the link that overflowed it closes, so that its reconnection resyncs what was dropped.
type pendingBatch struct {
	b    *effect.Effect
	size int
}

// applyOrBuffer applies b, or buffers it until its dependencies are applied. The caller holds
// the engine lock.
func (r *Replicator) applyOrBuffer(b *effect.Effect) error {
	err := r.e.Apply(b)
	switch {
	case errors.Is(err, engine.ErrNotReady):
		size := len(effect.Encode(nil, b))
		r.pending = append(r.pending, pendingBatch{b, size})
		r.pendingBytes += int64(size)
		if r.pendingBytes > r.cfg.PendingLimit {
			clear(r.pending)
			r.pending, r.pendingBytes = r.pending[:0], 0
			r.log.Warn("causal buffer full: dropping it and resyncing every link", "limit", r.cfg.PendingLimit)
			r.closePulls()
			return errOverflow
		}
		return nil
	case err != nil:
		return err
	}
	return r.drain()
}

// drain applies the buffered batches that became ready, until none does. The caller holds
// the engine lock.
func (r *Replicator) drain() error {
	for progress := true; progress && len(r.pending) > 0; {
		progress = false
		kept := r.pending[:0]
		for _, pb := range r.pending {
			err := r.e.Apply(pb.b)
			if errors.Is(err, engine.ErrNotReady) {
				kept = append(kept, pb)
				continue
			}
			r.pendingBytes -= int64(pb.size)
			if err != nil {
				return err
			}
			progress = true
		}
		clear(r.pending[len(kept):])
		r.pending = kept
	}
	return nil
}

// mergeState merges a peer's full state. The backlog cannot serve the batches the merge
// brought in, so it records a gap, and links streaming to peers that lack them are closed:
// they reconnect and resync (by state if need be).
func (r *Replicator) mergeState(from clock.MemberID, state []byte, theirs clock.Vector) error {
	if r.se == nil {
		return errors.New("full resync received but this engine cannot merge state")
	}
	started := time.Now()
	r.e.Lock()
	n, err := r.se.MergeState(state, theirs)
	if err == nil {
		r.backlog.Gap(theirs)
		r.mergeReqs.Add(uint64(n)) // counted with the merge: INFO never sees one without the other
		r.noteOwn(r.e.Seq())       // the merge restores own batches the sender had (startup.go)
	}
	r.e.Unlock()
	if err != nil {
		return fmt.Errorf("merging the state of member %d: %w", from, err)
	}
	r.log.Info("merged a peer's state (full resync)", "member", from, "keys", n, "bytes", len(state),
		"duration_ms", time.Since(started).Milliseconds())
	r.mu.Lock()
	for id, s := range r.serving {
		if id != from && !covers(s.getPeerVC(), theirs) {
			s.close()
		}
	}
	r.mu.Unlock()
	return nil
}

// covers reports whether v includes everything w does.
func covers(v, w clock.Vector) bool {
	for m := range w {
		if w[m] > v.Get(clock.MemberID(m)) {
			return false
		}
	}
	return true
}

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
