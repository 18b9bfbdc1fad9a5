package tlsconfig

import (
	"crypto/tls"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/concord-db/concord/internal/tlsconfig/tlstest"
)

// files makes a CA and one member's certificate in a temporary directory.
func files(t *testing.T) (dir string, ca *tlstest.CA, cert, key string) {
	dir = t.TempDir()
	ca = tlstest.NewCA(t, dir, "ca")
	cert, key = ca.Issue(t, dir, "member")
	return dir, ca, cert, key
}

func TestBuildErrors(t *testing.T) {
	dir, ca, cert, key := files(t)
	_, otherKey := ca.Issue(t, dir, "other")
	notPEM := filepath.Join(dir, "junk")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	good := Params{CertFile: cert, KeyFile: key, CAFile: ca.CertFile, AuthClients: "yes"}
	if _, err := Build(good); err != nil {
		t.Fatalf("good parameters: %v", err)
	}
	for _, tc := range []struct {
		name string
		p    Params
		want string
	}{
		{"no cert", good.With("tls-cert-file", ""), "no tls-cert-file configured"},
		{"no key", good.With("tls-key-file", ""), "no tls-key-file configured"},
		{"missing cert", good.With("tls-cert-file", filepath.Join(dir, "nope.crt")), "tls-cert-file: open"},
		{"missing key", good.With("tls-key-file", filepath.Join(dir, "nope.key")), "tls-key-file: open"},
		{"key mismatch", good.With("tls-key-file", otherKey), "private key does not match public key"},
		{"cert not PEM", good.With("tls-cert-file", notPEM), "tls-cert-file " + notPEM},
		{"no CA with auth", good.With("tls-ca-cert-file", ""), "tls-ca-cert-file or tls-ca-cert-dir must be specified"},
		{"no CA with replication", good.With("tls-ca-cert-file", "").With("tls-auth-clients", "no").With("tls-replication", "yes"), "must be specified"},
		{"CA not PEM", good.With("tls-ca-cert-file", notPEM), "no PEM certificate"},
		{"CA dir missing", good.With("tls-ca-cert-dir", filepath.Join(dir, "nodir")), "tls-ca-cert-dir"},
		{"bad protocol", good.With("tls-protocols", "TLSv1.2 SSLv3"), `unknown protocol "SSLv3"`},
		{"protocol hole", good.With("tls-protocols", "TLSv1.1 TLSv1.3"), "consecutive"},
		{"bad cipher", good.With("tls-ciphers", "HIGH:!aNULL"), `"HIGH" is not a TLS 1.2 cipher suite`},
		{"bad auth", good.With("tls-auth-clients", "maybe"), "tls-auth-clients"},
		{"client cert alone", good.With("tls-client-cert-file", cert), "must be set together"},
	} {
		_, err := Build(tc.p)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	// No CA is fine when nobody's certificate is verified.
	if _, err := Build(good.With("tls-ca-cert-file", "").With("tls-auth-clients", "no")); err != nil {
		t.Errorf("no CA, tls-auth-clients no: %v", err)
	}
}

func TestProtocolsAndCiphers(t *testing.T) {
	for _, tc := range []struct {
		in       string
		min, max uint16
	}{
		{"", tls.VersionTLS12, tls.VersionTLS13},
		{"TLSv1.2", tls.VersionTLS12, tls.VersionTLS12},
		{"tlsv1.3", tls.VersionTLS13, tls.VersionTLS13},
		{"TLSv1.3 TLSv1.2", tls.VersionTLS12, tls.VersionTLS13},
		{"TLSv1 TLSv1.1 TLSv1.2", tls.VersionTLS10, tls.VersionTLS12},
	} {
		mn, mx, err := parseProtocols(tc.in)
		if err != nil || mn != tc.min || mx != tc.max {
			t.Errorf("parseProtocols(%q) = %x %x %v, want %x %x", tc.in, mn, mx, err, tc.min, tc.max)
		}
	}
	ids, err := parseCiphers("ECDHE-RSA-AES128-GCM-SHA256:TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384")
	if err != nil || len(ids) != 2 || ids[0] != tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 || ids[1] != tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 {
		t.Errorf("parseCiphers: %v %v", ids, err)
	}
	if ids, err := parseCiphers("DEFAULT"); ids != nil || err != nil {
		t.Errorf("DEFAULT: %v %v", ids, err)
	}
	// Every OpenSSL name maps to a suite crypto/tls knows.
	for o := range opensslNames {
		if _, err := parseCiphers(o); err != nil {
			t.Error(err)
		}
	}
}

// handshake runs a TLS handshake between a server and a client configuration over a pipe and
// returns each side's error.
func handshake(srv, cli *tls.Config) (serverErr, clientErr error) {
	a, b := net.Pipe()
	s := tls.Server(a, srv)
	c := tls.Client(b, cli)
	done := make(chan error, 1)
	go func() {
		err := s.Handshake()
		if err == nil {
			// TLS 1.3: the client learns that its certificate was refused at its first read.
			_, err = s.Write([]byte("x"))
		}
		done <- err
		a.Close() // not s.Close: its close_notify would wait for a reader the pipe lacks
	}()
	err := c.Handshake()
	if err == nil {
		_, err = c.Read(make([]byte, 1))
	}
	b.Close()
	return <-done, err
}

func TestHandshakes(t *testing.T) {
	dir, ca, cert, key := files(t)
	b, err := Build(Params{CertFile: cert, KeyFile: key, CAFile: ca.CertFile, AuthClients: "yes", Replication: true})
	if err != nil {
		t.Fatal(err)
	}
	h := NewHolder(b)
	// Two members with certificates of the same CA link (no host name is checked).
	c2, k2 := ca.Issue(t, dir, "member2")
	b2, err := Build(Params{CertFile: c2, KeyFile: k2, CAFile: ca.CertFile, AuthClients: "yes"})
	if err != nil {
		t.Fatal(err)
	}
	if se, ce := handshake(h.ServerConfig(), b2.Client); se != nil || ce != nil {
		t.Fatalf("same CA: server %v, client %v", se, ce)
	}
	// A member whose certificate another CA signed is refused both ways.
	other := tlstest.NewCA(t, dir, "other-ca")
	c3, k3 := other.Issue(t, dir, "intruder")
	b3, err := Build(Params{CertFile: c3, KeyFile: k3, CAFile: other.CertFile, AuthClients: "yes"})
	if err != nil {
		t.Fatal(err)
	}
	// (an intruder that trusts the members' CA, so that the refusal is the listener's)
	b3trusting, err := Build(Params{CertFile: c3, KeyFile: k3, CAFile: ca.CertFile, AuthClients: "yes"})
	if err != nil {
		t.Fatal(err)
	}
	if se, _ := handshake(h.ServerConfig(), b3trusting.Client); se == nil || !strings.Contains(se.Error(), "unknown authority") {
		t.Errorf("the listener accepted a client certificate of another CA: %v", se)
	}
	if _, ce := handshake(b3.Server, h.ClientConfig()); ce == nil || !strings.Contains(ce.Error(), "refused") {
		t.Errorf("the dialer accepted a server certificate of another CA: %v", ce)
	}
	// tls-auth-clients yes refuses a client without a certificate; optional and no accept it.
	bare := &tls.Config{RootCAs: b.Server.ClientCAs, ServerName: "localhost"}
	if se, _ := handshake(h.ServerConfig(), bare); se == nil || !strings.Contains(se.Error(), "didn't provide a certificate") {
		t.Errorf("tls-auth-clients yes accepted a client without a certificate: %v", se)
	}
	for _, mode := range []string{"optional", "no"} {
		bm, err := Build(Params{CertFile: cert, KeyFile: key, CAFile: ca.CertFile, AuthClients: mode})
		if err != nil {
			t.Fatal(err)
		}
		h.Store(bm) // the listener's configuration follows the holder
		if se, ce := handshake(h.ServerConfig(), bare); se != nil || ce != nil {
			t.Errorf("tls-auth-clients %s: server %v, client %v", mode, se, ce)
		}
	}
	// tls-protocols: a TLS 1.2-only server and a TLS 1.3-only client do not agree.
	b12, _ := Build(Params{CertFile: cert, KeyFile: key, AuthClients: "no", Protocols: "TLSv1.2"})
	b13, _ := Build(Params{CertFile: cert, KeyFile: key, CAFile: ca.CertFile, AuthClients: "no", Protocols: "TLSv1.3"})
	if se, _ := handshake(b12.Server, b13.Client); se == nil {
		t.Error("TLSv1.2-only server and TLSv1.3-only client agreed")
	}
}

func TestCADir(t *testing.T) {
	dir, ca, cert, key := files(t)
	cadir := filepath.Join(dir, "cas")
	os.Mkdir(cadir, 0o700)
	data, _ := os.ReadFile(ca.CertFile)
	os.WriteFile(filepath.Join(cadir, "abcd1234.0"), data, 0o600)
	os.WriteFile(filepath.Join(cadir, "README"), []byte("not a cert"), 0o600)
	b, err := Build(Params{CertFile: cert, KeyFile: key, CADir: cadir, AuthClients: "yes"})
	if err != nil {
		t.Fatal(err)
	}
	if se, ce := handshake(b.Server, b.Client); se != nil || ce != nil {
		t.Errorf("server %v, client %v", se, ce)
	}
}

// Encrypted keys written by openssl: PKCS#8 PBES2 (its default) and the legacy PEM format.
func TestEncryptedKey(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not on PATH: encrypted keys not checked")
	}
	dir, ca, cert, key := files(t)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"pkcs8-aes256-sha256", []string{"pkcs8", "-topk8", "-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA256"}},
		{"pkcs8-aes128-sha1", []string{"pkcs8", "-topk8", "-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1"}},
		{"legacy", []string{"pkey", "-traditional", "-aes256"}},
	} {
		enc := filepath.Join(dir, tc.name+".key")
		args := append(tc.args, "-in", key, "-out", enc, "-passout", "pass:s3cret")
		if out, err := exec.Command(openssl, args...).CombinedOutput(); err != nil {
			t.Logf("%s: openssl %v: %v %s (skipped)", tc.name, args, err, out)
			continue
		}
		p := Params{CertFile: cert, KeyFile: enc, CAFile: ca.CertFile, AuthClients: "yes"}
		if _, err := Build(p); err == nil || !strings.Contains(err.Error(), "no password") {
			t.Errorf("%s without a password: %v", tc.name, err)
		}
		if _, err := Build(p.With("tls-key-file-pass", "wrong")); err == nil {
			t.Errorf("%s with a wrong password: built", tc.name)
		}
		if _, err := Build(p.With("tls-key-file-pass", "s3cret")); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// FuzzDecryptPKCS8 feeds arbitrary DER to the encrypted-key decoder: errors, never a panic.
func FuzzDecryptPKCS8(f *testing.F) {
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x01}, []byte("p"))
	f.Add([]byte{}, []byte(""))
	f.Fuzz(func(t *testing.T, der, pass []byte) {
		_, _ = decryptPKCS8(der, pass)
	})
}

