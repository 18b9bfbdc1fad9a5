package clients

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/concord-db/concord/internal/tlsconfig/tlstest"
	"github.com/concord-db/concord/test/testserver"
)

// tlsFiles are a throwaway CA, the server's certificate and a client certificate.
type tlsFiles struct {
	dir                  string
	ca                   *tlstest.CA
	cert, key            string
	clientCert, clientKy string
}

func newTLSFiles(t *testing.T) *tlsFiles {
	dir := t.TempDir()
	f := &tlsFiles{dir: dir, ca: tlstest.NewCA(t, dir, "ca")}
	f.cert, f.key = f.ca.Issue(t, dir, "server")
	f.clientCert, f.clientKy = f.ca.Issue(t, dir, "client")
	return f
}

// args are the server flags for a TLS port with these files.
func (f *tlsFiles) args(tlsPort int) []string {
	return []string{"--tls-port", strconv.Itoa(tlsPort), "--tls-cert-file", f.cert, "--tls-key-file", f.key,
		"--tls-ca-cert-file", f.ca.CertFile}
}

// clientConfig trusts the CA and presents the client certificate when withCert.
func (f *tlsFiles) clientConfig(t *testing.T, withCert bool) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(f.ca.Cert)
	c := &tls.Config{RootCAs: pool, ServerName: "localhost"}
	if withCert {
		kp, err := tls.LoadX509KeyPair(f.clientCert, f.clientKy)
		if err != nil {
			t.Fatal(err)
		}
		c.Certificates = []tls.Certificate{kp}
	}
	return c
}

func tlsClient(t *testing.T, port int, cfg *tls.Config) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), TLSConfig: cfg,
		DialTimeout: 5 * time.Second, ReadTimeout: 5 * time.Second, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

func freeTLSPort(t *testing.T) int {
	p, err := testserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A client talks to the TLS port (tls-port beside port); tls-auth-clients decides whether a
// client certificate is required. Run against redis-server too (CONCORD_DIFF_AGAINST=redis):
// the parameters are Redis's.
func TestTLSClientPort(t *testing.T) {
	t.Parallel()
	f := newTLSFiles(t)
	tlsPort := freeTLSPort(t)
	srv := testserver.StartTarget(t, f.args(tlsPort))
	ctx := context.Background()

	c := tlsClient(t, tlsPort, f.clientConfig(t, true))
	if got, err := c.Ping(ctx).Result(); err != nil || got != "PONG" {
		t.Fatalf("PING over TLS: %q %v", got, err)
	}
	if err := c.Set(ctx, "tls:k", "v", 0).Err(); err != nil {
		t.Fatalf("SET over TLS: %v", err)
	}
	if got, err := c.Get(ctx, "tls:k").Result(); err != nil || got != "v" {
		t.Fatalf("GET over TLS: %q %v", got, err)
	}
	// The plain port serves the same data.
	plain := newClient(t, srv, 2)
	if got, _ := plain.Get(ctx, "tls:k").Result(); got != "v" {
		t.Errorf("GET on the plain port: %q", got)
	}
	// tls-auth-clients yes (the default): a client without a certificate is refused.
	bare := tlsClient(t, tlsPort, f.clientConfig(t, false))
	if err := bare.Ping(ctx).Err(); err == nil {
		t.Error("tls-auth-clients yes: a client without a certificate was served")
	}
	// A client that speaks plain RESP to the TLS port gets nothing.
	raw := redis.NewClient(&redis.Options{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(tlsPort)),
		DialTimeout: 2 * time.Second, ReadTimeout: 2 * time.Second, MaxRetries: -1})
	defer raw.Close()
	if err := raw.Ping(ctx).Err(); err == nil {
		t.Error("plain RESP on the TLS port was answered")
	}
	got, err := plain.ConfigGet(ctx, "tls-*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"tls-port": strconv.Itoa(tlsPort), "tls-cert-file": f.cert,
		"tls-auth-clients": "yes", "tls-replication": "no"} {
		if got[k] != want {
			t.Errorf("CONFIG GET %s = %q, want %q", k, got[k], want)
		}
	}
	// optional: a client without a certificate is served, one with a certificate too.
	if err := plain.ConfigSet(ctx, "tls-auth-clients", "optional").Err(); err != nil {
		t.Fatal(err)
	}
	bare2 := tlsClient(t, tlsPort, f.clientConfig(t, false))
	if err := bare2.Ping(ctx).Err(); err != nil {
		t.Errorf("tls-auth-clients optional: a client without a certificate: %v", err)
	}
	// A bad file is refused by CONFIG SET, with Redis's reason.
	err = plain.ConfigSet(ctx, "tls-cert-file", f.dir+"/missing.crt").Err()
	if err == nil || !strings.Contains(err.Error(), "Unable to update TLS configuration") {
		t.Errorf("CONFIG SET tls-cert-file missing: %v", err)
	}
}

