package effect

import (
	"bytes"
	"errors"
	"math"
	"math/big"
	"reflect"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/register"
)

func sampleBatches() []*Effect {
	return []*Effect{
		{Origin: 1, Seq: 1, HLC: clock.NewHLC(1_700_000_000_000, 3), Ops: []Op{
			{Kind: StringSet, Key: "k", Value: []byte("v"), At: 1_700_000_100_000},
		}},
		{Origin: 3, Seq: 42, HLC: 99, Deps: clock.Vector{0, 7, 0, 41, 2}, Ops: []Op{
			{Kind: StringAdd, DB: 15, Key: "counter", Created: clock.Stamp{HLC: 5, Member: 2}, Int: -9},
			{Kind: StringAdd, Key: "f", Created: clock.Stamp{HLC: 6, Member: 3}, Float: big.NewRat(-1, 3)},
			{Kind: StringSet, Key: "", Value: []byte{}, KeepTTL: true, Offsets: []register.Total{
				{Member: 1, Seq: 3, Int: 1 << 62}, {Member: 2, Seq: 9, Int: -5, Float: big.NewRat(7, 10)},
			}},
			{Kind: Delete, Key: "h", Type: crdt.TypeHash, Elems: [][]byte{[]byte("f1"), {}},
				ElemOffsets: [][]register.Total{{{Member: 4, Seq: 1, Int: 2}}, nil}},
			{Kind: Flush, DB: -1},
			{Kind: Publish, Key: "chan", Value: []byte("msg\x00\r\n")},
			{Kind: HashSet, Key: "h", Elems: [][]byte{[]byte("a")}, Values: [][]byte{[]byte("1")}, ElemOffsets: [][]register.Total{nil}},
			{Kind: ZsetSet, Key: "z", Elems: [][]byte{[]byte("a"), []byte("b")}, Scores: []float64{-0.5, math.Inf(1)}},
			{Kind: ListInsert, Key: "l", IDs: []ElemID{{Dot: clock.Dot{Member: 2, Seq: 7}, Index: 3}}, Values: [][]byte{[]byte("x")}},
		}},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, b := range sampleBatches() {
		enc := Encode(nil, b)
		got, err := Decode(enc)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if !equalEffects(b, got) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, b)
		}
		if again := Encode(nil, got); !bytes.Equal(again, enc) {
			t.Fatal("re-encoding differs")
		}
	}
}

func TestDecodeRejectsDamage(t *testing.T) {
	enc := Encode(nil, sampleBatches()[1])
	for n := range len(enc) { // every truncation
		if _, err := Decode(enc[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated at %d: err %v", n, err)
		}
	}
	if _, err := Decode(append(enc, 0)); !errors.Is(err, ErrCorrupt) {
		t.Fatal("trailing byte accepted")
	}
	bad := append([]byte{}, enc...)
	bad[0] = 9
	if _, err := Decode(bad); !errors.Is(err, ErrCorrupt) {
		t.Fatal("unknown version accepted")
	}
}

// equalEffects compares batches, treating the vector clocks' trailing zeros and rationals by
// value.
func equalEffects(a, b *Effect) bool {
	if a.Origin != b.Origin || a.Seq != b.Seq || a.HLC != b.HLC || !a.Deps.Equal(b.Deps) || len(a.Ops) != len(b.Ops) {
		return false
	}
	for i := range a.Ops {
		x, y := a.Ops[i], b.Ops[i]
		if (x.Float == nil) != (y.Float == nil) || (x.Float != nil && x.Float.Cmp(y.Float) != 0) {
			return false
		}
		x.Float, y.Float = nil, nil
		if !equalTotals(x.Offsets, y.Offsets) || len(x.ElemOffsets) != len(y.ElemOffsets) {
			return false
		}
		for j := range x.ElemOffsets {
			if !equalTotals(x.ElemOffsets[j], y.ElemOffsets[j]) {
				return false
			}
		}
		x.Offsets, y.Offsets, x.ElemOffsets, y.ElemOffsets = nil, nil, nil, nil
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

func equalTotals(a, b []register.Total) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if (x.Float == nil) != (y.Float == nil) || (x.Float != nil && x.Float.Cmp(y.Float) != 0) {
			return false
		}
		x.Float, y.Float = nil, nil
		if x != y {
			return false
		}
	}
	return true
}

// FuzzDecode: arbitrary bytes never panic the decoder, and whatever decodes re-encodes to a
// batch that decodes to the same thing.
func FuzzDecode(f *testing.F) {
	for _, b := range sampleBatches() {
		f.Add(Encode(nil, b))
	}
	f.Add([]byte{1, 1, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Decode(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error not wrapping ErrCorrupt: %v", err)
			}
			return
		}
		again, err := Decode(Encode(nil, b))
		if err != nil || !equalEffects(b, again) {
			t.Fatalf("re-decoding: %v\n%+v\n%+v", err, b, again)
		}
		// Decoding into a struct that held another batch reuses its storage and must give
		// the same batch, without touching what the earlier content handed out.
		reused := reusedBatch()
		keep := reused.Ops[0].Value
		if err := DecodeInto(reused, data); err != nil || !equalEffects(b, reused) {
			t.Fatalf("decoding into a reused batch: %v\n%+v\n%+v", err, b, reused)
		}
		if string(keep) != "earlier" {
			t.Fatalf("the earlier content's value changed to %q", keep)
		}
	})
}

