package replication

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/oplog"
	"github.com/concord-db/concord/internal/peerwire"
)

// The sending side of a link: a peer dialed this member, authenticated and asked to be sent
// what it lacks.

const (
	handshakeTimeout = 5 * time.Second
	// chunkSize is how much record data goes into one Data frame, and how much a writer
	// gathers before it flushes (the 64 KiB of "flush every 1 ms or 64 KiB").
	chunkSize = 64 << 10
	// flushEvery is the longest a writer keeps gathered data while more keeps coming.
	flushEvery = time.Millisecond
	// pingEvery keeps an idle link's reader from timing out; idleTimeout is how long a side
	// waits for any frame before it declares the link dead.
	pingEvery   = time.Second
	idleTimeout = 10 * time.Second
)

// session is one inbound link: this member streams to peer.
type session struct {
	r      *Replicator
	p      *peer
	conn   net.Conn
	done   chan struct{}
	once   sync.Once
	peerVC atomic.Pointer[clock.Vector] // what the peer has acknowledged
	// direct is the set of members the peer pulls from directly (oplog.Origins bits), from its
	// acks: their batches reach it without this member relaying them. When a member leaves the
	// set, rewind asks the writer to send what the peer lacks of it from the backlog, and kick
	// wakes the writer.
	direct atomic.Uint64
	rewind atomic.Bool
	kick   chan struct{}
	// wake is signalled by the sink when a batch this link sends is appended while it waits
	// (waiting, guarded by the engine lock, says it is among Replicator.waiters).
	wake    chan struct{}
	waiting bool
}

func (s *session) close() {
	s.once.Do(func() {
		close(s.done)
		s.conn.Close()
	})
}

func (r *Replicator) acceptLoop() {
	defer r.wg.Done()
	for {
		conn, err := r.ln.Accept()
		if err != nil {
			if r.ctx.Err() != nil {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			r.log.Warn("peer port accept failed", "err", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			stop := context.AfterFunc(r.ctx, func() { conn.Close() }) // Close does not wait for a handshake
			defer stop()
			r.ServeConn(conn)
		}()
	}
}

// admit decides whether member id may link to this member.
func (r *Replicator) admit(id clock.MemberID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case id == r.cfg.Member:
		return fmt.Errorf("member id %d is this member's own id (duplicate member id)", id)
	case r.forgotten[id]:
		return fmt.Errorf("member %d: %w", id, ErrForgotten)
	case r.peers[id] == nil:
		return fmt.Errorf("member id %d is not a configured peer (unknown member id)", id)
	case r.serving[id] != nil:
		return fmt.Errorf("member %d is already linked (duplicate member id)", id)
	}
	return nil
}

// ServeConn runs the sending side of one accepted connection until it fails or the
// replicator closes. Any malformed frame or protocol error closes only this connection.
func (r *Replicator) ServeConn(conn net.Conn) {
	defer conn.Close()
	rd := peerwire.NewReader(conn)
	defer rd.Close()
	// The cap and the compression follow SetLinkOptions while the link lives.
	out := &throttled{w: conn, rateOf: func() int64 { return r.link.Load().MaxBandwidth }, sleep: time.Sleep}
	wr := peerwire.NewWriter(out, false)
	wr.SetCompression(r.link.Load().level())
	defer wr.Close()
	remote := conn.RemoteAddr().String()

	conn.SetDeadline(time.Now().Add(handshakeTimeout))
	hello, err := listenHandshake(rd, wr, r.cfg.Member, r.cfg.Name, r.cfg.Secret, r.admit)
	if err != nil {
		// A refused or failing peer retries forever: log each (member, reason) once.
		key := fmt.Sprintf("in:%d:%s", hello.Member, reasonClass(err))
		if r.once(key) {
			r.log.Warn("peer link refused", "member", hello.Member, "remote", remote, "err", err)
		}
		return
	}
	r.mu.Lock()
	p := r.peers[hello.Member]
	if p == nil || r.serving[hello.Member] != nil || r.forgotten[hello.Member] {
		r.mu.Unlock()
		_ = wr.Write(peerwire.Error, []byte("duplicate member id"))
		_ = wr.Flush()
		return
	}
	s := &session{r: r, p: p, conn: conn, done: make(chan struct{}), kick: make(chan struct{}, 1),
		wake: make(chan struct{}, 1)}
	r.serving[p.id] = s
	p.name = hello.Name
	r.mu.Unlock()
	r.resetOnce(fmt.Sprintf("in:%d:", hello.Member))
	defer func() {
		r.e.Lock()
		r.unwait(s)
		r.e.Unlock()
		r.mu.Lock()
		if r.serving[p.id] == s {
			delete(r.serving, p.id)
		}
		r.mu.Unlock()
		s.close()
	}()
	if r.ctx != nil && r.ctx.Err() != nil {
		return
	}
	rd.Bytes, wr.Bytes = &p.bytesIn, &p.bytesOut
	wr.Raw, wr.Wire = &p.raw, &p.wire

	payload, err := readExpect(rd, peerwire.Sync)
	if err != nil {
		r.log.Warn("peer link failed before sync", "member", p.id, "err", err)
		return
	}
	vc, err := peerwire.ParseWholeVector(payload)
	if err != nil {
		r.log.Warn("peer link sent a bad sync", "member", p.id, "err", err)
		return
	}
	conn.SetDeadline(time.Time{})
	s.setPeerVC(vc)
	r.setOVC(p.id, vc)
	go s.readAcks(rd)
	if err := s.stream(wr, vc); err != nil && !s.closed() {
		r.log.Info("peer link (sending) ended", "member", p.id, "err", err)
	}
}

func (s *session) closed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *session) setPeerVC(vc clock.Vector) { s.peerVC.Store(&vc) }

