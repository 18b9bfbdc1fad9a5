package engine

import (
	"testing"

	"github.com/concord-db/concord/internal/crdt/register"
	"github.com/concord-db/concord/internal/effect"
)

// TestSameBatchTypeChangeConverges: found by the simulator (seed 20040, docs/testing.md bug 8).
// Member 2 creates a hash and replaces it by a string in one batch (MULTI; HINCRBY x0 c1 -4;
// PSETEX x0 ...; EXEC), then deletes the string; member 1's concurrent HSET x0 has a later
// stamp, so the hash wins the type contest. The hash creation of member 2's batch lost to the
// string, the later operation of the same batch (a tie of stamps), so c1 must be gone on both
// members: member 2 applied the batch locally, member 1 remotely onto its later hash.
func TestSameBatchTypeChangeConverges(t *testing.T) {
	for _, tc := range []struct {
		name string
		// recreate: the batch then deletes the string and writes the hash again (its creation
		// at the batch's stamp, after the string's, wins over it).
		recreate bool
		want     string
	}{
		{"hash then string", false, "hash{f2=v3 f3=w6} ttl=0"},
		{"hash, string, then hash again", true, "hash{f2=v3 f3=w6 g=1} ttl=0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m1, m2 := newMember(1, true), newMember(2, true)
			m1.src.Millis += 10 // member 1's HSET has the later stamp
			m1.hset("x0", "f2", "v3", "f3", "w6")
			m2.e.Lock()
			created, _ := m2.hashCreated("x0")
			m2.e.Emit(effect.Op{Kind: effect.HashAdd, Key: "x0", Created: created, Elems: [][]byte{[]byte("c1")}, Int: -4})
			prev := m2.e.Store().DB(0).Get("x0")
			m2.e.Emit(effect.Op{Kind: effect.StringSet, Key: "x0", Value: []byte("e5"), Offsets: Offsets(prev)})
			if tc.recreate {
				m2.e.Emit(DeleteOp(0, m2.e.LookupWrite(0, "x0")))
				m2.e.Emit(effect.Op{Kind: effect.HashSet, Key: "x0", Created: m2.e.Stamp(),
					Elems: [][]byte{[]byte("g")}, Values: [][]byte{[]byte("1")}, ElemOffsets: [][]register.Total{nil}})
			} else {
				m2.e.Emit(DeleteOp(0, m2.e.LookupWrite(0, "x0"))) // RENAME x0 p0's deletion
			}
			m2.e.Unlock()
			deliver(m1, m2)
			deliver(m2, m1)
			for i, m := range []*member{m1, m2} {
				if got := m.hshow("x0"); got != tc.want {
					t.Errorf("member %d: %s, want %s", i+1, got, tc.want)
				}
			}
		})
	}
}
