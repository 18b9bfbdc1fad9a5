package testserver

// This file holds the RESP wire helpers the harness uses. Framing replies and encoding commands
// use the server's package internal/resp; ParseReply (reply.go) has its own strict parser below,
// so that replies are also checked by code independent of the server's.

import (
	"bufio"
	"fmt"
	"strconv"

	"github.com/concord-db/concord/internal/resp"
)

// maxReplyDepth bounds nesting so that a broken server cannot make the reader recurse forever.
const maxReplyDepth = 64

// readRawReply reads exactly one reply and returns its bytes unchanged (internal/resp's framing).
func readRawReply(r *bufio.Reader) ([]byte, error) { return resp.ReadRawReply(r) }

// appendCommand appends args encoded as a RESP array of bulk strings to dst.
func appendCommand(dst []byte, args ...string) []byte { return resp.AppendCommand(dst, args...) }

func readLine(r *bufio.Reader, out *[]byte) (string, error) {
	line, err := r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		// Long simple string / error line: accumulate.
		buf := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			line, err = r.ReadSlice('\n')
			buf = append(buf, line...)
		}
		line = buf
	}
	if err != nil {
		return "", err
	}
	// the type byte and CRLF: a bare "\r\n" has no type byte
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return "", fmt.Errorf("resp: line not terminated by CRLF: %q", line)
	}
	*out = append(*out, line...)
	return string(line[1 : len(line)-2]), nil
}

func parseLen(s string, allowNeg bool) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || (s != "0" && (s[0] == '0' || s[0] == '+')) || (s[0] == '-' && s != "-1") {
		return 0, fmt.Errorf("resp: bad length %q", s)
	}
	if n < 0 && !allowNeg {
		return 0, fmt.Errorf("resp: negative length %q", s)
	}
	return n, nil
}

func readFull(r *bufio.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
