package bitmap

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"math"
	"math/bits"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/quick"

	"github.com/concord-db/concord/internal/redisnum"
)

const maxBulk = 512 << 20 // proto-max-bulk-len default

// readCaptured reads a testdata file written by a capture generator (capture_test.go): one
// case a line, fields separated by tabs, '#' lines are comments.
func readCaptured(t *testing.T, name string, fields int) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		row := strings.Split(line, "\t")
		if len(row) != fields {
			t.Fatalf("%s: %d fields in %q", name, len(row), line)
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no cases", name)
	}
	return rows
}

// fromHex decodes a string field: hexadecimal, or "nil" for a missing key (nil, false).
func fromHex(t *testing.T, s string) ([]byte, bool) {
	t.Helper()
	if s == "nil" {
		return nil, false
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q", s)
	}
	return b, true
}

// toHex encodes a key's value as the capture files do.
func toHex(b []byte, exists bool) string {
	if !exists {
		return "nil"
	}
	if len(b) >= 1000 { // the capture generators record only the length of long strings
		return "len:" + strconv.Itoa(len(b))
	}
	return hex.EncodeToString(b)
}

func intReply(n int64) string { return ":" + strconv.FormatInt(n, 10) }

func errReply(text string) string { return "-" + text }

// bitcountCmd runs BITCOUNT on an existing key as Redis 7.0 does.
func bitcountCmd(b []byte, args []string) string {
	switch len(args) {
	case 0:
		return intReply(Count(b, 0, -1, false))
	case 2, 3:
		start, ok1 := redisnum.ParseIntString(args[0])
		if !ok1 {
			return errReply(ErrNotInteger)
		}
		end, ok2 := redisnum.ParseIntString(args[1])
		if !ok2 {
			return errReply(ErrNotInteger)
		}
		if start < 0 && end < 0 && start > end {
			return ":0"
		}
		bit := false
		if len(args) == 3 {
			switch strings.ToLower(args[2]) {
			case "bit":
				bit = true
			case "byte":
			default:
				return errReply(ErrSyntax)
			}
		}
		return intReply(Count(b, start, end, bit))
	}
	return errReply(ErrSyntax)
}

// bitposCmd runs BITPOS on an existing key as Redis 7.0 does.
func bitposCmd(b []byte, args []string) string {
	bit, ok := redisnum.ParseIntString(args[0])
	if !ok {
		return errReply(ErrNotInteger)
	}
	if bit != 0 && bit != 1 {
		return errReply(ErrBitArg)
	}
	args = args[1:]
	if len(args) == 0 {
		return intReply(Pos(b, int(bit), 0, -1, false, false))
	}
	if len(args) > 3 {
		return errReply(ErrSyntax)
	}
	start, ok := redisnum.ParseIntString(args[0])
	if !ok {
		return errReply(ErrNotInteger)
	}
	unitBit := false
	if len(args) == 3 {
		switch strings.ToLower(args[2]) {
		case "bit":
			unitBit = true
		case "byte":
		default:
			return errReply(ErrSyntax)
		}
	}
	var end int64
	if len(args) >= 2 {
		if end, ok = redisnum.ParseIntString(args[1]); !ok {
			return errReply(ErrNotInteger)
		}
	}
	return intReply(Pos(b, int(bit), start, end, len(args) >= 2, unitBit))
}

func splitArgs(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, " ")
}

func TestBitcountCaptured(t *testing.T) {
	for _, row := range readCaptured(t, "bitcount.txt", 3) {
		b, _ := fromHex(t, row[0])
		if got := bitcountCmd(b, splitArgs(row[1])); got != row[2] {
			t.Errorf("BITCOUNT %s %s: emulated %s, redis %s", row[0], row[1], got, row[2])
		}
	}
}

func TestBitposCaptured(t *testing.T) {
	for _, row := range readCaptured(t, "bitpos.txt", 3) {
		b, _ := fromHex(t, row[0])
		if got := bitposCmd(b, splitArgs(row[1])); got != row[2] {
			t.Errorf("BITPOS %s %s: emulated %s, redis %s", row[0], row[1], got, row[2])
		}
	}
}

func TestBitopCaptured(t *testing.T) {
	for _, row := range readCaptured(t, "bitop.txt", 4) {
		var srcs [][]byte
		for _, s := range strings.Split(row[1], " ") {
			b, _ := fromHex(t, s)
			srcs = append(srcs, b)
		}
		res := Op(row[0], srcs)
		got := intReply(int64(len(res)))
		after := toHex(res, len(res) > 0)
		if got != row[2] || after != row[3] {
			t.Errorf("BITOP %s %s: emulated %s %s, redis %s %s", row[0], row[1], got, after, row[2], row[3])
		}
	}
}

