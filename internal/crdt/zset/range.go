package zset

// ScoreRange is a score interval as ZRANGEBYSCORE reads it: [Min, Max], either end exclusive.
type ScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

func (r ScoreRange) aboveMin(s float64) bool {
	if r.MinEx {
		return s > r.Min
	}
	return s >= r.Min
}

func (r ScoreRange) belowMax(s float64) bool {
	if r.MaxEx {
		return s < r.Max
	}
	return s <= r.Max
}

// Empty reports whether no score can be in the range (zslIsInRange's first check).
func (r ScoreRange) Empty() bool {
	return r.Min > r.Max || (r.Min == r.Max && (r.MinEx || r.MaxEx))
}

// Contains reports whether s is in the range.
func (r ScoreRange) Contains(s float64) bool { return r.aboveMin(s) && r.belowMax(s) }

// LexBound is one end of a lex range: "-" (NegInf), "+" (PosInf), "[v" or "(v" (Excl).
type LexBound struct {
	NegInf, PosInf bool
	Excl           bool
	Value          string
}

// LexRange is a lex interval as ZRANGEBYLEX reads it.
type LexRange struct{ Min, Max LexBound }

// cmpBound compares name with the bound's value as Redis's sdscmplex does (the infinities are
// below and above everything).
func cmpBound(name string, b LexBound) int {
	switch {
	case b.NegInf:
		return 1
	case b.PosInf:
		return -1
	case name < b.Value:
		return -1
	case name > b.Value:
		return 1
	}
	return 0
}

func (r LexRange) aboveMin(name string) bool {
	c := cmpBound(name, r.Min)
	if r.Min.Excl {
		return c > 0
	}
	return c >= 0
}

func (r LexRange) belowMax(name string) bool {
	c := cmpBound(name, r.Max)
	if r.Max.Excl {
		return c < 0
	}
	return c <= 0
}

// Contains reports whether name is in the range.
func (r LexRange) Contains(name string) bool { return r.aboveMin(name) && r.belowMax(name) }

// Empty reports whether no name can be in the range (zslIsInLexRange's first check).
func (r LexRange) Empty() bool {
	if r.Min.PosInf || r.Max.NegInf {
		return true
	}
	if r.Min.NegInf || r.Max.PosInf {
		return false
	}
	return r.Min.Value > r.Max.Value || (r.Min.Value == r.Max.Value && (r.Min.Excl || r.Max.Excl))
}

// ScoreRank returns the ranks [first, last] of the members whose score is in r; first > last
// when there is none.
func (z *ZSet) ScoreRank(r ScoreRange) (first, last int) {
	if z.Len() == 0 || r.Empty() {
		return 0, -1
	}
	first = z.list.countBefore(func(s float64, _ string) bool { return r.aboveMin(s) })
	last = z.list.countBefore(func(s float64, _ string) bool { return !r.belowMax(s) }) - 1
	return first, last
}

// LexRank returns the ranks [first, last] of the members whose name is in r (meaningful when
// every score is equal, as in Redis); first > last when there is none.
func (z *ZSet) LexRank(r LexRange) (first, last int) {
	if z.Len() == 0 || r.Empty() {
		return 0, -1
	}
	first = z.list.countBefore(func(_ float64, name string) bool { return r.aboveMin(name) })
	last = z.list.countBefore(func(_ float64, name string) bool { return !r.belowMax(name) }) - 1
	return first, last
}
