package server

import (
	"crypto/tls"
	"fmt"
	"net"
	"time"
)

// The TLS client port (tls-port): listeners beside the plain ones, whose connections are
// served exactly like plain ones once the handshake is done. The configuration comes from
// package tlsconfig; it may pick a new certificate at every handshake.

// tlsHandshakeTimeout bounds a client's TLS handshake, so that a client that connects and
// sends nothing does not hold a connection slot in the handshake for ever.
const tlsHandshakeTimeout = 10 * time.Second

// ListenTLS binds every address of the bind setting on port for TLS clients.
func (s *Server) ListenTLS(bind []string, port int, cfg *tls.Config) error {
	lns, err := listen(bind, port)
	if err != nil {
		return fmt.Errorf("server: tls-port: %w", err)
	}
	s.mu.Lock()
	s.tlsConfig = cfg
	s.tlsListeners = wrapTLS(lns, cfg)
	s.mu.Unlock()
	return nil
}

// RebindTLS moves the TLS listeners to new addresses (CONFIG SET tls-port/bind); port 0
// closes them. cfg replaces the configuration when not nil. On failure there are no TLS
// listeners: the caller rebinds the old address.
func (s *Server) RebindTLS(bind []string, port int, cfg *tls.Config) error {
	s.mu.Lock()
	old := s.tlsListeners
	s.tlsListeners = nil
	if cfg != nil {
		s.tlsConfig = cfg
	}
	cfg = s.tlsConfig
	s.mu.Unlock()
	for _, ln := range old {
		ln.Close()
	}
	if port == 0 {
		return nil
	}
	lns, err := listen(bind, port)
	if err != nil {
		s.log.Warn("cannot listen for TLS clients on the new address", "bind", bind, "tls_port", port, "err", err)
		return err
	}
	s.startAcceptingTLS(wrapTLS(lns, cfg))
	s.log.Info("listening for TLS clients on a new address", "bind", bind, "tls_port", port)
	return nil
}

// ClosePlain closes the plain listeners (CONFIG SET port 0 beside a tls-port); Rebind opens
// them again.
func (s *Server) ClosePlain() {
	s.mu.Lock()
	old := s.listeners
	s.listeners = nil
	s.mu.Unlock()
	for _, ln := range old {
		ln.Close()
	}
}

// TLSAddr is the first TLS listening address, nil when there is none.
func (s *Server) TLSAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.tlsListeners) == 0 {
		return nil
	}
	return s.tlsListeners[0].Addr()
}

func wrapTLS(lns []net.Listener, cfg *tls.Config) []net.Listener {
	out := make([]net.Listener, len(lns))
	for i, ln := range lns {
		out[i] = tls.NewListener(ln, cfg)
	}
	return out
}

func (s *Server) startAcceptingTLS(lns []net.Listener) { s.acceptOn(&s.tlsListeners, lns) }

// handshake runs a TLS client's handshake before anything else reads from it, so that a
// refused certificate is logged as such; it reports whether the client may go on.
func (s *Server) handshake(c *tls.Conn) bool {
	_ = c.SetDeadline(time.Now().Add(tlsHandshakeTimeout))
	if err := c.Handshake(); err != nil {
		// Redis logs these at verbose level: scanners and health checks make many.
		s.log.Debug("TLS handshake failed", "addr", c.RemoteAddr().String(), "err", err)
		return false
	}
	_ = c.SetDeadline(time.Time{})
	return true
}

// netConn is the TCP connection under a TLS one.
func netConn(c net.Conn) net.Conn {
	if tc, ok := c.(*tls.Conn); ok {
		return tc.NetConn()
	}
	return c
}
