package hll

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
)

// SelfTest is PFSELFTEST: Redis's checks run against this package. It sets and reads back
// random values in the packed registers, then adds 10 million distinct elements to registers
// kept packed and to a value that follows Redis's sparse-to-dense promotion (maxSparse:
// hll-sparse-max-bytes), checking at 1, 10, 100, ... elements that small cardinalities are
// still sparse, that both give the same count, and that the error is within 6 standard errors
// (1 for cardinality 10). The error text follows Redis's TESTFAILED messages.
func SelfTest(maxSparse int) error {
	rnd := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	d := make([]byte, denseLen+1)
	var want [NumRegisters]uint8
	for range 1000 {
		for i := range NumRegisters {
			want[i] = uint8(rnd.IntN(MaxValue + 1))
			denseSet(d, i, want[i])
		}
		for i := range NumRegisters {
			if got := denseGet(d, i); got != want[i] {
				return fmt.Errorf("Register %d should be %d but is %d", i, want[i], got)
			}
		}
	}
	packed := Registers{dense: make([]byte, denseLen+1)}
	v := New()
	var seq uint64
	relerr := 1.04 / math.Sqrt(NumRegisters)
	checkpoint := uint64(1)
	seed := rnd.Uint64()
	var ele [8]byte
	elems := [][]byte{ele[:]}
	for j := uint64(1); j <= 10000000; j++ {
		x := j ^ seed
		for k := range ele {
			ele[k] = byte(x >> (8 * k))
		}
		i, c := PatLen(ele[:])
		if packed.Max(i, c) {
			seq++
			u, _ := AddElements(v.Registers(), v.Dense(), elems, maxSparse)
			v.Add(u, crdtObserved(seq), stampZero)
		}
		if j != checkpoint {
			continue
		}
		if j < uint64(maxSparse/2) && v.Dense() {
			return fmt.Errorf("sparse encoding not used")
		}
		count := packed.Count()
		if count != v.Count() {
			return fmt.Errorf("dense/sparse disagree")
		}
		maxerr := uint64(math.Ceil(relerr * 6 * float64(checkpoint)))
		if j == 10 {
			maxerr = 1
		}
		abserr := int64(checkpoint) - int64(count)
		if abserr < 0 {
			abserr = -abserr
		}
		if uint64(abserr) > maxerr {
			return fmt.Errorf("Too big error. card:%d abserr:%d", checkpoint, abserr)
		}
		checkpoint *= 10
	}
	return nil
}

var stampZero clock.Stamp

// crdtObserved is the context of the self test's own adds: one member, no deletions.
func crdtObserved(seq uint64) crdt.Observed {
	return crdt.Observed{Self: clock.Dot{Member: 1, Seq: seq}}
}
