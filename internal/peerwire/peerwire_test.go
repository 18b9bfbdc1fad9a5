package peerwire

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/concord-db/concord/internal/clock"
)

func TestFrameRoundTripWithAndWithoutCompression(t *testing.T) {
	for _, compress := range []bool{false, true} {
		var buf bytes.Buffer
		w := NewWriter(&buf, compress)
		big := []byte(strings.Repeat("abcdefgh", 1000))
		for _, p := range [][]byte{nil, []byte("small"), big} {
			if err := w.Write(Data, p); err != nil {
				t.Fatal(err)
			}
		}
		w.Flush()
		if compress && buf.Len() > 2000 {
			t.Errorf("compressed stream of %d bytes", buf.Len())
		}
		r := NewReader(&buf)
		for _, want := range [][]byte{nil, []byte("small"), big} {
			f, err := r.Read()
			if err != nil || f.Type != Data || !bytes.Equal(f.Payload, want) {
				t.Fatalf("compress=%v: %v %v %d bytes", compress, err, f.Type, len(f.Payload))
			}
		}
	}
}

func TestReaderRefusesBadFrames(t *testing.T) {
	good := AppendFrame(nil, Ping, 0, []byte("x"))
	for name, raw := range map[string][]byte{
		"oversized":    {byte(Data), 0, 0x00, 0x10, 0x00, 0x01},
		"unknown type": AppendFrame(nil, 99, 0, nil),
		"zero type":    AppendFrame(nil, 0, 0, nil),
		"bad flags":    AppendFrame(nil, Data, 0x80, nil),
		"bad crc":      append(append([]byte{}, good[:len(good)-1]...), good[len(good)-1]^0xff),
		"truncated":    good[:len(good)-2],
		"bad zstd":     AppendFrame(nil, Data, FlagZstd, []byte("garbage")),
	} {
		_, err := NewReader(bytes.NewReader(raw)).Read()
		if err == nil || (name != "truncated" && !errors.Is(err, ErrFrame)) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := NewWriter(&bytes.Buffer{}, false).Write(Data, make([]byte, MaxFrame+1)); err == nil {
		t.Error("writer accepted an oversized payload")
	}
}

func TestMessagesRoundTrip(t *testing.T) {
	h := HelloMsg{Version: Version, Member: 7, Name: "eu", Nonce: [NonceLen]byte{1, 2, 3}}
	got, err := ParseHello(AppendHello(nil, h))
	if err != nil || got != h {
		t.Fatalf("hello: %+v %v", got, err)
	}
	v := clock.Vector(nil).Set(1, 5).Set(64, 1<<40)
	gv, err := ParseWholeVector(AppendVector(nil, v))
	if err != nil || !gv.Equal(v) {
		t.Fatalf("vector: %v %v", gv, err)
	}
	sv, total, err := ParseStateBegin(AppendUvarintForTest(AppendVector(nil, v), 123))
	if err != nil || !sv.Equal(v) || total != 123 {
		t.Fatalf("state begin: %v %d %v", sv, total, err)
	}
	ov := clock.Vector(nil).Set(1, 1)
	av, direct, aov, err := ParseAck(AppendAck(nil, v, 1|1<<63, ov))
	if err != nil || !av.Equal(v) || direct != 1|1<<63 || !aov.Equal(ov) {
		t.Fatalf("ack: %v %x %v %v", av, direct, aov, err)
	}
	for _, bad := range [][]byte{{1, 0, 1}, {1, 65, 1}, {2, 3, 1, 2, 1}} {
		if _, err := ParseWholeVector(bad); err == nil {
			t.Errorf("vector %v accepted", bad)
		}
	}
}

func TestRecordsSpanFrames(t *testing.T) {
	var stream []byte
	recs := [][]byte{[]byte("a"), bytes.Repeat([]byte("b"), 300), {}, []byte("ccc")}
	for _, r := range recs {
		stream = AppendRecord(stream, r)
	}
	for cut := 0; cut <= len(stream); cut++ {
		var rs Records
		var got [][]byte
		fn := func(r []byte) error { got = append(got, append([]byte{}, r...)); return nil }
		if err := rs.Feed(stream[:cut], fn); err != nil {
			t.Fatal(err)
		}
		if err := rs.Feed(stream[cut:], fn); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(recs) || rs.Pending() != 0 {
			t.Fatalf("cut %d: %d records, %d pending", cut, len(got), rs.Pending())
		}
		for i := range recs {
			if !bytes.Equal(got[i], recs[i]) {
				t.Fatalf("cut %d: record %d differs", cut, i)
			}
		}
	}
	var rs Records
	if err := rs.Feed([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, func([]byte) error { return nil }); err == nil {
		t.Error("huge record length accepted")
	}
}

// FuzzReader feeds arbitrary bytes to the frame reader and every payload parser: errors are
// fine, panics and unbounded allocations are not.
func FuzzReader(f *testing.F) {
	var seed []byte
	seed = AppendFrame(seed, Hello, 0, AppendHello(nil, HelloMsg{Version: 1, Member: 2, Name: "x"}))
	seed = AppendFrame(seed, Sync, 0, AppendVector(nil, clock.Vector(nil).Set(1, 3)))
	seed = AppendFrame(seed, Data, 0, AppendRecord(nil, []byte("rec")))
	f.Add(seed)
	var z bytes.Buffer
	w := NewWriter(&z, true)
	w.Write(Data, bytes.Repeat([]byte("zz"), 1000))
	w.Flush()
	f.Add(z.Bytes())
	f.Add([]byte{byte(Data), 0, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		defer r.Close()
		var rs Records
		for range 64 {
			fr, err := r.Read()
			if err != nil {
				return
			}
			if len(fr.Payload) > MaxFrame {
				t.Fatalf("payload of %d bytes", len(fr.Payload))
			}
			ParseHello(fr.Payload)
			ParseWholeVector(fr.Payload)
			ParseStateBegin(fr.Payload)
			ParseAck(fr.Payload)
			if rs.Feed(fr.Payload, func([]byte) error { return nil }) != nil {
				rs = Records{}
			}
		}
	})
}
