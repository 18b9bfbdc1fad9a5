//go:build capture

package lcs

// Capture generator: it sends LCS commands to a real redis-server 7.0 and writes the replies
// to testdata/lcs.txt, which TestLCSCaptured then checks line by line. It was run once
// against redis-server 7.0.15:
//
//	redis-server --port 16397 --save '' --appendonly no --daemonize yes
//	go test -tags capture -run TestCapture ./internal/lcs/ -args -redis=127.0.0.1:16397
//
// The generator is seeded, so a rerun against the same server rewrites an identical file.

import (
	"github.com/concord-db/concord/internal/capture"

	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestCaptureLCS(t *testing.T) {
	c := capture.Dial(t)
	r := rand.New(rand.NewSource(21))
	pairs := [][2]string{{"ohmytext", "mynewtext"}, {"", ""}, {"a", ""}, {"", "a"}, {"abc", "abc"},
		{"abc", "def"}, {"aaaa", "aa"}, {"abab", "baba"}, {"rosettacode", "raisethysword"},
		{"\x00\xff\x00", "\xff\x00\xff"}}
	for i := 0; i < 400; i++ {
		alpha := "abcdefgh"[:2+r.Intn(4)]
		gen := func() string {
			b := make([]byte, r.Intn([]int{4, 12, 40}[r.Intn(3)]))
			for j := range b {
				b[j] = alpha[r.Intn(len(alpha))]
			}
			return string(b)
		}
		pairs = append(pairs, [2]string{gen(), gen()})
	}
	var b strings.Builder
	b.WriteString("# Captured from redis-server 7.0.15 by capture_test.go (go test -tags capture).\n")
	b.WriteString("# a, b (nil: missing), LCS a b, LCS a b LEN, LCS a b IDX WITHMATCHLEN, LCS a b IDX MINMATCHLEN 2\n")
	for i, p := range pairs {
		c.Do("DEL", "a", "b")
		fa, fb := strconv.Quote(p[0]), strconv.Quote(p[1])
		if i == 2 {
			fb = "nil" // a missing key is an empty string
		} else {
			c.Do("SET", "b", p[1])
		}
		c.Do("SET", "a", p[0])
		b.WriteString(strings.Join([]string{fa, fb, c.Do("LCS", "a", "b"), c.Do("LCS", "a", "b", "LEN"),
			c.Do("LCS", "a", "b", "IDX", "WITHMATCHLEN"), c.Do("LCS", "a", "b", "IDX", "MINMATCHLEN", "2")}, "\t") + "\n")
	}
	if err := os.WriteFile(filepath.Join("testdata", "lcs.txt"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
