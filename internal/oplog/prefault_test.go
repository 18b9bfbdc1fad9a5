package oplog

import (
	"bytes"
	"testing"
)

// Prefaulting is only a hint: whatever the memory held stays (an advice that dropped pages,
// such as MADV_DONTNEED, would read back zeros), whatever the slice's size and alignment.
func TestPrefaultKeepsContents(t *testing.T) {
	for _, n := range []int{1, 100, 4096, 3*4096 + 17, segmentBytes} {
		buf := make([]byte, n+1)
		for i := range buf {
			buf[i] = byte(i*7 + 1)
		}
		want := bytes.Clone(buf)
		prefault(buf[1:])
		if !bytes.Equal(buf, want) {
			t.Fatalf("%d bytes: contents changed", n)
		}
	}
}
