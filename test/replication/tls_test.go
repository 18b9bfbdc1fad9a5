package replication

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/concord-db/concord/internal/tlsconfig/tlstest"
)

// tlsPeerFlags make a member's peer links use TLS with cert/key, trusting ca.
func tlsPeerFlags(ca *tlstest.CA, cert, key string) []string {
	return []string{"--tls-replication", "yes", "--tls-cert-file", cert, "--tls-key-file", key,
		"--tls-ca-cert-file", ca.CertFile}
}

// Three members with tls-replication yes and certificates of one CA converge; the peer port
// speaks TLS (and the shared secret's handshake still runs on top of it).
func TestPeerLinksOverTLS(t *testing.T) {
	dir := t.TempDir()
	ca := tlstest.NewCA(t, dir, "members-ca")
	extra := map[int][]string{}
	for i := 1; i <= 3; i++ {
		cert, key := ca.Issue(t, dir, fmt.Sprintf("m%d", i))
		extra[i] = tlsPeerFlags(ca, cert, key)
	}
	c := startCluster(t, 3, common, extra)
	a, b, m3 := c.members[0], c.members[1], c.members[2]
	a.do("SET", "fromA", "1")
	b.do("SADD", "s", "b")
	m3.do("INCRBY", "n", 3)
	a.do("INCRBY", "n", 4)
	c.waitConverged()
	for _, m := range c.members {
		if got, _ := m.do("GET", "fromA").Text(); got != "1" {
			t.Errorf("member %d: GET fromA = %q", m.id, got)
		}
		if got, _ := m.do("GET", "n").Text(); got != "7" {
			t.Errorf("member %d: GET n = %q", m.id, got)
		}
	}
	// Every link comes up (a member that dialed a peer not started yet retries after a backoff).
	deadline := time.Now().Add(10 * time.Second)
	for _, m := range c.members {
		for _, f := range []string{"crdt_peer0", "crdt_peer1"} {
			for s := m.info()[f]; !strings.Contains(s, "state=connected"); s = m.info()[f] {
				if time.Now().After(deadline) {
					t.Fatalf("member %d %s: %s", m.id, f, s)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
	// The peer port is TLS: a handshake with a member certificate succeeds and negotiates TLS.
	conn := dialPeerTLS(t, ca, dir, a.peerPort)
	if v := conn.ConnectionState().Version; v < tls.VersionTLS12 {
		t.Errorf("peer port TLS version %x", v)
	}
	conn.Close()
}

// A member whose certificate another CA signed is refused both ways: nothing it writes is
// applied, it receives nothing, and each direction's refusal is logged once.
func TestPeerWithCertificateOfAnotherCAIsRefused(t *testing.T) {
	dir := t.TempDir()
	ca := tlstest.NewCA(t, dir, "members-ca")
	other := tlstest.NewCA(t, dir, "other-ca")
	c1, k1 := ca.Issue(t, dir, "m1")
	c2, k2 := ca.Issue(t, dir, "m2")
	c3, k3 := other.Issue(t, dir, "m3")
	c := startCluster(t, 3, common, map[int][]string{
		1: tlsPeerFlags(ca, c1, k1), 2: tlsPeerFlags(ca, c2, k2), 3: tlsPeerFlags(other, c3, k3)})
	a, b, m3 := c.members[0], c.members[1], c.members[2]
	a.do("SET", "fromA", "1")
	m3.do("SET", "fromC", "3")
	c.waitConverged(a, b)
	if got, _ := b.do("GET", "fromA").Text(); got != "1" {
		t.Errorf("members of the same CA did not replicate: GET fromA = %q", got)
	}
	time.Sleep(2 * time.Second) // several redials (backoff from 100 ms)
	for _, m := range []*member{a, b} {
		if n, _ := m.do("EXISTS", "fromC").Int(); n != 0 {
			t.Errorf("member %d applied a write of the member with another CA's certificate", m.id)
		}
	}
	if n, _ := m3.do("EXISTS", "fromA").Int(); n != 0 {
		t.Error("the member with another CA's certificate received data")
	}
	if in := m3.info(); in["crdt_effect_reqs"] != "0" {
		t.Errorf("member 3 applied effects: crdt_effect_reqs=%s", in["crdt_effect_reqs"])
	}
	// Member 1 dialing member 3 refuses its certificate ("peer link down"), member 3 dialing
	// member 1 is refused at member 1's listener ("peer link refused"): once each, not at
	// every retry.
	log := a.log.String()
	down, refused := 0, 0
	for _, line := range strings.Split(log, "\n") {
		switch {
		case strings.Contains(line, "peer link down") && strings.Contains(line, "member=3") && strings.Contains(line, "unknown authority"):
			down++
		case strings.Contains(line, "peer link refused") && strings.Contains(line, "tls"):
			refused++
		}
	}
	if down != 1 || refused != 1 {
		t.Errorf("member 1 logged %d refusals of member 3's certificate as a dialer and %d as a listener, want 1 and 1:\n%s", down, refused, log)
	}
	if strings.Contains(log, "panic") || strings.Contains(m3.log.String(), "panic") {
		t.Error("a member panicked")
	}
}

// CONFIG SET tls-replication yes applies to the next links: after a cut, two members that
// switched relink over TLS and converge.
func TestTLSReplicationByConfigSet(t *testing.T) {
	dir := t.TempDir()
	ca := tlstest.NewCA(t, dir, "members-ca")
	extra := map[int][]string{}
	for i := 1; i <= 2; i++ {
		cert, key := ca.Issue(t, dir, fmt.Sprintf("m%d", i))
		extra[i] = []string{"--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", ca.CertFile}
	}
	c := startCluster(t, 2, common, extra)
	a, b := c.members[0], c.members[1]
	a.do("SET", "before", "1")
	c.waitConverged()
	for _, m := range c.members {
		if err := m.do("CONFIG", "SET", "tls-replication", "yes").Err(); err != nil {
			t.Fatalf("member %d: CONFIG SET tls-replication yes: %v", m.id, err)
		}
	}
	c.cut(1, 2, true)
	b.do("SET", "after", "2")
	c.cut(1, 2, false)
	c.waitConverged()
	if got, _ := a.do("GET", "after").Text(); got != "2" {
		t.Errorf("GET after = %q", got)
	}
	// The peer port now speaks TLS.
	conn := dialPeerTLS(t, ca, dir, a.peerPort)
	conn.Close()
	// Without certificate files, tls-replication cannot be enabled.
	c3 := startCluster(t, 2, common, nil)
	err := c3.members[0].do("CONFIG", "SET", "tls-replication", "yes").Err()
	if err == nil || !strings.Contains(err.Error(), "Unable to update TLS configuration") {
		t.Errorf("CONFIG SET tls-replication yes without files: %v", err)
	}
}

// dialPeerTLS completes a TLS handshake with a member's peer port as a member certificate of
// ca would (the link protocol itself is not spoken).
func dialPeerTLS(t *testing.T, ca *tlstest.CA, dir string, port int) *tls.Conn {
	t.Helper()
	cert, key := ca.Issue(t, dir, "probe")
	kp, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	conn, err := tls.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port),
		&tls.Config{RootCAs: pool, ServerName: "localhost", Certificates: []tls.Certificate{kp}})
	if err != nil {
		t.Fatalf("TLS handshake with the peer port %d: %v", port, err)
	}
	return conn
}
