package replication

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/peerwire"
	"github.com/concord-db/concord/internal/rawconn"
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

// session is one inbound link: this member streams to peer. The decisions of what to send
// are its Sender's (sender.go); the session is the socket driver: it waits for wake-ups,
// writes frames and reads acks.
type session struct {
	r    *Replicator
	p    *peer
	conn net.Conn
	done chan struct{}
	once sync.Once
	snd  *Sender
	// kick wakes the writer when an ack asks for a rewind.
	kick chan struct{}
	// wake is signalled by the sink when a batch this link sends is appended while it waits
	// (waiting, guarded by the engine lock, says it is among Replicator.waiters).
	wake    chan struct{}
	waiting bool
	// patientUntil (Unix nanoseconds, 0: never) extends readAcks' deadline while a full
	// resync is exported and sent, and for a while after it is sent: the peer acknowledges
	// under its engine lock, which its merge of the state holds throughout.
	patientUntil atomic.Int64
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
	// Raw system calls (rawconn): this goroutine writes, readAcks reads.
	rw := rawconn.ReadWriter(conn)
	rd := peerwire.NewReader(rw)
	defer rd.Close()
	// The cap and the compression follow SetLinkOptions while the link lives.
	out := &throttled{w: rw, rateOf: func() int64 { return r.link.Load().MaxBandwidth }, sleep: time.Sleep}
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
		wake: make(chan struct{}, 1), snd: NewSender(r.cfg.Member, p.id, r.backlog)}
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
	// The Sync is the peer's applied vector clock: the startup gate takes it; the peer's OVC
	// (collection) stays the last it acknowledged until its next Ack (gc.go).
	r.peerReported(p.id, vc)
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

// getPeerVC is what the peer has acknowledged (nil before its Sync).
func (s *session) getPeerVC() clock.Vector { return s.snd.PeerVC() }

// readAcks reads what the receiver sends after Sync: its vector clock (Ack) every OVC
// interval. Anything else closes the link.
func (s *session) readAcks(rd *peerwire.Reader) {
	defer s.close()
	for {
		s.conn.SetReadDeadline(s.ackDeadline(time.Now()))
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
		vc, direct, ovc, err := peerwire.ParseAck(f.Payload)
		if err != nil {
			s.r.log.Warn("peer link sent a bad ack", "member", s.p.id, "err", err)
			return
		}
		kick := s.snd.Ack(vc, direct) // streaming goes by what the peer applied
		s.r.setOVC(s.p.id, ovc)       // collection by what it would reload (gc.go)
		s.r.peerReported(s.p.id, vc)  // the startup gate by what it holds
		if kick {
			select {
			case s.kick <- struct{}{}:
			default:
			}
		}
	}
}

// ackDeadline is how long readAcks waits from now for the peer's next frame. Acks come every
// OVC interval, which may be configured longer than idleTimeout, and none come while the peer
// waits for a full resync's state or merges it (patientUntil).
func (s *session) ackDeadline(now time.Time) time.Time {
	deadline := now.Add(max(idleTimeout, 3*s.r.cfg.OVCInterval))
	if patient := time.Unix(0, s.patientUntil.Load()); patient.After(deadline) {
		return patient
	}
	return deadline
}