func (s *session) getPeerVC() clock.Vector {
	if p := s.peerVC.Load(); p != nil {
		return *p
	}
	return nil
}

// readAcks reads what the receiver sends after Sync: its vector clock (Ack) every OVC
// interval. Anything else closes the link.
func (s *session) readAcks(rd *peerwire.Reader) {
	defer s.close()
	for {
		// Acks come every OVC interval, which may be configured longer than idleTimeout.
		s.conn.SetReadDeadline(time.Now().Add(max(idleTimeout, 3*s.r.cfg.OVCInterval)))
		f, err := rd.Read()
		if err != nil {
			if !s.closed() && !errors.Is(err, net.ErrClosed) {
				s.r.log.Info("peer link (sending) read failed", "member", s.p.id, "err", err)
			}
			return
		}
		if f.Type != peerwire.Ack {
			s.r.log.Warn("peer link protocol error: unexpected frame", "member", s.p.id, "type", f.Type)
			return
		}
		vc, direct, err := peerwire.ParseAck(f.Payload)
		if err != nil {
			s.r.log.Warn("peer link sent a bad ack", "member", s.p.id, "err", err)
			return
		}
		s.setPeerVC(vc)
		s.r.setOVC(s.p.id, vc)
		if old := s.direct.Swap(direct); old&^direct != 0 {
			s.rewind.Store(true)
			select {
			case s.kick <- struct{}{}:
			default:
			}
		}
	}
}