func TestSetbitCaptured(t *testing.T) {
	for _, row := range readCaptured(t, "setbit.txt", 6) {
		b, exists := fromHex(t, row[0])
		off, err1 := strconv.Unquote(row[1])
		bitArg, err2 := strconv.Unquote(row[2])
		if err1 != nil || err2 != nil {
			t.Fatalf("bad row %q", row)
		}
		offset, ok := ParseOffset([]byte(off), 0)
		if ok && CheckOffset(offset, maxBulk) != nil {
			ok = false
		}
		get, set := errReply(ErrBitOffset), errReply(ErrBitOffset)
		if ok {
			get = intReply(int64(GetBit(b, offset)))
			if bit, ok := ParseBit([]byte(bitArg)); !ok {
				set = errReply(ErrBitValue)
			} else {
				var old int
				b, old = SetBit(b, offset, bit)
				exists = true
				set = intReply(int64(old))
			}
		}
		if get != row[3] || set != row[4] || toHex(b, exists) != row[5] {
			t.Errorf("GETBIT/SETBIT %s %s %s: emulated %s %s %s, redis %s %s %s", row[0], row[1], row[2],
				get, set, toHex(b, exists), row[3], row[4], row[5])
		}
	}
}

type bfOp struct {
	op     string // get, set, incrby
	signed bool
	bits   int
	offset uint64
	value  int64
	ov     Overflow
}

// bitfieldCmd runs BITFIELD (or BITFIELD_RO) as Redis 7.0's bitfieldGeneric does.
func bitfieldCmd(b []byte, exists bool, args []string, ro bool) (reply string, newB []byte, newExists bool) {
	var ops []bfOp
	ov := Wrap
	readonly := true
	var highest uint64
	for j := 0; j < len(args); j++ {
		rem := len(args) - j - 1
		sub := strings.ToLower(args[j])
		switch {
		case sub == "get" && rem >= 2, (sub == "set" || sub == "incrby") && rem >= 3:
		case sub == "overflow" && rem >= 1:
			o, ok := ParseOverflow(args[j+1])
			if !ok {
				return errReply(ErrOverflowType), b, exists
			}
			ov = o
			j++
			continue
		default:
			return errReply(ErrSyntax), b, exists
		}
		signed, bits, ok := ParseType([]byte(args[j+1]))
		if !ok {
			return errReply(ErrBitfieldType), b, exists
		}
		off, ok := ParseOffset([]byte(args[j+2]), bits)
		if !ok || CheckOffset(off, maxBulk) != nil {
			return errReply(ErrBitOffset), b, exists
		}
		op := bfOp{op: sub, signed: signed, bits: bits, offset: off, ov: ov}
		if sub != "get" {
			readonly = false
			highest = max(highest, off+uint64(bits)-1)
			v, ok := redisnum.ParseIntString(args[j+3])
			if !ok {
				return errReply(ErrNotInteger), b, exists
			}
			op.value = v
			j++
		}
		ops = append(ops, op)
		j += 2
	}
	if !readonly {
		if ro {
			return errReply(ErrBitfieldRO), b, exists
		}
		b, exists = Grow(b, highest), true
	}
	var replies []string
	for _, op := range ops {
		switch op.op {
		case "get":
			replies = append(replies, intReply(Get(b, op.offset, op.bits, op.signed)))
		case "set":
			var old int64
			var failed bool
			b, old, failed = Set(b, op.offset, op.bits, op.signed, op.value, op.ov)
			if failed {
				replies = append(replies, "nil")
			} else {
				replies = append(replies, intReply(old))
			}
		case "incrby":
			var v int64
			var failed bool
			b, v, failed = IncrBy(b, op.offset, op.bits, op.signed, op.value, op.ov)
			if failed {
				replies = append(replies, "nil")
			} else {
				replies = append(replies, intReply(v))
			}
		}
	}
	return "[" + strings.Join(replies, ",") + "]", b, exists
}

