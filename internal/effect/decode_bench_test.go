package effect

import (
	"fmt"
	"testing"

	"github.com/concord-db/concord/internal/clock"
)

// BenchmarkDecodeIntoSET decodes, into a reused struct, the batch of one replicated SET as a
// member with two peers receives it (issue 4): the decoding part of a peer's CPU per SET.
func BenchmarkDecodeIntoSET(b *testing.B) {
	encs := make([][]byte, 256)
	for i := range encs {
		encs[i] = Encode(nil, &Effect{Origin: 1, Seq: uint64(1000 + i), HLC: clock.NewHLC(1_700_000_000_000+int64(i), 0),
			Deps: clock.Vector{0, 999 + uint64(i), 5000, 7000},
			Ops:  []Op{{Kind: StringSet, Key: fmt.Sprintf("key:%012d", i*7919), Value: fmt.Appendf(nil, "value-%010d", i)}}})
	}
	var e Effect
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := DecodeInto(&e, encs[i%len(encs)]); err != nil {
			b.Fatal(err)
		}
	}
}
