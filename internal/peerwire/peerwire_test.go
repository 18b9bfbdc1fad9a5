package peerwire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/concord-db/concord/internal/clock"
)

func TestFrameRoundTripWithAndWithoutCompression(t *testing.T) {
	// Level 0 sends payloads as they are, level 1 S2, levels 2 and up zstd; a reader reads all
	// of them, whatever it would send itself.
	for level, flag := range map[int]uint8{0: 0, 1: FlagS2, 2: FlagZstd, 9: FlagZstd} {
		var buf bytes.Buffer
		w := NewWriter(&buf, false)
		w.SetCompression(level)
		big := []byte(strings.Repeat("abcdefgh", 1000))
		for _, p := range [][]byte{nil, []byte("small"), big} {
			if err := w.Write(Data, p); err != nil {
				t.Fatal(err)
			}
		}
		w.Flush()
		if level > 0 && buf.Len() > 2000 {
			t.Errorf("level %d: compressed stream of %d bytes", level, buf.Len())
		}
		raw := buf.Bytes()
		r := NewReader(&buf)
		off := 0
		for i, want := range [][]byte{nil, []byte("small"), big} {
			if i == 2 && raw[off+1] != flag {
				t.Errorf("level %d: flags %#x, want %#x", level, raw[off+1], flag)
			}
			f, err := r.Read()
			if err != nil || f.Type != Data || f.Flags != 0 || !bytes.Equal(f.Payload, want) {
				t.Fatalf("level %d: %v %v %d bytes", level, err, f.Type, len(f.Payload))
			}
			_, _, n, _ := ParseHeader(raw[off:])
			off += HeaderLen + n + TrailerLen
		}
	}
	var buf bytes.Buffer
	w := NewWriter(&buf, true)
	big := bytes.Repeat([]byte("x"), 4*CompressMin)
	w.Write(Data, big)
	w.Flush()
	if buf.Bytes()[1] != FlagS2 {
		t.Errorf("NewWriter with compression: flags %#x, want S2", buf.Bytes()[1])
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
		"bad s2":       AppendFrame(nil, Data, FlagS2, []byte("\x10garbage")),
		"s2 too long":  AppendFrame(nil, Data, FlagS2, binary.AppendUvarint(nil, MaxFrame+1)),
		"both codecs":  AppendFrame(nil, Data, FlagZstd|FlagS2, nil),
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
	for _, level := range []int{1, 3} { // an S2 frame and a zstd one
		var z bytes.Buffer
		w := NewWriter(&z, false)
		w.SetCompression(level)
		w.Write(Data, bytes.Repeat([]byte("zz"), 1000))
		w.Flush()
		f.Add(z.Bytes())
	}
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
