package effect

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"unsafe"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/register"
)

// Binary encoding of an effect batch, shared by the replication stream and the append-only
// file. All integers are varints (unsigned: uvarint; signed: zigzag varint, "svarint").
//
//	batch   = version:byte(=1) origin:uvarint seq:uvarint hlc:uvarint
//	          ndeps:uvarint { member:uvarint seq:uvarint }   (members with a non-zero entry)
//	          nops:uvarint { oplen:uvarint op }
//	op      = { tag:uvarint field }                          (fields in any order, each at most once)
//	field   = by tag:
//	          1 Kind uvarint         2 DB uvarint           3 Key bytes
//	          4 Type uvarint         5 Created hlc:uvarint member:uvarint
//	          6 Value bytes          7 Int svarint          8 Float rat
//	          9 At svarint           10 KeepTTL (no payload)
//	          11 Offsets totals      12 Elems list          13 Values list
//	          14 ElemOffsets n:uvarint { totals }
//	          15 Scores n:uvarint { float64 bits:8 bytes little-endian, never NaN }
//	          16 IDs n:uvarint { member:uvarint seq:uvarint index:uvarint }
//	bytes   = len:uvarint raw
//	list    = n:uvarint { bytes }
//	totals  = n:uvarint { member:uvarint seq:uvarint int:svarint hasFloat:byte [rat] }
//	rat     = bytes of the rational's text "num/den"
//
// A decoder skips nothing it does not know: an unknown tag is an error, so that a batch is
// never applied half-understood. New fields get new tags and a new version number when old
// readers must refuse them.

// Version is the encoding version written by Encode.
const Version = 1

// Decoding limits: a peer or a file cannot make the decoder allocate without bound.
const (
	MaxOps      = 1 << 20
	MaxElems    = 1 << 24
	maxDeps     = clock.MaxMembers
	maxRatBytes = 1 << 12
)

// ErrCorrupt is wrapped by every decoding error.
var ErrCorrupt = errors.New("effect: corrupt encoding")

const (
	tagKind = iota + 1
	tagDB
	tagKey
	tagType
	tagCreated
	tagValue
	tagInt
	tagFloat
	tagAt
	tagKeepTTL
	tagOffsets
	tagElems
	tagValues
	tagElemOffsets
	tagScores
	tagIDs
)

// Encode appends the encoding of b to dst. It only appends: an encoding that fits in dst's
// capacity is written there, in place (oplog.Backlog.Append encodes into a segment that way).
func Encode(dst []byte, b *Effect) []byte {
	dst = append(dst, Version)
	dst = binary.AppendUvarint(dst, uint64(b.Origin))
	dst = binary.AppendUvarint(dst, b.Seq)
	dst = binary.AppendUvarint(dst, uint64(b.HLC))
	n := 0
	for _, s := range b.Deps {
		if s != 0 {
			n++
		}
	}
	dst = binary.AppendUvarint(dst, uint64(n))
	for m, s := range b.Deps {
		if s != 0 {
			dst = binary.AppendUvarint(dst, uint64(m))
			dst = binary.AppendUvarint(dst, s)
		}
	}
	dst = binary.AppendUvarint(dst, uint64(len(b.Ops)))
	var opBuf [128]byte // most operations encode in less: no allocation for them
	op := opBuf[:0]
	for i := range b.Ops {
		op = encodeOp(op[:0], &b.Ops[i])
		dst = binary.AppendUvarint(dst, uint64(len(op)))
		dst = append(dst, op...)
	}
	return dst
}