// Certificates change with CONFIG SET (rotation): new handshakes present the new one.
func TestTLSCertificateRotation(t *testing.T) {
	t.Parallel()
	f := newTLSFiles(t)
	tlsPort := freeTLSPort(t)
	srv := testserver.StartTarget(t, f.args(tlsPort))
	ctx := context.Background()
	newCert, newKey := f.ca.Issue(t, f.dir, "rotated")
	plain := newClient(t, srv, 2)
	if err := plain.Do(ctx, "CONFIG", "SET", "tls-cert-file", newCert, "tls-key-file", newKey).Err(); err != nil {
		t.Fatalf("CONFIG SET tls-cert-file tls-key-file: %v", err)
	}
	conn, err := tls.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(tlsPort)), f.clientConfig(t, true))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if cn := conn.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "rotated" {
		t.Errorf("after CONFIG SET the server presents %q, want rotated", cn)
	}
}

// redis-cli --tls (when redis-cli was built with TLS, as Debian's is).
func TestTLSRedisCLI(t *testing.T) {
	t.Parallel()
	bin := testserver.NeedTool(t, "redis-cli", cliSkip)
	if help, _ := exec.Command(bin, "--help").CombinedOutput(); !strings.Contains(string(help), "--tls") {
		t.Skip("redis-cli was built without TLS (no --tls option): redis-cli --tls not checked")
	}
	f := newTLSFiles(t)
	tlsPort := freeTLSPort(t)
	testserver.StartTarget(t, f.args(tlsPort))
	out, err := exec.Command(bin, "--tls", "--cacert", f.ca.CertFile, "--cert", f.clientCert, "--key", f.clientKy,
		"-h", "127.0.0.1", "-p", strconv.Itoa(tlsPort), "PING").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "PONG" {
		t.Errorf("redis-cli --tls PING: %q %v", out, err)
	}
	// Without a certificate: refused (tls-auth-clients yes).
	out, _ = exec.Command(bin, "--tls", "--cacert", f.ca.CertFile, "-h", "127.0.0.1", "-p", strconv.Itoa(tlsPort),
		"PING").CombinedOutput()
	if strings.Contains(string(out), "PONG") {
		t.Errorf("redis-cli --tls without a certificate was answered: %q", out)
	}
}

// runConcord runs the Concord binary with args until it exits or d passes, and returns its
// output and its exit code (-1: still running after d, then killed).
func runConcord(t *testing.T, d time.Duration, args ...string) (string, int) {
	cmd := exec.Command(testserver.ConcordBinary(t), args...)
	cmd.Dir = t.TempDir()
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
		return out.String(), cmd.ProcessState.ExitCode()
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		return out.String(), -1
	}
}

