package zset

// The order index: a counted B+tree of the live members ordered by (score, name), as Redis's
// skip list orders them (scores as doubles, then the names' bytes), so that insertion, removal,
// rank lookups, access by rank and the first and last member of a score or lex range are all
// O(log n).
//
// Why a B+tree rather than Redis's skip list: a walk down a skip list of 100,000 members loads
// a dozen nodes scattered over the heap, each a likely cache miss, and a score update that
// moves a member walks twice. Here the inner nodes of a big set (one per 32 to 64 leaves) stay
// in cache, and a walk touches one leaf, whose scores sit in one array, so the binary search
// loads a few adjacent cache lines; member nodes are loaded only to break score ties. Under
// redis-benchmark's ZADD load (BenchmarkZAddRandom) this halves the simulated cache misses and
// the CPU time of the sorted set's writes, and member nodes shrink (no levels, no backward
// link).
//
// Leaves hold up to leafCap (score, member) entries and are linked both ways for iteration.
// Inner nodes hold, for each child, the number of members under it (ranks) and the least key
// under it (its separator). Separators are kept exact, including the first one: when the
// least key of a subtree changes (an insert or removal at the front of a leaf, a merge, a
// score updated in place) the separators above it are rewritten. So a walk that decides on
// separators alone sees only keys of live members, which ScoreRank and LexRank need (a lex
// range is only monotone along the live members, which all have the same score, not along
// keys that left the set).

const (
	leafCap  = 32
	innerCap = 64
	// maxHeight bounds the number of inner levels (walks record their path in an array of
	// this size): a level is added only when the root splits, and a full inner node (64 kids)
	// takes at least 32 splits of the level below since it was made, so 16 levels need more
	// than 32^14 inserts. (Tests with tiny nodes stay far below it too.)
	maxHeight = 16
)

// Effective node sizes (variables so that tests can build deep trees with few members).
var (
	leafMax  = leafCap
	innerMax = innerCap
)

type leaf struct {
	n          int
	prev, next *leaf
	scores     [leafCap]float64
	nodes      [leafCap]*node
}

type inner struct {
	n      int
	cnt    [innerCap]int     // members under kid i
	scores [innerCap]float64 // (scores[i], names[i]) is the least key under kid i
	names  [innerCap]string
	kids   [innerCap]*inner // when the node is above height 1
	leaves [innerCap]*leaf  // when the node is at height 1
}

// tree is the order index. The zero tree is empty.
type tree struct {
	root     *inner // when height > 0
	rootLeaf *leaf  // when height == 0 (nil until the first insert)
	height   int    // inner levels
	length   int
	head     *leaf
	tail     *leaf
	// spare is a leaf that a merge emptied, for the next split: a set whose members move
	// around (ZADD of new scores) splits and merges leaves all the time, and reusing one saves
	// allocating and collecting it.
	spare *leaf
}

// step is one inner node of a walk and the kid it went down to.
type step struct {
	x *inner
	i int
}

// path lists the inner nodes of a walk from the bottom: path[0] is at height 1.
type path [maxHeight]step

// child returns the kid of x whose subtree holds key (s, name): the last kid whose least key is
// at or below it (the first kid when there is none).
func (x *inner) child(s float64, name string) int {
	lo, hi := 1, x.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		ms := x.scores[m]
		if s < ms || (s == ms && name < x.names[m]) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo - 1
}