func testBitfieldFile(t *testing.T, name string) {
	for _, row := range readCaptured(t, name, 4) {
		b, exists := fromHex(t, row[0])
		var words []string
		for _, q := range strings.Split(row[1], `" "`) {
			w, err := strconv.Unquote(`"` + strings.Trim(q, `"`) + `"`)
			if err != nil {
				t.Fatalf("bad command %s", row[1])
			}
			words = append(words, w)
		}
		ro := words[0] == "BITFIELD_RO"
		reply, nb, nexists := bitfieldCmd(b, exists, words[2:], ro)
		after := toHex(nb, nexists)
		if reply != row[2] || after != row[3] {
			t.Errorf("%s on %s: emulated %s %s, redis %s %s", row[1], row[0], reply, after, row[2], row[3])
		}
	}
}

func TestBitfieldCaptured(t *testing.T) { testBitfieldFile(t, "bitfield.txt") }

func TestBitfieldOverflowCaptured(t *testing.T) { testBitfieldFile(t, "bitfield_overflow.txt") }

func TestCountExamples(t *testing.T) {
	foobar := []byte("foobar")
	tests := []struct {
		b          []byte
		start, end int64
		bit        bool
		want       int64
	}{
		{foobar, 0, -1, false, 26}, {foobar, 0, 0, false, 4}, {foobar, 1, 1, false, 6},
		{foobar, 5, 30, true, 17}, {foobar, -1, -2, false, 0}, {foobar, -2, -1, false, 7},
		{foobar, -100, 100, false, 26}, {foobar, 100, 200, false, 0}, {foobar, 2, 1, false, 0},
		{foobar, math.MinInt64, math.MaxInt64, true, 26}, {nil, 0, -1, false, 0}, {[]byte{}, 0, 0, true, 0},
		{[]byte{0xff}, 3, 3, true, 1}, {[]byte{0xff}, 3, 5, true, 3}, {[]byte{0xff, 0xff}, 7, 8, true, 2},
	}
	for _, tc := range tests {
		if got := Count(tc.b, tc.start, tc.end, tc.bit); got != tc.want {
			t.Errorf("Count(%q, %d, %d, %v) = %d; want %d", tc.b, tc.start, tc.end, tc.bit, got, tc.want)
		}
	}
}

func TestPosExamples(t *testing.T) {
	tests := []struct {
		b          []byte
		bit        int
		start, end int64
		endGiven   bool
		unitBit    bool
		want       int64
	}{
		// The examples of the BITPOS documentation.
		{[]byte{0xff, 0xf0, 0x00}, 0, 0, 0, false, false, 12},
		{[]byte{0x00, 0xff, 0xf0}, 1, 0, 0, false, false, 8},
		{[]byte{0x00, 0xff, 0xf0}, 1, 2, 0, false, false, 16},
		{[]byte{0x00, 0xff, 0xf0}, 1, 2, -1, true, false, 16},
		{[]byte{0x00, 0xff, 0xf0}, 1, 7, 15, true, true, 8},
		{[]byte{0x00, 0x00, 0x00}, 1, 0, 0, false, false, -1},
		// Looking for 0 in all ones: past the end without an end, -1 with one.
		{[]byte{0xff, 0xff}, 0, 0, 0, false, false, 16},
		{[]byte{0xff, 0xff}, 0, 0, -1, true, false, -1},
		{[]byte{0xff, 0xff}, 0, 1, 0, false, false, 16},
		{[]byte{0xff, 0xff}, 0, 3, 12, true, true, -1},
		{[]byte{}, 0, 0, 0, false, false, -1},
		{nil, 1, 0, 0, false, false, -1},
		{[]byte{0xff}, 0, 5, 0, false, false, -1},
		{[]byte{0xfe, 0xff}, 0, 2, 7, true, true, 7},
		{[]byte{0x01, 0x00}, 1, 2, 6, true, true, -1},
		{[]byte{0x01, 0x80}, 1, 2, 8, true, true, 7},
	}
	for _, tc := range tests {
		if got := Pos(tc.b, tc.bit, tc.start, tc.end, tc.endGiven, tc.unitBit); got != tc.want {
			t.Errorf("Pos(%x, %d, %d, %d, %v, %v) = %d; want %d", tc.b, tc.bit, tc.start, tc.end, tc.endGiven, tc.unitBit, got, tc.want)
		}
	}
}