// Bad TLS settings stop the start with a message naming the file, never a crash.
func TestTLSBadConfigIsAStartupError(t *testing.T) {
	t.Parallel()
	if testserver.AgainstRedis() {
		t.Skip("Concord's startup errors")
	}
	f := newTLSFiles(t)
	_, otherKey := f.ca.Issue(t, f.dir, "other")
	notPEM := f.dir + "/junk.pem"
	os.WriteFile(notPEM, []byte("junk"), 0o600)
	port, tlsPort := freeTLSPort(t), freeTLSPort(t)
	base := []string{"start", "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--tls-port", strconv.Itoa(tlsPort)}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing cert", []string{"--tls-cert-file", f.dir + "/missing.crt", "--tls-key-file", f.key, "--tls-ca-cert-file", f.ca.CertFile}, "tls-cert-file: open"},
		{"key mismatch", []string{"--tls-cert-file", f.cert, "--tls-key-file", otherKey, "--tls-ca-cert-file", f.ca.CertFile}, "private key does not match public key"},
		{"CA not PEM", []string{"--tls-cert-file", f.cert, "--tls-key-file", f.key, "--tls-ca-cert-file", notPEM}, "no PEM certificate"},
		{"no CA", []string{"--tls-cert-file", f.cert, "--tls-key-file", f.key}, "tls-ca-cert-file or tls-ca-cert-dir must be specified"},
		{"bad protocols", []string{"--tls-cert-file", f.cert, "--tls-key-file", f.key, "--tls-ca-cert-file", f.ca.CertFile, "--tls-protocols", "SSLv3"}, "unknown protocol"},
	} {
		out, code := runConcord(t, 10*time.Second, append(append([]string{}, base...), tc.args...)...)
		if code != 1 || !strings.Contains(out, tc.want) || strings.Contains(out, "panic") {
			t.Errorf("%s: exit code %d, output:\n%s\nwant exit code 1 and %q", tc.name, code, out, tc.want)
		}
	}
}

// port 0 beside a tls-port: TLS only, as in Redis.
func TestTLSOnlyWithPortZero(t *testing.T) {
	t.Parallel()
	if testserver.AgainstRedis() {
		t.Skip("starts Concord itself")
	}
	f := newTLSFiles(t)
	tlsPort := freeTLSPort(t)
	cmd := exec.Command(testserver.ConcordBinary(t), append([]string{"start", "--bind", "127.0.0.1", "--port", "0",
		"--dir", t.TempDir()}, f.args(tlsPort)...)...)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	c := tlsClient(t, tlsPort, f.clientConfig(t, true))
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(ctx).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("no PONG on the TLS port:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// No plain port was opened (port 0 is not "any port" here): the member's first address,
	// which it logs when ready, is the TLS one.
	ready := ""
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "ready to accept connections") {
			ready = line
		}
	}
	if !strings.Contains(ready, fmt.Sprintf("addr=127.0.0.1:%d ", tlsPort)) {
		t.Errorf("the member listens elsewhere than on its TLS port:\n%s", out.String())
	}
}

// lockedBuffer collects a running process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// CONFIG SET opens the TLS port (with the files set in the same command) and closes it.
func TestTLSPortByConfigSet(t *testing.T) {
	t.Parallel()
	f := newTLSFiles(t)
	srv := testserver.StartTarget(t, nil)
	ctx := context.Background()
	plain := newClient(t, srv, 2)
	tlsPort := freeTLSPort(t)
	err := plain.Do(ctx, "CONFIG", "SET", "tls-cert-file", f.cert, "tls-key-file", f.key,
		"tls-ca-cert-file", f.ca.CertFile, "tls-port", strconv.Itoa(tlsPort)).Err()
	if err != nil {
		t.Fatalf("CONFIG SET tls-port with its files: %v", err)
	}
	c := tlsClient(t, tlsPort, f.clientConfig(t, true))
	if got, err := c.Ping(ctx).Result(); err != nil || got != "PONG" {
		t.Fatalf("PING over TLS after CONFIG SET tls-port: %q %v", got, err)
	}
	// port 0 closes the plain port while the TLS one serves; setting it back reopens it.
	if err := c.ConfigSet(ctx, "port", "0").Err(); err != nil {
		t.Fatalf("CONFIG SET port 0: %v", err)
	}
	if conn, err := net.DialTimeout("tcp", srv.Addr(), time.Second); err == nil {
		conn.Close()
		t.Error("port 0: the plain port still accepts connections")
	}
	if err := c.ConfigSet(ctx, "port", strconv.Itoa(srv.Port())).Err(); err != nil {
		t.Fatalf("CONFIG SET port back: %v", err)
	}
	if err := plain.ConfigSet(ctx, "tls-port", "0").Err(); err != nil {
		t.Fatal(err)
	}
	if conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(tlsPort)), time.Second); err == nil {
		conn.Close()
		t.Error("tls-port 0: the TLS port still accepts connections")
	}
}
