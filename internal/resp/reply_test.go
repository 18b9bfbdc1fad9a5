package resp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func bulk(s string) Value   { return Value{Kind: '$', Str: s} }
func integer(n int64) Value { return Value{Kind: ':', Int: n} }

// writeAll writes a sample of every reply kind.
func writeAll(w *Writer) {
	w.Simple("OK")
	w.Error("ERR bad\nthing")
	w.Int(-7)
	w.Bulk([]byte("bin\x00\r\n"))
	w.BulkString("")
	w.Null()
	w.NullArray()
	w.ArrayLen(0)
	w.ArrayLen(3)
	w.Int(1)
	w.ArrayLen(1)
	w.BulkString("nested")
	w.Null()
	w.MapLen(2)
	w.BulkString("a")
	w.Double(0.1)
	w.BulkString("b")
	w.Bool(true)
	w.SetLen(2)
	w.BulkString("x")
	w.BulkString("y")
	w.PushLen(2)
	w.BulkString("message")
	w.Verbatim("txt", "some\r\ntext")
	w.BigNumber("-12345678901234567890")
	w.Double(math.Inf(-1))
	w.Bool(false)
	w.Bulk(bytes.Repeat([]byte("L"), 100<<10))
}

func TestRoundTrip(t *testing.T) {
	long := strings.Repeat("L", 100<<10)
	common := []Value{
		{Kind: '+', Str: "OK"},
		{Kind: '-', Str: "ERR bad thing"},
		integer(-7),
		bulk("bin\x00\r\n"),
		bulk(""),
	}
	want2 := append(append([]Value{}, common...),
		Value{Kind: '$', Null: true},
		Value{Kind: '*', Null: true},
		Value{Kind: '*', Elems: []Value{}},
		Value{Kind: '*', Elems: []Value{integer(1), {Kind: '*', Elems: []Value{bulk("nested")}}, {Kind: '$', Null: true}}},
		Value{Kind: '*', Elems: []Value{bulk("a"), bulk("0.10000000000000001"), bulk("b"), integer(1)}},
		Value{Kind: '*', Elems: []Value{bulk("x"), bulk("y")}},
		Value{Kind: '*', Elems: []Value{bulk("message"), bulk("some\r\ntext")}},
		bulk("-12345678901234567890"),
		bulk("-inf"),
		integer(0),
		bulk(long),
	)
	null3 := Value{Kind: '_', Null: true}
	want3 := append(append([]Value{}, common...),
		null3,
		null3,
		Value{Kind: '*', Elems: []Value{}},
		Value{Kind: '*', Elems: []Value{integer(1), {Kind: '*', Elems: []Value{bulk("nested")}}, null3}},
		Value{Kind: '%', Elems: []Value{bulk("a"), {Kind: ',', Str: "0.10000000000000001"}, bulk("b"), {Kind: '#', Str: "t", Int: 1}}},
		Value{Kind: '~', Elems: []Value{bulk("x"), bulk("y")}},
		Value{Kind: '>', Elems: []Value{bulk("message"), {Kind: '=', Str: "some\r\ntext"}}},
		Value{Kind: '(', Str: "-12345678901234567890"},
		Value{Kind: ',', Str: "-inf"},
		Value{Kind: '#', Str: "f"},
		bulk(long),
	)
	for _, proto := range []int{2, 3} {
		var out bytes.Buffer
		w := NewWriter(&out)
		w.SetProtocol(proto)
		writeAll(w)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		want := want2
		if proto == 3 {
			want = want3
		}
		encoded := out.Bytes()
		for _, src := range []io.Reader{bytes.NewReader(encoded), iotest.OneByteReader(bytes.NewReader(encoded))} {
			br := bufio.NewReaderSize(src, 16)
			for i, wv := range want {
				v, err := ReadReply(br)
				if err != nil {
					t.Fatalf("RESP%d reply %d: %v", proto, i, err)
				}
				if !reflect.DeepEqual(v, wv) {
					t.Errorf("RESP%d reply %d:\n got %v\nwant %v", proto, i, v, wv)
				}
			}
			if _, err := ReadReply(br); err != io.EOF {
				t.Errorf("RESP%d: after the last reply: %v, want io.EOF", proto, err)
			}
		}
		// The raw replies put together are the whole output.
		br := bufio.NewReader(bytes.NewReader(encoded))
		var all []byte
		for range want {
			raw, err := ReadRawReply(br)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, raw...)
		}
		if !bytes.Equal(all, encoded) {
			t.Errorf("RESP%d: raw replies differ from the output", proto)
		}
		if _, err := ReadRawReply(br); err != io.EOF {
			t.Errorf("RESP%d: ReadRawReply at the end: %v", proto, err)
		}
	}
}

func TestReadRawReplyNested(t *testing.T) {
	in := "*3\r\n$3\r\nfoo\r\n*2\r\n:1\r\n%1\r\n+a\r\n~1\r\n_\r\n|1\r\n+ttl\r\n:3\r\n,1.5\r\n+NEXT\r\n"
	br := bufio.NewReader(strings.NewReader(in))
	raw, err := ReadRawReply(br)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSuffix(in, "+NEXT\r\n"); string(raw) != want {
		t.Errorf("raw = %q, want %q", raw, want)
	}
	if v, err := ReadReply(br); err != nil || v.Str != "NEXT" {
		t.Errorf("next reply %v, %v", v, err)
	}
}

