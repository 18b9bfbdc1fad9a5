package node

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/concord-db/concord/internal/config"
	"github.com/concord-db/concord/internal/server"
	"github.com/concord-db/concord/internal/tlsconfig"
)

// TLS of the client port (tls-port) and of the peer links (tls-replication): one
// configuration built by package tlsconfig from the tls-* parameters, shared by both.

// errTLSConfig is Redis's CONFIG SET reply when the new TLS settings do not load.
var errTLSConfig = errors.New("Unable to update TLS configuration. Check server logs.")

// tlsState holds the member's TLS configuration, made when TLS is first needed (at start, or
// when CONFIG SET enables tls-port or tls-replication).
type tlsState struct {
	cfg *config.Config
	log *slog.Logger

	mu sync.Mutex
	h  *tlsconfig.Holder // nil until TLS is used
	// staged are the tls-* values with those of the CONFIG SET being applied, which the
	// configuration shows only once every applier has run: so tls-port set together with
	// the files it needs (listed after them) finds them.
	staged tlsconfig.Params
}

// inUse reports whether the client port or the peer links use TLS, i.e. whether the tls-*
// files must load (Redis checks them only then too).
func (t *tlsState) inUse() bool {
	return t.cfg.Int("tls-port") > 0 || t.cfg.Bool("tls-replication")
}

// holder returns the configuration, building it from p if there is none yet.
func (t *tlsState) holder(p tlsconfig.Params) (*tlsconfig.Holder, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.h == nil {
		b, err := tlsconfig.Build(p)
		if err != nil {
			return nil, err
		}
		t.h = tlsconfig.NewHolder(b)
	}
	return t.h, nil
}

// listenClients binds the client ports: the plain one (port; with a tls-port, port 0 means no
// plain port, as in Redis) and the TLS one (tls-port). Bad TLS settings are a startup error.
func listenClients(cfg *config.Config, srv *server.Server, log *slog.Logger) (*tlsState, error) {
	t := &tlsState{cfg: cfg, log: log, staged: tlsconfig.FromConfig(cfg)}
	bind := strings.Fields(cfg.String("bind"))
	port, tlsPort := int(cfg.Int("port")), int(cfg.Int("tls-port"))
	var h *tlsconfig.Holder
	if t.inUse() {
		var err error
		if h, err = t.holder(tlsconfig.FromConfig(cfg)); err != nil {
			return nil, err
		}
	}
	if port != 0 || tlsPort == 0 {
		if err := srv.Listen(bind, port); err != nil {
			return nil, err
		}
	}
	if tlsPort > 0 {
		if err := srv.ListenTLS(bind, tlsPort, h.ServerConfig()); err != nil {
			srv.Close()
			return nil, err
		}
	}
	return t, nil
}

// register makes CONFIG SET apply the TLS parameters, as Redis's applyTlsCfg and
// applyTLSPort do: each file is checked when set (a bad one refuses the CONFIG SET), then the
// whole configuration is rebuilt for the next handshakes; if it does not build (a certificate
// and a key that do not match), the previous one stays and the reason is logged.
func (t *tlsState) register(srv *server.Server) {
	cfg := t.cfg
	for _, name := range tlsconfig.Names {
		cfg.OnApply(name, func(v string) error {
			// Appliers run under the configuration's writer lock, one at a time; a failing
			// one restores its own staged value (the configuration undoes only the others).
			prev := t.staged
			t.staged = t.staged.With(name, v)
			var err error
			switch {
			case name == "tls-replication" && v == "yes":
				_, err = t.holder(t.staged)
			case t.inUse():
				err = tlsconfig.Check(name, v, t.staged)
			}
			if err != nil {
				t.staged = prev
				t.log.Warn("TLS configuration not changed", "param", name, "err", err)
				return errTLSConfig
			}
			return nil
		})
	}
	cfg.OnChange(func(name, _ string) {
		if !slices.Contains(tlsconfig.Names, name) || !t.inUse() {
			return
		}
		b, err := tlsconfig.Build(tlsconfig.FromConfig(cfg))
		if err != nil {
			t.log.Error("TLS configuration not reloaded: the previous certificates stay in use", "err", err)
			return
		}
		t.mu.Lock()
		if t.h == nil {
			t.h = tlsconfig.NewHolder(b)
		} else {
			t.h.Store(b)
		}
		t.mu.Unlock()
		t.log.Info("TLS configuration reloaded", "param", name)
	})
	cfg.OnApply("tls-port", func(v string) error {
		port, _ := strconv.Atoi(v)
		if port == 0 && cfg.Int("port") == 0 {
			t.log.Warn("tls-port 0 with port 0 would leave no port open: set port first")
			return errors.New("Unable to listen on this port. Check server logs.")
		}
		var sc *tls.Config
		if port > 0 {
			h, err := t.holder(t.staged)
			if err != nil {
				t.log.Warn("cannot enable tls-port", "err", err)
				return errTLSConfig
			}
			sc = h.ServerConfig()
		}
		bind := strings.Fields(cfg.String("bind"))
		if err := srv.RebindTLS(bind, port, sc); err != nil {
			if old := int(cfg.Int("tls-port")); old > 0 {
				_ = srv.RebindTLS(bind, old, nil)
			}
			return errors.New("Unable to listen on this port. Check server logs.")
		}
		return nil
	})
}

// rebindTLS moves the TLS port to the addresses of bind (CONFIG SET bind).
func (t *tlsState) rebindTLS(srv *server.Server, bind []string) error {
	if port := int(t.cfg.Int("tls-port")); port > 0 {
		return srv.RebindTLS(bind, port, nil)
	}
	return nil
}

// peerTLS sets the peer links of rc to use TLS while tls-replication is yes: the check is made
// at every accept and every dial, so CONFIG SET tls-replication applies to the next links (the
// links up keep going as they are, as in Redis).
func (t *tlsState) peerTLS(wrap *func(net.Listener) net.Listener, dial *func(context.Context, string) (net.Conn, error)) {
	*wrap = func(ln net.Listener) net.Listener { return &peerListener{Listener: ln, t: t} }
	*dial = func(ctx context.Context, addr string) (net.Conn, error) {
		nd := &net.Dialer{Timeout: peerDialTimeout, KeepAlive: 15 * time.Second}
		if !t.cfg.Bool("tls-replication") {
			return nd.DialContext(ctx, "tcp", addr)
		}
		h, err := t.holder(tlsconfig.FromConfig(t.cfg))
		if err != nil {
			return nil, err
		}
		d := tls.Dialer{NetDialer: nd, Config: h.ClientConfig()}
		return d.DialContext(ctx, "tcp", addr)
	}
}

// peerDialTimeout bounds a peer dial, TLS handshake included.
const peerDialTimeout = 10 * time.Second

// peerListener is the peer port's listener: TLS connections while tls-replication is yes. The
// handshake runs at the connection's first read, under the replication handshake's deadline;
// a refused certificate fails that read, which replication logs once per reason.
type peerListener struct {
	net.Listener
	t *tlsState
}

func (l *peerListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil || !l.t.cfg.Bool("tls-replication") {
			return c, err
		}
		h, err := l.t.holder(tlsconfig.FromConfig(l.t.cfg))
		if err != nil {
			// Not expected once tls-replication is on (it was checked when set): refuse.
			c.Close()
			continue
		}
		return tls.Server(c, h.ServerConfig()), nil
	}
}
