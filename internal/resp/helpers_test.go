package resp

import (
	"bufio"
	"bytes"
)

func newBufioReader(b []byte) *bufio.Reader {
	return bufio.NewReader(bytes.NewReader(b))
}