func TestReadReplyAttributes(t *testing.T) {
	in := "|1\r\n+key-popularity\r\n*2\r\n$1\r\na\r\n,0.19\r\n*2\r\n:1\r\n:2\r\n" +
		"*2\r\n|1\r\n+ttl\r\n:3\r\n:1\r\n:2\r\n"
	br := bufio.NewReader(strings.NewReader(in))
	attr := Value{Kind: '|', Elems: []Value{{Kind: '+', Str: "key-popularity"}, {Kind: '*', Elems: []Value{bulk("a"), {Kind: ',', Str: "0.19"}}}}}
	for i, want := range []Value{
		attr,
		{Kind: '*', Elems: []Value{integer(1), integer(2)}},
		{Kind: '*', Elems: []Value{{Kind: '|', Elems: []Value{{Kind: '+', Str: "ttl"}, integer(3)}}, integer(1), integer(2)}},
	} {
		v, err := ReadReply(br)
		if err != nil || !reflect.DeepEqual(v, want) {
			t.Fatalf("reply %d: %v, %v; want %v", i, v, err, want)
		}
	}
}

func TestReadReplyErrors(t *testing.T) {
	for _, c := range []struct {
		in  string
		err error
	}{
		{"", io.EOF},
		{"+OK", io.ErrUnexpectedEOF},
		{"+OK\r", io.ErrUnexpectedEOF},
		{"$5\r\nab", io.ErrUnexpectedEOF},
		{"*2\r\n:1\r\n", io.ErrUnexpectedEOF},
		{"$999999999\r\nshort", io.ErrUnexpectedEOF},
		{"*999999999\r\n", io.ErrUnexpectedEOF},
		{"+OK\n", ErrInvalidReply},
		{"\r\n", ErrInvalidReply},
		{"?\r\n", ErrInvalidReply},
		{":x\r\n", ErrInvalidReply},
		{":\r\n", ErrInvalidReply},
		{"$-2\r\n", ErrInvalidReply},
		{"$x\r\n", ErrInvalidReply},
		{"$3\r\nabcde", ErrInvalidReply},
		{"*-2\r\n", ErrInvalidReply},
		{"%-1\r\n", ErrInvalidReply},
		{"=-1\r\n", ErrInvalidReply},
		{"=3\r\nabc\r\n", ErrInvalidReply},
		{"#x\r\n", ErrInvalidReply},
		{"_x\r\n", ErrInvalidReply},
		{"%4611686018427387904\r\n", ErrInvalidReply},
		{"$9223372036854775807\r\n", ErrInvalidReply},
	} {
		_, err := ReadReply(bufio.NewReader(strings.NewReader(c.in)))
		if !errors.Is(err, c.err) {
			t.Errorf("ReadReply(%q) error = %v, want %v", c.in, err, c.err)
		}
		_, err = ReadRawReply(bufio.NewReader(strings.NewReader(c.in)))
		if !errors.Is(err, c.err) {
			t.Errorf("ReadRawReply(%q) error = %v, want %v", c.in, err, c.err)
		}
	}
}

func TestReadReplyLongLine(t *testing.T) {
	s := strings.Repeat("s", 10000)
	br := bufio.NewReaderSize(strings.NewReader("+"+s+"\r\n:1\r\n"), 16)
	v, err := ReadReply(br)
	if err != nil || v.Str != s {
		t.Fatalf("%v", err)
	}
	if v, err = ReadReply(br); err != nil || v.Int != 1 {
		t.Fatalf("%v %v", v, err)
	}
}

func TestValueString(t *testing.T) {
	v := Value{Kind: '*', Elems: []Value{
		{Kind: '+', Str: "OK"}, integer(1), bulk("a\"b"), {Kind: '$', Null: true},
		{Kind: '%', Elems: []Value{bulk("k"), {Kind: ',', Str: "1.5"}}},
		{Kind: '~', Elems: []Value{{Kind: '#', Str: "t", Int: 1}}},
		{Kind: '*', Null: true}, {Kind: '-', Str: "ERR x"}, {Kind: '_', Null: true},
		{Kind: '=', Str: "v"}, {Kind: '(', Str: "123"}, {Kind: '>', Elems: []Value{}},
	}}
	want := `[+OK, :1, "a\"b", (nil), {"k": ,1.5}, ~[#t], (nil array), -ERR x, (nil), ="v", (123, >[]]`
	if got := v.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
}

func TestAppendCommand(t *testing.T) {
	got := AppendCommand([]byte("x"), "SET", "k", "")
	if want := "x*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"; string(got) != want {
		t.Errorf("AppendCommand = %q, want %q", got, want)
	}
	if got2 := AppendCommandBytes([]byte("x"), [][]byte{[]byte("SET"), []byte("k"), nil}); !bytes.Equal(got, got2) {
		t.Errorf("AppendCommandBytes = %q", got2)
	}
	if got := AppendCommand(nil); string(got) != "*0\r\n" {
		t.Errorf("no args: %q", got)
	}
}