// stream resyncs the peer from vc (its vector clock) and then sends every new batch.
func (s *session) stream(wr *peerwire.Writer, vc clock.Vector) error {
	r := s.r
	// Decide between partial and full resync atomically with choosing where streaming starts.
	r.e.Lock()
	held, ok := r.backlog.Since(vc)
	cursor := r.backlog.End()
	syncVC := r.e.Vector() // the sync point (startup.go): what the peer has after this resync
	var stateVC clock.Vector
	var state []byte
	if ok {
		r.partialOK.Add(1)
	} else {
		r.partialErr.Add(1)
		if r.se != nil {
			stateVC, state = r.se.ExportState()
			r.syncFull.Add(1)
		}
	}
	r.e.Unlock()
	if !ok && r.se == nil {
		_ = wr.Write(peerwire.Error, []byte("full resync needed but not supported by this member"))
		_ = wr.Flush()
		return errors.New("full resync needed but the engine cannot export its state")
	}
	// One line when a resync starts and one when it is sent, with its size and duration.
	started := time.Now()
	if ok {
		r.log.Info("peer partial resync started", "member", s.p.id, "batches", len(held))
		if err := wr.Write(peerwire.Mode, []byte{peerwire.ModePartial}); err != nil {
			return err
		}
		var ch chunker
		for _, rec := range held {
			if err := ch.add(wr, rec); err != nil {
				return err
			}
		}
		if err := ch.flush(wr); err != nil {
			return err
		}
	} else {
		r.log.Info("peer full resync started", "member", s.p.id, "state_bytes", len(state))
		if err := sendState(wr, stateVC, state); err != nil {
			return err
		}
	}
	// The sync point tells a restarting peer how far its own batches go here (startup.go).
	if err := wr.Write(peerwire.Ping, peerwire.AppendVector(nil, syncVC)); err != nil {
		return err
	}
	if err := wr.Flush(); err != nil {
		return err
	}
	if ok {
		r.log.Info("peer partial resync finished", "member", s.p.id, "batches", len(held),
			"duration_ms", time.Since(started).Milliseconds())
	} else {
		r.log.Info("peer full resync finished", "member", s.p.id, "state_bytes", len(state),
			"duration_ms", time.Since(started).Milliseconds())
	}

	// Each read takes whole records from the cursor on, up to a frame's size, as the backlog
	// holds them (already encoded), and becomes one Data frame (frames end at record
	// boundaries but for a record larger than a frame or a rewind, so a receiver seldom
	// reassembles a record across frames). The frame is published for the other links
	// (fanout.go), or taken from them. Frames are flushed when the link has caught up, or
	// every flush interval while more keeps coming.
	var out []byte
	var info oplog.ReadInfo
	lastFlush := time.Now()
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	for {
		opts := r.link.Load()
		wr.SetCompression(opts.level())
		size := opts.batchMax()
		// Batches of members the peer pulls from directly are not relayed (their origin
		// sends them), nor are the peer's own; this member's own batches always go.
		skip := oplog.Origins(s.direct.Load()).With(s.p.id)
		skip &^= oplog.Origins(0).With(r.cfg.Member)
		vc := s.getPeerVC()
		var f *sharedFrame
		build := false
		out = out[:0]
		r.e.Lock()
		okRead := true
		if s.rewind.Swap(false) {
			// A member left the peer's direct set: what the peer lacks of it may have been
			// skipped. Send, in backlog order, everything it lacks but what it still gets.
			var recs [][]byte
			recs, okRead = r.backlog.Rewind(vc, skip)
			cursor = r.backlog.End()
			for _, rec := range recs {
				out = peerwire.AppendRecord(out, rec)
			}
		} else if f = r.sharedAt(cursor, skip, vc); f != nil {
			cursor = f.end
		} else {
			start := cursor
			out, cursor, okRead = r.backlog.ReadRecords(cursor, skip, vc, size, out, &info)
			if okRead && len(out) > 0 && len(out) <= size {
				f = &sharedFrame{start: start, end: cursor, skip: skip, info: info, raw: len(out),
					ready: make(chan struct{})}
				info = oplog.ReadInfo{} // f keeps its Min
				build = true
				if !f.info.Covered {
					r.publish(f)
				}
			}
		}
		caughtUp := cursor == r.backlog.End()
		if okRead && caughtUp {
			r.wait(s, skip)
		}
		r.e.Unlock()
		if !okRead {
			// The peer fell further behind than the backlog holds: closing makes it reconnect
			// and resync (partially if its acknowledged clock allows, else by state).
			return errors.New("peer fell behind the backlog; resyncing")
		}
		switch {
		case build:
			r.framesBuilt.Add(1)
			var err error
			f.wire, err = wr.Encode(make([]byte, 0, len(out)/2+64), peerwire.Data, out)
			close(f.ready)
			if err != nil {
				return err
			}
			if err := wr.WriteEncoded(f.wire, f.raw); err != nil {
				return err
			}
		case f != nil:
			r.framesShared.Add(1)
			select {
			case <-f.ready:
			case <-s.done:
				return nil
			}
			if f.wire == nil {
				return errors.New("a shared frame could not be encoded")
			}
			if err := wr.WriteEncoded(f.wire, f.raw); err != nil {
				return err
			}
		default: // a rewind, or a lone record larger than a frame
			if err := writeRecords(wr, out, size); err != nil {
				return err
			}
		}
		if cap(out) > 4*size {
			out = nil // a rewind or a huge record: do not keep its buffer
		}
		if !caughtUp && time.Since(lastFlush) < opts.flushEvery() {
			continue // more is waiting: send it a frame at a time, flushing now and then
		}
		if err := wr.Flush(); err != nil {
			return err
		}
		lastFlush = time.Now()
		if !caughtUp {
			continue
		}
		select {
		case <-s.wake:
		case <-s.kick:
		case <-s.done:
			return nil
		case <-ping.C:
			if err := wr.Write(peerwire.Ping, nil); err != nil {
				return err
			}
			if err := wr.Flush(); err != nil {
				return err
			}
		}
	}
}

