// Package tlsconfig builds the crypto/tls configurations of a member from Redis 7.0's tls-*
// parameters: one for the listeners (the TLS client port, tls-port, and the peer port when
// tls-replication is on) and one for the peer links this member dials. Both the client server
// and replication take them from here, so the two ports share one set of certificate options,
// as Redis's replication and cluster links share the client port's.
//
// A Holder keeps the current pair and swaps it when CONFIG SET changes a parameter: listeners
// built from Holder.ServerConfig and dials made with Holder.ClientConfig see the new files from
// the next handshake on, connections already up keep theirs (as in Redis).
package tlsconfig

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/concord-db/concord/internal/config"
)

// Params are the tls-* parameters, as CONFIG GET prints them.
type Params struct {
	CertFile, KeyFile, KeyFilePass                   string
	ClientCertFile, ClientKeyFile, ClientKeyFilePass string // the dialing side's certificate; "": CertFile's
	CAFile, CADir                                    string
	AuthClients                                      string // yes, no or optional
	Protocols                                        string // "TLSv1.2 TLSv1.3"; "": those two
	Ciphers                                          string // TLS 1.2 suites, OpenSSL or IANA names
	SessionCaching                                   bool
	// Replication is tls-replication: peer links use TLS (the CA is then required).
	Replication bool
}

// Names are the parameters Params reads; a change to any of them rebuilds the configuration.
var Names = []string{"tls-cert-file", "tls-key-file", "tls-key-file-pass", "tls-client-cert-file",
	"tls-client-key-file", "tls-client-key-file-pass", "tls-ca-cert-file", "tls-ca-cert-dir",
	"tls-auth-clients", "tls-protocols", "tls-ciphers", "tls-session-caching", "tls-replication"}

// FromConfig reads the parameters from cfg.
func FromConfig(cfg *config.Config) Params {
	return Params{
		CertFile:          cfg.String("tls-cert-file"),
		KeyFile:           cfg.String("tls-key-file"),
		KeyFilePass:       cfg.String("tls-key-file-pass"),
		ClientCertFile:    cfg.String("tls-client-cert-file"),
		ClientKeyFile:     cfg.String("tls-client-key-file"),
		ClientKeyFilePass: cfg.String("tls-client-key-file-pass"),
		CAFile:            cfg.String("tls-ca-cert-file"),
		CADir:             cfg.String("tls-ca-cert-dir"),
		AuthClients:       cfg.String("tls-auth-clients"),
		Protocols:         cfg.String("tls-protocols"),
		Ciphers:           cfg.String("tls-ciphers"),
		SessionCaching:    cfg.Bool("tls-session-caching"),
		Replication:       cfg.Bool("tls-replication"),
	}
}

// With returns p with parameter name set to v (a CONFIG SET about to be applied).
func (p Params) With(name, v string) Params {
	switch name {
	case "tls-cert-file":
		p.CertFile = v
	case "tls-key-file":
		p.KeyFile = v
	case "tls-key-file-pass":
		p.KeyFilePass = v
	case "tls-client-cert-file":
		p.ClientCertFile = v
	case "tls-client-key-file":
		p.ClientKeyFile = v
	case "tls-client-key-file-pass":
		p.ClientKeyFilePass = v
	case "tls-ca-cert-file":
		p.CAFile = v
	case "tls-ca-cert-dir":
		p.CADir = v
	case "tls-auth-clients":
		p.AuthClients = v
	case "tls-protocols":
		p.Protocols = v
	case "tls-ciphers":
		p.Ciphers = v
	case "tls-session-caching":
		p.SessionCaching = v == "yes"
	case "tls-replication":
		p.Replication = v == "yes"
	}
	return p
}

// Bundle is one built configuration.
type Bundle struct {
	// Server is for listeners: the member's certificate, and client certificates verified
	// against the CA as tls-auth-clients says.
	Server *tls.Config
	// Client is for dialing peers: the client certificate (tls-client-cert-file, else
	// tls-cert-file), and the peer's certificate verified against the CA.
	Client *tls.Config
}

