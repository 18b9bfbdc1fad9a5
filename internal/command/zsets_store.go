package command

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/orset"
	"github.com/concord-db/concord/internal/crdt/zset"
	"github.com/concord-db/concord/internal/redisnum"
)

// Set algebra on sorted sets (t_zset.c's zunionInterDiffGenericCommand): ZUNION, ZINTER, ZDIFF,
// their STORE forms and ZINTERCARD. Plain sets are accepted as inputs, every member scoring 1.
func init() {
	define(
		&Command{Name: "zunionstore", Arity: -4, Flags: Write, Run: zsetOpCommand},
		&Command{Name: "zinterstore", Arity: -4, Flags: Write, Run: zsetOpCommand},
		&Command{Name: "zdiffstore", Arity: -4, Flags: Write, Run: zsetOpCommand},
		&Command{Name: "zunion", Arity: -3, Flags: ReadOnly, Run: zsetOpCommand},
		&Command{Name: "zinter", Arity: -3, Flags: ReadOnly, Run: zsetOpCommand},
		&Command{Name: "zdiff", Arity: -3, Flags: ReadOnly, Run: zsetOpCommand},
		&Command{Name: "zintercard", Arity: -3, Flags: ReadOnly, Run: zsetOpCommand},
	)
}

const (
	zopUnion = iota
	zopInter
	zopDiff
)

const (
	aggrSum = iota
	aggrMin
	aggrMax
)

// zsetSource is one input: a sorted set, a set, or nothing (a missing key).
type zsetSource struct {
	z      *zset.ZSet
	s      *orset.Set
	weight float64
	lp     bool // a listpack: "-0" reads back as 0
}

func (s *zsetSource) len() int {
	switch {
	case s.z != nil:
		return s.z.Len()
	case s.s != nil:
		return s.s.Len()
	}
	return 0
}

// each visits the members with their scores (sorted sets in ascending order).
func (s *zsetSource) each(fn func(name string, score float64) bool) {
	switch {
	case s.z != nil:
		s.z.Each(func(name string, score float64) bool { return fn(name, s.visible(score)) })
	case s.s != nil:
		s.s.Each(func(m string) bool { return fn(m, 1) })
	}
}

func (s *zsetSource) find(name string) (float64, bool) {
	switch {
	case s.z != nil:
		v, ok := s.z.Score(name)
		return s.visible(v), ok
	case s.s != nil && s.s.Contains(name):
		return 1, true
	}
	return 0, false
}

func (s *zsetSource) visible(v float64) float64 {
	if s.lp && v == 0 {
		return 0
	}
	return v
}

func (s *zsetSource) same(o *zsetSource) bool {
	return (s.z != nil && s.z == o.z) || (s.s != nil && s.s == o.s)
}

func aggregate(target *float64, val float64, aggr int) {
	switch aggr {
	case aggrSum:
		*target += val
		if math.IsNaN(*target) {
			*target = 0
		}
	case aggrMin:
		if val < *target {
			*target = val
		}
	case aggrMax:
		if val > *target {
			*target = val
		}
	}
}

