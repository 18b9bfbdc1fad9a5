// Package lcs computes the longest common subsequence of two strings exactly as Redis 7.0's
// LCS command does (t_string.c, lcsCommand): the same dynamic programming table, the same
// walk back through it (which decides which of several longest subsequences is returned),
// and the same matched ranges in the same order, last to first.
//
// What is left to the command implementation, in Redis 7.0's order: both keys must hold
// strings or be missing (ErrNotStrings; a missing key is an empty string); options IDX, LEN,
// WITHMATCHLEN and MINMATCHLEN n (case-insensitive; n parsed as an integer, negative taken as
// 0; anything else ErrSyntax); IDX with LEN is ErrIdxAndLen; then ErrTooLong and the table size
// check (TableBytes > proto-max-bulk-len is ErrTableTooBig). With IDX, a range is reported
// when MINMATCHLEN is 0 or the range's Len >= MINMATCHLEN, and "len" is the full LCS length.
package lcs

import "math"

// Match is one matched range of LCS ... IDX: A and B are the inclusive start and end indexes
// of the range in the first and the second string, Len is its length (WITHMATCHLEN).
type Match struct {
	A, B [2]int64
	Len  int64
}

// Error texts of the LCS command in Redis 7.0, checked against redis-server 7.0.15.
const (
	ErrNotStrings  = "ERR The specified keys must contain string values"
	ErrIdxAndLen   = "ERR If you want both the length and indexes, please just use IDX."
	ErrTooLong     = "ERR String too long for LCS"
	ErrTableTooBig = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
)

// TooLong reports whether either string is too long for LCS (ErrTooLong): Redis 7.0 indexes
// its table with 32-bit integers.
func TooLong(alen, blen int) bool {
	return uint64(alen) >= math.MaxUint32-1 || uint64(blen) >= math.MaxUint32-1
}

// TableBytes returns the size of the table Redis 7.0 allocates for two strings of these
// lengths, (alen+1)*(blen+1) four-byte cells. LCS fails with ErrTableTooBig when this is
// more than proto-max-bulk-len (512 MB by default).
func TableBytes(alen, blen int) uint64 {
	return (uint64(alen) + 1) * (uint64(blen) + 1) * 4
}

// LCS returns a longest common subsequence of a and b, its length, and the matched ranges
// (contiguous runs of the subsequence in both strings) from the end of the strings to the
// start, all as Redis 7.0 computes them. The table takes TableBytes(len(a), len(b)) bytes.
func LCS(a, b []byte) (lcs []byte, length int, matches []Match) {
	alen, blen := len(a), len(b)
	w := blen + 1
	// t[j+i*w] is the LCS length of a[:i] and b[:j].
	t := make([]uint32, (alen+1)*w)
	for i := 1; i <= alen; i++ {
		row, prev := t[i*w:(i+1)*w], t[(i-1)*w:i*w]
		row, prev = row[1:len(b)+1], prev[:len(b)+1]
		ai := a[i-1]
		var left uint32 // row[j-1]
		diag := prev[0] // prev[j-1]
		for j, bj := range b {
			up := prev[j+1]
			v := left
			switch {
			case ai == bj:
				v = diag + 1
			case up > left:
				v = up
			}
			row[j] = v
			diag, left = up, v
		}
	}
	length = int(t[alen*w+blen])
	lcs = make([]byte, length)
	idx := length

	// Walk back from the end, collecting ranges: a range grows backwards while matches are
	// contiguous in both strings and is emitted at the first step that is not a match, or when
	// it reaches the start of either string.
	const unset = -1
	astart, aend, bstart, bend := int64(unset), int64(0), int64(0), int64(0)
	i, j := alen, blen
	for i > 0 && j > 0 {
		emit := false
		if a[i-1] == b[j-1] {
			lcs[idx-1] = a[i-1]
			if astart == unset {
				astart, aend = int64(i-1), int64(i-1)
				bstart, bend = int64(j-1), int64(j-1)
			} else if astart == int64(i) && bstart == int64(j) {
				astart--
				bstart--
			} else {
				emit = true
			}
			if astart == 0 || bstart == 0 {
				emit = true
			}
			idx--
			i--
			j--
		} else {
			if t[(i-1)*w+j] > t[i*w+j-1] {
				i--
			} else {
				j--
			}
			if astart != unset {
				emit = true
			}
		}
		if emit {
			matches = append(matches, Match{
				A:   [2]int64{astart, aend},
				B:   [2]int64{bstart, bend},
				Len: aend - astart + 1,
			})
			astart = unset
		}
	}
	return lcs, length, matches
}