// Build checks the parameters and loads every file they name. Its errors name the parameter
// and the file, for a startup error or a CONFIG SET refusal.
func Build(p Params) (*Bundle, error) {
	if p.CertFile == "" {
		return nil, errors.New("tls: no tls-cert-file configured")
	}
	if p.KeyFile == "" {
		return nil, errors.New("tls: no tls-key-file configured")
	}
	auth := tls.RequireAndVerifyClientCert
	switch p.AuthClients {
	case "", "yes":
	case "no":
		auth = tls.NoClientCert
	case "optional":
		auth = tls.VerifyClientCertIfGiven
	default:
		return nil, fmt.Errorf("tls: tls-auth-clients %q: must be yes, no or optional", p.AuthClients)
	}
	// Redis's rule (tlsConfigure): a CA is needed to verify anyone's certificate.
	if (auth != tls.NoClientCert || p.Replication) && p.CAFile == "" && p.CADir == "" {
		return nil, errors.New("tls: either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-replication or tls-auth-clients is enabled")
	}
	minV, maxV, err := parseProtocols(p.Protocols)
	if err != nil {
		return nil, err
	}
	suites, err := parseCiphers(p.Ciphers)
	if err != nil {
		return nil, err
	}
	cert, err := loadKeyPair("tls-cert-file", p.CertFile, "tls-key-file", p.KeyFile, p.KeyFilePass)
	if err != nil {
		return nil, err
	}
	clientCert := cert
	if p.ClientCertFile != "" || p.ClientKeyFile != "" {
		if p.ClientCertFile == "" || p.ClientKeyFile == "" {
			return nil, errors.New("tls: tls-client-cert-file and tls-client-key-file must be set together")
		}
		clientCert, err = loadKeyPair("tls-client-cert-file", p.ClientCertFile, "tls-client-key-file", p.ClientKeyFile, p.ClientKeyFilePass)
		if err != nil {
			return nil, err
		}
	}
	var pool *x509.CertPool
	if p.CAFile != "" || p.CADir != "" {
		if pool, err = loadCAs(p.CAFile, p.CADir); err != nil {
			return nil, err
		}
	}
	srv := &tls.Config{
		Certificates:           []tls.Certificate{cert},
		ClientAuth:             auth,
		ClientCAs:              pool,
		MinVersion:             minV,
		MaxVersion:             maxV,
		CipherSuites:           suites,
		SessionTicketsDisabled: !p.SessionCaching,
	}
	cli := &tls.Config{
		// Always sent, as OpenSSL does, even when the listener's CA list does not name its
		// issuer (crypto/tls would then send none): the listener's log then says why it
		// refused the certificate instead of "no certificate".
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &clientCert, nil
		},
		MinVersion:   minV,
		MaxVersion:   maxV,
		CipherSuites: suites,
		// As Redis does for replication links, the peer's chain is verified against the CA
		// but not its name: members are configured by address (often an IP), and holding a
		// certificate from the members' CA is what makes an endpoint a member. The shared
		// secret's handshake then checks the member id.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			return verifyChain(cs.PeerCertificates, pool)
		},
	}
	return &Bundle{Server: srv, Client: cli}, nil
}

