package persist

import (
	"testing"

	"github.com/concord-db/concord/internal/effect"
)

func FuzzScanAOF(f *testing.F) {
	f.Add(aofHeader())
	rec := appendRecord(aofHeader(), &effect.Effect{Origin: 1, Seq: 1, HLC: 5,
		Ops: []effect.Op{{Kind: effect.StringSet, Key: "k", Value: []byte("v")}}})
	f.Add(rec)
	f.Add(rec[:len(rec)-3])
	f.Add(append(rec, 0, 0, 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		res := CheckAOF(data)
		if res.Good < 0 || res.Good > int64(len(data)) {
			t.Fatalf("good prefix %d of %d bytes", res.Good, len(data))
		}
		// What a fix keeps is itself clean, with the same records.
		again := CheckAOF(data[:res.Good])
		if res.Good >= aofHeaderLen && (again.Problem != nil || again.Records != res.Records) {
			t.Fatalf("fixed prefix not clean: %+v (first pass %+v)", again, res)
		}
	})
}

func FuzzDecodeSnapshot(f *testing.F) {
	f.Add(encodeSnapshot([]byte("CNCS state"), 1))
	f.Add(encodeSnapshot(nil, 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		state, created, err := DecodeSnapshot(data)
		if err != nil {
			return
		}
		if got := encodeSnapshot(state, created); string(got) != string(data) {
			t.Fatal("a snapshot that decodes does not encode back to the same bytes")
		}
	})
}
