package command

import (
	"math"

	"github.com/concord-db/concord/internal/crdt"
)

func init() {
	define(&Command{Name: "lcs", Arity: -3, Flags: ReadOnly, Run: lcsCommand})
}

// lcsCommand is Redis 7.0's lcsCommand: LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len]
// [WITHMATCHLEN]. Missing keys are empty strings.
func lcsCommand(c *Ctx) error {
	entA := c.E.Read(c.DB(), c.Key(1))
	entB := c.E.Read(c.DB(), c.Key(2))
	if (entA != nil && !typeMatches(entA.Type(), crdt.TypeString)) || (entB != nil && !typeMatches(entB.Type(), crdt.TypeString)) {
		return Error("ERR The specified keys must contain string values")
	}
	var a, b []byte
	if entA != nil {
		a = StringValue(entA)
	}
	if entB != nil {
		b = StringValue(entB)
	}
	var getLen, getIdx, withMatchLen bool
	var minMatchLen int64
	for j := 3; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		switch {
		case c.Is(j, "IDX"):
			getIdx = true
		case c.Is(j, "LEN"):
			getLen = true
		case c.Is(j, "WITHMATCHLEN"):
			withMatchLen = true
		case c.Is(j, "MINMATCHLEN") && more > 0:
			n, err := c.Int(j + 1)
			if err != nil {
				return err
			}
			minMatchLen = max(n, 0)
			j++
		default:
			return ErrSyntax
		}
	}
	if getLen && getIdx {
		return Error("ERR If you want both the length and indexes, please just use IDX.")
	}
	if uint64(len(a)) >= math.MaxUint32-1 || uint64(len(b)) >= math.MaxUint32-1 {
		return Error("ERR String too long for LCS")
	}
	// The table of LCS lengths of every pair of prefixes, whose size Redis bounds by
	// proto-max-bulk-len.
	cells := uint64(len(a)+1) * uint64(len(b)+1)
	if cells*4 > uint64(c.maxStringLen()) {
		return Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
	}
	res := lcs(a, b, getIdx || !getLen, minMatchLen)
	switch {
	case getIdx:
		c.W.MapLen(2)
		c.W.BulkString("matches")
		c.W.ArrayLen(len(res.matches))
		for _, m := range res.matches {
			if withMatchLen {
				c.W.ArrayLen(3)
			} else {
				c.W.ArrayLen(2)
			}
			c.W.ArrayLen(2)
			c.W.Int(int64(m.aStart))
			c.W.Int(int64(m.aEnd))
			c.W.ArrayLen(2)
			c.W.Int(int64(m.bStart))
			c.W.Int(int64(m.bEnd))
			if withMatchLen {
				c.W.Int(int64(m.aEnd - m.aStart + 1))
			}
		}
		c.W.BulkString("len")
		c.W.Int(int64(res.length))
	case getLen:
		c.W.Int(int64(res.length))
	default:
		c.W.Bulk(res.seq)
	}
	return nil
}

// lcsMatch is one range of consecutive matching bytes, inclusive, in both strings.
type lcsMatch struct{ aStart, aEnd, bStart, bEnd uint32 }

type lcsResult struct {
	length  uint32
	seq     []byte     // the subsequence itself (when walked)
	matches []lcsMatch // the ranges of at least minMatchLen bytes, from the end of the strings
}

// lcs computes the longest common subsequence of a and b with Redis's dynamic programming
// table, and, when walk is set, walks the table back from the end exactly as Redis does, so
// that the subsequence and the ranges it reports are the ones Redis picks among equally long
// candidates. Without walk (LCS ... LEN) only two rows of the table are kept.
func lcs(a, b []byte, walk bool, minMatchLen int64) lcsResult {
	alen, blen := uint32(len(a)), uint32(len(b))
	if !walk {
		prev, row := make([]uint32, blen+1), make([]uint32, blen+1)
		for i := uint32(1); i <= alen; i++ {
			for j := uint32(1); j <= blen; j++ {
				if a[i-1] == b[j-1] {
					row[j] = prev[j-1] + 1
				} else {
					row[j] = max(prev[j], row[j-1])
				}
			}
			prev, row = row, prev
		}
		return lcsResult{length: prev[blen]}
	}
	w := blen + 1
	tab := make([]uint32, uint64(alen+1)*uint64(w))
	at := func(i, j uint32) uint32 { return tab[uint64(i)*uint64(w)+uint64(j)] }
	for i := uint32(1); i <= alen; i++ {
		row := tab[uint64(i)*uint64(w):]
		prev := tab[uint64(i-1)*uint64(w):]
		for j := uint32(1); j <= blen; j++ {
			if a[i-1] == b[j-1] {
				row[j] = prev[j-1] + 1
			} else {
				row[j] = max(prev[j], row[j-1])
			}
		}
	}
	res := lcsResult{length: at(alen, blen)}
	idx := res.length
	res.seq = make([]byte, idx)
	aStart, aEnd, bStart, bEnd := alen, uint32(0), uint32(0), uint32(0) // aStart == alen: no range
	i, j := alen, blen
	for i > 0 && j > 0 {
		emit := false
		if a[i-1] == b[j-1] {
			res.seq[idx-1] = a[i-1]
			if aStart == alen {
				aStart, aEnd, bStart, bEnd = i-1, i-1, j-1, j-1
			} else if aStart == i && bStart == j {
				aStart--
				bStart--
			} else {
				emit = true
			}
			if aStart == 0 || bStart == 0 {
				emit = true
			}
			idx--
			i--
			j--
		} else {
			if at(i-1, j) > at(i, j-1) {
				i--
			} else {
				j--
			}
			if aStart != alen {
				emit = true
			}
		}
		if emit {
			if minMatchLen == 0 || int64(aEnd-aStart+1) >= minMatchLen {
				res.matches = append(res.matches, lcsMatch{aStart, aEnd, bStart, bEnd})
			}
			aStart = alen
		}
	}
	return res
}