func encodeOp(dst []byte, op *Op) []byte {
	dst = binary.AppendUvarint(dst, tagKind)
	dst = binary.AppendUvarint(dst, uint64(op.Kind))
	if op.DB != 0 {
		dst = binary.AppendUvarint(dst, tagDB)
		dst = binary.AppendUvarint(dst, uint64(op.DB+1)) // Flush uses DB -1
	}
	if op.Key != "" {
		dst = binary.AppendUvarint(dst, tagKey)
		dst = appendBytes(dst, []byte(op.Key))
	}
	if op.Type != crdt.TypeNone {
		dst = binary.AppendUvarint(dst, tagType)
		dst = binary.AppendUvarint(dst, uint64(op.Type))
	}
	if op.Created != (clock.Stamp{}) {
		dst = binary.AppendUvarint(dst, tagCreated)
		dst = binary.AppendUvarint(dst, uint64(op.Created.HLC))
		dst = binary.AppendUvarint(dst, uint64(op.Created.Member))
	}
	if op.Value != nil {
		dst = binary.AppendUvarint(dst, tagValue)
		dst = appendBytes(dst, op.Value)
	}
	if op.Int != 0 {
		dst = binary.AppendUvarint(dst, tagInt)
		dst = binary.AppendVarint(dst, op.Int)
	}
	if op.Float != nil {
		dst = binary.AppendUvarint(dst, tagFloat)
		dst = appendBytes(dst, []byte(op.Float.String()))
	}
	if op.At != 0 {
		dst = binary.AppendUvarint(dst, tagAt)
		dst = binary.AppendVarint(dst, op.At)
	}
	if op.KeepTTL {
		dst = binary.AppendUvarint(dst, tagKeepTTL)
	}
	if op.Offsets != nil {
		dst = binary.AppendUvarint(dst, tagOffsets)
		dst = appendTotals(dst, op.Offsets)
	}
	if op.Elems != nil {
		dst = binary.AppendUvarint(dst, tagElems)
		dst = appendList(dst, op.Elems)
	}
	if op.Values != nil {
		dst = binary.AppendUvarint(dst, tagValues)
		dst = appendList(dst, op.Values)
	}
	if op.ElemOffsets != nil {
		dst = binary.AppendUvarint(dst, tagElemOffsets)
		dst = binary.AppendUvarint(dst, uint64(len(op.ElemOffsets)))
		for _, t := range op.ElemOffsets {
			dst = appendTotals(dst, t)
		}
	}
	if op.Scores != nil {
		dst = binary.AppendUvarint(dst, tagScores)
		dst = binary.AppendUvarint(dst, uint64(len(op.Scores)))
		for _, f := range op.Scores {
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(f))
		}
	}
	if op.IDs != nil {
		dst = binary.AppendUvarint(dst, tagIDs)
		dst = binary.AppendUvarint(dst, uint64(len(op.IDs)))
		for _, id := range op.IDs {
			dst = binary.AppendUvarint(dst, uint64(id.Dot.Member))
			dst = binary.AppendUvarint(dst, id.Dot.Seq)
			dst = binary.AppendUvarint(dst, uint64(id.Index))
		}
	}
	return dst
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

func appendList(dst []byte, l [][]byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(l)))
	for _, b := range l {
		dst = appendBytes(dst, b)
	}
	return dst
}

func appendTotals(dst []byte, ts []register.Total) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(ts)))
	for _, t := range ts {
		dst = binary.AppendUvarint(dst, uint64(t.Member))
		dst = binary.AppendUvarint(dst, t.Seq)
		dst = binary.AppendVarint(dst, t.Int)
		if t.Float == nil {
			dst = append(dst, 0)
		} else {
			dst = append(dst, 1)
			dst = appendBytes(dst, []byte(t.Float.String()))
		}
	}
	return dst
}

// Decode reads one batch from the whole of data. Byte slices in the result are copies.
func Decode(data []byte) (*Effect, error) {
	b := &Effect{}
	if err := DecodeInto(b, data); err != nil {
		return nil, err
	}
	return b, nil
}

// DecodeInto reads one batch from the whole of data into b, reusing the storage of b's
// operation list and dependency vector (a receiver decodes thousands of batches a second into
// the same few structs). Everything b held before is overwritten; the byte slices and strings
// of the operations are new copies, never shared with an earlier content of b or with data,
// since appliers keep them. On error b's content is unspecified.
func DecodeInto(b *Effect, data []byte) error {
	d := decoder{buf: data}
	d.batch(b)
	if d.err == nil && d.left() != 0 {
		d.fail("%d bytes after the batch", d.left())
	}
	return d.err
}

// decoder reads buf from off on. The position is an index rather than a shrinking slice:
// every field read moves it, and storing a slice (a pointer) costs a write barrier while the
// garbage collector marks, which a receiver applying batches from peers is often doing.
type decoder struct {
	buf []byte
	off int
	err error
}

// left is the number of bytes not read yet.
func (d *decoder) left() int { return len(d.buf) - d.off }

// rest is what is not read yet.
func (d *decoder) rest() []byte { return d.buf[d.off:] }

// fail records the first error and moves to the end so that nothing more is read (the inline
// path of uvarint relies on it).
func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
	}
	d.off = len(d.buf)
}

