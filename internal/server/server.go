// Package server accepts client connections and runs each one's loop: read a command with the
// RESP reader, execute it through the command layer, and move replies to the socket when no
// pipelined command is waiting. It knows nothing of what commands do.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/concord-db/concord/internal/command"
	"github.com/concord-db/concord/internal/rawconn"
	"github.com/concord-db/concord/internal/resp"
)

// Server serves the RESP port of one member.
type Server struct {
	env       *command.Env
	log       *slog.Logger
	listeners []net.Listener
	// tls-port's listeners and their configuration (tls.go)
	tlsListeners []net.Listener
	tlsConfig    *tls.Config

	// settings read on every command, refreshed when the configuration changes
	maxBulkLen, maxQueryBuffer, idleTimeout atomic.Int64

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	closed   bool
	serving  bool
	done     chan struct{} // closed by Close
	acceptWG sync.WaitGroup
	wg       sync.WaitGroup // connections
}

// New returns a server for env.
func New(env *command.Env, log *slog.Logger) *Server {
	s := &Server{env: env, log: log, conns: make(map[net.Conn]struct{}), done: make(chan struct{})}
	s.loadSettings()
	env.Config.OnChange(func(name, _ string) {
		switch name {
		case "proto-max-bulk-len", "client-query-buffer-limit", "timeout":
			s.loadSettings()
		}
	})
	return s
}

func (s *Server) loadSettings() {
	cfg := s.env.Config
	s.maxBulkLen.Store(cfg.Int("proto-max-bulk-len"))
	s.maxQueryBuffer.Store(cfg.Int("client-query-buffer-limit"))
	s.idleTimeout.Store(cfg.Int("timeout"))
}

// Listen binds every address of the bind setting on port.
func (s *Server) Listen(bind []string, port int) error {
	lns, err := listen(bind, port)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.listeners = lns
	s.mu.Unlock()
	return nil
}

func listen(bind []string, port int) ([]net.Listener, error) {
	if len(bind) == 0 {
		bind = []string{"127.0.0.1"}
	}
	var lns []net.Listener
	for _, addr := range bind {
		optional := strings.HasPrefix(addr, "-") // Redis: "-::1" may fail silently
		addr = strings.TrimPrefix(addr, "-")
		switch addr {
		case "*":
			addr = "0.0.0.0"
		case "::*":
			addr = "::"
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(port)))
		if err != nil {
			if optional {
				continue
			}
			for _, l := range lns {
				l.Close()
			}
			return nil, fmt.Errorf("server: listen on %s port %d: %w", addr, port, err)
		}
		lns = append(lns, ln)
	}
	if len(lns) == 0 {
		return nil, fmt.Errorf("server: no address to listen on")
	}
	return lns, nil
}

// Rebind moves the server to new addresses (CONFIG SET bind/port). The old listeners are
// closed first, since the new ones may use the same port; if binding fails they are restored.
func (s *Server) Rebind(bind []string, port int, oldBind []string, oldPort int) error {
	s.mu.Lock()
	old := s.listeners
	s.listeners = nil
	s.mu.Unlock()
	for _, ln := range old {
		ln.Close()
	}
	lns, err := listen(bind, port)
	if err != nil {
		s.log.Warn("cannot listen on the new address", "bind", bind, "port", port, "err", err)
		lns, err2 := listen(oldBind, oldPort)
		if err2 != nil {
			s.log.Error("cannot listen on the old address again", "err", err2)
		}
		s.startAccepting(lns)
		return err
	}
	s.startAccepting(lns)
	s.log.Info("listening on a new address", "bind", bind, "port", port)
	return nil
}

func (s *Server) startAccepting(lns []net.Listener) { s.acceptOn(&s.listeners, lns) }

// acceptOn makes lns the listeners kept in *set (the plain or the TLS ones) and, once the
// server is serving, accepts on them; a closed server closes them instead.
func (s *Server) acceptOn(set *[]net.Listener, lns []net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		for _, ln := range lns {
			ln.Close()
		}
		return
	}
	*set = lns
	if !s.serving {
		return
	}
	for _, ln := range lns {
		s.acceptWG.Add(1)
		go func() {
			defer s.acceptWG.Done()
			s.accept(ln)
		}()
	}
}

// Addr is the first listening address.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.listeners) == 0 && len(s.tlsListeners) > 0 { // port 0: TLS only
		return s.tlsListeners[0].Addr()
	}
	return s.listeners[0].Addr()
}

