package zset

// The order index: Redis's skip list (t_zset.c) with span widths, ordered by (score, name), so
// that insertion, removal, rank lookups, access by rank and the first and last element of a score
// or lex range are all O(log n). Nodes are the members themselves (see node).

const (
	maxLevel = 32
	// A node has level k+1 with probability 1/4 of having level k, as in Redis.
)

type zlevel struct {
	forward *node
	span    int
}

type skiplist struct {
	header *node
	tail   *node
	length int
	level  int
	rng    uint64 // xorshift state: deterministic, so the package stays pure
}

func newSkiplist() skiplist {
	return skiplist{header: &node{level: make([]zlevel, maxLevel)}, level: 1, rng: 0x9e3779b97f4a7c15}
}

// randomLevel is zslRandomLevel: level k+1 with probability 1/4 of level k.
func (l *skiplist) randomLevel() int {
	x := l.rng
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	l.rng = x
	lvl := 1
	for x&3 == 0 && lvl < maxLevel {
		lvl++
		x >>= 2
	}
	return lvl
}

// less orders (score, name) as Redis's skip list does (scores as doubles, then memcmp).
func less(s1 float64, n1 string, s2 float64, n2 string) bool {
	return s1 < s2 || (s1 == s2 && n1 < n2)
}

// insert links n (with its score and name set, not in the list) into place.
func (l *skiplist) insert(n *node) {
	var update [maxLevel]*node
	var rank [maxLevel]int
	x := l.header
	for i := l.level - 1; i >= 0; i-- {
		if i == l.level-1 {
			rank[i] = 0
		} else {
			rank[i] = rank[i+1]
		}
		for f := x.level[i].forward; f != nil && less(f.score, f.name, n.score, n.name); f = x.level[i].forward {
			rank[i] += x.level[i].span
			x = f
		}
		update[i] = x
	}
	lvl := len(n.level)
	if lvl == 0 {
		lvl = l.randomLevel()
		n.level = make([]zlevel, lvl)
	} else {
		clear(n.level)
	}
	if lvl > l.level {
		for i := l.level; i < lvl; i++ {
			rank[i] = 0
			update[i] = l.header
			update[i].level[i].span = l.length
		}
		l.level = lvl
	}
	for i := range lvl {
		n.level[i].forward = update[i].level[i].forward
		update[i].level[i].forward = n
		n.level[i].span = update[i].level[i].span - (rank[0] - rank[i])
		update[i].level[i].span = (rank[0] - rank[i]) + 1
	}
	for i := lvl; i < l.level; i++ {
		update[i].level[i].span++
	}
	if update[0] != l.header {
		n.backward = update[0]
	} else {
		n.backward = nil
	}
	if n.level[0].forward != nil {
		n.level[0].forward.backward = n
	} else {
		l.tail = n
	}
	l.length++
}

// remove unlinks n (which is in the list).
func (l *skiplist) remove(n *node) {
	var update [maxLevel]*node
	x := l.header
	for i := l.level - 1; i >= 0; i-- {
		for f := x.level[i].forward; f != nil && less(f.score, f.name, n.score, n.name); f = x.level[i].forward {
			x = f
		}
		update[i] = x
	}
	for i := 0; i < l.level; i++ {
		if update[i].level[i].forward == n {
			update[i].level[i].span += n.level[i].span - 1
			update[i].level[i].forward = n.level[i].forward
		} else {
			update[i].level[i].span--
		}
	}
	if n.level[0].forward != nil {
		n.level[0].forward.backward = n.backward
	} else {
		l.tail = n.backward
	}
	for l.level > 1 && l.header.level[l.level-1].forward == nil {
		l.level--
	}
	l.length--
	n.backward = nil
}

// updateScore moves n to score s (zslUpdateScore): in place when the order does not change.
func (l *skiplist) updateScore(n *node, s float64) {
	if (n.backward == nil || n.backward.score < s || (n.backward.score == s && n.backward.name < n.name)) &&
		(n.level[0].forward == nil || s < n.level[0].forward.score ||
			(s == n.level[0].forward.score && n.name < n.level[0].forward.name)) {
		n.score = s
		return
	}
	l.remove(n)
	n.score = s
	l.insert(n)
}

// rank is the 0-based position of n (which is in the list).
func (l *skiplist) rank(n *node) int {
	r := 0
	x := l.header
	for i := l.level - 1; i >= 0; i-- {
		for f := x.level[i].forward; f != nil && !less(n.score, n.name, f.score, f.name); f = x.level[i].forward {
			r += x.level[i].span
			x = f
		}
		if x == n {
			return r - 1
		}
	}
	return -1
}

// byRank returns the node at 0-based rank r (0 <= r < length).
func (l *skiplist) byRank(r int) *node {
	r++
	traversed := 0
	x := l.header
	for i := l.level - 1; i >= 0; i-- {
		for x.level[i].forward != nil && traversed+x.level[i].span <= r {
			traversed += x.level[i].span
			x = x.level[i].forward
		}
		if traversed == r {
			return x
		}
	}
	return nil
}

// countBefore returns how many nodes come before the first node for which past is true (past
// must be monotone along the list: false then true).
func (l *skiplist) countBefore(past func(n *node) bool) int {
	r := 0
	x := l.header
	for i := l.level - 1; i >= 0; i-- {
		for f := x.level[i].forward; f != nil && !past(f); f = x.level[i].forward {
			r += x.level[i].span
			x = f
		}
	}
	return r
}