func (d *decoder) uvarint(max uint64, what string) uint64 {
	// Most integers of a batch (tags, kinds, lengths, member ids) fit in one byte: read
	// inline. (After an error nothing is left: see fail.)
	if d.off < len(d.buf) {
		if v := uint64(d.buf[d.off]); v < 0x80 && v <= max {
			d.off++
			return v
		}
	}
	return d.uvarintSlow(max, what)
}

func (d *decoder) uvarintSlow(max uint64, what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.rest())
	if n <= 0 {
		d.fail("bad %s", what)
		return 0
	}
	d.off += n
	if v > max {
		d.fail("%s %d out of range", what, v)
		return 0
	}
	return v
}

// length reads a byte count, which cannot exceed what is left after it.
func (d *decoder) length(what string) int {
	n := d.uvarint(1<<62, what)
	if d.err == nil && n > uint64(d.left()) {
		d.fail("%s %d beyond the %d bytes left", what, n, d.left())
		return 0
	}
	return int(n)
}

// byteLen is length for the length of the byte string what (without building the text of an
// error that almost never happens: decoding is on every replicated batch's path).
func (d *decoder) byteLen(what string) int {
	if d.off < len(d.buf) {
		// the usual short string: a one-byte length
		if n := int(d.buf[d.off]); n < 0x80 && n < len(d.buf)-d.off {
			d.off++
			return n
		}
	}
	if d.err != nil {
		return 0
	}
	n, k := binary.Uvarint(d.rest())
	switch {
	case k <= 0:
		d.fail("bad %s length", what)
		return 0
	case n > uint64(d.left()-k):
		d.fail("%s length %d beyond the %d bytes left", what, n, d.left()-k)
		return 0
	}
	d.off += k
	return int(n)
}

// count reads an element count; every element takes at least one byte, so it cannot exceed
// what is left either (this bounds allocations by the input's size).
func (d *decoder) count(limit int, what string) int {
	return min(d.length(what), limit)
}

func (d *decoder) varint(what string) int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.rest())
	if n <= 0 {
		d.fail("bad %s", what)
		return 0
	}
	d.off += n
	return v
}

// raw reads a byte string without copying it (nil on error).
func (d *decoder) raw(what string) []byte {
	if d.off < len(d.buf) {
		// the usual short string (keys, values): a one-byte length, read here
		if n := int(d.buf[d.off]); n < 0x80 && n < len(d.buf)-d.off {
			start := d.off + 1
			d.off = start + n
			return d.buf[start:d.off:d.off]
		}
	}
	n := d.byteLen(what)
	if d.err != nil {
		return nil
	}
	out := d.buf[d.off : d.off+n : d.off+n]
	d.off += n
	return out
}

func (d *decoder) bytes(what string) []byte {
	n := d.byteLen(what)
	if d.err != nil {
		return nil
	}
	out := append([]byte{}, d.buf[d.off:d.off+n]...)
	d.off += n
	return out
}

func (d *decoder) rat(what string) *big.Rat {
	b := d.bytes(what)
	if d.err != nil {
		return nil
	}
	if len(b) > maxRatBytes {
		d.fail("%s too long", what)
		return nil
	}
	if !ratText(b) {
		d.fail("bad %s %q", what, b)
		return nil
	}
	r, ok := new(big.Rat).SetString(string(b))
	if !ok {
		d.fail("bad %s %q", what, b)
	}
	return r
}

// ratText accepts only what Rat.String writes: [-]digits[/digits]. (SetString alone would also
// take exponents, and "1e99999" is a few bytes that make a huge number.)
func ratText(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	digits, slash := 0, false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '/' && !slash && digits > 0:
			slash, digits = true, 0
		default:
			return false
		}
	}
	return digits > 0
}

func (d *decoder) member(what string) clock.MemberID {
	m := d.uvarint(clock.MaxMembers, what)
	if d.err == nil && m == 0 {
		d.fail("%s 0", what)
	}
	return clock.MemberID(m)
}

// maxKeptOps is the capacity of an operation list DecodeInto keeps reusing: a huge batch's
// list is not held on to.
const maxKeptOps = 64