// Serve accepts connections until ctx is done or Close is called.
func (s *Server) Serve(ctx context.Context) error {
	s.mu.Lock()
	s.serving = true
	lns, tlns := s.listeners, s.tlsListeners
	s.mu.Unlock()
	s.startAccepting(lns)
	s.startAcceptingTLS(tlns)
	select {
	case <-ctx.Done():
	case <-s.done:
	}
	s.Close()
	s.acceptWG.Wait()
	s.wg.Wait()
	return nil
}

func (s *Server) accept(ln net.Listener) {
	var delay time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Too many open files and the like: wait a little, as net/http does.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("accept failed", "err", err, "retry_in", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			conn.Close()
			return
		}
		s.conns[conn] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(conn)
	}
}

// Close stops listening and closes every connection.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	close(s.done)
	for _, lns := range [][]net.Listener{s.listeners, s.tlsListeners} {
		for _, ln := range lns {
			ln.Close()
		}
	}
	for c := range s.conns {
		c.Close()
	}
}

func (s *Server) serveConn(conn net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, conn)
		s.mu.Unlock()
		conn.Close()
	}()
	if tc, ok := conn.(*tls.Conn); ok && !s.handshake(tc) {
		return
	}
	if tc, ok := netConn(conn).(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
		_ = tc.SetKeepAlive(true)
	}
	env := s.env
	if s.protected(conn) {
		_, _ = io.WriteString(conn, protectedModeError)
		return
	}
	cl := command.NewClient(0)
	cl.Addr = conn.RemoteAddr().String()
	cl.LocalAddr = conn.LocalAddr().String()
	cl.Kill = func() { conn.Close() }
	// A parked client's goroutine sits in a read; a deadline in the past makes it return.
	cl.Interrupt = func() { _ = conn.SetReadDeadline(time.Unix(1, 0)) }
	// Registering needs the engine lock, which a long script keeps: a client connecting then is
	// served without being registered (its commands are answered BUSY, as Redis answers them)
	// until a command of it needs the engine.
	registered := false
	register := func(locked bool) error {
		if !locked {
			env.Engine.Lock()
		}
		authed := cl.Authed // AUTH and HELLO are answered before registration while busy
		err := env.Connect(cl)
		cl.Authed = cl.Authed || authed
		env.Engine.Unlock()
		if err != nil {
			_, _ = io.WriteString(conn, "-"+err.Error()+"\r\n")
			return err
		}
		registered = true
		return nil
	}
	if env.LockUnlessScriptBusy() {
		if register(true) != nil {
			return
		}
	} else {
		// Until registered, the client's id and authentication are what Connect will give it.
		cl.ID = env.NewClientID()
		cl.Authed = env.Config.String("requirepass") == ""
	}
	defer func() {
		if !registered {
			return
		}
		cl.Out.StopPush()
		env.Engine.Lock()
		env.ForgetBlocked(cl)
		env.Disconnect(cl)
		env.Engine.Unlock()
	}()
	rw := rawconn.ReadWriter(conn)
	sock := &countingWriter{w: rw, n: &env.Stats.NetOutput}
	// Replies go out just before the reader has to wait for more input: then no complete
	// command is left to execute, whatever partial command may already be buffered.
	in := &countingReader{r: rw, n: &env.Stats.NetInput, before: func() error { return s.flush(cl, sock) }}
	r := resp.NewReader(in)
	var limits resp.Limits
	deadline := false
	for {
		if l := s.limits(cl); l != limits {
			limits = l
			r.SetLimits(l)
		}
		if t := s.idleTimeout.Load(); t > 0 && cl.Subscriptions() == 0 {
			_ = conn.SetReadDeadline(time.Now().Add(time.Duration(t) * time.Second))
			deadline = true
		} else if deadline {
			_ = conn.SetReadDeadline(time.Time{})
			deadline = false
		}
		args, err := r.ReadCommand()
		if err == nil && !registered {
			locked := env.LockUnlessScriptBusy()
			if locked || !env.AnswerIfScriptBusy(cl, args) {
				// A command that needs the engine (not answered while busy) waits for it.
				if register(locked) != nil {
					return
				}
			}
		}
		if err == nil && registered {
			err = env.ExecuteAll(cl, args, r.TryReadCommand)
		}
		if err != nil {
			var perr *resp.ProtocolError
			if errors.As(err, &perr) {
				s.log.Debug("protocol error from client", "addr", cl.Addr, "err", perr.Error())
				env.Engine.Lock()
				cl.W.Error("ERR " + perr.Error())
				_ = cl.W.Flush()
				env.Engine.Unlock()
				s.flush(cl, sock)
			} else if errors.Is(err, resp.ErrQueryBufferLimit) {
				s.log.Warn("closing client that reached max query buffer length", "addr", cl.Addr)
			}
			return
		}
		if cl.Parked() {
			if err := s.park(cl, conn, in, sock); err != nil {
				return
			}
			deadline = false // park leaves no read deadline
		}
		if cl.Out.Overrun {
			s.log.Warn("closing client that reached its output buffer limit", "addr", cl.Addr)
			return
		}
		if cl.Subscriptions() > 0 && !cl.Out.Pushing() {
			s.startPusher(cl, conn, sock)
		}
		if cl.CloseAfterReply {
			s.flush(cl, sock)
			return
		}
		if cl.Out.Pending() > 64<<10 { // a long pipeline: don't let replies pile up
			if err := s.flush(cl, sock); err != nil {
				return
			}
		}
	}
}

