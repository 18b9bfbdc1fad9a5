package engine

import (
	"bytes"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/effect"
)

// Sinks see the received encoding of a remote batch applied with it (ApplyEncoded), and nil
// for a local batch, for one applied without it, and once the sink call is over.
func TestEncodedOnlyForBatchesAppliedWithIt(t *testing.T) {
	e := New(Config{Member: 1})
	var seen [][]byte
	e.AddSink(func(b *effect.Effect) { seen = append(seen, e.Encoded()) })
	remote := func(seq uint64) *effect.Effect {
		return &effect.Effect{Origin: 2, Seq: seq, HLC: clock.HLC(seq << 16),
			Ops: []effect.Op{{Kind: effect.StringSet, Key: "k", Value: []byte("v")}}}
	}
	b1 := remote(1)
	enc := effect.Encode(nil, b1)
	e.Lock()
	defer e.Unlock()
	if err := e.ApplyEncoded(b1, enc); err != nil {
		t.Fatal(err)
	}
	if err := e.Apply(remote(2)); err != nil {
		t.Fatal(err)
	}
	e.Emit(effect.Op{Kind: effect.StringSet, Key: "l", Value: []byte("x")})
	e.Commit()
	// A batch applied again is filtered: the sinks are not called.
	if err := e.ApplyEncoded(b1, enc); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 3 || !bytes.Equal(seen[0], enc) || seen[1] != nil || seen[2] != nil {
		t.Fatalf("sinks saw %q", seen)
	}
	if e.Encoded() != nil {
		t.Fatal("Encoded outside a sink call")
	}
}
