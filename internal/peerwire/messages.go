package peerwire

import (
	"encoding/binary"
	"fmt"

	"github.com/concord-db/concord/internal/clock"
)

// Version is the protocol version sent in Hello; a peer with another version is refused.
// Version 2 added FlagS2 (S2-compressed frames, what compression level 1 sends).
const Version = 2

// NonceLen and MACLen are the sizes of the handshake's nonces and MACs.
const (
	NonceLen = 32
	MACLen   = 32
	maxName  = 256
)

// The Mode frame's modes.
const (
	ModePartial = 1
	ModeFull    = 2
)

// HelloMsg is the first frame of each side.
type HelloMsg struct {
	Version uint8
	Member  clock.MemberID
	Name    string
	Nonce   [NonceLen]byte
}

// AppendHello encodes m.
func AppendHello(dst []byte, m HelloMsg) []byte {
	dst = append(dst, m.Version, byte(m.Member))
	dst = binary.AppendUvarint(dst, uint64(len(m.Name)))
	dst = append(dst, m.Name...)
	return append(dst, m.Nonce[:]...)
}

// ParseHello decodes a Hello payload.
func ParseHello(p []byte) (HelloMsg, error) {
	var m HelloMsg
	if len(p) < 3 {
		return m, fmt.Errorf("%w: short hello", ErrFrame)
	}
	m.Version, m.Member = p[0], clock.MemberID(p[1])
	n, k := binary.Uvarint(p[2:])
	if k <= 0 || n > maxName || uint64(len(p)-2-k) != n+NonceLen {
		return m, fmt.Errorf("%w: bad hello", ErrFrame)
	}
	m.Name = string(p[2+k : 2+k+int(n)])
	copy(m.Nonce[:], p[2+k+int(n):])
	return m, nil
}

// AppendVector encodes a vector clock (its non-zero entries).
func AppendVector(dst []byte, v clock.Vector) []byte {
	n := 0
	for m := 1; m < len(v); m++ {
		if v[m] != 0 {
			n++
		}
	}
	dst = binary.AppendUvarint(dst, uint64(n))
	for m := 1; m < len(v); m++ {
		if v[m] != 0 {
			dst = binary.AppendUvarint(dst, uint64(m))
			dst = binary.AppendUvarint(dst, v[m])
		}
	}
	return dst
}

// ParseVector decodes a vector clock from the start of p and returns the rest.
func ParseVector(p []byte) (clock.Vector, []byte, error) {
	n, k := binary.Uvarint(p)
	if k <= 0 || n > clock.MaxMembers {
		return nil, nil, fmt.Errorf("%w: bad vector length", ErrFrame)
	}
	p = p[k:]
	var v clock.Vector
	last := uint64(0)
	for range n {
		m, k := binary.Uvarint(p)
		if k <= 0 || m <= last || m > clock.MaxMembers {
			return nil, nil, fmt.Errorf("%w: bad vector member", ErrFrame)
		}
		p = p[k:]
		seq, k := binary.Uvarint(p)
		if k <= 0 {
			return nil, nil, fmt.Errorf("%w: bad vector sequence", ErrFrame)
		}
		p = p[k:]
		v = v.Set(clock.MemberID(m), seq)
		last = m
	}
	return v, p, nil
}

// ParseWholeVector decodes a payload that is exactly one vector clock.
func ParseWholeVector(p []byte) (clock.Vector, error) {
	v, rest, err := ParseVector(p)
	if err == nil && len(rest) != 0 {
		err = fmt.Errorf("%w: trailing bytes after vector", ErrFrame)
	}
	return v, err
}

// ParseStateBegin decodes a StateBegin payload: the sender's vector clock and the state's size.
func ParseStateBegin(p []byte) (clock.Vector, uint64, error) {
	v, rest, err := ParseVector(p)
	if err != nil {
		return nil, 0, err
	}
	total, k := binary.Uvarint(rest)
	if k <= 0 || k != len(rest) {
		return nil, 0, fmt.Errorf("%w: bad state size", ErrFrame)
	}
	return v, total, nil
}

// AppendRecord appends one record (an encoded batch) to a record stream.
func AppendRecord(dst, rec []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(rec)))
	return append(dst, rec...)
}

// Records reassembles the record stream carried by Data frames.
type Records struct {
	pending []byte
}

// Feed adds the payload of a Data frame and calls fn for every complete record (the slice is
// only valid during the call). A record longer than MaxRecord is an error.
func (rs *Records) Feed(p []byte, fn func(rec []byte) error) error {
	data := p
	if len(rs.pending) > 0 {
		rs.pending = append(rs.pending, p...)
		data = rs.pending
	}
	for len(data) > 0 {
		n, k := binary.Uvarint(data)
		if k < 0 || (k == 0 && len(data) >= binary.MaxVarintLen64) || n > MaxRecord {
			return fmt.Errorf("%w: bad record length", ErrFrame)
		}
		if k == 0 || uint64(len(data)-k) < n {
			break // incomplete: wait for the next frame
		}
		if err := fn(data[k : k+int(n)]); err != nil {
			return err
		}
		data = data[k+int(n):]
	}
	rs.pending = append(rs.pending[:0], data...)
	return nil
}

// Pending is the number of bytes of an incomplete record held.
func (rs *Records) Pending() int { return len(rs.pending) }

// AppendAck encodes an Ack: the receiver's vector clock (what it applied: the sender streams
// and rewinds by it), the members it currently has a live link from (members 1..64, bit m-1,
// so that senders need not relay their batches), then its OVC for tombstone collection (the
// vector clock bounded by what its disk would reload; equal to the first when it does not
// persist).
func AppendAck(dst []byte, vc clock.Vector, direct uint64, ovc clock.Vector) []byte {
	dst = AppendVector(dst, vc)
	n := 0
	for m := 1; m <= clock.MaxMembers; m++ {
		if direct&(1<<(m-1)) != 0 {
			n++
		}
	}
	dst = binary.AppendUvarint(dst, uint64(n))
	for m := 1; m <= clock.MaxMembers; m++ {
		if direct&(1<<(m-1)) != 0 {
			dst = binary.AppendUvarint(dst, uint64(m))
		}
	}
	return AppendVector(dst, ovc)
}

// ParseAck decodes an Ack payload: the vector clock, the direct set and the OVC.
func ParseAck(p []byte) (vc clock.Vector, direct uint64, ovc clock.Vector, err error) {
	vc, rest, err := ParseVector(p)
	if err != nil {
		return nil, 0, nil, err
	}
	n, k := binary.Uvarint(rest)
	if k <= 0 || n > clock.MaxMembers {
		return nil, 0, nil, fmt.Errorf("%w: bad ack member count", ErrFrame)
	}
	rest = rest[k:]
	for range n {
		m, k := binary.Uvarint(rest)
		if k <= 0 || m < 1 || m > clock.MaxMembers {
			return nil, 0, nil, fmt.Errorf("%w: bad ack member", ErrFrame)
		}
		direct |= 1 << (m - 1)
		rest = rest[k:]
	}
	ovc, rest, err = ParseVector(rest)
	if err != nil {
		return nil, 0, nil, err
	}
	if len(rest) != 0 {
		return nil, 0, nil, fmt.Errorf("%w: trailing bytes after ack", ErrFrame)
	}
	return vc, direct, ovc, nil
}