func (d *decoder) batch(b *Effect) {
	// The operations are decoded in place, over the previous content, and each field is
	// written only when it changes: a pointer written while the garbage collector marks costs
	// a write barrier, and an Op holds a dozen of them. The operations past the new ones are
	// cleared so that no reference to an earlier value stays (past len(b.Ops), the list's
	// storage is always zero). Slices are resliced in place (x = x[:n] writes only the
	// length).
	if cap(b.Ops) > maxKeptOps {
		b.Ops = nil
	}
	n := d.batchInto(b)
	clear(b.Ops[n:])
	b.Ops = b.Ops[:n]
}

// batchInto decodes the batch into b, its operations over b.Ops (extended to its capacity when
// it grows), and returns the number of operations decoded.
func (d *decoder) batchInto(b *Effect) int {
	b.Origin, b.Seq, b.HLC = 0, 0, 0
	b.Deps = b.Deps[:0]
	if d.left() == 0 {
		d.fail("empty")
		return 0
	}
	if v := d.buf[d.off]; v != Version {
		d.fail("unknown version %d", v)
		return 0
	}
	d.off++
	b.Origin = d.member("origin")
	b.Seq = d.uvarint(1<<63, "seq")
	b.HLC = clock.HLC(d.uvarint(1<<64-1, "hlc"))
	n := d.uvarint(maxDeps, "deps count")
	if n > 0 && b.Deps == nil {
		// Members are usually listed in increasing order: the last one (the vector's length)
		// is not known yet, so room for the usual small ids is made at once.
		b.Deps = make(clock.Vector, 0, 8)
	}
	for ; n > 0 && d.err == nil; n-- {
		m := int(d.member("dep member"))
		seq := d.uvarint(1<<63, "dep seq")
		if l := len(b.Deps); m >= l {
			if m < cap(b.Deps) {
				b.Deps = b.Deps[:m+1]
				for i := l; i < m; i++ {
					b.Deps[i] = 0 // (few: a loop rather than a call to clear memory)
				}
			} else {
				b.Deps = b.Deps.Set(clock.MemberID(m), 0)
			}
		}
		b.Deps[m] = seq
	}
	if len(b.Deps) == 0 && b.Deps != nil {
		b.Deps = nil // as the encoder saw it: no dependencies
	}
	n = d.uvarint(MaxOps, "op count")
	decoded := 0
	for ; n > 0 && d.err == nil; n-- {
		l := d.length("op length")
		if d.err != nil {
			break
		}
		if decoded == len(b.Ops) {
			b.Ops = append(b.Ops, Op{})
			b.Ops = b.Ops[:cap(b.Ops)] // the storage past the old length is zero
		}
		od := decoder{buf: d.buf[:d.off+l], off: d.off}
		od.op(&b.Ops[decoded])
		decoded++
		d.off += l
		if od.err != nil {
			d.err, d.off = od.err, len(d.buf)
		}
	}
	if d.err == nil && b.Seq == 0 {
		d.fail("seq 0")
	}
	return decoded
}

