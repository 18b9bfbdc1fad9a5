package geo

// cmpAsc is sort_gp_asc: it compares distances with > and ==, so a NaN distance compares as
// smaller than anything (the sorts below are ported exactly, so such inputs order as in Redis).
func cmpAsc(a, b *Point) int {
	if a.Dist > b.Dist {
		return 1
	} else if a.Dist == b.Dist {
		return 0
	}
	return -1
}

// Sort orders search results as georadiusGeneric does: when every result is returned, glibc's
// qsort (a stable top-down merge sort, msort); when only the first count are (COUNT below the
// number found), Redis's pqsort of the range [0, count-1]. desc reverses the comparison.
func Sort(ps []Point, desc bool, count int) {
	cmp := cmpAsc
	if desc {
		cmp = func(a, b *Point) int { return -cmpAsc(a, b) }
	}
	if count <= 0 || count >= len(ps) {
		tmp := make([]Point, len(ps))
		msort(ps, tmp, cmp)
		return
	}
	pqsort(ps, cmp, 0, count-1)
}

// msort is glibc's msort_with_tmp: split in halves (the first n/2), sort both, merge taking
// from the first half while cmp <= 0.
func msort(b, tmp []Point, cmp func(a, b *Point) int) {
	n := len(b)
	if n <= 1 {
		return
	}
	n1 := n / 2
	b1, b2 := b[:n1], b[n1:]
	msort(b1, tmp, cmp)
	msort(b2, tmp, cmp)
	i, j, k := 0, 0, 0
	for i < len(b1) && j < len(b2) {
		if cmp(&b1[i], &b2[j]) <= 0 {
			tmp[k] = b1[i]
			i++
		} else {
			tmp[k] = b2[j]
			j++
		}
		k++
	}
	// What is left of b2 is already in place.
	k += copy(tmp[k:], b1[i:])
	copy(b, tmp[:k])
}

// pqsort is Redis 7.0's pqsort.c (NetBSD's qsort, Bentley & McIlroy, modified to sort only
// what intersects the index range [lrange, rrange]). Redis 7.0's copy has no switch to insertion
// sort after a partition without swaps (later NetBSD and Redis versions have one), which
// changes the order of equal distances.
func pqsort(a []Point, cmp func(a, b *Point) int, lrange, rrange int) {
	pqsortRange(a, 0, len(a), cmp, lrange, rrange)
}

func med3(a []Point, i, j, k int, cmp func(a, b *Point) int) int {
	if cmp(&a[i], &a[j]) < 0 {
		if cmp(&a[j], &a[k]) < 0 {
			return j
		}
		if cmp(&a[i], &a[k]) < 0 {
			return k
		}
		return i
	}
	if cmp(&a[j], &a[k]) > 0 {
		return j
	}
	if cmp(&a[i], &a[k]) < 0 {
		return i
	}
	return k
}

func vecswap(a []Point, i, j, n int) {
	for ; n > 0; n-- {
		a[i], a[j] = a[j], a[i]
		i++
		j++
	}
}

// pqsortRange sorts a[lo:lo+n] (the C code's pointer arithmetic, as indices into a).
func pqsortRange(a []Point, lo, n int, cmp func(a, b *Point) int, lrange, rrange int) {
	for {
		if n < 7 {
			insertion(a, lo, n, cmp)
			return
		}
		pm := lo + n/2
		if n > 7 {
			pl := lo
			pn := lo + n - 1
			if n > 40 {
				d := n / 8
				pl = med3(a, pl, pl+d, pl+2*d, cmp)
				pm = med3(a, pm-d, pm, pm+d, cmp)
				pn = med3(a, pn-2*d, pn-d, pn, cmp)
			}
			pm = med3(a, pl, pm, pn, cmp)
		}
		a[lo], a[pm] = a[pm], a[lo]
		pa, pb := lo+1, lo+1
		pc, pd := lo+n-1, lo+n-1
		for {
			for pb <= pc {
				r := cmp(&a[pb], &a[lo])
				if r > 0 {
					break
				}
				if r == 0 {
					a[pa], a[pb] = a[pb], a[pa]
					pa++
				}
				pb++
			}
			for pb <= pc {
				r := cmp(&a[pc], &a[lo])
				if r < 0 {
					break
				}
				if r == 0 {
					a[pc], a[pd] = a[pd], a[pc]
					pd--
				}
				pc--
			}
			if pb > pc {
				break
			}
			a[pb], a[pc] = a[pc], a[pb]
			pb++
			pc--
		}
		pn := lo + n
		r := min(pa-lo, pb-pa)
		vecswap(a, lo, pb-r, r)
		r = min(pd-pc, pn-pd-1)
		vecswap(a, pb, pn-r, r)
		if r = pb - pa; r > 1 {
			// Recurse only where the subarray [lo, lo+r) meets the requested range.
			if !(lrange < lo && rrange < lo || lrange >= lo+r && rrange >= lo+r) {
				pqsortRange(a, lo, r, cmp, lrange, rrange)
			}
		}
		if r = pd - pc; r > 1 {
			lo = pn - r
			n = r
			if !(lrange < lo && rrange < lo || lrange >= lo+r && rrange >= lo+r) {
				continue
			}
		}
		return
	}
}

func insertion(a []Point, lo, n int, cmp func(a, b *Point) int) {
	for pm := lo + 1; pm < lo+n; pm++ {
		for pl := pm; pl > lo && cmp(&a[pl-1], &a[pl]) > 0; pl-- {
			a[pl], a[pl-1] = a[pl-1], a[pl]
		}
	}
}
