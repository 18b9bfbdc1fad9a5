//go:build capture

package command

// Checks the replies recorded in lists_cases_test.go against a running redis-server 7.0: each
// case on an empty server (FLUSHALL; HELLO 3 first for the "resp3" cases), every reply byte for
// byte. The cases were recorded this way from redis-server 7.0.15:
//
//	redis-server --port 16520 --save '' --appendonly no --enable-debug-command yes --daemonize yes
//	go test -tags capture -run TestListCasesAgainstRedis ./internal/command/ -args -list-redis=127.0.0.1:16520

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
)

var listCaptureAddr = flag.String("list-redis", "127.0.0.1:16520", "redis-server 7.0 to compare the list cases with")

func TestListCasesAgainstRedis(t *testing.T) {
	for _, tc := range listCases {
		nc, err := net.Dial("tcp", *listCaptureAddr)
		if err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(nc)
		do := func(args ...string) string {
			var b strings.Builder
			fmt.Fprintf(&b, "*%d\r\n", len(args))
			for _, a := range args {
				fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
			}
			if _, err := nc.Write([]byte(b.String())); err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			listReadReply(t, r, &out)
			return out.String()
		}
		do("FLUSHALL")
		if strings.HasPrefix(tc.name, "resp3") {
			do("HELLO", "3")
		}
		for i, st := range tc.steps {
			if got := do(splitArgs(st.cmd)...); got != st.want {
				t.Errorf("%s step %d %s:\n redis    %q\n recorded %q", tc.name, i, st.cmd, got, st.want)
			}
		}
		nc.Close()
	}
}

// listReadReply appends one RESP2/RESP3 reply, exactly as received.
func listReadReply(t *testing.T, r *bufio.Reader, out *strings.Builder) {
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	out.WriteString(line)
	n, _ := strconv.Atoi(strings.TrimSuffix(line[1:], "\r\n"))
	switch line[0] {
	case '$', '=', '!':
		if n >= 0 {
			buf := make([]byte, n+2)
			if _, err := io.ReadFull(r, buf); err != nil {
				t.Fatal(err)
			}
			out.Write(buf)
		}
	case '*', '~', '>':
		for range max(n, 0) {
			listReadReply(t, r, out)
		}
	case '%', '|':
		for range max(2*n, 0) {
			listReadReply(t, r, out)
		}
	}
}
