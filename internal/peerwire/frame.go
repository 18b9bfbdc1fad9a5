// Package peerwire defines the wire format of Concord's peer links (replication between
// members): frames, their types and payloads, and the limits a reader enforces. It does no
// networking policy; package replication drives the protocol (docs/design/replication.md).
//
// Every frame is
//
//	type:u8 flags:u8 length:u32be payload[length] crc:u32be
//
// where crc is the CRC-32C (Castagnoli) of type, flags, length and payload. length is at most
// MaxFrame; a reader refuses a longer frame before allocating anything. flags is 0 (payload as
// is) or names the payload's compression: FlagZstd a zstd frame, FlagS2 an S2 block
// (github.com/klauspost/compress/s2: uvarint decompressed length, then the block; it decodes
// Snappy blocks too). The decompressed payload is at most MaxFrame too. Protocol version 1
// knew only FlagZstd; version 2 added FlagS2 (a version 1 reader refuses the flag, which is
// why the versions do not talk to each other). Nothing outside the links keeps frames: the
// backlog and the append-only file store bare records.
//
// Payloads, by frame type (integers are uvarints unless said otherwise; a vector clock is
// n { member seq } with members strictly increasing in 1..64):
//
//	Hello     version:u8 member:u8 name:bytes nonce:[32]byte     (both sides, first frame)
//	Auth      mac:[32]byte                                       (HMAC-SHA256, see Handshake)
//	Error     reason text                                        (then the sender closes)
//	Sync      vector                                             (receiver's vector clock)
//	Mode      mode:u8 (ModePartial, ModeFull)                    (sender's answer to Sync)
//	Data      a chunk of the record stream: { len:uvarint effect.Encode(batch) }
//	          (a record may span frames; one record is at most MaxRecord bytes)
//	StateBegin vector total:uvarint                              (full resync: sender's vector)
//	StateChunk raw bytes of the state (sum of chunks = total)
//	StateEnd  (empty)
//	Ack       vector n { member } vector                         (receiver's vector clock, the
//	                                                             members it pulls from directly
//	                                                             right now, and its OVC: the
//	                                                             clock bounded by its disk)
//	Ping      [vector]                                           (keeps an idle link alive; after
//	                                                             a resync the sender's vector
//	                                                             clock: the sync point a
//	                                                             restarting member waits for)
package peerwire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// Type is a frame type.
type Type uint8

// The frame types.
const (
	Hello Type = iota + 1
	Auth
	Error
	Sync
	Mode
	Data
	StateBegin
	StateChunk
	StateEnd
	Ack
	Ping
	maxType = Ping
)

var typeNames = [...]string{"?", "hello", "auth", "error", "sync", "mode", "data", "state-begin",
	"state-chunk", "state-end", "ack", "ping"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("type%d", t)
}

// Compression flags: at most one is set.
const (
	// FlagZstd marks a zstd-compressed payload (a zstd frame).
	FlagZstd = 1
	// FlagS2 marks an S2-compressed payload (an S2 block): about a quarter of zstd's fastest
	// level's CPU to compress and a third to decompress, for about twice the bytes.
	FlagS2 = 2
)

// Limits.
const (
	// MaxFrame bounds a frame's payload, compressed or not. Writers cut larger data (state,
	// big records) into several frames.
	MaxFrame = 1 << 20
	// MaxRecord bounds one encoded effect batch in the record stream (a SET of a value of
	// proto-max-bulk-len plus its metadata).
	MaxRecord = 600 << 20
	// HeaderLen and TrailerLen are the bytes around a payload.
	HeaderLen  = 6
	TrailerLen = 4
)

// ErrFrame is wrapped by every error about a malformed frame.
var ErrFrame = errors.New("peerwire: malformed frame")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Frame is one frame. Payload is never compressed here: Writer and Reader compress and
// decompress.
type Frame struct {
	Type    Type
	Flags   uint8
	Payload []byte
}

// AppendFrame appends the encoding of a frame with the given (already compressed, if flags say
// so) payload.
func AppendFrame(dst []byte, t Type, flags uint8, payload []byte) []byte {
	start := len(dst)
	dst = append(dst, byte(t), flags)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(payload)))
	dst = append(dst, payload...)
	sum := crc32.Checksum(dst[start:], castagnoli)
	return binary.BigEndian.AppendUint32(dst, sum)
}

// ParseHeader checks a frame header and returns the type, flags and payload length.
func ParseHeader(h []byte) (Type, uint8, int, error) {
	t, flags, n := Type(h[0]), h[1], binary.BigEndian.Uint32(h[2:6])
	if t == 0 || t > maxType {
		return 0, 0, 0, fmt.Errorf("%w: unknown type %d", ErrFrame, h[0])
	}
	if flags != 0 && flags != FlagZstd && flags != FlagS2 {
		return 0, 0, 0, fmt.Errorf("%w: unknown flags %#x", ErrFrame, flags)
	}
	if n > MaxFrame {
		return 0, 0, 0, fmt.Errorf("%w: %s frame of %d bytes exceeds the limit of %d", ErrFrame, t, n, MaxFrame)
	}
	return t, flags, int(n), nil
}

// ReadRaw reads one frame from r into buf (reused when large enough) and checks its header and
// checksum. The payload is returned as sent (possibly compressed).
func ReadRaw(r io.Reader, buf []byte) (Frame, []byte, error) {
	var h [HeaderLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return Frame{}, buf, err
	}
	t, flags, n, err := ParseHeader(h[:])
	if err != nil {
		return Frame{}, buf, err
	}
	if cap(buf) < n+TrailerLen {
		buf = make([]byte, n+TrailerLen)
	}
	buf = buf[:n+TrailerLen]
	if _, err := io.ReadFull(r, buf); err != nil {
		return Frame{}, buf, fmt.Errorf("%w: truncated %s frame: %w", ErrFrame, t, err)
	}
	sum := crc32.Update(crc32.Checksum(h[:], castagnoli), castagnoli, buf[:n])
	if got := binary.BigEndian.Uint32(buf[n:]); got != sum {
		return Frame{}, buf, fmt.Errorf("%w: %s frame checksum mismatch", ErrFrame, t)
	}
	return Frame{Type: t, Flags: flags, Payload: buf[:n]}, buf, nil
}
