package glob

import (
	"bufio"
	"fmt"
	"github.com/concord-db/concord/test/testserver"
	"math/rand"
	"net"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// redisConn is a minimal RESP2 client for the differential tests.
type redisConn struct {
	c net.Conn
	r *bufio.Reader
}

func (rc *redisConn) do(args ...string) (any, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	rc.c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := rc.c.Write([]byte(b.String())); err != nil {
		return nil, err
	}
	return rc.read()
}

func (rc *redisConn) read() (any, error) {
	line, err := rc.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, fmt.Errorf("empty reply line")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return fmt.Errorf("%s", line[1:]), nil
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := readFull(rc.r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, _ := strconv.Atoi(line[1:])
		out := make([]any, 0, max(n, 0))
		for i := 0; i < n; i++ {
			v, err := rc.read()
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected reply %q", line)
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

// startRedis starts a throw-away redis-server (skipped without one, failing under
// CONCORD_REQUIRE_REDIS=1, as every differential test) and connects to it.
func startRedis(t *testing.T) *redisConn {
	t.Helper()
	srv := testserver.StartRedis(t)
	c, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &redisConn{c: c, r: bufio.NewReader(c)}
}

func strs(t *testing.T, v any) []string {
	t.Helper()
	arr, ok := v.([]any)
	if !ok {
		t.Fatalf("expected an array, got %#v", v)
	}
	out := make([]string, len(arr))
	for i, x := range arr {
		out[i] = x.(string)
	}
	return out
}

// TestAgainstRedis compares Match with KEYS (case-sensitive) and with
// CONFIG GET (case-insensitive) on a live redis-server.
func TestAgainstRedis(t *testing.T) {
	rc := startRedis(t)
	rng := rand.New(rand.NewSource(3))

	keyAlpha := []byte("abAB-]\\*?[^\x00\x80\xff")
	keySet := map[string]bool{}
	for _, tc := range matchCases {
		if !tc.nocase && tc.s != "" {
			keySet[tc.s] = true
		}
	}
	for len(keySet) < 400 {
		keySet[string(randBytes(rng, keyAlpha, 1+rng.Intn(6)))] = true
	}
	keys := make([]string, 0, len(keySet))
	args := []string{"MSET"}
	for k := range keySet {
		keys = append(keys, k)
		args = append(args, k, "1")
	}
	if v, err := rc.do(args...); err != nil || v != "OK" {
		t.Fatalf("MSET: %v %v", v, err)
	}

	patterns := []string{}
	for _, tc := range matchCases {
		if !tc.nocase {
			patterns = append(patterns, tc.pattern)
		}
	}
	patAlpha := []byte("abAB-]\\*?[^\x00\x80\xff")
	for i := 0; i < 1500; i++ {
		patterns = append(patterns, string(randBytes(rng, patAlpha, rng.Intn(7))))
	}
	for _, p := range patterns {
		if p == "*" {
			continue // KEYS short-cuts "*" without calling the matcher
		}
		v, err := rc.do("KEYS", p)
		if err != nil {
			t.Fatal(err)
		}
		got := strs(t, v)
		var want []string
		for _, k := range keys {
			if MatchString(p, k, false) {
				want = append(want, k)
			}
		}
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, "\x01") != strings.Join(want, "\x01") {
			t.Errorf("KEYS %q: redis %q, Match %q", p, got, want)
		}
	}

	// Case-insensitive matching through CONFIG GET.
	v, err := rc.do("CONFIG", "GET", "*")
	if err != nil {
		t.Fatal(err)
	}
	all := strs(t, v)
	var names []string
	for i := 0; i < len(all); i += 2 {
		names = append(names, all[i])
	}
	cfgPatterns := []string{"*PORT*", "[A-C]*", "*-?AX*", "[^a-z]*", "*[Z-a]*", "\\P*", "*LIST*[sS]"}
	for _, tc := range matchCases {
		if tc.nocase {
			cfgPatterns = append(cfgPatterns, tc.pattern)
		}
	}
	for i := 0; i < 300; i++ {
		cfgPatterns = append(cfgPatterns, "*"+string(randBytes(rng, []byte("aeiouMAXPORT-*?[]^"), 1+rng.Intn(4)))+"*")
	}
	for _, p := range cfgPatterns {
		if !strings.ContainsAny(p, "*?[") {
			continue // exact names are looked up, not matched
		}
		v, err := rc.do("CONFIG", "GET", p)
		if err != nil {
			t.Fatal(err)
		}
		res := strs(t, v)
		var got, want []string
		for i := 0; i < len(res); i += 2 {
			got = append(got, res[i])
		}
		for _, n := range names {
			if MatchString(p, n, true) {
				want = append(want, n)
			}
		}
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("CONFIG GET %q: redis %q, Match %q", p, got, want)
		}
	}
}