// Check validates one parameter as CONFIG SET sets it, with the others as staged.
func TestCheck(t *testing.T) {
	dir, ca, cert, key := files(t)
	notPEM := filepath.Join(dir, "junk")
	os.WriteFile(notPEM, []byte("junk"), 0o600)
	p := Params{CertFile: cert, KeyFile: key, CAFile: ca.CertFile, AuthClients: "yes"}
	for _, tc := range []struct {
		name, v string
		ok      bool
	}{
		{"tls-cert-file", cert, true},
		{"tls-cert-file", key, false}, // a key is not a certificate
		{"tls-cert-file", filepath.Join(dir, "missing"), false},
		{"tls-key-file", key, true},
		{"tls-key-file", cert, false},
		{"tls-key-file", notPEM, false},
		{"tls-ca-cert-file", ca.CertFile, true},
		{"tls-ca-cert-file", notPEM, false},
		{"tls-ca-cert-dir", filepath.Join(dir, "missing"), false},
		{"tls-protocols", "TLSv1.3", true},
		{"tls-protocols", "TLSv9", false},
		{"tls-ciphers", "ECDHE-RSA-AES128-GCM-SHA256", true},
		{"tls-ciphers", "HIGH", false},
		{"tls-key-file-pass", "x", true}, // the key is not encrypted: a password is not needed
		{"tls-auth-clients", "optional", true},
	} {
		if err := Check(tc.name, tc.v, p); (err == nil) != tc.ok {
			t.Errorf("Check(%s, %s): %v, want ok=%v", tc.name, tc.v, err, tc.ok)
		}
	}
}
