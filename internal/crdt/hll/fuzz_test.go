package hll

import (
	"bytes"
	"errors"
	"testing"
)

func fuzzSeeds(f *testing.F, enc func(v *Value) []byte) {
	v := New()
	var seq uint64
	f.Add(enc(v))
	pfadd(v, &seq, [][]byte{[]byte("a"), []byte("b")})
	f.Add(enc(v))
	v.Delete(obsOf(2, 1, seq))
	f.Add(enc(v))
	for i := range 5000 {
		pfadd(v, &seq, [][]byte{{byte(i), byte(i >> 8), 1}})
	}
	f.Add(enc(v))
}

// FuzzDecodeState: decoding never panics, and what it accepts re-encodes to the same bytes.
func FuzzDecodeState(f *testing.F) {
	fuzzSeeds(f, func(v *Value) []byte { return v.AppendState(nil) })
	f.Add([]byte{1, 1, 1, 2, 5, 0, 0}) // version 1 (deletions listed): refused
	f.Add([]byte{2, 5, 0, 0})
	f.Add([]byte("\x02\x00\x80\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := DecodeState(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if !bytes.Equal(v.AppendState(nil), data) {
			t.Fatal("accepted a non-canonical state")
		}
		v.Count()
		v.AppendRedis(nil)
	})
}

// FuzzDecodeUpdate: an HLLAdd value from a peer never panics the decoder.
func FuzzDecodeUpdate(f *testing.F) {
	u := &Update{Promote: true}
	u.Regs.Max(3, 7)
	f.Add(u.Append(nil))
	f.Add([]byte{0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := DecodeUpdate(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		d, err := DecodeUpdate(u.Append(nil))
		if err != nil || !d.Regs.Equal(&u.Regs) || d.Promote != u.Promote {
			t.Fatal("re-encoding differs")
		}
	})
}

// FuzzParseRedis: any string parses without panicking; a valid HyperLogLog string's registers
// survive re-encoding in both encodings.
func FuzzParseRedis(f *testing.F) {
	fuzzSeeds(f, func(v *Value) []byte { return v.AppendRedis(nil) })
	f.Add([]byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f"))
	f.Add([]byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff"))
	f.Add([]byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\xff\x7f\xfb"))
	f.Add([]byte("HYLL"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, dense, err := ParseRedis(data)
		if err != nil {
			if err != ErrNotHLL && err != ErrInvalid {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if dense != (data[4] == 0) {
			t.Fatal("encoding")
		}
		for _, asDense := range []bool{true, false} {
			if fits, _ := r.SparseFits(); !asDense && !fits {
				continue
			}
			back, _, err := ParseRedis(r.AppendRedis(nil, asDense, 0))
			if err != nil || !back.Equal(&r) {
				t.Fatalf("re-encoding (dense %v) differs: %v", asDense, err)
			}
		}
		r.Count()
	})
}