// writeRecords writes record bytes as Data frames of at most size bytes (records that do not
// fit span frames; the receiver reassembles them).
func writeRecords(wr *peerwire.Writer, out []byte, size int) error {
	for len(out) > 0 {
		n := min(len(out), size)
		if err := wr.Write(peerwire.Data, out[:n]); err != nil {
			return err
		}
		out = out[n:]
	}
	return nil
}

// sendState ships a full state: StateBegin, chunks, StateEnd.
func sendState(wr *peerwire.Writer, vc clock.Vector, state []byte) error {
	if err := wr.Write(peerwire.Mode, []byte{peerwire.ModeFull}); err != nil {
		return err
	}
	begin := peerwire.AppendVector(nil, vc)
	begin = appendUvarint(begin, uint64(len(state)))
	if err := wr.Write(peerwire.StateBegin, begin); err != nil {
		return err
	}
	for len(state) > 0 {
		n := min(len(state), peerwire.MaxFrame/2)
		if err := wr.Write(peerwire.StateChunk, state[:n]); err != nil {
			return err
		}
		state = state[n:]
	}
	return wr.Write(peerwire.StateEnd, nil)
}

// chunker packs records into Data frames of about chunkSize bytes (a record larger than that
// spans several frames).
type chunker struct {
	buf  []byte
	size int // frame size (0: chunkSize)
}

func (c *chunker) add(wr *peerwire.Writer, rec []byte) error {
	size := c.size
	if size <= 0 {
		size = chunkSize
	}
	c.buf = peerwire.AppendRecord(c.buf, rec)
	for len(c.buf) >= size {
		if err := wr.Write(peerwire.Data, c.buf[:size]); err != nil {
			return err
		}
		c.buf = append(c.buf[:0], c.buf[size:]...)
	}
	return nil
}

func (c *chunker) flush(wr *peerwire.Writer) error {
	if len(c.buf) == 0 {
		return nil
	}
	err := wr.Write(peerwire.Data, c.buf)
	c.buf = c.buf[:0]
	return err
}

// reasonClass names the kind of a link error for logging it once: network errors carry
// ephemeral addresses that differ at every attempt.
func reasonClass(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "closed"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, peerwire.ErrFrame):
		return "malformed"
	case errors.As(err, &ne):
		return "network"
	}
	return err.Error()
}