// naiveRange is the BITCOUNT / BITPOS range as a half-open range of bits, written
// independently of the package's code from the documented rules.
func naiveRange(n int, start, end int64, bitUnit bool) (lo, hi int64) {
	size := int64(n)
	if bitUnit {
		size *= 8
	}
	if start < 0 {
		start = max(size+start, 0)
	}
	if end < 0 {
		end = max(size+end, 0)
	}
	end = min(end, size-1)
	if start > end {
		return 0, 0
	}
	if bitUnit {
		return start, end + 1
	}
	return start * 8, (end + 1) * 8
}

func naiveBit(b []byte, i int64) int { return int(b[i/8]>>(7-i%8)) & 1 }

func TestCountProperty(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 50000; i++ {
		b := make([]byte, r.Intn(70))
		r.Read(b)
		var want int64
		for _, c := range b {
			want += int64(bits.OnesCount8(c))
		}
		if got := Count(b, 0, -1, false); got != want {
			t.Fatalf("Count(%x) = %d; want %d", b, got, want)
		}
		unit := r.Intn(2) == 0
		lim := int64(len(b)) + 2
		if unit {
			lim *= 8
		}
		start, end := r.Int63n(2*lim+1)-lim, r.Int63n(2*lim+1)-lim
		want = 0
		if !(start < 0 && end < 0 && start > end) {
			lo, hi := naiveRange(len(b), start, end, unit)
			for j := lo; j < hi; j++ {
				want += int64(naiveBit(b, j))
			}
		}
		if got := Count(b, start, end, unit); got != want {
			t.Fatalf("Count(%x, %d, %d, %v) = %d; want %d", b, start, end, unit, got, want)
		}
	}
}

func TestPosProperty(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for i := 0; i < 100000; i++ {
		b := make([]byte, r.Intn(40))
		fill := []byte{0, 0xff, 0x0f}[r.Intn(3)]
		for j := range b {
			b[j] = fill
			if r.Intn(8) == 0 {
				b[j] = byte(r.Intn(256))
			}
		}
		bit := r.Intn(2)
		unit := r.Intn(2) == 0
		endGiven := unit || r.Intn(2) == 0
		lim := int64(len(b)) + 2
		if unit {
			lim *= 8
		}
		start, end := r.Int63n(2*lim+1)-lim, r.Int63n(2*lim+1)-lim
		if !endGiven {
			end = -1
		}
		want := int64(-1)
		lo, hi := naiveRange(len(b), start, end, unit)
		for j := lo; j < hi; j++ {
			if naiveBit(b, j) == bit {
				want = j
				break
			}
		}
		if want == -1 && bit == 0 && !endGiven && lo < hi {
			want = hi // the string is taken as padded with zeros
		}
		if got := Pos(b, bit, start, end, endGiven, unit); got != want {
			t.Fatalf("Pos(%x, %d, %d, %d, %v, %v) = %d; want %d", b, bit, start, end, endGiven, unit, got, want)
		}
	}
}

func TestSetBitGetBitProperty(t *testing.T) {
	f := func(init []byte, offsets []uint16, vals []bool) bool {
		b := append([]byte(nil), init...)
		model := map[uint64]int{}
		for i, o := range offsets {
			off := uint64(o)
			v := 0
			if i < len(vals) && vals[i] {
				v = 1
			}
			want := GetBit(b, off)
			var old int
			b, old = SetBit(b, off, v)
			if old != want || GetBit(b, off) != v || uint64(len(b)) < off/8+1 {
				return false
			}
			model[off] = v
		}
		for off, v := range model {
			if GetBit(b, off) != v {
				return false
			}
		}
		// Bits never set keep their initial value, zero past the initial end.
		for i := uint64(0); i < uint64(len(b))*8; i++ {
			if _, ok := model[i]; !ok {
				want := 0
				if i/8 < uint64(len(init)) {
					want = int(init[i/8]>>(7-i%8)) & 1
				}
				if GetBit(b, i) != want {
					return false
				}
			}
		}
		return true
	}
	if err := quick.Check(f, nil); err != nil {
		t.Error(err)
	}
}

func TestGrowReusesCapacityAndClears(t *testing.T) {
	buf := make([]byte, 2, 16)
	full := buf[:16]
	for i := range full {
		full[i] = 0xaa
	}
	b := Grow(buf, 8*5)
	if len(b) != 6 || &b[0] != &buf[0] || !bytes.Equal(b[2:], make([]byte, 4)) {
		t.Fatalf("Grow = %x (len %d)", b, len(b))
	}
	if b := Grow([]byte{1, 2}, 3); len(b) != 2 {
		t.Fatalf("Grow shrank or grew needlessly: %x", b)
	}
}

