package hll

import (
	"bufio"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The element families of the captured sequences (capture_test.go).
type family struct {
	name string
	n    int
	elem func(i int) []byte
}

var families = []family{
	{"e", 100000, func(i int) []byte { return []byte("e" + strconv.Itoa(i)) }},
	{"u", 20000, func(i int) []byte { return fmt.Appendf(nil, "user:%08d@example.com", i) }},
	{"r", 5000, func(i int) []byte { // binary elements of 0..32 bytes
		h := sha1.Sum([]byte(strconv.Itoa(i)))
		b := append(h[:], h[:]...)
		return b[:i*7%33]
	}},
	{"s", 40, func(i int) []byte { return []byte{byte('a' + i%26), byte(i / 26)} }},
}

// pfadd applies PFADD of elems to v as the command layer does.
func pfadd(v *Value, seq *uint64, elems [][]byte) bool {
	u, changed := AddElements(v.Registers(), v.Dense(), elems, 3000)
	*seq++
	v.Add(u, obsOf(1, *seq), stamp1)
	return changed
}

// TestRedisCaptured replays the sequences captured from redis-server 7.0.15: after every PFADD
// batch, PFCOUNT, the encoding and the GET string (after PFCOUNT, so with a valid cache) must be
// Redis's; likewise for PFMERGE of the final keys.
func TestRedisCaptured(t *testing.T) {
	f, err := os.Open("testdata/redis.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	values := map[string]*Value{}
	famByName := map[string]family{}
	for _, fam := range families {
		famByName[fam.name] = fam
	}
	var seq uint64
	checked := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		w := strings.Fields(line)
		var v *Value
		var wantCount, wantEnc, wantSum string
		switch w[0] {
		case "add":
			fam := famByName[w[1]]
			from, _ := strconv.Atoi(w[2])
			to, _ := strconv.Atoi(w[3])
			v = values[fam.name]
			if v == nil {
				v = New()
				values[fam.name] = v
			}
			var elems [][]byte
			for i := from; i < to; i++ {
				elems = append(elems, fam.elem(i))
			}
			pfadd(v, &seq, elems)
			wantCount, wantEnc, wantSum = w[4], w[5], w[6]
		case "merge":
			a, b := values[w[1]], values[w[2]]
			var union Registers
			union.MaxWith(a.Registers())
			union.MaxWith(b.Registers())
			if got := strconv.FormatUint(union.Count(), 10); got != w[3] {
				t.Errorf("%s: PFCOUNT union %s, want %s", line, got, w[3])
			}
			v = New()
			u, _ := MergeRegisters(v.Registers(), false, &union, a.Dense() || b.Dense(), 3000)
			seq++
			v.Add(u, obsOf(1, seq), stamp1)
			wantCount, wantEnc, wantSum = w[4], w[5], w[6]
		default:
			t.Fatalf("bad line %q", line)
		}
		if got := strconv.FormatUint(v.Count(), 10); got != wantCount {
			t.Errorf("%s: PFCOUNT %s", line, got)
		}
		enc := "sparse"
		if v.Dense() {
			enc = "dense"
		}
		if enc != wantEnc {
			t.Errorf("%s: encoding %s", line, enc)
		}
		sum := sha1.Sum(v.AppendRedis(nil))
		if got := hex.EncodeToString(sum[:]); got != wantSum {
			t.Errorf("%s: GET digest %s", line, got)
		}
		checked++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if checked < 500 {
		t.Fatalf("only %d captured lines", checked)
	}
}