// search returns the index of the first entry of l at or above (s, name); self, when not nil,
// is the node known to hold that key (a pointer comparison then settles ties).
func (l *leaf) search(s float64, name string, self *node) int {
	lo, hi := 0, l.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		ms := l.scores[m]
		if ms < s || (ms == s && l.nodes[m] != self && l.nodes[m].name < name) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func (l *leaf) insertAt(i int, s float64, n *node) {
	copy(l.scores[i+1:l.n+1], l.scores[i:l.n])
	copy(l.nodes[i+1:l.n+1], l.nodes[i:l.n])
	l.scores[i], l.nodes[i] = s, n
	l.n++
}

func (l *leaf) deleteAt(i int) {
	copy(l.scores[i:], l.scores[i+1:l.n])
	copy(l.nodes[i:], l.nodes[i+1:l.n])
	l.n--
	l.nodes[l.n] = nil
}

// insertKid puts kid k (an inner node or a leaf) with c members and least key (s, name) at
// index i of x (which has room).
func (x *inner) insertKid(i int, s float64, name string, c int, k *inner, kl *leaf) {
	copy(x.cnt[i+1:x.n+1], x.cnt[i:x.n])
	copy(x.scores[i+1:x.n+1], x.scores[i:x.n])
	copy(x.names[i+1:x.n+1], x.names[i:x.n])
	copy(x.kids[i+1:x.n+1], x.kids[i:x.n])
	copy(x.leaves[i+1:x.n+1], x.leaves[i:x.n])
	x.cnt[i], x.scores[i], x.names[i], x.kids[i], x.leaves[i] = c, s, name, k, kl
	x.n++
}

func (x *inner) removeKid(i int) {
	copy(x.cnt[i:], x.cnt[i+1:x.n])
	copy(x.scores[i:], x.scores[i+1:x.n])
	copy(x.names[i:], x.names[i+1:x.n])
	copy(x.kids[i:], x.kids[i+1:x.n])
	copy(x.leaves[i:], x.leaves[i+1:x.n])
	x.n--
	x.names[x.n], x.kids[x.n], x.leaves[x.n] = "", nil, nil
}

// setMin records (s, name) as the least key of the subtree that path[from] goes down to, in
// its parent and as far up as that subtree is the first of its parent.
func (t *tree) setMin(p *path, from int, s float64, name string) {
	for k := from; k < t.height; k++ {
		st := p[k]
		st.x.scores[st.i], st.x.names[st.i] = s, name
		if st.i != 0 {
			return
		}
	}
}

// find returns the leaf and index of n (which is in the tree), with the walk to it in p.
func (t *tree) find(n *node, p *path) (*leaf, int) {
	s, name := n.score, n.name
	l := t.rootLeaf
	if t.height > 0 {
		x := t.root
		for h := t.height - 1; ; h-- {
			i := x.child(s, name)
			p[h] = step{x, i}
			if h == 0 {
				l = x.leaves[i]
				break
			}
			x = x.kids[i]
		}
	}
	i := l.search(s, name, n)
	if i >= l.n || l.nodes[i] != n {
		panic("zset: member missing from the order index")
	}
	return l, i
}

// insert adds n (with its score and name set, not in the tree).
func (t *tree) insert(n *node) {
	s, name := n.score, n.name
	var p path
	l := t.rootLeaf
	if t.height > 0 {
		x := t.root
		for h := t.height - 1; ; h-- {
			i := x.child(s, name)
			x.cnt[i]++
			p[h] = step{x, i}
			if h == 0 {
				l = x.leaves[i]
				break
			}
			x = x.kids[i]
		}
	} else if l == nil {
		l = new(leaf)
		t.rootLeaf, t.head, t.tail = l, l, l
	}
	t.length++
	i := l.search(s, name, nil)
	if l.n < leafMax {
		l.insertAt(i, s, n)
		if i == 0 {
			t.setMin(&p, 0, s, name)
		}
		return
	}
	// Split l: the upper part moves to a new leaf r after it. At either end of the whole order
	// the new entry gets a leaf of its own, so that members added in order fill their leaves.
	mid := l.n / 2
	switch {
	case i == l.n && l.next == nil:
		mid = l.n
	case i == 0 && l.prev == nil:
		mid = 0
	}
	r := t.spare
	if r != nil {
		t.spare = nil
	} else {
		r = new(leaf)
	}
	r.n, r.prev, r.next = l.n-mid, l, l.next
	copy(r.scores[:], l.scores[mid:l.n])
	copy(r.nodes[:], l.nodes[mid:l.n])
	clear(l.nodes[mid:l.n])
	l.n = mid
	if l.next != nil {
		l.next.prev = r
	} else {
		t.tail = r
	}
	l.next = r
	if i < mid || (i == mid && mid < leafMax) {
		l.insertAt(i, s, n)
		if i == 0 {
			t.setMin(&p, 0, s, name)
		}
	} else {
		r.insertAt(i-mid, s, n)
	}
	t.addKid(&p, 0, r.scores[0], r.nodes[0].name, r.n, nil, r)
}

// addKid adds kid k or kl (c members, least key (s, name)) right after the kid that p[h] went
// down to (to a new root when h is the height), splitting full inner nodes on the way up. The
// counts of the walk already include the kid's members.
func (t *tree) addKid(p *path, h int, s float64, name string, c int, k *inner, kl *leaf) {
	for {
		if h == t.height {
			if h == maxHeight {
				panic("zset: order index deeper than maxHeight")
			}
			root := &inner{n: 2}
			root.cnt[0], root.cnt[1] = t.length-c, c
			root.scores[1], root.names[1] = s, name
			root.kids[1], root.leaves[1] = k, kl
			if h == 0 {
				old := t.rootLeaf
				root.scores[0], root.names[0] = old.scores[0], old.nodes[0].name
				root.leaves[0] = old
				t.rootLeaf = nil
			} else {
				root.scores[0], root.names[0] = t.root.scores[0], t.root.names[0]
				root.kids[0] = t.root
			}
			t.root = root
			t.height++
			return
		}
		x, at := p[h].x, p[h].i+1
		x.cnt[at-1] -= c
		if x.n < innerMax {
			x.insertKid(at, s, name, c, k, kl)
			return
		}
		mid := x.n / 2
		r := &inner{n: x.n - mid}
		copy(r.cnt[:], x.cnt[mid:x.n])
		copy(r.scores[:], x.scores[mid:x.n])
		copy(r.names[:], x.names[mid:x.n])
		copy(r.kids[:], x.kids[mid:x.n])
		copy(r.leaves[:], x.leaves[mid:x.n])
		clear(x.names[mid:x.n])
		clear(x.kids[mid:x.n])
		clear(x.leaves[mid:x.n])
		x.n = mid
		if at <= mid {
			x.insertKid(at, s, name, c, k, kl)
		} else {
			r.insertKid(at-mid, s, name, c, k, kl)
		}
		rc := 0
		for _, v := range r.cnt[:r.n] {
			rc += v
		}
		s, name, c, k, kl = r.scores[0], r.names[0], rc, r, nil
		h++
	}
}

// remove takes n (which is in the tree) out.
func (t *tree) remove(n *node) {
	var p path
	l, i := t.find(n, &p)
	t.removeAt(&p, l, i)
}

// removeAt removes entry i of leaf l, which walk p leads to.
func (t *tree) removeAt(p *path, l *leaf, i int) {
	for h := range t.height {
		p[h].x.cnt[p[h].i]--
	}
	l.deleteAt(i)
	t.length--
	if t.length == 0 {
		clear(l.nodes[:])
		*t = tree{rootLeaf: l, head: l, tail: l}
		return
	}
	if i == 0 && l.n > 0 {
		t.setMin(p, 0, l.scores[0], l.nodes[0].name)
	}
	if t.height == 0 || (l.n > 0 && l.n >= leafMax/4) {
		return
	}
	// Merge a small leaf with a neighbour under the same parent when the two fit well in one.
	x, k := p[0].x, p[0].i
	switch {
	case l.n == 0:
		t.unlinkLeaf(l)
		t.spare = l
	case k+1 < x.n && l.n+x.leaves[k+1].n <= leafMax*3/4:
		r := x.leaves[k+1]
		t.mergeLeaves(l, r)
		x.cnt[k] += x.cnt[k+1]
		k++
	case k > 0 && x.leaves[k-1].n+l.n <= leafMax*3/4:
		t.mergeLeaves(x.leaves[k-1], l)
		x.cnt[k-1] += x.cnt[k]
	default:
		return
	}
	x.removeKid(k)
	t.shrink(p, 0, k)
}

func (t *tree) unlinkLeaf(l *leaf) {
	if l.prev != nil {
		l.prev.next = l.next
	} else {
		t.head = l.next
	}
	if l.next != nil {
		l.next.prev = l.prev
	} else {
		t.tail = l.prev
	}
	l.prev, l.next = nil, nil
}

// mergeLeaves moves r's entries to the end of l (r follows l) and unlinks r.
func (t *tree) mergeLeaves(l, r *leaf) {
	copy(l.scores[l.n:], r.scores[:r.n])
	copy(l.nodes[l.n:], r.nodes[:r.n])
	l.n += r.n
	clear(r.nodes[:r.n])
	r.n = 0
	t.unlinkLeaf(r)
	t.spare = r
}

// shrink restores the tree's shape after inner node p[h].x lost its kid at index k: the
// least key above it when that kid was the first, small inner nodes merged with a neighbour,
// and a root with one kid replaced by it.
func (t *tree) shrink(p *path, h int, k int) {
	for {
		x := p[h].x
		if k == 0 && x.n > 0 {
			t.setMin(p, h+1, x.scores[0], x.names[0])
		}
		if h == t.height-1 { // the root
			for t.height > 0 && t.root.n == 1 {
				if t.height == 1 {
					t.rootLeaf = t.root.leaves[0]
					t.root = nil
				} else {
					t.root = t.root.kids[0]
				}
				t.height--
			}
			return
		}
		if x.n > 0 && x.n >= innerMax/4 {
			return
		}
		px, j := p[h+1].x, p[h+1].i
		switch {
		case x.n == 0:
		case j+1 < px.n && x.n+px.kids[j+1].n <= innerMax*3/4:
			mergeInner(x, px.kids[j+1])
			px.cnt[j] += px.cnt[j+1]
			j++
		case j > 0 && px.kids[j-1].n+x.n <= innerMax*3/4:
			mergeInner(px.kids[j-1], x)
			px.cnt[j-1] += px.cnt[j]
		default:
			return
		}
		px.removeKid(j)
		h, k = h+1, j
	}
}

// mergeInner moves r's kids to the end of l (r follows l under the same parent).
func mergeInner(l, r *inner) {
	copy(l.cnt[l.n:], r.cnt[:r.n])
	copy(l.scores[l.n:], r.scores[:r.n])
	copy(l.names[l.n:], r.names[:r.n])
	copy(l.kids[l.n:], r.kids[:r.n])
	copy(l.leaves[l.n:], r.leaves[:r.n])
	l.n += r.n
	*r = inner{}
}

// updateScore moves n (which is in the tree) to score s: in place when its neighbours in the
// order stay on either side.
func (t *tree) updateScore(n *node, s float64) {
	var p path
	l, i := t.find(n, &p)
	name := n.name
	var afterPrev, beforeNext bool
	if i > 0 {
		afterPrev = less(l.scores[i-1], l.nodes[i-1].name, s, name)
	} else if pl := l.prev; pl != nil {
		afterPrev = less(pl.scores[pl.n-1], pl.nodes[pl.n-1].name, s, name)
	} else {
		afterPrev = true
	}
	if afterPrev {
		if i+1 < l.n {
			beforeNext = less(s, name, l.scores[i+1], l.nodes[i+1].name)
		} else if nl := l.next; nl != nil {
			beforeNext = less(s, name, nl.scores[0], nl.nodes[0].name)
		} else {
			beforeNext = true
		}
	}
	if afterPrev && beforeNext {
		l.scores[i] = s
		n.score = s
		if i == 0 {
			t.setMin(&p, 0, s, name)
		}
		return
	}
	t.removeAt(&p, l, i)
	n.score = s
	t.insert(n)
}

// rank is the 0-based position of n (which is in the tree).
func (t *tree) rank(n *node) int {
	s, name := n.score, n.name
	r := 0
	l := t.rootLeaf
	if t.height > 0 {
		x := t.root
		for h := t.height - 1; ; h-- {
			i := x.child(s, name)
			for _, c := range x.cnt[:i] {
				r += c
			}
			if h == 0 {
				l = x.leaves[i]
				break
			}
			x = x.kids[i]
		}
	}
	return r + l.search(s, name, n)
}

// byRank returns the leaf and index of the member at 0-based rank r (0 <= r < length).
func (t *tree) byRank(r int) (*leaf, int) {
	l := t.rootLeaf
	if t.height > 0 {
		x := t.root
		for h := t.height - 1; ; h-- {
			i := 0
			for r >= x.cnt[i] && i < x.n-1 {
				r -= x.cnt[i]
				i++
			}
			if h == 0 {
				l = x.leaves[i]
				break
			}
			x = x.kids[i]
		}
	}
	return l, r
}

// countBefore returns how many members come before the first one for which past is true (past
// must be monotone along the order: false then true).
func (t *tree) countBefore(past func(s float64, name string) bool) int {
	r := 0
	l := t.rootLeaf
	if l == nil && t.height == 0 {
		return 0
	}
	if t.height > 0 {
		x := t.root
		for h := t.height - 1; ; h-- {
			// The last kid whose least key is not past: the first past member is in it or is
			// the least key of the next kid.
			lo, hi := 1, x.n
			for lo < hi {
				m := int(uint(lo+hi) >> 1)
				if past(x.scores[m], x.names[m]) {
					hi = m
				} else {
					lo = m + 1
				}
			}
			i := lo - 1
			for _, c := range x.cnt[:i] {
				r += c
			}
			if h == 0 {
				l = x.leaves[i]
				break
			}
			x = x.kids[i]
		}
	}
	lo, hi := 0, l.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if past(l.scores[m], l.nodes[m].name) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return r + lo
}

// less orders (score, name) as Redis's skip list does (scores as doubles, then memcmp).
func less(s1 float64, n1 string, s2 float64, n2 string) bool {
	return s1 < s2 || (s1 == s2 && n1 < n2)
}
