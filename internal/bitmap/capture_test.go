//go:build capture

package bitmap

// Capture generators: they send random and hand-picked commands to a real redis-server 7.0 and
// write its replies to testdata/, which the ordinary unit tests then check line by line.
// They were run once against redis-server 7.0.15:
//
//	redis-server --port 16397 --save '' --appendonly no --daemonize yes
//	go test -tags capture -run TestCapture ./internal/bitmap/ -args -redis=127.0.0.1:16397
//
// The generators are seeded, so a rerun against the same server rewrites identical files.
// Strings are written in hexadecimal ("" for an empty string, nil for a missing key).

import (
	"github.com/concord-db/concord/internal/capture"

	"encoding/hex"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const captureHeader = "# Captured from redis-server 7.0.15 by capture_test.go (go test -tags capture).\n"

func writeTestdata(t *testing.T, name, columns string, lines []string) {
	t.Helper()
	var b strings.Builder
	b.WriteString(captureHeader)
	b.WriteString("# " + columns + "\n")
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	if err := os.WriteFile(filepath.Join("testdata", name), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// randBytes returns a random string, biased towards runs of zeros and ones.
func randBytes(r *rand.Rand, maxLen int) []byte {
	b := make([]byte, r.Intn(maxLen+1))
	mode := r.Intn(5)
	for i := range b {
		switch mode {
		case 0:
			b[i] = byte(r.Intn(256))
		case 1: // sparse ones
			if r.Intn(6) == 0 {
				b[i] = 1 << r.Intn(8)
			}
		case 2: // sparse zeros
			b[i] = 0xff
			if r.Intn(6) == 0 {
				b[i] &^= 1 << r.Intn(8)
			}
		case 3: // runs
			if i > 0 && r.Intn(4) > 0 {
				b[i] = b[i-1]
			} else {
				b[i] = []byte{0, 0xff, 0x0f, 0xf0, 0x80, 0x01}[r.Intn(6)]
			}
		default:
			b[i] = byte(r.Intn(256)) & byte(r.Intn(256))
		}
	}
	return b
}

// setKey makes key hold v, or be missing when v is nil.
func setKey(c *capture.Client, key string, v []byte) {
	c.Do("DEL", key)
	if v != nil {
		c.Do("SET", key, string(v))
	}
}

// keyHex returns the key's value in hexadecimal, or "nil".
func keyHex(c *capture.Client, key string) string {
	if n := c.Do("STRLEN", key); len(n) > 4 {
		return "len" + n
	}
	v := c.Do("GET", key)
	if v == "nil" {
		return "nil"
	}
	s, err := strconv.Unquote(v)
	if err != nil {
		panic(v)
	}
	return hex.EncodeToString([]byte(s))
}

// randIndex returns a BITCOUNT / BITPOS index for a string of n bytes.
func randIndex(r *rand.Rand, n int, bit bool) string {
	lim := n + 3
	if bit {
		lim = 8*n + 12
	}
	switch r.Intn(12) {
	case 0:
		return []string{"0", "-1", "9223372036854775807", "-9223372036854775808", "1152921504606846975", "-1152921504606846976"}[r.Intn(6)]
	}
	return strconv.Itoa(r.Intn(2*lim+1) - lim)
}

// randRange returns a start and end for a string of n bytes, mostly a non-empty range.
func randRange(r *rand.Rand, n int, bit bool) (string, string) {
	size := n
	if bit {
		size = 8 * n
	}
	if size == 0 || r.Intn(4) == 0 {
		return randIndex(r, n, bit), randIndex(r, n, bit)
	}
	s := r.Intn(size)
	e := s + r.Intn(size-s)
	if r.Intn(3) == 0 {
		s -= size
	}
	if r.Intn(3) == 0 {
		e -= size
	}
	return strconv.Itoa(s), strconv.Itoa(e)
}

// randLen returns a random maximum string length for the range tests.
func randLen(r *rand.Rand) int {
	return []int{0, 3, 3, 12, 12, 12, 40, 40, 40, 70}[r.Intn(10)]
}

// TestCaptureBitcount writes testdata/bitcount.txt.
func TestCaptureBitcount(t *testing.T) {
	c := capture.Dial(t)
	r := rand.New(rand.NewSource(11))
	var lines []string
	for i := 0; i < 700; i++ {
		v := randBytes(r, randLen(r))
		setKey(c, "k", v)
		args := []string{}
		switch r.Intn(8) {
		case 0:
		case 1, 2, 3:
			s, e := randRange(r, len(v), false)
			args = append(args, s, e)
			if r.Intn(3) == 0 {
				args = append(args, []string{"BYTE", "byte", "ByTe"}[r.Intn(3)])
			}
		default:
			s, e := randRange(r, len(v), true)
			args = append(args, s, e, []string{"BIT", "bit", "Bit"}[r.Intn(3)])
		}
		reply := c.Do(append([]string{"BITCOUNT", "k"}, args...)...)
		lines = append(lines, hex.EncodeToString(v)+"\t"+strings.Join(args, " ")+"\t"+reply)
	}
	writeTestdata(t, "bitcount.txt", "string, BITCOUNT arguments after the key, reply", lines)
}

// TestCaptureBitpos writes testdata/bitpos.txt.
func TestCaptureBitpos(t *testing.T) {
	c := capture.Dial(t)
	r := rand.New(rand.NewSource(12))
	var lines []string
	for i := 0; i < 1200; i++ {
		v := randBytes(r, randLen(r))
		setKey(c, "k", v)
		args := []string{strconv.Itoa(r.Intn(2))}
		switch r.Intn(8) {
		case 0:
		case 1:
			s, _ := randRange(r, len(v), false)
			args = append(args, s)
		case 2, 3:
			s, e := randRange(r, len(v), false)
			args = append(args, s, e)
			if r.Intn(3) == 0 {
				args = append(args, "BYTE")
			}
		default:
			s, e := randRange(r, len(v), true)
			args = append(args, s, e, []string{"BIT", "bit"}[r.Intn(2)])
		}
		reply := c.Do(append([]string{"BITPOS", "k"}, args...)...)
		lines = append(lines, hex.EncodeToString(v)+"\t"+strings.Join(args, " ")+"\t"+reply)
	}
	writeTestdata(t, "bitpos.txt", "string, BITPOS arguments after the key, reply", lines)
}

// TestCaptureBitop writes testdata/bitop.txt.
func TestCaptureBitop(t *testing.T) {
	c := capture.Dial(t)
	r := rand.New(rand.NewSource(13))
	var lines []string
	for i := 0; i < 300; i++ {
		op := []string{"AND", "OR", "XOR", "NOT", "and", "Or"}[r.Intn(6)]
		n := 1 + r.Intn(4)
		if strings.EqualFold(op, "not") {
			n = 1
		}
		args := []string{"BITOP", op, "dest"}
		var srcs []string
		for j := 0; j < n; j++ {
			key := "src" + strconv.Itoa(j)
			var v []byte
			if r.Intn(6) > 0 {
				v = randBytes(r, []int{0, 5, 40}[r.Intn(3)])
			}
			setKey(c, key, v)
			args = append(args, key)
			if v == nil {
				srcs = append(srcs, "nil")
			} else {
				srcs = append(srcs, hex.EncodeToString(v))
			}
		}
		setKey(c, "dest", []byte("old"))
		reply := c.Do(args...)
		lines = append(lines, op+"\t"+strings.Join(srcs, " ")+"\t"+reply+"\t"+keyHex(c, "dest"))
	}
	writeTestdata(t, "bitop.txt", "operation, sources (nil: missing), reply, destination afterwards (was \"old\")", lines)
}

// TestCaptureSetbit writes testdata/setbit.txt.
func TestCaptureSetbit(t *testing.T) {
	c := capture.Dial(t)
	r := rand.New(rand.NewSource(14))
	var lines []string
	for i := 0; i < 300; i++ {
		var v []byte
		if r.Intn(5) > 0 {
			v = randBytes(r, 10)
		}
		setKey(c, "k", v)
		off := strconv.Itoa(r.Intn(8*len(v) + 40))
		bit := []string{"0", "1"}[r.Intn(2)]
		if r.Intn(20) == 0 {
			off = []string{"-1", "4294967296", "x", "#1", "+1", "01"}[r.Intn(6)]
		}
		if r.Intn(20) == 0 {
			bit = []string{"2", "-1", "x", "", "01", "+1"}[r.Intn(6)]
		}
		get := c.Do("GETBIT", "k", off)
		set := c.Do("SETBIT", "k", off, bit)
		hexv := "nil"
		if v != nil {
			hexv = hex.EncodeToString(v)
		}
		after := keyHex(c, "k")
		lines = append(lines, hexv+"\t"+strconv.Quote(off)+"\t"+strconv.Quote(bit)+"\t"+get+"\t"+set+"\t"+after)
	}
	writeTestdata(t, "setbit.txt", "string (nil: missing), offset, bit, GETBIT reply, SETBIT reply, string afterwards", lines)
}

func randBitfieldType(r *rand.Rand) string {
	if r.Intn(60) == 0 {
		return []string{"u64", "i65", "i0", "u0", "I8", "x8", "i", "", "i08", "u-1", "i8\x00junk", "i8 "}[r.Intn(12)]
	}
	if r.Intn(2) == 0 {
		return "i" + strconv.Itoa(1+r.Intn(64))
	}
	return "u" + strconv.Itoa(1+r.Intn(63))
}

func randBitfieldValue(r *rand.Rand, typ string) string {
	bits, _ := strconv.Atoi(strings.TrimLeft(typ, "iu"))
	if bits < 1 || bits > 64 {
		bits = 8
	}
	switch r.Intn(8) {
	case 0:
		return strconv.FormatInt(r.Int63()-r.Int63(), 10)
	case 1:
		return []string{"9223372036854775807", "-9223372036854775808", "0", "-1", "1"}[r.Intn(5)]
	case 2, 3: // near the limits of the type
		lim := int64(1) << (bits - 1)
		if bits == 64 {
			lim = 1 << 62
		}
		return strconv.FormatInt([]int64{lim, -lim, 2 * lim, -2 * lim, lim - 1, 2*lim - 1}[r.Intn(6)]+int64(r.Intn(5)-2), 10)
	case 4:
		if r.Intn(20) == 0 {
			return []string{"x", "1.5", "", "+1", "99999999999999999999"}[r.Intn(5)]
		}
	}
	return strconv.Itoa(r.Intn(600) - 300)
}

// TestCaptureBitfield writes testdata/bitfield.txt.
func TestCaptureBitfield(t *testing.T) {
	c := capture.Dial(t)
	r := rand.New(rand.NewSource(15))
	var lines []string
	for i := 0; i < 800; i++ {
		var v []byte
		if r.Intn(4) > 0 {
			v = randBytes(r, 12)
		}
		setKey(c, "k", v)
		cmd := "BITFIELD"
		if r.Intn(20) == 0 {
			cmd = "BITFIELD_RO"
		}
		args := []string{cmd, "k"}
		n := 1 + r.Intn(4)
		for j := 0; j < n; j++ {
			typ := randBitfieldType(r)
			off := strconv.Itoa(r.Intn(110))
			if r.Intn(4) == 0 {
				off = "#" + strconv.Itoa(r.Intn(12))
			}
			if r.Intn(40) == 0 {
				off = []string{"-1", "x", "#-1", "##1", "4294967296", "4294967295", "#288230376151711745", "#-288230376151711743"}[r.Intn(8)]
			}
			switch k := r.Intn(12); {
			case k == 0 && r.Intn(8) == 0:
				args = append(args, []string{"GET", "foo", "SET", "INCRBY", "OVERFLOW"}[r.Intn(5)])
			case k < 2:
				args = append(args, "OVERFLOW", []string{"WRAP", "SAT", "FAIL", "wrap", "sat", "fail", "FAIL", "fail", "bad"}[r.Intn(9)])
			case k < 5:
				args = append(args, []string{"GET", "get"}[r.Intn(2)], typ, off)
			case off == "4294967295":
				args = append(args, "GET", typ, off)
			case k < 8:
				args = append(args, []string{"SET", "set"}[r.Intn(2)], typ, off, randBitfieldValue(r, typ))
			default:
				args = append(args, []string{"INCRBY", "incrby"}[r.Intn(2)], typ, off, randBitfieldValue(r, typ))
			}
		}
		reply := c.Do(args...)
		hexv := "nil"
		if v != nil {
			hexv = hex.EncodeToString(v)
		}
		after := keyHex(c, "k")
		q := make([]string, len(args))
		for j, a := range args {
			q[j] = strconv.Quote(a)
		}
		lines = append(lines, hexv+"\t"+strings.Join(q, " ")+"\t"+reply+"\t"+after)
	}
	writeTestdata(t, "bitfield.txt", "string (nil: missing), command (quoted words), reply, string afterwards", lines)
}

// TestCaptureBitfieldOverflow writes testdata/bitfield_overflow.txt: SET, INCRBY and GET near
// the limits of each width under each OVERFLOW mode, in the same format as bitfield.txt.
func TestCaptureBitfieldOverflow(t *testing.T) {
	c := capture.Dial(t)
	r := rand.New(rand.NewSource(16))
	near := func(bits int, signed bool) string {
		var lo, hi int64
		switch {
		case signed && bits == 64:
			lo, hi = -1<<63, 1<<63-1
		case signed:
			lo, hi = -1<<(bits-1), 1<<(bits-1)-1
		default:
			lo, hi = 0, 1<<bits-1
		}
		var v int64
		switch r.Intn(6) {
		case 0:
			v = lo + int64(r.Intn(3))
		case 1:
			v = hi - int64(r.Intn(3))
		case 2:
			v = hi/2 + int64(r.Intn(5)-2)
		case 3:
			v = -hi + int64(r.Intn(5)-2)
		case 4:
			v = r.Int63() - r.Int63()
		default:
			v = int64(r.Intn(9) - 4)
		}
		return strconv.FormatInt(v, 10)
	}
	var lines []string
	for i := 0; i < 500; i++ {
		signed := r.Intn(2) == 0
		var bits int
		switch r.Intn(4) {
		case 0:
			bits = 1 + r.Intn(4)
		case 1:
			bits = 62 + r.Intn(2)
		default:
			bits = 1 + r.Intn(63)
		}
		if signed && r.Intn(3) == 0 {
			bits = 64
		}
		typ := "u"
		if signed {
			typ = "i"
		}
		typ += strconv.Itoa(bits)
		off := strconv.Itoa(r.Intn(20))
		mode := []string{"WRAP", "SAT", "FAIL"}[r.Intn(3)]
		args := []string{"BITFIELD", "k", "OVERFLOW", []string{"WRAP", "SAT", "FAIL"}[r.Intn(3)], "SET", typ, off, near(bits, signed),
			"OVERFLOW", mode, "INCRBY", typ, off, near(bits, signed), "INCRBY", typ, off, near(bits, signed),
			"SET", typ, off, near(bits, signed), "GET", typ, off}
		var v []byte
		if r.Intn(3) > 0 {
			v = randBytes(r, 6)
		}
		setKey(c, "k", v)
		reply := c.Do(args...)
		hexv := "nil"
		if v != nil {
			hexv = hex.EncodeToString(v)
		}
		q := make([]string, len(args))
		for j, a := range args {
			q[j] = strconv.Quote(a)
		}
		lines = append(lines, hexv+"\t"+strings.Join(q, " ")+"\t"+reply+"\t"+keyHex(c, "k"))
	}
	writeTestdata(t, "bitfield_overflow.txt", "string (nil: missing), command (quoted words), reply, string afterwards", lines)
}