// zsetOpCommand is zunionInterDiffGenericCommand.
func zsetOpCommand(c *Ctx) error {
	name := c.Cmd.Name
	op := zopUnion
	switch {
	case strings.HasPrefix(name, "zinter"):
		op = zopInter
	case strings.HasPrefix(name, "zdiff"):
		op = zopDiff
	}
	cardOnly := name == "zintercard"
	dst := ""
	numIdx := 1
	if strings.HasSuffix(name, "store") {
		dst, numIdx = c.Key(1), 2
	}
	setnum, err := c.Int(numIdx)
	if err != nil {
		return err
	}
	if setnum < 1 {
		return errorf("ERR at least 1 input key is needed for '%s' command", name)
	}
	if setnum > int64(len(c.Args)-(numIdx+1)) {
		return ErrSyntax
	}
	src := make([]zsetSource, setnum)
	j := numIdx + 1
	for i := range src {
		var ent = c.E.Read(c.DB(), c.Key(j))
		if dst != "" {
			ent = c.E.LookupWrite(c.DB(), c.Key(j))
		}
		if ent != nil {
			switch ent.Type() {
			case crdt.TypeZSet:
				src[i].z = zsetOf(ent)
				src[i].lp = zsetListpack(c, src[i].z)
			case crdt.TypeSet:
				src[i].s = setOf(ent)
			default:
				return ErrWrongType
			}
		}
		src[i].weight = 1
		j++
	}
	aggr := aggrSum
	withScores := false
	limit := int64(0)
	for remaining := len(c.Args) - j; remaining > 0; remaining = len(c.Args) - j {
		switch {
		case op != zopDiff && !cardOnly && remaining >= int(setnum)+1 && c.Is(j, "weights"):
			j++
			for i := range src {
				w, ok := redisnum.ParseFloat(c.Args[j])
				if !ok {
					return Error("ERR weight value is not a float")
				}
				src[i].weight = w
				j++
			}
		case op != zopDiff && !cardOnly && remaining >= 2 && c.Is(j, "aggregate"):
			j++
			switch {
			case c.Is(j, "sum"):
				aggr = aggrSum
			case c.Is(j, "min"):
				aggr = aggrMin
			case c.Is(j, "max"):
				aggr = aggrMax
			default:
				return ErrSyntax
			}
			j++
		case remaining >= 1 && dst == "" && !cardOnly && c.Is(j, "withscores"):
			j++
			withScores = true
		case cardOnly && remaining >= 2 && c.Is(j, "limit"):
			n, ok := redisnum.ParseInt(c.Args[j+1])
			if !ok || n < 0 {
				return Error("ERR LIMIT can't be negative")
			}
			limit = n
			j += 2
		default:
			return ErrSyntax
		}
	}
	if op != zopDiff {
		slices.SortStableFunc(src, func(a, b zsetSource) int { return cmp.Compare(a.len(), b.len()) })
	}
	type result struct {
		name  string
		score float64
	}
	var out []result
	cardinality := int64(0)
	switch op {
	case zopInter:
		if src[0].len() == 0 {
			break
		}
		src[0].each(func(m string, s0 float64) bool {
			score := src[0].weight * s0
			if math.IsNaN(score) {
				score = 0
			}
			k := 1
			for ; k < len(src); k++ {
				if src[k].same(&src[0]) {
					aggregate(&score, s0*src[k].weight, aggr)
				} else if v, ok := src[k].find(m); ok {
					aggregate(&score, v*src[k].weight, aggr)
				} else {
					break
				}
			}
			if k == len(src) {
				if cardOnly {
					cardinality++
					return !(limit > 0 && cardinality >= limit)
				}
				out = append(out, result{m, score})
			}
			return true
		})
	case zopUnion:
		index := map[string]int{}
		for i := range src {
			src[i].each(func(m string, s float64) bool {
				score := src[i].weight * s
				if math.IsNaN(score) {
					score = 0
				}
				if k, ok := index[m]; ok {
					aggregate(&out[k].score, score, aggr)
				} else {
					index[m] = len(out)
					out = append(out, result{m, score})
				}
				return true
			})
		}
	case zopDiff:
		src[0].each(func(m string, s float64) bool {
			for k := 1; k < len(src); k++ {
				if src[k].same(&src[0]) {
					return true
				}
				if _, ok := src[k].find(m); ok {
					return true
				}
			}
			out = append(out, result{m, s})
			return true
		})
	}
	if cardOnly {
		c.W.Int(cardinality)
		return nil
	}
	slices.SortFunc(out, func(a, b result) int {
		if a.score != b.score {
			return cmp.Compare(a.score, b.score)
		}
		return strings.Compare(a.name, b.name)
	})
	if dst != "" {
		// Redis builds a skiplist and converts it to a listpack when it is small enough
		// (zsetConvertToListpackIfNeeded), which stores -0 as 0.
		entries, value := c.zsetLimits()
		maxLen := 0
		for _, r := range out {
			maxLen = max(maxLen, len(r.name))
		}
		lp := int64(len(out)) <= entries && int64(maxLen) <= value
		members := make([][]byte, len(out))
		scores := make([]float64, len(out))
		for i, r := range out {
			members[i] = setBytes(r.name)
			scores[i] = zsetStored(r.score, lp)
		}
		c.storeZset(dst, members, scores)
		return nil
	}
	c.zsetReplyHeader(len(out), withScores)
	for _, r := range out {
		c.zsetReplyItem(r.name, r.score, withScores)
	}
	return nil
}