// stream resyncs the peer from vc (its vector clock) and then sends every new batch, as its
// Sender decides.
func (s *session) stream(wr *peerwire.Writer, vc clock.Vector) error {
	r := s.r
	// The peer waits up to modeTimeout for the Mode frame, which a full resync sends once its
	// state is exported: no ack comes meanwhile (readAcks).
	s.patientUntil.Store(time.Now().Add(modeTimeout).UnixNano())
	r.e.Lock()
	var src StateSource // nil: full resync unavailable (tests only)
	if r.se != nil {
		src = r.se
	}
	// A full resync's export starts here, in the same lock hold as the choice of the stream's
	// start, and is finished by rs.Frames below without the lock (sender.go).
	rs, err := s.snd.Handshake(vc, r.e.Vector(), src)
	if rs.Partial {
		r.partialOK.Add(1)
	} else {
		r.partialErr.Add(1)
		if err == nil {
			r.syncFull.Add(1)
		}
	}
	r.e.Unlock()
	if err != nil {
		_ = wr.Write(peerwire.Error, []byte("full resync needed but not supported by this member"))
		_ = wr.Flush()
		return err
	}
	// One line when a resync starts and one when it is sent, with its size and duration.
	started := time.Now()
	bg, _, _ := rs.Background()
	if rs.Partial {
		r.log.Info("peer partial resync started", "member", s.p.id, "batches", len(rs.Held))
	} else {
		r.log.Info("peer full resync started", "member", s.p.id, "background_export", bg)
	}
	// Every started export is finished or aborted (engine/export.go): whatever way this
	// returns, and at once when the link closes while the state is exported, rather than
	// finish it for nobody (Frames then yields nothing).
	defer func(rs Resync) { rs.Abort() }(rs) // a copy: rs is cleared below
	var sent chan struct{}
	if bg {
		sent = make(chan struct{})
		go func(rs Resync) {
			select {
			case <-s.done:
				rs.Abort()
			case <-sent:
			}
		}(rs)
	}
	err = func() error {
		for f := range rs.Frames(chunkSize, peerwire.MaxFrame/2) {
			if err := wr.Write(f.Type, f.Payload); err != nil {
				return err
			}
		}
		return wr.Flush()
	}()
	if sent != nil {
		close(sent)
	}
	if err != nil {
		return err
	}
	if rs.Partial {
		s.patientUntil.Store(0) // the peer acks as usual from now on
		r.log.Info("peer partial resync finished", "member", s.p.id, "batches", len(rs.Held),
			"duration_ms", time.Since(started).Milliseconds())
	} else if rs.State == nil {
		_, slices, _ := rs.Background()
		r.log.Info("peer full resync abandoned: the link closed while the state was exported",
			"member", s.p.id, "duration_ms", time.Since(started).Milliseconds(), "lock_slices", slices)
		return nil
	} else {
		// The peer now merges the state, holding its engine lock (and so its acks).
		s.patientUntil.Store(time.Now().Add(modeTimeout).UnixNano())
		_, slices, longest := rs.Background()
		r.log.Info("peer full resync finished", "member", s.p.id, "state_bytes", rs.StateLen(),
			"duration_ms", time.Since(started).Milliseconds(), "background_export", bg,
			"lock_slices", slices, "longest_lock_hold_ms", longest.Milliseconds())
	}
	rs = Resync{}

	// Each step takes whole records from the cursor on, up to a frame's size, as the backlog
	// holds them (already encoded), and becomes one Data frame (frames end at record
	// boundaries but for a record larger than a frame or a rewind, so a receiver seldom
	// reassembles a record across frames). The frame is published for the other links
	// (fanout.go), or taken from them. Frames are flushed when the link has caught up, or
	// every flush interval while more keeps coming.
	lastFlush := time.Now()
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	for {
		opts := r.link.Load()
		wr.SetCompression(opts.level())
		size := opts.batchMax()
		r.e.Lock()
		st := s.snd.Next(size, replShares{r})
		if st.Kind != StepBehind && st.CaughtUp {
			r.wait(s, st.Skip)
		}
		r.e.Unlock()
		switch st.Kind {
		case StepBehind:
			// After a full resync this means more was written during its export and transfer
			// than the backlog holds: it would repeat under the same load, unless
			// crdt-backlog-size is raised (as Redis's replica output buffer limit).
			return fmt.Errorf("peer fell behind the backlog (crdt-backlog-size %d bytes); resyncing", r.cfg.BacklogSize)
		case StepBuild:
			r.framesBuilt.Add(1)
			wire, err := wr.Encode(getWire(len(st.Records)/2+64), peerwire.Data, st.Records)
			if err != nil {
				wire = nil
			}
			st.Frame.FinishPooled(wire)
			if err == nil {
				err = wr.WriteEncoded(wire, len(st.Records))
			}
			st.Frame.Release()
			if err != nil {
				return err
			}
		case StepShared:
			r.framesShared.Add(1)
			select {
			case <-st.Frame.Ready():
			case <-s.done:
				st.Frame.Release()
				return nil
			}
			wire, raw := st.Frame.Wire()
			err := errors.New("a shared frame could not be encoded")
			if wire != nil {
				err = wr.WriteEncoded(wire, raw)
			}
			st.Frame.Release()
			if err != nil {
				return err
			}
		case StepRecords:
			for p := range RecordFrames(st.Records, size) {
				if err := wr.Write(peerwire.Data, p); err != nil {
					return err
				}
			}
		}
		if !st.CaughtUp && time.Since(lastFlush) < opts.flushEvery() {
			continue // more is waiting: send it a frame at a time, flushing now and then
		}
		if err := wr.Flush(); err != nil {
			return err
		}
		lastFlush = time.Now()
		if !st.CaughtUp {
			continue
		}
		select {
		case <-s.wake:
			// Let the clients' goroutines that are ready run first: with one P, the batches
			// they commit meanwhile go out in this link's next frame instead of one frame each.
			runtime.Gosched()
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
