package resp

import (
	"bytes"
	"io"
	"testing"
)

func BenchmarkReadCommand(b *testing.B) {
	// A pipelined stream of SET commands as redis-benchmark sends them.
	var pipe []byte
	for range 100 {
		pipe = AppendCommand(pipe, "SET", "key:__rand_int__", "xxx")
	}
	per := int64(len(pipe) / 100)
	r := NewReader(&loopReader{data: pipe})
	b.SetBytes(per)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.ReadCommand(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadCommandInline(b *testing.B) {
	r := NewReader(&loopReader{data: []byte("SET key:__rand_int__ xxx\r\n")})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.ReadCommand(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriterBulk(b *testing.B) {
	w := NewWriter(io.Discard)
	val := []byte("xxx")
	b.SetBytes(9)
	b.ReportAllocs()
	for b.Loop() {
		w.Bulk(val)
	}
	w.Flush()
}

func BenchmarkWriterBulk1K(b *testing.B) {
	w := NewWriter(io.Discard)
	val := bytes.Repeat([]byte("v"), 1024)
	b.SetBytes(1024 + 9)
	b.ReportAllocs()
	for b.Loop() {
		w.Bulk(val)
	}
	w.Flush()
}

func BenchmarkWriterDouble(b *testing.B) {
	w := NewWriter(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		w.Double(3.141592653589793)
	}
	w.Flush()
}