// verifyChain checks a peer's certificate chain against the CA pool.
func verifyChain(certs []*x509.Certificate, pool *x509.CertPool) error {
	if len(certs) == 0 {
		return errors.New("tls: peer sent no certificate")
	}
	if pool == nil {
		return errors.New("tls: no tls-ca-cert-file or tls-ca-cert-dir to verify the peer's certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	if err != nil {
		return fmt.Errorf("tls: peer certificate %q refused: %w", certs[0].Subject.CommonName, err)
	}
	return nil
}

var protocolVersions = map[string]uint16{
	"tlsv1": tls.VersionTLS10, "tlsv1.1": tls.VersionTLS11, "tlsv1.2": tls.VersionTLS12, "tlsv1.3": tls.VersionTLS13,
}

// parseProtocols reads tls-protocols: Redis's words, case-insensitive. crypto/tls takes a
// range of versions, so a set with a hole ("TLSv1.1 TLSv1.3") is refused rather than
// silently widened.
func parseProtocols(s string) (minV, maxV uint16, err error) {
	words := strings.Fields(s)
	if len(words) == 0 {
		return tls.VersionTLS12, tls.VersionTLS13, nil
	}
	set := map[uint16]bool{}
	for _, w := range words {
		v, ok := protocolVersions[strings.ToLower(w)]
		if !ok {
			return 0, 0, fmt.Errorf("tls: tls-protocols: unknown protocol %q (TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3)", w)
		}
		set[v] = true
		if minV == 0 || v < minV {
			minV = v
		}
		maxV = max(maxV, v)
	}
	for v := minV; v <= maxV; v++ {
		if !set[v] {
			return 0, 0, fmt.Errorf("tls: tls-protocols %q: the protocols must be consecutive versions", s)
		}
	}
	return minV, maxV, nil
}

// opensslNames maps OpenSSL's names of the TLS 1.2 suites crypto/tls implements to their IANA
// names (crypto/tls's).
var opensslNames = map[string]string{
	"ECDHE-ECDSA-AES128-GCM-SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	"ECDHE-RSA-AES128-GCM-SHA256":   "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	"ECDHE-ECDSA-AES256-GCM-SHA384": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	"ECDHE-RSA-AES256-GCM-SHA384":   "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	"ECDHE-ECDSA-CHACHA20-POLY1305": "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
	"ECDHE-RSA-CHACHA20-POLY1305":   "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
	"ECDHE-ECDSA-AES128-SHA":        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
	"ECDHE-RSA-AES128-SHA":          "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
	"ECDHE-ECDSA-AES256-SHA":        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
	"ECDHE-RSA-AES256-SHA":          "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
}

// parseCiphers reads tls-ciphers, the TLS 1.2 suites: a list separated by ':' (OpenSSL's
// separator), ',' or spaces, of OpenSSL or IANA suite names. OpenSSL's keywords and operators
// (HIGH, !aNULL, @STRENGTH) have no crypto/tls equivalent and are refused, except "DEFAULT"
// alone, which keeps crypto/tls's defaults. "" keeps them too.
func parseCiphers(s string) ([]uint16, error) {
	if strings.TrimSpace(s) == "" || strings.EqualFold(strings.TrimSpace(s), "DEFAULT") {
		return nil, nil
	}
	byName := map[string]uint16{}
	for _, cs := range tls.CipherSuites() {
		byName[cs.Name] = cs.ID
	}
	var ids []uint16
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		name := w
		if iana, ok := opensslNames[strings.ToUpper(w)]; ok {
			name = iana
		}
		id, ok := byName[strings.ToUpper(name)]
		if !ok {
			return nil, fmt.Errorf("tls: tls-ciphers: %q is not a TLS 1.2 cipher suite this build supports (list suites by name, e.g. ECDHE-RSA-AES128-GCM-SHA256; OpenSSL keywords are not supported)", w)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// loadCAs reads the CA certificates of tls-ca-cert-file and of every file in tls-ca-cert-dir
// (OpenSSL's hashed directory or any directory of PEM files).
func loadCAs(file, dir string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	n := 0
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("tls: tls-ca-cert-file: %w", err)
		}
		if !pool.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("tls: tls-ca-cert-file %s: no PEM certificate in it", file)
		}
		n++
	}
	if dir != "" {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("tls: tls-ca-cert-dir: %w", err)
		}
		found := false
		for _, e := range ents {
			if e.IsDir() {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				continue // a dangling link or an unreadable file is not a CA
			}
			if pool.AppendCertsFromPEM(data) {
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("tls: tls-ca-cert-dir %s: no PEM certificate in it", dir)
		}
	}
	return pool, nil
}

// loadKeyPair loads a certificate and its private key, decrypting the key with pass when it is
// encrypted, and checks that they match.
func loadKeyPair(certParam, certFile, keyParam, keyFile, pass string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls: %s: %w", certParam, err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls: %s: %w", keyParam, err)
	}
	keyPEM, err = decryptKey(keyPEM, pass)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls: %s %s: %w", keyParam, keyFile, err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls: %s %s with %s %s: %w", certParam, certFile, keyParam, keyFile, err)
	}
	return cert, nil
}