// reusedBatch is a batch with dependencies and operations, as DecodeInto finds the structs a
// receiver reuses.
func reusedBatch() *Effect {
	return &Effect{Origin: 9, Seq: 7, HLC: 5, Deps: clock.Vector{0, 3, 4, 5, 6, 7, 8, 9, 10, 11},
		Ops: []Op{{Kind: StringSet, Key: "earlier", Value: []byte("earlier"), Elems: [][]byte{[]byte("e")}, At: 3},
			{Kind: Delete, Key: "x", Type: 1}}}
}

// DecodeInto must give what Decode gives whatever the struct held, and a value's capacity
// must end with it (appending to a value applied from a peer must never write over the key
// sharing its allocation).
func TestDecodeIntoReuses(t *testing.T) {
	for _, want := range sampleBatches() {
		enc := Encode(nil, want)
		fresh, err := Decode(enc)
		if err != nil {
			t.Fatal(err)
		}
		b := reusedBatch()
		if err := DecodeInto(b, enc); err != nil || !equalEffects(fresh, b) {
			t.Fatalf("DecodeInto: %v\n%+v\n%+v", err, fresh, b)
		}
		for _, op := range b.Ops {
			if cap(op.Value) != len(op.Value) {
				t.Fatalf("value %q has capacity %d", op.Value, cap(op.Value))
			}
			if op.Value != nil {
				key := op.Key
				_ = append(op.Value, "overwrite?"...)
				if key != op.Key {
					t.Fatal("appending to the value changed the key")
				}
			}
		}
	}
	var b Effect
	if err := DecodeInto(&b, Encode(nil, &Effect{Origin: 1, Seq: 1, Ops: []Op{{Kind: StringSet, Key: "k", Value: []byte{}}}})); err != nil {
		t.Fatal(err)
	}
	if b.Ops[0].Value == nil || len(b.Ops[0].Value) != 0 || b.Ops[0].Key != "k" {
		t.Fatalf("an empty value decoded as %#v, key %q", b.Ops[0].Value, b.Ops[0].Key)
	}
}

// A NaN score would break a sorted set's order; no command makes one, so a batch carrying one
// is refused (found by FuzzDecode: NaN also made re-decoding compare unequal).
func TestDecodeRefusesNaNScore(t *testing.T) {
	b := &Effect{Origin: 1, Seq: 1, HLC: 1, Ops: []Op{{Kind: ZsetSet, Key: "z", Elems: [][]byte{[]byte("m")}, Scores: []float64{math.NaN()}}}}
	if _, err := Decode(Encode(nil, b)); err == nil {
		t.Fatal("a NaN score was accepted")
	}
}

// DecodeInto decodes over the previous operations and resets only what it finds set
// (Op.reset): every field of an Op, including any added later, must be reset. Each field is
// filled in turn in the reused struct, and the batch decoded over it must equal Decode's.
func TestDecodeIntoResetsEveryField(t *testing.T) {
	enc := Encode(nil, &Effect{Origin: 1, Seq: 1, HLC: 1, Ops: []Op{{Kind: Delete, Key: "k"}}})
	fresh, err := Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	typ := reflect.TypeOf(Op{})
	for i := range typ.NumField() {
		b := &Effect{Ops: []Op{{}}}
		f := reflect.ValueOf(&b.Ops[0]).Elem().Field(i)
		fillNonZero(t, f)
		if err := DecodeInto(b, enc); err != nil || !equalEffects(fresh, b) {
			t.Fatalf("field %s kept after DecodeInto: %v\n%+v", typ.Field(i).Name, err, b.Ops[0])
		}
	}
}

// fillNonZero sets v to a value other than its zero value.
func fillNonZero(t *testing.T, v reflect.Value) {
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(7)
	case reflect.String:
		v.SetString("earlier")
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
	case reflect.Struct:
		fillNonZero(t, v.Field(0))
	default:
		t.Fatalf("no non-zero value for a %s", v.Type())
	}
}
