package resp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
	"testing/iotest"
)

func commandSeeds() []string {
	seeds := []string{
		"*1\r\n$4\r\nPING\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
		"PING\r\nECHO \"a\\x41\\n\" 'b\\'c'\n",
		"*0\r\n*-1\r\n\r\n  \r\nPING\r\n",
		"*1\rX$4\rXPINGxx",
		"*1\r\n$4\r\nPI\x00G\r\n",
		"*2147483648\r\n",
		"*1\r\n$-1\r\n",
		"*1\r\n$536870913\r\n",
		"*1\r\nx\r\n",
		"ECHO \"unbalanced\r\n",
		"ECHO 'a'b\r\n",
		"*-9223372036854775808\r\n",
		"*2\r\n$0\r\n\r\n$0\r\n\r\n",
	}
	for _, c := range requestCases {
		if len(c.in) < 1000 {
			seeds = append(seeds, c.in)
		}
	}
	return seeds
}

// parseStream reads every command of in, with the given source wrapper.
func parseStream(in []byte, wrap func(io.Reader) io.Reader, unauth bool) ([][][]byte, error) {
	r := NewReader(wrap(bytes.NewReader(in)))
	r.SetLimits(Limits{Unauthenticated: unauth})
	var cmds [][][]byte
	for {
		args, err := r.ReadCommand()
		if err != nil {
			return cmds, err
		}
		if len(args) == 0 {
			return cmds, errors.New("empty command")
		}
		cp := make([][]byte, len(args))
		for i, a := range args {
			cp[i] = bytes.Clone(a)
		}
		cmds = append(cmds, cp)
	}
}

func FuzzReadCommand(f *testing.F) {
	for _, s := range commandSeeds() {
		f.Add([]byte(s), false)
	}
	f.Add([]byte("*11\r\n"), true)
	f.Fuzz(func(t *testing.T, in []byte, unauth bool) {
		cmds, err := parseStream(in, func(r io.Reader) io.Reader { return r }, unauth)
		var pe *ProtocolError
		if err != io.EOF && !errors.As(err, &pe) {
			t.Fatalf("unexpected error %v", err)
		}
		// The same commands and error, whatever the chunking (inputs
		// shorter than the 64 KiB line limits parse deterministically).
		if len(in) < 60000 {
			cmds1, err1 := parseStream(in, iotest.OneByteReader, unauth)
			if !reflect.DeepEqual(cmds1, cmds) || errString(err1) != errString(err) {
				t.Fatalf("one byte at a time: %q, %v; whole: %q, %v", cmds1, err1, cmds, err)
			}
		}
		// Re-encoding every command and parsing it again gives it back.
		for _, args := range cmds {
			strs := make([]string, len(args))
			for i, a := range args {
				strs[i] = string(a)
			}
			enc := AppendCommand(nil, strs...)
			if !bytes.Equal(enc, AppendCommandBytes(nil, args)) {
				t.Fatalf("AppendCommand and AppendCommandBytes differ for %q", args)
			}
			again, err := parseStream(enc, func(r io.Reader) io.Reader { return r }, false)
			if err != io.EOF || len(again) != 1 || !reflect.DeepEqual(again[0], args) {
				t.Fatalf("re-encoded %q parsed as %q, %v", args, again, err)
			}
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func FuzzReadReply(f *testing.F) {
	var out bytes.Buffer
	for _, proto := range []int{2, 3} {
		out.Reset()
		w := NewWriter(&out)
		w.SetProtocol(proto)
		writeAll(w)
		w.Flush()
		f.Add(bytes.Clone(out.Bytes()))
	}
	for _, s := range []string{
		"+OK\r\n", "-ERR x\r\n", ":1\r\n", "$3\r\nfoo\r\n", "$-1\r\n", "*-1\r\n", "_\r\n",
		"*2\r\n*1\r\n:1\r\n%1\r\n+a\r\n~1\r\n_\r\n", "|1\r\n+a\r\n:1\r\n*1\r\n|1\r\n+b\r\n:2\r\n:3\r\n",
		"=7\r\ntxt:abc\r\n", "!3\r\nerr\r\n", "(123\r\n", "#t\r\n", ",1.5\r\n", ">1\r\n+x\r\n",
		"$999999999\r\nab", "*99999999\r\n", "%4611686018427387904\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		br := bufio.NewReader(bytes.NewReader(in))
		rawBr := bufio.NewReader(bytes.NewReader(in))
		for {
			v, err := ReadReply(br)
			raw, rawErr := ReadRawReply(rawBr)
			if (err == nil) != (rawErr == nil) {
				t.Fatalf("ReadReply: %v, ReadRawReply: %v", err, rawErr)
			}
			if err != nil {
				if err != io.EOF && err != io.ErrUnexpectedEOF && !errors.Is(err, ErrInvalidReply) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			// The raw bytes are one complete reply that parses the same.
			v2, err := ReadReply(bufio.NewReader(bytes.NewReader(raw)))
			if err != nil || !reflect.DeepEqual(v, v2) {
				t.Fatalf("raw %q parsed as %v, %v; want %v", raw, v2, err, v)
			}
			_ = v.String()
		}
	})
}