// decryptKey returns keyPEM with its private key decrypted: PKCS#8 "ENCRYPTED PRIVATE KEY"
// (PBES2, what OpenSSL 1.1 and 3 write) or the legacy "Proc-Type: 4,ENCRYPTED" headers. An
// unencrypted key is returned as is.
func decryptKey(keyPEM []byte, pass string) ([]byte, error) {
	rest := keyPEM
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return keyPEM, nil // not PEM, or no encrypted key: X509KeyPair says what is wrong
		}
		var der []byte
		var err error
		switch {
		case b.Type == "ENCRYPTED PRIVATE KEY":
			if pass == "" {
				return nil, errors.New("the key is encrypted and no password (tls-key-file-pass) is set")
			}
			der, err = decryptPKCS8(b.Bytes, []byte(pass))
		case x509.IsEncryptedPEMBlock(b): // legacy encryption, what old OpenSSL versions wrote
			if pass == "" {
				return nil, errors.New("the key is encrypted and no password (tls-key-file-pass) is set")
			}
			der, err = x509.DecryptPEMBlock(b, []byte(pass))
			if err == nil {
				// Re-encode what the header said it is (RSA/EC PRIVATE KEY).
				return pem.EncodeToMemory(&pem.Block{Type: b.Type, Bytes: der}), nil
			}
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("decrypting the key: %w", err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
	}
}

// Holder keeps the current Bundle.
type Holder struct {
	b atomic.Pointer[Bundle]
}

// NewHolder returns a holder of b.
func NewHolder(b *Bundle) *Holder {
	h := &Holder{}
	h.b.Store(b)
	return h
}

// Store replaces the bundle; new handshakes use it.
func (h *Holder) Store(b *Bundle) { h.b.Store(b) }

// Load returns the current bundle.
func (h *Holder) Load() *Bundle { return h.b.Load() }

// ServerConfig is a configuration for listeners that takes the current bundle's server
// configuration at every handshake.
func (h *Holder) ServerConfig() *tls.Config {
	return &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		return h.b.Load().Server, nil
	}}
}

// ClientConfig is the current bundle's configuration for dialing peers.
func (h *Holder) ClientConfig() *tls.Config { return h.b.Load().Client }

// Check validates what parameter name set to v can be checked for alone, with the other
// parameters as in p (a CONFIG SET about to be applied): the file it names exists and holds
// what it should, the protocols and ciphers are known. Whether a certificate and its key match
// is for Build, once every parameter of the CONFIG SET is in place.
func Check(name, v string, p Params) error {
	p = p.With(name, v)
	switch name {
	case "tls-cert-file", "tls-client-cert-file":
		if v == "" {
			return nil
		}
		data, err := os.ReadFile(v)
		if err != nil {
			return fmt.Errorf("tls: %s: %w", name, err)
		}
		for rest := data; ; {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				return fmt.Errorf("tls: %s %s: no PEM certificate in it", name, v)
			}
			if b.Type == "CERTIFICATE" {
				if _, err := x509.ParseCertificate(b.Bytes); err != nil {
					return fmt.Errorf("tls: %s %s: %w", name, v, err)
				}
				return nil
			}
		}
	case "tls-key-file", "tls-key-file-pass":
		return checkKey("tls-key-file", p.KeyFile, p.KeyFilePass)
	case "tls-client-key-file", "tls-client-key-file-pass":
		return checkKey("tls-client-key-file", p.ClientKeyFile, p.ClientKeyFilePass)
	case "tls-ca-cert-file", "tls-ca-cert-dir":
		if p.CAFile == "" && p.CADir == "" {
			return nil
		}
		_, err := loadCAs(p.CAFile, p.CADir)
		return err
	case "tls-protocols":
		_, _, err := parseProtocols(v)
		return err
	case "tls-ciphers":
		_, err := parseCiphers(v)
		return err
	}
	return nil
}

// checkKey reads a private key file, decrypting it with pass if needed.
func checkKey(param, file, pass string) error {
	if file == "" {
		return nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("tls: %s: %w", param, err)
	}
	data, err = decryptKey(data, pass)
	if err != nil {
		return fmt.Errorf("tls: %s %s: %w", param, file, err)
	}
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return fmt.Errorf("tls: %s %s: no PEM private key in it", param, file)
		}
		var err error
		switch b.Type {
		case "PRIVATE KEY":
			_, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		case "EC PRIVATE KEY":
			_, err = x509.ParseECPrivateKey(b.Bytes)
		case "RSA PRIVATE KEY":
			_, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		default:
			continue
		}
		if err != nil {
			return fmt.Errorf("tls: %s %s: %w", param, file, err)
		}
		return nil
	}
}
