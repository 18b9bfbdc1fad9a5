package command

import "testing"

func TestLCSCaptured(t *testing.T) { runCapScripts(t, lcsScripts) }

// TestLCSMatchesBruteForce checks the LCS length against a plain recursive definition on
// small strings, and that the subsequence returned is one of both strings.
func TestLCSMatchesBruteForce(t *testing.T) {
	var length func(a, b string) int
	memo := map[[2]string]int{}
	length = func(a, b string) int {
		if a == "" || b == "" {
			return 0
		}
		k := [2]string{a, b}
		if n, ok := memo[k]; ok {
			return n
		}
		var n int
		if a[0] == b[0] {
			n = 1 + length(a[1:], b[1:])
		} else {
			n = max(length(a[1:], b), length(a, b[1:]))
		}
		memo[k] = n
		return n
	}
	isSubseq := func(s, of string) bool {
		for i := 0; i < len(of) && s != ""; i++ {
			if of[i] == s[0] {
				s = s[1:]
			}
		}
		return s == ""
	}
	words := []string{"", "a", "ab", "ba", "abcbdab", "bdcaba", "aaaa", "xyz", "ohmytext", "mynewtext", "abcabcabc", "cbacbacba"}
	for _, a := range words {
		for _, b := range words {
			if n := lcs([]byte(a), []byte(b), false, 0).length; int(n) != length(a, b) {
				t.Errorf("LCS(%q, %q) LEN %d, want %d", a, b, n, length(a, b))
			}
			res := lcs([]byte(a), []byte(b), true, 0)
			if int(res.length) != length(a, b) {
				t.Errorf("LCS(%q, %q) length %d, want %d", a, b, res.length, length(a, b))
			}
			s := string(res.seq)
			if len(s) != int(res.length) || !isSubseq(s, a) || !isSubseq(s, b) {
				t.Errorf("LCS(%q, %q) = %q is not a common subsequence of that length", a, b, s)
			}
			total := 0
			for _, m := range res.matches {
				if a[m.aStart:m.aEnd+1] != b[m.bStart:m.bEnd+1] {
					t.Errorf("LCS(%q, %q): range %+v does not match", a, b, m)
				}
				total += int(m.aEnd - m.aStart + 1)
			}
			if total != int(res.length) {
				t.Errorf("LCS(%q, %q): ranges cover %d bytes, want %d", a, b, total, res.length)
			}
		}
	}
}