// op decodes one operation into op, which holds an earlier operation (or nothing): what the
// encoding leaves out is reset to its zero value.
func (d *decoder) op(op *Op) {
	op.reset()
	var seen uint32
	// The key and the value are copied out together at the end, into one allocation.
	var key, val []byte
	for d.off < len(d.buf) && d.err == nil {
		var tag uint64
		if c := d.buf[d.off]; c != 0 && c <= tagIDs {
			tag = uint64(c) // the usual one-byte tag, read inline
			d.off++
		} else {
			tag = d.uvarint(tagIDs, "field tag")
		}
		if d.err != nil {
			break
		}
		if tag == 0 {
			d.fail("field tag 0")
			break
		}
		if seen&(1<<tag) != 0 {
			d.fail("field %d twice", tag)
			break
		}
		seen |= 1 << tag
		switch tag {
		case tagKind:
			if d.off < len(d.buf) && d.buf[d.off] < 0x80 {
				op.Kind = Kind(d.buf[d.off]) // read inline: a kind fits in one byte
				d.off++
			} else {
				op.Kind = Kind(d.uvarint(255, "kind"))
			}
		case tagDB:
			op.DB = int(d.uvarint(1<<31, "db")) - 1
		case tagKey:
			key = d.raw("key")
		case tagType:
			op.Type = crdt.Type(d.uvarint(255, "type"))
		case tagCreated:
			op.Created.HLC = clock.HLC(d.uvarint(1<<64-1, "created hlc"))
			op.Created.Member = d.member("created member")
		case tagValue:
			val = d.raw("value")
			if val == nil {
				val = []byte{} // present but empty: not nil
			}
		case tagInt:
			op.Int = d.varint("int")
		case tagFloat:
			op.Float = d.rat("float")
		case tagAt:
			op.At = d.varint("at")
		case tagKeepTTL:
			op.KeepTTL = true
		case tagOffsets:
			op.Offsets = d.totals()
		case tagElems:
			op.Elems = d.list("elems")
		case tagValues:
			op.Values = d.list("values")
		case tagElemOffsets:
			n := d.count(MaxElems, "elem offsets count")
			op.ElemOffsets = make([][]register.Total, 0, n)
			for ; n > 0 && d.err == nil; n-- {
				op.ElemOffsets = append(op.ElemOffsets, d.totals())
			}
		case tagScores:
			n := d.count(MaxElems, "scores count")
			if d.err == nil && n*8 > d.left() {
				d.fail("%d scores beyond the %d bytes left", n, d.left())
			}
			if d.err != nil {
				break
			}
			op.Scores = make([]float64, n)
			for i := range op.Scores {
				op.Scores[i] = math.Float64frombits(binary.LittleEndian.Uint64(d.rest()))
				d.off += 8
				if math.IsNaN(op.Scores[i]) {
					// no command makes a NaN score, and one would break a sorted set's order
					d.fail("score %d is NaN", i)
					break
				}
			}
		case tagIDs:
			n := d.count(MaxElems, "ids count")
			op.IDs = make([]ElemID, 0, n)
			for ; n > 0 && d.err == nil; n-- {
				var id ElemID
				id.Dot.Member = d.member("id member")
				id.Dot.Seq = d.uvarint(1<<63, "id seq")
				id.Index = uint32(d.uvarint(1<<32-1, "id index"))
				op.IDs = append(op.IDs, id)
			}
		}
	}
	if d.err == nil && op.Kind == 0 {
		d.fail("operation without a kind")
	}
	if d.err == nil && (key != nil || val != nil) {
		op.Key, op.Value = keyAndValue(key, val)
	} else if op.Key != "" || op.Value != nil {
		op.Key, op.Value = "", nil
	}
}

// reset makes op the zero Op, writing only the fields that are not zero. (Key and Value are
// left to the decoder, which always writes them.)
func (op *Op) reset() {
	op.Kind, op.DB, op.Type, op.Created, op.Int, op.At, op.KeepTTL = 0, 0, 0, clock.Stamp{}, 0, 0, false
	if op.Float != nil {
		op.Float = nil
	}
	if op.Offsets != nil {
		op.Offsets = nil
	}
	if op.Elems != nil {
		op.Elems = nil
	}
	if op.Values != nil {
		op.Values = nil
	}
	if op.ElemOffsets != nil {
		op.ElemOffsets = nil
	}
	if op.Scores != nil {
		op.Scores = nil
	}
	if op.IDs != nil {
		op.IDs = nil
	}
}

// keyAndValue copies an operation's key and value (nil: absent) into one allocation. The key's
// bytes are never written (the value's capacity ends where it does, before nothing else), so
// the key can be a string over them.
func keyAndValue(key, val []byte) (string, []byte) {
	buf := make([]byte, len(key)+len(val))
	copy(buf, key)
	copy(buf[len(key):], val)
	var k string
	if len(key) > 0 {
		k = unsafe.String(&buf[0], len(key))
	}
	if val == nil {
		return k, nil
	}
	return k, buf[len(key):len(buf):len(buf)]
}

func (d *decoder) list(what string) [][]byte {
	// every element takes at least one byte, which bounds the count by what is left
	n := d.count(MaxElems, what+" count")
	out := make([][]byte, 0, n)
	for ; n > 0 && d.err == nil; n-- {
		out = append(out, d.bytes(what))
	}
	return out
}

func (d *decoder) totals() []register.Total {
	n := d.count(clock.MaxMembers, "totals count")
	out := make([]register.Total, 0, n)
	for ; n > 0 && d.err == nil; n-- {
		var t register.Total
		t.Member = d.member("total member")
		t.Seq = d.uvarint(1<<63, "total seq")
		t.Int = d.varint("total int")
		if d.left() == 0 {
			d.fail("truncated total")
			break
		}
		has := d.buf[d.off]
		d.off++
		switch has {
		case 0:
		case 1:
			t.Float = d.rat("total float")
		default:
			d.fail("bad total float flag %d", has)
		}
		out = append(out, t)
	}
	return out
}
