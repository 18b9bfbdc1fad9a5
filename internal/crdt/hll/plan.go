package hll

// Building the updates of PFADD and PFMERGE on the member that executes them. They raise the
// registers that must rise and decide, as Redis would on this member's value, whether the
// value is promoted to the dense encoding.

// AddElements returns the update PFADD elems makes to registers base (dense: the value is
// already dense; maxSparse: hll-sparse-max-bytes), and whether any register rises.
func AddElements(base *Registers, dense bool, elems [][]byte, maxSparse int) (*Update, bool) {
	u := &Update{}
	for _, e := range elems {
		i, c := PatLen(e)
		if c > base.Get(i) {
			u.Regs.Max(i, c)
		}
	}
	if u.Regs.n == 0 {
		return u, false
	}
	u.Promote = !dense && wouldPromote(base, &u.Regs, maxSparse)
	return u, true
}

// MergeRegisters returns the update that raises base to src register-wise (PFMERGE), and
// whether any register rises. toDense is Redis's rule that a merge with a dense input makes the
// destination dense.
func MergeRegisters(base *Registers, dense bool, src *Registers, toDense bool, maxSparse int) (*Update, bool) {
	u := &Update{}
	src.Each(func(i int, v uint8) {
		if v > base.Get(i) {
			u.Regs.Max(i, v)
		}
	})
	changed := u.Regs.n > 0
	if !dense {
		u.Promote = toDense || changed && wouldPromote(base, &u.Regs, maxSparse)
	}
	return u, changed
}

// wouldPromote reports whether Redis would convert the sparse registers base to dense while
// setting the registers of add: a value above 32, or a sparse string longer than maxSparse.
func wouldPromote(base, add *Registers, maxSparse int) bool {
	big := false
	add.Each(func(_ int, v uint8) {
		if v > sparseValMax {
			big = true
		}
	})
	if big {
		return true
	}
	// Each non-zero register takes at most three bytes (its VAL and the split of a zero run
	// into two), so small values need no encoding pass.
	if HeaderSize+2+3*(base.n+add.n) <= maxSparse {
		return false
	}
	ok, n := sparseFitsWith(base, add)
	return !ok || n > maxSparse
}
