package resp

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestWriterEncoding(t *testing.T) {
	type op func(w *Writer)
	for _, c := range []struct {
		name       string
		op         op
		resp2, re3 string
	}{
		{"simple", func(w *Writer) { w.Simple("OK") }, "+OK\r\n", "+OK\r\n"},
		{"error", func(w *Writer) { w.Error("ERR unknown command 'x'") }, "-ERR unknown command 'x'\r\n", "-ERR unknown command 'x'\r\n"},
		{"error newlines", func(w *Writer) { w.Error("ERR a\r\nb\nc\r") }, "-ERR a  b c \r\n", "-ERR a  b c \r\n"},
		{"wrongtype", func(w *Writer) { w.Error("WRONGTYPE Operation against a key holding the wrong kind of value") },
			"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{"int", func(w *Writer) { w.Int(-42) }, ":-42\r\n", ":-42\r\n"},
		{"int min", func(w *Writer) { w.Int(math.MinInt64) }, ":-9223372036854775808\r\n", ":-9223372036854775808\r\n"},
		{"bulk", func(w *Writer) { w.Bulk([]byte("a\r\nb")) }, "$4\r\na\r\nb\r\n", "$4\r\na\r\nb\r\n"},
		{"bulk nil", func(w *Writer) { w.Bulk(nil) }, "$0\r\n\r\n", "$0\r\n\r\n"},
		{"bulk string", func(w *Writer) { w.BulkString("héllo") }, "$6\r\nhéllo\r\n", "$6\r\nhéllo\r\n"},
		{"null", func(w *Writer) { w.Null() }, "$-1\r\n", "_\r\n"},
		{"null array", func(w *Writer) { w.NullArray() }, "*-1\r\n", "_\r\n"},
		{"array", func(w *Writer) { w.ArrayLen(2); w.Int(1); w.BulkString("x") }, "*2\r\n:1\r\n$1\r\nx\r\n", "*2\r\n:1\r\n$1\r\nx\r\n"},
		{"empty array", func(w *Writer) { w.ArrayLen(0) }, "*0\r\n", "*0\r\n"},
		{"map", func(w *Writer) { w.MapLen(1); w.BulkString("k"); w.Int(1) }, "*2\r\n$1\r\nk\r\n:1\r\n", "%1\r\n$1\r\nk\r\n:1\r\n"},
		{"set", func(w *Writer) { w.SetLen(1); w.BulkString("m") }, "*1\r\n$1\r\nm\r\n", "~1\r\n$1\r\nm\r\n"},
		{"push", func(w *Writer) { w.PushLen(2); w.BulkString("message"); w.Int(3) }, "*2\r\n$7\r\nmessage\r\n:3\r\n", ">2\r\n$7\r\nmessage\r\n:3\r\n"},
		{"attribute", func(w *Writer) { w.AttributeLen(1) }, "", "|1\r\n"},
		{"double", func(w *Writer) { w.Double(0.1) }, "$19\r\n0.10000000000000001\r\n", ",0.10000000000000001\r\n"},
		{"double int", func(w *Writer) { w.Double(3) }, "$1\r\n3\r\n", ",3\r\n"},
		{"double inf", func(w *Writer) { w.Double(math.Inf(1)) }, "$3\r\ninf\r\n", ",inf\r\n"},
		{"double -inf", func(w *Writer) { w.Double(math.Inf(-1)) }, "$4\r\n-inf\r\n", ",-inf\r\n"},
		{"double exp", func(w *Writer) { w.Double(1.5e300) }, "$23\r\n1.5000000000000001e+300\r\n", ",1.5000000000000001e+300\r\n"},
		{"bool true", func(w *Writer) { w.Bool(true) }, ":1\r\n", "#t\r\n"},
		{"bool false", func(w *Writer) { w.Bool(false) }, ":0\r\n", "#f\r\n"},
		{"verbatim", func(w *Writer) { w.Verbatim("txt", "Some string") }, "$11\r\nSome string\r\n", "=15\r\ntxt:Some string\r\n"},
		{"big number", func(w *Writer) { w.BigNumber("3492890328409238509324850943850943825024385") },
			"$43\r\n3492890328409238509324850943850943825024385\r\n", "(3492890328409238509324850943850943825024385\r\n"},
		{"raw", func(w *Writer) { w.Raw([]byte("+QUEUED\r\n")) }, "+QUEUED\r\n", "+QUEUED\r\n"},
	} {
		for _, proto := range []int{2, 3} {
			var out bytes.Buffer
			w := NewWriter(&out)
			w.SetProtocol(proto)
			c.op(w)
			if out.Len() != 0 {
				t.Errorf("%s: wrote %q before Flush", c.name, out.String())
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			want := c.resp2
			if proto == 3 {
				want = c.re3
			}
			if out.String() != want {
				t.Errorf("%s RESP%d: got %q, want %q", c.name, proto, out.String(), want)
			}
		}
	}
}

func TestWriterProtocol(t *testing.T) {
	w := NewWriter(nil)
	if w.Protocol() != 2 {
		t.Fatal(w.Protocol())
	}
	w.SetProtocol(3)
	if w.Protocol() != 3 {
		t.Fatal(w.Protocol())
	}
	w.SetProtocol(4) // ignored
	if w.Protocol() != 3 {
		t.Fatal(w.Protocol())
	}
	w.Reset(nil)
	if w.Protocol() != 2 {
		t.Errorf("Reset kept protocol %d", w.Protocol())
	}
}

// countingWriter records the Write calls.
type countingWriter struct {
	bytes.Buffer
	calls int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.calls++
	return c.Buffer.Write(p)
}

func TestWriterFlushesOnlyAboveThreshold(t *testing.T) {
	var out countingWriter
	w := NewWriter(&out)
	val := strings.Repeat("v", 1000)
	n := 0
	for w.Buffered() <= 64<<10-1010 {
		w.BulkString(val)
		n++
	}
	if out.calls != 0 || w.Buffered() == 0 {
		t.Fatalf("flushed early: %d calls, %d buffered", out.calls, w.Buffered())
	}
	w.BulkString(val)
	w.BulkString(val)
	if out.calls != 1 {
		t.Fatalf("%d writes after exceeding 64 KiB, want 1", out.calls)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if out.Len() != (n+2)*1009 {
		t.Errorf("wrote %d bytes, want %d", out.Len(), (n+2)*1009)
	}
	if w.Flush(); out.calls != 2 {
		t.Errorf("empty Flush wrote (%d calls)", out.calls)
	}
}

func TestWriterBigBulk(t *testing.T) {
	var out countingWriter
	w := NewWriter(&out)
	w.Simple("OK")
	big := bytes.Repeat([]byte("b"), 1<<20)
	w.Bulk(big)
	w.Int(1)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "+OK\r\n$1048576\r\n" + string(big) + "\r\n:1\r\n"
	if out.String() != want {
		t.Fatalf("big bulk output differs (len %d, want %d)", out.Len(), len(want))
	}
	if cap(w.buf) > 128<<10 {
		t.Errorf("big bulk was copied into the buffer (cap %d)", cap(w.buf))
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	f.n++
	return 0, errors.New("broken pipe")
}

func TestWriterStickyError(t *testing.T) {
	fw := &failWriter{}
	w := NewWriter(fw)
	w.Simple("OK")
	if err := w.Flush(); err == nil || err.Error() != "broken pipe" {
		t.Fatalf("err = %v", err)
	}
	w.Bulk(bytes.Repeat([]byte("x"), 100<<10))
	for range 100 {
		w.BulkString(strings.Repeat("y", 1000))
	}
	if err := w.Flush(); err == nil {
		t.Fatal("error not sticky")
	}
	if fw.n != 1 || w.Buffered() != 0 {
		t.Errorf("%d writes after the error, %d bytes buffered", fw.n, w.Buffered())
	}
	var out bytes.Buffer
	w.Reset(&out)
	w.Int(7)
	if err := w.Flush(); err != nil || out.String() != ":7\r\n" {
		t.Errorf("after Reset: %q, %v", out.String(), err)
	}
}

func TestWriterDoesNotAllocate(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	val := []byte("some value of a typical size")
	allocs := testing.AllocsPerRun(1000, func() {
		w.Bulk(val)
		w.BulkString("bulk string")
		w.Int(123456)
		w.Simple("OK")
		w.Error("ERR something")
		w.ArrayLen(3)
		w.MapLen(2)
		w.Null()
		w.Double(1.25)
		w.SetProtocol(3)
		w.Double(1.25)
		w.Bool(true)
		w.Verbatim("txt", "abc")
		w.BigNumber("123")
		w.SetProtocol(2)
		if w.Buffered() > 32<<10 {
			out.Reset()
			w.Flush()
		}
	})
	if allocs != 0 {
		t.Errorf("Writer allocates %v times per round", allocs)
	}
}
