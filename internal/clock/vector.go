package clock

import (
	"strconv"
	"strings"
)

// Vector is a vector clock: for each member, the highest sequence number applied contiguously.
// Index 0 is unused so that a MemberID indexes it directly. The zero value is empty; Get on a
// member beyond its length is 0.
type Vector []uint64

// Get returns the sequence number recorded for m.
func (v Vector) Get(m MemberID) uint64 {
	if int(m) < len(v) {
		return v[m]
	}
	return 0
}

// Set records seq for m, growing v as needed, and returns the (possibly new) vector.
func (v Vector) Set(m MemberID, seq uint64) Vector {
	for int(m) >= len(v) {
		v = append(v, 0)
	}
	v[m] = seq
	return v
}

// Covers reports whether the dot is included in v.
func (v Vector) Covers(d Dot) bool { return d.Seq <= v.Get(d.Member) }

// Clone returns an independent copy.
func (v Vector) Clone() Vector { return append(Vector(nil), v...) }

// Merge returns the element-wise maximum of v and w (v may be modified).
func (v Vector) Merge(w Vector) Vector {
	for m := range w {
		if w[m] > v.Get(MemberID(m)) {
			v = v.Set(MemberID(m), w[m])
		}
	}
	return v
}

// Min returns the element-wise minimum of v and w as a new vector.
func Min(v, w Vector) Vector {
	n := min(len(v), len(w))
	out := make(Vector, n)
	for i := range n {
		out[i] = min(v[i], w[i])
	}
	return out
}

// Equal reports whether v and w record the same sequence numbers (trailing zeros ignored).
func (v Vector) Equal(w Vector) bool {
	n := max(len(v), len(w))
	for i := range n {
		if v.Get(MemberID(i)) != w.Get(MemberID(i)) {
			return false
		}
	}
	return true
}

// Format prints "id:seq,id:seq" for the members in ids (INFO crdt's format).
func (v Vector) Format(ids []MemberID) string {
	var b strings.Builder
	for i, m := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(m)))
		b.WriteByte(':')
		b.WriteString(strconv.FormatUint(v.Get(m), 10))
	}
	return b.String()
}
