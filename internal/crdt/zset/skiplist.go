package zset

// The order index: Redis's skip list (t_zset.c) with span widths, ordered by (score, name), so
// that insertion, removal, rank lookups, access by rank and the first and last element of a score
// or lex range are all O(log n). Nodes are the members themselves (see node).

const (
	maxLevel = 32
	// A node has level k+1 with probability 1/4 of having level k, as in Redis.
)

// zlevel is one level of a node: the next node at that level, the number of level-0 steps to
// it, and a copy of its score, so that the walk compares against the next node without loading
// it (a cache miss per level in a big set) unless it steps onto it or the scores tie.
type zlevel struct {
	forward *node
	score   float64 // forward's score (meaningless when forward is nil)
	span    int
}

// before reports whether the node lv leads to (not nil) orders before (s, name).
func (lv *zlevel) before(s float64, name string) bool {
	return lv.score < s || (lv.score == s && lv.forward.name < name)
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

// Nodes with their levels in one allocation (newNode), for the levels almost every node has
// (level 5 and above: 1 in 256).
type (
	node1 struct {
		n  node
		lv [1]zlevel
	}
	node2 struct {
		n  node
		lv [2]zlevel
	}
	node3 struct {
		n  node
		lv [3]zlevel
	}
	node4 struct {
		n  node
		lv [4]zlevel
	}
)

// newNode returns a zero node holding a random number of levels (len(level)), allocated with
// them when there are at most 4, so that insert keeps them.
func (l *skiplist) newNode() *node {
	switch lvl := l.randomLevel(); lvl {
	case 1:
		x := new(node1)
		x.n.level = x.lv[:]
		return &x.n
	case 2:
		x := new(node2)
		x.n.level = x.lv[:]
		return &x.n
	case 3:
		x := new(node3)
		x.n.level = x.lv[:]
		return &x.n
	case 4:
		x := new(node4)
		x.n.level = x.lv[:]
		return &x.n
	default:
		return &node{level: make([]zlevel, lvl)}
	}
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
		for lv := &x.level[i]; lv.forward != nil && lv.before(n.score, n.name); lv = &x.level[i] {
			rank[i] += lv.span
			x = lv.forward
		}
		update[i] = x
	}
	lvl := len(n.level)
	switch {
	case lvl > 0:
		clear(n.level)
	case cap(n.level) > 0: // a node linked again keeps the levels it was made with
		n.level = n.level[:cap(n.level)]
		clear(n.level)
		lvl = len(n.level)
	default:
		lvl = l.randomLevel()
		n.level = make([]zlevel, lvl)
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
		u := &update[i].level[i]
		n.level[i] = zlevel{forward: u.forward, score: u.score, span: u.span - (rank[0] - rank[i])}
		*u = zlevel{forward: n, score: n.score, span: (rank[0] - rank[i]) + 1}
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
	l.predecessors(n, &update)
	for i := 0; i < l.level; i++ {
		if update[i].level[i].forward == n {
			update[i].level[i].span += n.level[i].span - 1
			update[i].level[i].forward = n.level[i].forward
			update[i].level[i].score = n.level[i].score
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

// predecessors sets update[i], for every level i of the list, to the last node before n at
// level i (the header when none).
func (l *skiplist) predecessors(n *node, update *[maxLevel]*node) {
	x := l.header
	for i := l.level - 1; i >= 0; i-- {
		for lv := &x.level[i]; lv.forward != nil && lv.before(n.score, n.name); lv = &x.level[i] {
			x = lv.forward
		}
		update[i] = x
	}
}

// updateScore moves n to score s (zslUpdateScore): in place when the order does not change.
func (l *skiplist) updateScore(n *node, s float64) {
	if (n.backward == nil || n.backward.score < s || (n.backward.score == s && n.backward.name < n.name)) &&
		(n.level[0].forward == nil || s < n.level[0].score ||
			(s == n.level[0].score && n.name < n.level[0].forward.name)) {
		// The nodes linking to n keep a copy of its score.
		if len(n.level) == 1 {
			if n.backward != nil {
				n.backward.level[0].score = s
			} else {
				l.header.level[0].score = s
			}
		} else {
			var update [maxLevel]*node
			l.predecessors(n, &update)
			for i := range n.level {
				update[i].level[i].score = s
			}
		}
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
