package replication

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/peerwire"
)

// The handshake authenticates both ends with the shared secret without sending it:
//
//	dialer   → listener  Hello{version, id, name, nonceD}
//	listener → dialer    Hello{version, id, name, nonceL}   (or Error: unknown/forgotten id...)
//	dialer   → listener  Auth{HMAC(secret, "dialer"   | nonceD | nonceL | idD | idL)}
//	listener → dialer    Auth{HMAC(secret, "listener" | nonceD | nonceL | idD | idL)}
//	                     (or Error "authentication failed")
//
// Both nonces enter both MACs, so neither side can replay an old exchange, and each side
// proves it knows the secret to the other: a member never applies data from an endpoint that
// has not.

// ErrAuth means the other side does not know the shared secret.
var ErrAuth = errors.New("authentication failed (wrong peer-secret)")

// errRefused wraps the reason an Error frame gave.
var errRefused = errors.New("refused by peer")

func authMAC(secret, role string, nonceD, nonceL [peerwire.NonceLen]byte, idD, idL clock.MemberID) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("concord-peer-v1\x00" + role + "\x00"))
	m.Write(nonceD[:])
	m.Write(nonceL[:])
	m.Write([]byte{byte(idD), byte(idL)})
	return m.Sum(nil)
}

func newNonce() (n [peerwire.NonceLen]byte) {
	_, _ = rand.Read(n[:])
	return n
}

// readExpect reads one frame of type t; an Error frame becomes an error with its reason.
func readExpect(rd *peerwire.Reader, t peerwire.Type) ([]byte, error) {
	f, err := rd.Read()
	if err != nil {
		return nil, err
	}
	if f.Type == peerwire.Error {
		return nil, fmt.Errorf("%w: %s", errRefused, truncate(string(f.Payload), 200))
	}
	if f.Type != t {
		return nil, fmt.Errorf("%w: expected %s, got %s", peerwire.ErrFrame, t, f.Type)
	}
	return f.Payload, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// dialHandshake runs the dialer's side; expect is the member id configured for that address.
func dialHandshake(rd *peerwire.Reader, wr *peerwire.Writer, self clock.MemberID, name, secret string, expect clock.MemberID) (peerwire.HelloMsg, error) {
	mine := peerwire.HelloMsg{Version: peerwire.Version, Member: self, Name: name, Nonce: newNonce()}
	if err := wr.Write(peerwire.Hello, peerwire.AppendHello(nil, mine)); err != nil {
		return peerwire.HelloMsg{}, err
	}
	if err := wr.Flush(); err != nil {
		return peerwire.HelloMsg{}, err
	}
	p, err := readExpect(rd, peerwire.Hello)
	if err != nil {
		return peerwire.HelloMsg{}, err
	}
	theirs, err := peerwire.ParseHello(p)
	if err != nil {
		return theirs, err
	}
	if theirs.Version != peerwire.Version {
		return theirs, fmt.Errorf("peer speaks protocol version %d, this member %d", theirs.Version, peerwire.Version)
	}
	if theirs.Member != expect {
		return theirs, fmt.Errorf("peer at this address is member %d, configured as %d", theirs.Member, expect)
	}
	if err := wr.Write(peerwire.Auth, authMAC(secret, "dialer", mine.Nonce, theirs.Nonce, self, expect)); err != nil {
		return theirs, err
	}
	if err := wr.Flush(); err != nil {
		return theirs, err
	}
	p, err = readExpect(rd, peerwire.Auth)
	if err != nil {
		return theirs, err
	}
	if !hmac.Equal(p, authMAC(secret, "listener", mine.Nonce, theirs.Nonce, self, expect)) {
		return theirs, ErrAuth
	}
	return theirs, nil
}

// listenHandshake runs the listener's side. admit decides whether a member id may connect
// (nil error) before any secret is checked.
func listenHandshake(rd *peerwire.Reader, wr *peerwire.Writer, self clock.MemberID, name, secret string, admit func(clock.MemberID) error) (peerwire.HelloMsg, error) {
	p, err := readExpect(rd, peerwire.Hello)
	if err != nil {
		return peerwire.HelloMsg{}, err
	}
	theirs, err := peerwire.ParseHello(p)
	if err != nil {
		return theirs, err
	}
	refuse := func(err error) (peerwire.HelloMsg, error) {
		_ = wr.Write(peerwire.Error, []byte(err.Error()))
		_ = wr.Flush()
		return theirs, err
	}
	if theirs.Version != peerwire.Version {
		return refuse(fmt.Errorf("protocol version %d is not supported (this member speaks %d)", theirs.Version, peerwire.Version))
	}
	if !theirs.Member.Valid() {
		return refuse(fmt.Errorf("invalid member id %d", theirs.Member))
	}
	if err := admit(theirs.Member); err != nil {
		return refuse(err)
	}
	mine := peerwire.HelloMsg{Version: peerwire.Version, Member: self, Name: name, Nonce: newNonce()}
	if err := wr.Write(peerwire.Hello, peerwire.AppendHello(nil, mine)); err != nil {
		return theirs, err
	}
	if err := wr.Flush(); err != nil {
		return theirs, err
	}
	p, err = readExpect(rd, peerwire.Auth)
	if err != nil {
		return theirs, err
	}
	if !hmac.Equal(p, authMAC(secret, "dialer", theirs.Nonce, mine.Nonce, theirs.Member, self)) {
		return refuse(ErrAuth)
	}
	if err := wr.Write(peerwire.Auth, authMAC(secret, "listener", theirs.Nonce, mine.Nonce, theirs.Member, self)); err != nil {
		return theirs, err
	}
	return theirs, wr.Flush()
}