func TestApplyProperty(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for i := 0; i < 20000; i++ {
		op := BitOp(r.Intn(4))
		n := 1 + r.Intn(4)
		if op == OpNot {
			n = 1
		}
		srcs := make([][]byte, n)
		maxlen := 0
		for j := range srcs {
			if r.Intn(5) > 0 {
				srcs[j] = make([]byte, r.Intn(40))
				r.Read(srcs[j])
			}
			maxlen = max(maxlen, len(srcs[j]))
		}
		got := Apply(op, srcs)
		if len(got) != maxlen || maxlen == 0 && got != nil {
			t.Fatalf("%v: len %d, want %d", op, len(got), maxlen)
		}
		at := func(s []byte, k int) byte {
			if k < len(s) {
				return s[k]
			}
			return 0
		}
		for k := 0; k < maxlen; k++ {
			want := at(srcs[0], k)
			for _, s := range srcs[1:] {
				switch op {
				case OpAnd:
					want &= at(s, k)
				case OpOr:
					want |= at(s, k)
				case OpXor:
					want ^= at(s, k)
				}
			}
			if op == OpNot {
				want = ^want
			}
			if got[k] != want {
				t.Fatalf("%v %x: byte %d = %x, want %x", op, srcs, k, got[k], want)
			}
		}
	}
}

func TestParseOp(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want BitOp
		ok   bool
	}{{"and", OpAnd, true}, {"AND", OpAnd, true}, {"Or", OpOr, true}, {"xOR", OpXor, true},
		{"not", OpNot, true}, {"nand", 0, false}, {"", 0, false}, {"diff", 0, false}} {
		got, ok := ParseOp(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseOp(%q) = %v, %v", tc.in, got, ok)
		}
	}
	if OpXor.String() != "XOR" {
		t.Errorf("OpXor.String() = %q", OpXor.String())
	}
}

func TestParseType(t *testing.T) {
	for _, tc := range []struct {
		in     string
		signed bool
		bits   int
		ok     bool
	}{
		{"i1", true, 1, true}, {"i64", true, 64, true}, {"u1", false, 1, true}, {"u63", false, 63, true},
		{"i8\x00junk", true, 8, true}, {"u64", false, 0, false}, {"i65", false, 0, false},
		{"i0", false, 0, false}, {"I8", false, 0, false}, {"U8", false, 0, false}, {"i08", false, 0, false},
		{"i+8", false, 0, false}, {"i-8", false, 0, false}, {"i", false, 0, false}, {"", false, 0, false},
		{"i8 ", false, 0, false}, {"x8", false, 0, false}, {"i\x008", false, 0, false},
	} {
		signed, bits, ok := ParseType([]byte(tc.in))
		if signed != tc.signed || bits != tc.bits || ok != tc.ok {
			t.Errorf("ParseType(%q) = %v, %d, %v", tc.in, signed, bits, ok)
		}
	}
}

func TestParseOffset(t *testing.T) {
	for _, tc := range []struct {
		in   string
		bits int
		want uint64
		ok   bool
	}{
		{"0", 0, 0, true}, {"17", 0, 17, true}, {"#3", 0, 0, false}, {"#3", 8, 24, true},
		{"17", 8, 17, true}, {"-1", 0, 0, false}, {"#-1", 8, 0, false}, {"##1", 8, 0, false},
		{"#+1", 8, 0, false}, {"+1", 0, 0, false}, {"01", 0, 0, false}, {"", 0, 0, false},
		{"#", 8, 0, false}, {"4294967296", 0, 4294967296, true},
		{"#288230376151711745", 64, 64, true}, {"#-288230376151711743", 64, 64, true},
		{"9223372036854775807", 0, math.MaxInt64, true},
	} {
		got, ok := ParseOffset([]byte(tc.in), tc.bits)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseOffset(%q, %d) = %d, %v", tc.in, tc.bits, got, ok)
		}
	}
	if CheckOffset(4294967295, maxBulk) != nil || CheckOffset(4294967296, maxBulk) == nil {
		t.Errorf("CheckOffset at the 512 MB limit")
	}
	if err := CheckOffset(1<<40, maxBulk); err == nil || err.Error() != ErrBitOffset {
		t.Errorf("CheckOffset error = %v", err)
	}
}