// park waits, without the engine lock, until the blocking command a client is parked on is
// served, times out or is unblocked, then sends its reply. Meanwhile the socket is still read,
// so that a client that disconnects is noticed (the caller then disconnects it, which removes
// it from the keys it waits on); what it sends is kept for after, as Redis keeps it in the query
// buffer. The read's deadline is the block's timeout, or the past when Interrupt wakes it.
func (s *Server) park(cl *command.Client, conn net.Conn, in *countingReader, sock io.Writer) error {
	if err := s.flush(cl, sock); err != nil { // replies to the commands before the blocking one
		return err
	}
	buf := make([]byte, 512)
	for cl.ArmPark(func(d time.Time) { _ = conn.SetReadDeadline(d) }) {
		n, err := conn.Read(buf)
		if n > 0 {
			in.n.Add(uint64(n))
			in.pending = append(in.pending, buf[:n]...)
			if l := s.maxQueryBuffer.Load(); l > 0 && int64(len(in.pending)) > l {
				s.log.Warn("closing blocked client that reached max query buffer length", "addr", cl.Addr)
				return resp.ErrQueryBufferLimit
			}
		}
		if err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				return err
			}
			s.env.BlockTimeout(cl) // nothing when it was woken for another reason
		}
	}
	s.env.Woken()
	return s.flush(cl, sock)
}

// flush moves the client's queued output to the socket (or wakes its pusher).
func (s *Server) flush(cl *command.Client, sock io.Writer) error {
	if cl.Out.Pushing() {
		cl.Out.Wake()
		return nil
	}
	_, err := cl.Out.WriteTo(sock)
	return err
}

// startPusher hands the socket side of a subscribed client to a goroutine of its own, so that
// messages reach it while its connection loop waits for commands.
func (s *Server) startPusher(cl *command.Client, conn net.Conn, sock io.Writer) {
	cl.Out.Limit = pubsubHardLimit(s.env.Config.String("client-output-buffer-limit"))
	wake, ok := cl.Out.StartPush()
	if !ok {
		return
	}
	go func() {
		for range wake {
			if _, err := cl.Out.WriteTo(sock); err != nil {
				conn.Close()
				return
			}
			if cl.Out.Overrun {
				s.log.Warn("closing subscriber that reached its output buffer limit", "addr", cl.Addr)
				conn.Close()
				return
			}
		}
	}()
	cl.Out.Wake()
}

func (s *Server) limits(cl *command.Client) resp.Limits {
	return resp.Limits{
		MaxBulkLen:      s.maxBulkLen.Load(),
		MaxQueryBuffer:  s.maxQueryBuffer.Load(),
		Unauthenticated: !cl.Authed,
	}
}

// pubsubHardLimit reads the pubsub class's hard limit from client-output-buffer-limit
// ("normal 0 0 0 replica 268435456 67108864 60 pubsub 33554432 8388608 60").
func pubsubHardLimit(setting string) int64 {
	f := strings.Fields(setting)
	for i := 0; i+1 < len(f); i += 4 {
		if f[i] == "pubsub" {
			n, _ := strconv.ParseInt(f[i+1], 10, 64)
			return n
		}
	}
	return 0
}

// protected reports whether protected mode refuses conn: no password is set and the client is
// not on the loopback interface (Redis 7.0's clientAcceptHandlerImpl).
func (s *Server) protected(conn net.Conn) bool {
	cfg := s.env.Config
	if !cfg.Bool("protected-mode") || cfg.String("requirepass") != "" {
		return false
	}
	addr, ok := conn.RemoteAddr().(*net.TCPAddr)
	return ok && !addr.IP.IsLoopback()
}

const protectedModeError = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n"