// lcsScripts were captured from redis-server 7.0.15.
var lcsScripts = []capScript{
	{"lcs", []capStep{
		{[]string{"SET", "a", "ohmytext"}, "+OK\r\n", ""},
		{[]string{"SET", "b", "mynewtext"}, "+OK\r\n", ""},
		{[]string{"LCS", "a", "b"}, "$6\r\nmytext\r\n", ""},
		{[]string{"LCS", "b", "a"}, "$6\r\nmytext\r\n", ""},
		{[]string{"LCS", "a", "b", "LEN"}, ":6\r\n", ""},
		{[]string{"LCS", "b", "a", "LEN"}, ":6\r\n", ""},
		{[]string{"LCS", "a", "b", "len"}, ":6\r\n", ""},
		{[]string{"LCS", "b", "a", "len"}, ":6\r\n", ""},
		{[]string{"LCS", "a", "b", "IDX"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n", "%2\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "b", "a", "IDX"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:5\r\n:8\r\n*2\r\n:4\r\n:7\r\n*2\r\n*2\r\n:0\r\n:1\r\n*2\r\n:2\r\n:3\r\n$3\r\nlen\r\n:6\r\n", "%2\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:5\r\n:8\r\n*2\r\n:4\r\n:7\r\n*2\r\n*2\r\n:0\r\n:1\r\n*2\r\n:2\r\n:3\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "a", "b", "idx"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n", "%2\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "b", "a", "idx"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:5\r\n:8\r\n*2\r\n:4\r\n:7\r\n*2\r\n*2\r\n:0\r\n:1\r\n*2\r\n:2\r\n:3\r\n$3\r\nlen\r\n:6\r\n", "%2\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:5\r\n:8\r\n*2\r\n:4\r\n:7\r\n*2\r\n*2\r\n:0\r\n:1\r\n*2\r\n:2\r\n:3\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "a", "b", "IDX", "MINMATCHLEN", "4"}, "*4\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n", "%2\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "b", "a", "IDX", "MINMATCHLEN", "4"}, "*4\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:5\r\n:8\r\n*2\r\n:4\r\n:7\r\n$3\r\nlen\r\n:6\r\n", "%2\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:5\r\n:8\r\n*2\r\n:4\r\n:7\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "a", "b", "IDX", "WITHMATCHLEN"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n", "%2\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "b", "a", "IDX", "WITHMATCHLEN"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:5\r\n:8\r\n*2\r\n:4\r\n:7\r\n:4\r\n*3\r\n*2\r\n:0\r\n:1\r\n*2\r\n:2\r\n:3\r\n:2\r\n$3\r\nlen\r\n:6\r\n", "%2\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:5\r\n:8\r\n*2\r\n:4\r\n:7\r\n:4\r\n*3\r\n*2\r\n:0\r\n:1\r\n*2\r\n:2\r\n:3\r\n:2\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"}, "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n", "%2\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "b", "a", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"}, "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:5\r\n:8\r\n*2\r\n:4\r\n:7\r\n:4\r\n$3\r\nlen\r\n:6\r\n", "%2\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:5\r\n:8\r\n*2\r\n:4\r\n:7\r\n:4\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "a", "b", "WITHMATCHLEN", "IDX", "MINMATCHLEN", "2"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n", "%2\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "b", "a", "WITHMATCHLEN", "IDX", "MINMATCHLEN", "2"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:5\r\n:8\r\n*2\r\n:4\r\n:7\r\n:4\r\n*3\r\n*2\r\n:0\r\n:1\r\n*2\r\n:2\r\n:3\r\n:2\r\n$3\r\nlen\r\n:6\r\n", "%2\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:5\r\n:8\r\n*2\r\n:4\r\n:7\r\n:4\r\n*3\r\n*2\r\n:0\r\n:1\r\n*2\r\n:2\r\n:3\r\n:2\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "a", "b", "IDX", "MINMATCHLEN", "-5"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n", "%2\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "b", "a", "IDX", "MINMATCHLEN", "-5"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:5\r\n:8\r\n*2\r\n:4\r\n:7\r\n*2\r\n*2\r\n:0\r\n:1\r\n*2\r\n:2\r\n:3\r\n$3\r\nlen\r\n:6\r\n", "%2\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:5\r\n:8\r\n*2\r\n:4\r\n:7\r\n*2\r\n*2\r\n:0\r\n:1\r\n*2\r\n:2\r\n:3\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "a", "b", "IDX", "MINMATCHLEN", "0"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n", "%2\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "b", "a", "IDX", "MINMATCHLEN", "0"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:5\r\n:8\r\n*2\r\n:4\r\n:7\r\n*2\r\n*2\r\n:0\r\n:1\r\n*2\r\n:2\r\n:3\r\n$3\r\nlen\r\n:6\r\n", "%2\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:5\r\n:8\r\n*2\r\n:4\r\n:7\r\n*2\r\n*2\r\n:0\r\n:1\r\n*2\r\n:2\r\n:3\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "a", "b", "IDX", "MINMATCHLEN", "100"}, "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:6\r\n", "%2\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "b", "a", "IDX", "MINMATCHLEN", "100"}, "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:6\r\n", "%2\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "a", "b", "MINMATCHLEN", "2"}, "$6\r\nmytext\r\n", ""},
		{[]string{"LCS", "b", "a", "MINMATCHLEN", "2"}, "$6\r\nmytext\r\n", ""},
		{[]string{"LCS", "a", "b", "WITHMATCHLEN"}, "$6\r\nmytext\r\n", ""},
		{[]string{"LCS", "b", "a", "WITHMATCHLEN"}, "$6\r\nmytext\r\n", ""},
		{[]string{"LCS", "a", "b", "LEN", "WITHMATCHLEN"}, ":6\r\n", ""},
		{[]string{"LCS", "b", "a", "LEN", "WITHMATCHLEN"}, ":6\r\n", ""},
		{[]string{"LCS", "a", "b", "LEN", "MINMATCHLEN", "3"}, ":6\r\n", ""},
		{[]string{"LCS", "b", "a", "LEN", "MINMATCHLEN", "3"}, ":6\r\n", ""},
		{[]string{"LCS", "a", "b", "IDX", "IDX"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n", "%2\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "b", "a", "IDX", "IDX"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:5\r\n:8\r\n*2\r\n:4\r\n:7\r\n*2\r\n*2\r\n:0\r\n:1\r\n*2\r\n:2\r\n:3\r\n$3\r\nlen\r\n:6\r\n", "%2\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:5\r\n:8\r\n*2\r\n:4\r\n:7\r\n*2\r\n*2\r\n:0\r\n:1\r\n*2\r\n:2\r\n:3\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "a", "b", "IDX", "MINMATCHLEN", "1", "MINMATCHLEN", "3"}, "*4\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n", "%2\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "b", "a", "IDX", "MINMATCHLEN", "1", "MINMATCHLEN", "3"}, "*4\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:5\r\n:8\r\n*2\r\n:4\r\n:7\r\n$3\r\nlen\r\n:6\r\n", "%2\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:5\r\n:8\r\n*2\r\n:4\r\n:7\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "a", "b", "LEN", "IDX"}, "-ERR If you want both the length and indexes, please just use IDX.\r\n", ""},
		{[]string{"LCS", "b", "a", "LEN", "IDX"}, "-ERR If you want both the length and indexes, please just use IDX.\r\n", ""},
		{[]string{"LCS", "a", "b", "IDX", "LEN"}, "-ERR If you want both the length and indexes, please just use IDX.\r\n", ""},
		{[]string{"LCS", "b", "a", "IDX", "LEN"}, "-ERR If you want both the length and indexes, please just use IDX.\r\n", ""},
		{[]string{"LCS", "a", "b", "IDX", "LEN", "FOO"}, "-ERR syntax error\r\n", ""},
		{[]string{"LCS", "b", "a", "IDX", "LEN", "FOO"}, "-ERR syntax error\r\n", ""},
		{[]string{"LCS", "a", "b", "FOO"}, "-ERR syntax error\r\n", ""},
		{[]string{"LCS", "b", "a", "FOO"}, "-ERR syntax error\r\n", ""},
		{[]string{"LCS", "a", "b", "MINMATCHLEN"}, "-ERR syntax error\r\n", ""},
		{[]string{"LCS", "b", "a", "MINMATCHLEN"}, "-ERR syntax error\r\n", ""},
		{[]string{"LCS", "a", "b", "IDX", "MINMATCHLEN"}, "-ERR syntax error\r\n", ""},
		{[]string{"LCS", "b", "a", "IDX", "MINMATCHLEN"}, "-ERR syntax error\r\n", ""},
		{[]string{"LCS", "a", "b", "MINMATCHLEN", "abc"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"LCS", "b", "a", "MINMATCHLEN", "abc"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"LCS", "a", "b", "MINMATCHLEN", "1.5"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"LCS", "b", "a", "MINMATCHLEN", "1.5"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"LCS", "a", "b", "MINMATCHLEN", "abc", "LEN", "IDX"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"LCS", "b", "a", "MINMATCHLEN", "abc", "LEN", "IDX"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"LCS", "a", "b", "LEN", "IDX", "MINMATCHLEN", "abc"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"LCS", "b", "a", "LEN", "IDX", "MINMATCHLEN", "abc"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"LCS", "a", "nokey"}, "$0\r\n\r\n", ""},
		{[]string{"LCS", "nokey", "a", "IDX"}, "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n", "%2\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"},
		{[]string{"LCS", "nokey", "nokey2", "LEN"}, ":0\r\n", ""},
		{[]string{"LCS", "nokey", "nokey2", "IDX", "WITHMATCHLEN"}, "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n", "%2\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"},
		{[]string{"LCS", "a", "a", "IDX", "WITHMATCHLEN"}, "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:0\r\n:7\r\n*2\r\n:0\r\n:7\r\n:8\r\n$3\r\nlen\r\n:8\r\n", "%2\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:0\r\n:7\r\n*2\r\n:0\r\n:7\r\n:8\r\n$3\r\nlen\r\n:8\r\n"},
		{[]string{"LCS", "a", "a"}, "$8\r\nohmytext\r\n", ""},
		{[]string{"SET", "e", ""}, "+OK\r\n", ""},
		{[]string{"LCS", "e", "a", "IDX"}, "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n", "%2\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"},
		{[]string{"LCS", "a", "e"}, "$0\r\n\r\n", ""},
		{[]string{"SET", "x", "abc"}, "+OK\r\n", ""},
		{[]string{"SET", "y", "xyz"}, "+OK\r\n", ""},
		{[]string{"LCS", "x", "y"}, "$0\r\n\r\n", ""},
		{[]string{"LCS", "x", "y", "IDX"}, "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n", "%2\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"},
		{[]string{"LCS", "x", "y", "LEN"}, ":0\r\n", ""},
		{[]string{"SET", "p", "aaaa"}, "+OK\r\n", ""},
		{[]string{"SET", "q", "aa"}, "+OK\r\n", ""},
		{[]string{"LCS", "p", "q", "IDX", "WITHMATCHLEN"}, "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:2\r\n", "%2\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:2\r\n"},
		{[]string{"LCS", "q", "p", "IDX", "WITHMATCHLEN"}, "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:0\r\n:1\r\n*2\r\n:2\r\n:3\r\n:2\r\n$3\r\nlen\r\n:2\r\n", "%2\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:0\r\n:1\r\n*2\r\n:2\r\n:3\r\n:2\r\n$3\r\nlen\r\n:2\r\n"},
		{[]string{"SET", "r", "abcabcabc"}, "+OK\r\n", ""},
		{[]string{"SET", "s", "cbacbacba"}, "+OK\r\n", ""},
		{[]string{"LCS", "r", "s"}, "$5\r\ncbabc\r\n", ""},
		{[]string{"LCS", "r", "s", "IDX", "WITHMATCHLEN"}, "*4\r\n$7\r\nmatches\r\n*5\r\n*3\r\n*2\r\n:8\r\n:8\r\n*2\r\n:6\r\n:6\r\n:1\r\n*3\r\n*2\r\n:7\r\n:7\r\n*2\r\n:4\r\n:4\r\n:1\r\n*3\r\n*2\r\n:6\r\n:6\r\n*2\r\n:2\r\n:2\r\n:1\r\n*3\r\n*2\r\n:4\r\n:4\r\n*2\r\n:1\r\n:1\r\n:1\r\n*3\r\n*2\r\n:2\r\n:2\r\n*2\r\n:0\r\n:0\r\n:1\r\n$3\r\nlen\r\n:5\r\n", "%2\r\n$7\r\nmatches\r\n*5\r\n*3\r\n*2\r\n:8\r\n:8\r\n*2\r\n:6\r\n:6\r\n:1\r\n*3\r\n*2\r\n:7\r\n:7\r\n*2\r\n:4\r\n:4\r\n:1\r\n*3\r\n*2\r\n:6\r\n:6\r\n*2\r\n:2\r\n:2\r\n:1\r\n*3\r\n*2\r\n:4\r\n:4\r\n*2\r\n:1\r\n:1\r\n:1\r\n*3\r\n*2\r\n:2\r\n:2\r\n*2\r\n:0\r\n:0\r\n:1\r\n$3\r\nlen\r\n:5\r\n"},
		{[]string{"LCS", "s", "r", "IDX"}, "*4\r\n$7\r\nmatches\r\n*5\r\n*2\r\n*2\r\n:8\r\n:8\r\n*2\r\n:6\r\n:6\r\n*2\r\n*2\r\n:7\r\n:7\r\n*2\r\n:4\r\n:4\r\n*2\r\n*2\r\n:6\r\n:6\r\n*2\r\n:2\r\n:2\r\n*2\r\n*2\r\n:4\r\n:4\r\n*2\r\n:1\r\n:1\r\n*2\r\n*2\r\n:2\r\n:2\r\n*2\r\n:0\r\n:0\r\n$3\r\nlen\r\n:5\r\n", "%2\r\n$7\r\nmatches\r\n*5\r\n*2\r\n*2\r\n:8\r\n:8\r\n*2\r\n:6\r\n:6\r\n*2\r\n*2\r\n:7\r\n:7\r\n*2\r\n:4\r\n:4\r\n*2\r\n*2\r\n:6\r\n:6\r\n*2\r\n:2\r\n:2\r\n*2\r\n*2\r\n:4\r\n:4\r\n*2\r\n:1\r\n:1\r\n*2\r\n*2\r\n:2\r\n:2\r\n*2\r\n:0\r\n:0\r\n$3\r\nlen\r\n:5\r\n"},
		{[]string{"SET", "bin1", "\x00\x01\x02\xff\x00"}, "+OK\r\n", ""},
		{[]string{"SET", "bin2", "\xff\x00\x01\x00"}, "+OK\r\n", ""},
		{[]string{"LCS", "bin1", "bin2"}, "$3\r\n\x00\x01\x00\r\n", ""},
		{[]string{"LCS", "bin1", "bin2", "IDX"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:4\r\n*2\r\n:3\r\n:3\r\n*2\r\n*2\r\n:0\r\n:1\r\n*2\r\n:1\r\n:2\r\n$3\r\nlen\r\n:3\r\n", "%2\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:4\r\n*2\r\n:3\r\n:3\r\n*2\r\n*2\r\n:0\r\n:1\r\n*2\r\n:1\r\n:2\r\n$3\r\nlen\r\n:3\r\n"},
		{[]string{"SET", "n1", "1234567"}, "+OK\r\n", ""},
		{[]string{"SET", "n2", "7654321234"}, "+OK\r\n", ""},
		{[]string{"LCS", "n1", "n2"}, "$4\r\n1234\r\n", ""},
		{[]string{"LCS", "n1", "n2", "IDX", "WITHMATCHLEN", "MINMATCHLEN", "2"}, "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:0\r\n:3\r\n*2\r\n:6\r\n:9\r\n:4\r\n$3\r\nlen\r\n:4\r\n", "%2\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:0\r\n:3\r\n*2\r\n:6\r\n:9\r\n:4\r\n$3\r\nlen\r\n:4\r\n"},
		{[]string{"SET", "t1", "GTTCCTAATATAGGCGTGCGTAGCTAGCTAGCTAGCTAGCT"}, "+OK\r\n", ""},
		{[]string{"SET", "t2", "ACGTGCATCGTAGCTAGCTAGGATTCGTAGC"}, "+OK\r\n", ""},
		{[]string{"LCS", "t1", "t2"}, "$24\r\nACGTGCACTAGCTAGCTAGCTAGC\r\n", ""},
		{[]string{"LCS", "t1", "t2", "IDX", "WITHMATCHLEN"}, "*4\r\n$7\r\nmatches\r\n*8\r\n*3\r\n*2\r\n:36\r\n:39\r\n*2\r\n:27\r\n:30\r\n:4\r\n*3\r\n*2\r\n:35\r\n:35\r\n*2\r\n:25\r\n:25\r\n:1\r\n*3\r\n*2\r\n:34\r\n:34\r\n*2\r\n:21\r\n:21\r\n:1\r\n*3\r\n*2\r\n:24\r\n:33\r\n*2\r\n:10\r\n:19\r\n:10\r\n*3\r\n*2\r\n:23\r\n:23\r\n*2\r\n:8\r\n:8\r\n:1\r\n*3\r\n*2\r\n:21\r\n:21\r\n*2\r\n:6\r\n:6\r\n:1\r\n*3\r\n*2\r\n:14\r\n:18\r\n*2\r\n:1\r\n:5\r\n:5\r\n*3\r\n*2\r\n:11\r\n:11\r\n*2\r\n:0\r\n:0\r\n:1\r\n$3\r\nlen\r\n:24\r\n", "%2\r\n$7\r\nmatches\r\n*8\r\n*3\r\n*2\r\n:36\r\n:39\r\n*2\r\n:27\r\n:30\r\n:4\r\n*3\r\n*2\r\n:35\r\n:35\r\n*2\r\n:25\r\n:25\r\n:1\r\n*3\r\n*2\r\n:34\r\n:34\r\n*2\r\n:21\r\n:21\r\n:1\r\n*3\r\n*2\r\n:24\r\n:33\r\n*2\r\n:10\r\n:19\r\n:10\r\n*3\r\n*2\r\n:23\r\n:23\r\n*2\r\n:8\r\n:8\r\n:1\r\n*3\r\n*2\r\n:21\r\n:21\r\n*2\r\n:6\r\n:6\r\n:1\r\n*3\r\n*2\r\n:14\r\n:18\r\n*2\r\n:1\r\n:5\r\n:5\r\n*3\r\n*2\r\n:11\r\n:11\r\n*2\r\n:0\r\n:0\r\n:1\r\n$3\r\nlen\r\n:24\r\n"},
		{[]string{"LCS", "t1", "t2", "IDX", "MINMATCHLEN", "3"}, "*4\r\n$7\r\nmatches\r\n*3\r\n*2\r\n*2\r\n:36\r\n:39\r\n*2\r\n:27\r\n:30\r\n*2\r\n*2\r\n:24\r\n:33\r\n*2\r\n:10\r\n:19\r\n*2\r\n*2\r\n:14\r\n:18\r\n*2\r\n:1\r\n:5\r\n$3\r\nlen\r\n:24\r\n", "%2\r\n$7\r\nmatches\r\n*3\r\n*2\r\n*2\r\n:36\r\n:39\r\n*2\r\n:27\r\n:30\r\n*2\r\n*2\r\n:24\r\n:33\r\n*2\r\n:10\r\n:19\r\n*2\r\n*2\r\n:14\r\n:18\r\n*2\r\n:1\r\n:5\r\n$3\r\nlen\r\n:24\r\n"},
		{[]string{"!list", "l"}, "", ""},
		{[]string{"LCS", "l", "a"}, "-ERR The specified keys must contain string values\r\n", ""},
		{[]string{"LCS", "a", "l"}, "-ERR The specified keys must contain string values\r\n", ""},
		{[]string{"LCS", "l", "nokey", "FOO"}, "-ERR The specified keys must contain string values\r\n", ""},
		{[]string{"LCS", "a", "l", "LEN", "IDX"}, "-ERR The specified keys must contain string values\r\n", ""},
		{[]string{"!maxlen", "1048576"}, "", ""},
		{[]string{"SET", "big1", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}, "+OK\r\n", ""},
		{[]string{"SET", "big2", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}, "+OK\r\n", ""},
		{[]string{"LCS", "big1", "big2", "LEN"}, ":0\r\n", ""},
		{[]string{"SET", "big3", "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"}, "+OK\r\n", ""},
		{[]string{"LCS", "big1", "big3", "LEN"}, "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n", ""},
		{[]string{"LCS", "big3", "big1", "FOO"}, "-ERR syntax error\r\n", ""},
		{[]string{"LCS", "big3", "big3", "LEN", "IDX"}, "-ERR If you want both the length and indexes, please just use IDX.\r\n", ""},
		{[]string{"LCS", "big3", "big3", "LEN"}, "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n", ""},
		{[]string{"APPEND", "big2", "b"}, ":512\r\n", ""},
		{[]string{"LCS", "big1", "big2"}, "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n", ""},
		{[]string{"LCS", "a"}, "-ERR wrong number of arguments for 'lcs' command\r\n", ""},
		{[]string{"LCS"}, "-ERR wrong number of arguments for 'lcs' command\r\n", ""},
		{[]string{"lcs", "a", "b", "idx", "withmatchlen"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n", "%2\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n"},
	}},
}