func TestParseBitAndOverflow(t *testing.T) {
	for in, want := range map[string]int{"0": 0, "1": 1, "2": -1, "-1": -1, "+1": -1, "01": -1, "": -1, "x": -1} {
		got, ok := ParseBit([]byte(in))
		if !ok {
			got = -1
		}
		if got != want {
			t.Errorf("ParseBit(%q) = %d, %v", in, got, ok)
		}
	}
	for in, want := range map[string]int{"wrap": int(Wrap), "SAT": int(Sat), "Fail": int(Fail), "bad": -1, "": -1} {
		got, ok := ParseOverflow(in)
		g := int(got)
		if !ok {
			g = -1
		}
		if g != want {
			t.Errorf("ParseOverflow(%q) = %v, %v", in, got, ok)
		}
	}
}

func TestBitfieldExamples(t *testing.T) {
	// BITFIELD documentation: INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1, four times.
	var b []byte
	want := [][2]int64{{1, 1}, {2, 2}, {3, 3}, {0, 3}}
	for i, w := range want {
		var v1, v2 int64
		b, v1, _ = IncrBy(b, 100, 2, false, 1, Wrap)
		b, v2, _ = IncrBy(b, 102, 2, false, 1, Sat)
		if v1 != w[0] || v2 != w[1] {
			t.Errorf("round %d: %d %d; want %v", i, v1, v2, w)
		}
	}
	// The example of the bitops.c comment: u5 23 at offset 7 is 00000001|01110000.
	b, _, _ = Set(nil, 7, 5, false, 23, Wrap)
	if !bytes.Equal(b, []byte{0x01, 0x70}) {
		t.Errorf("Set u5 23 at 7 = %08b", b)
	}
	// Fail writes nothing but the string still grows.
	b, _, failed := IncrBy(nil, 100, 2, false, 4, Fail)
	if !failed || len(b) != 13 || Count(b, 0, -1, false) != 0 {
		t.Errorf("IncrBy Fail = %x, %v", b, failed)
	}
	// Sat on a negative SET of an unsigned type gives the maximum.
	if b, old, _ := Set([]byte{0x12}, 0, 8, false, -1, Sat); old != 0x12 || b[0] != 0xff {
		t.Errorf("Set u8 -1 Sat = %x, old %d", b, old)
	}
	// i64 wraps and saturates at the int64 limits.
	b = make([]byte, 8)
	b, _, _ = Set(b, 0, 64, true, math.MaxInt64, Wrap)
	if _, v, _ := IncrBy(append([]byte(nil), b...), 0, 64, true, 1, Wrap); v != math.MinInt64 {
		t.Errorf("i64 max+1 wrap = %d", v)
	}
	if _, v, _ := IncrBy(append([]byte(nil), b...), 0, 64, true, 1, Sat); v != math.MaxInt64 {
		t.Errorf("i64 max+1 sat = %d", v)
	}
	if _, _, failed := IncrBy(append([]byte(nil), b...), 0, 64, true, 1, Fail); !failed {
		t.Errorf("i64 max+1 fail did not fail")
	}
	if got := Get([]byte{0x80}, 0, 1, true); got != -1 {
		t.Errorf("i1 of a set bit = %d", got)
	}
	if got := Get([]byte{0xff}, 4, 63, false); got != 0x0f<<59 {
		t.Errorf("u63 read past the end = %x", got)
	}
	if got := Get([]byte{0xff}, 4, 64, true); got != -1<<60 {
		t.Errorf("i64 read past the end = %x", got)
	}
}

func BenchmarkCount1MiB(b *testing.B) {
	data := make([]byte, 1<<20)
	rand.New(rand.NewSource(1)).Read(data)
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		Count(data, 0, -1, false)
	}
}

func BenchmarkCountBits1MiB(b *testing.B) {
	data := make([]byte, 1<<20)
	rand.New(rand.NewSource(1)).Read(data)
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		Count(data, 3, -5, true)
	}
}

func BenchmarkPos1MiB(b *testing.B) {
	data := make([]byte, 1<<20)
	data[len(data)-1] = 1
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		Pos(data, 1, 0, -1, false, false)
	}
}

func BenchmarkOp1MiB(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	srcs := make([][]byte, 3)
	for i := range srcs {
		srcs[i] = make([]byte, 1<<20)
		r.Read(srcs[i])
	}
	for _, op := range []string{"AND", "OR", "XOR", "NOT"} {
		b.Run(op, func(b *testing.B) {
			b.SetBytes(int64(3 << 20))
			for i := 0; i < b.N; i++ {
				Op(op, srcs)
			}
		})
	}
}
