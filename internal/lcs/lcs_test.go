package lcs

import (
	"bufio"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// idxReply encodes LCS ... IDX [MINMATCHLEN min] [WITHMATCHLEN] as the capture file does.
func idxReply(length int, matches []Match, minLen int64, withLen bool) string {
	var parts []string
	for _, m := range matches {
		if minLen != 0 && m.Len < minLen {
			continue
		}
		p := "[[:" + strconv.FormatInt(m.A[0], 10) + ",:" + strconv.FormatInt(m.A[1], 10) + "],[:" +
			strconv.FormatInt(m.B[0], 10) + ",:" + strconv.FormatInt(m.B[1], 10) + "]"
		if withLen {
			p += ",:" + strconv.FormatInt(m.Len, 10)
		}
		parts = append(parts, p+"]")
	}
	return `["matches",[` + strings.Join(parts, ",") + `],"len",:` + strconv.Itoa(length) + "]"
}

func TestLCSCaptured(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "lcs.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		row := strings.Split(line, "\t")
		if len(row) != 6 {
			t.Fatalf("bad line %q", line)
		}
		a, err := strconv.Unquote(row[0])
		if err != nil {
			t.Fatal(err)
		}
		b := ""
		if row[1] != "nil" {
			if b, err = strconv.Unquote(row[1]); err != nil {
				t.Fatal(err)
			}
		}
		lcs, length, matches := LCS([]byte(a), []byte(b))
		got := []string{strconv.Quote(string(lcs)), ":" + strconv.Itoa(length),
			idxReply(length, matches, 0, true), idxReply(length, matches, 2, false)}
		for i, g := range got {
			if g != row[2+i] {
				t.Errorf("LCS %s %s (reply %d): got %s, redis %s", row[0], row[1], i, g, row[2+i])
			}
		}
		n++
	}
	if n == 0 {
		t.Fatal("no cases")
	}
}

// The result is a common subsequence of the stated length, the ranges are equal substrings
// that together spell it, from last to first.
func TestLCSProperty(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	isSubseq := func(s, of []byte) bool {
		i := 0
		for j := 0; j < len(of) && i < len(s); j++ {
			if of[j] == s[i] {
				i++
			}
		}
		return i == len(s)
	}
	for i := 0; i < 3000; i++ {
		gen := func() []byte {
			b := make([]byte, r.Intn(30))
			for j := range b {
				b[j] = "abc"[r.Intn(3)]
			}
			return b
		}
		a, b := gen(), gen()
		lcs, length, matches := LCS(a, b)
		if len(lcs) != length || !isSubseq(lcs, a) || !isSubseq(lcs, b) {
			t.Fatalf("LCS(%s, %s) = %s, %d", a, b, lcs, length)
		}
		var spelled []byte
		for k := len(matches) - 1; k >= 0; k-- {
			m := matches[k]
			sa, sb := a[m.A[0]:m.A[1]+1], b[m.B[0]:m.B[1]+1]
			if string(sa) != string(sb) || int64(len(sa)) != m.Len {
				t.Fatalf("LCS(%s, %s): bad range %+v", a, b, m)
			}
			if k < len(matches)-1 && (m.A[0] <= matches[k+1].A[1] || m.B[0] <= matches[k+1].B[1]) {
				t.Fatalf("LCS(%s, %s): ranges out of order %+v", a, b, matches)
			}
			spelled = append(spelled, sa...)
		}
		if string(spelled) != string(lcs) {
			t.Fatalf("LCS(%s, %s): ranges spell %s, not %s", a, b, spelled, lcs)
		}
	}
}

func TestLimits(t *testing.T) {
	if TableBytes(600, 600) != 601*601*4 {
		t.Errorf("TableBytes = %d", TableBytes(600, 600))
	}
	if TooLong(1000, 1000) || !TooLong(1<<32-2, 0) || TooLong(1<<32-3, 0) {
		t.Errorf("TooLong")
	}
}

func BenchmarkLCS1KiB(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	x, y := make([]byte, 1024), make([]byte, 1024)
	for i := range x {
		x[i], y[i] = "acgt"[r.Intn(4)], "acgt"[r.Intn(4)]
	}
	for i := 0; i < b.N; i++ {
		LCS(x, y)
	}
}
