package sim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Keys. The shared keys (x*) take writes of every type, so type contests are frequent; the
// typed pools keep enough of each type alive for its commands to do something; the model keys
// (cnt*, reg*, mset*) are written only by the commands the reference model knows (model.go).
var (
	sharedKeys = []string{"x0", "x1"}
	typedKeys  = map[string][]string{
		"string": {"s0", "s1"},
		"hash":   {"h0", "h1"},
		"set":    {"set0", "set1"},
		"zset":   {"z0", "z1"},
		"list":   {"l0", "l1"},
		"hll":    {"p0", "p1"},
	}
	counterKeys   = []string{"cnt0", "cnt1"}
	registerKeys  = []string{"reg0", "reg1"}
	modelSetKeys  = []string{"mset0", "mset1"}
	expiryKeys    = []string{"exp0", "exp1"}
	modelHashKeys = []string{"mhash0", "mhash1"}
	modelZsetKeys = []string{"mzset0", "mzset1"}
)

// allKeys is every key a run can write (the checks read them all).
func allKeys() []string {
	out := append([]string(nil), sharedKeys...)
	for _, t := range []string{"string", "hash", "set", "zset", "list", "hll"} {
		out = append(out, typedKeys[t]...)
	}
	out = append(out, counterKeys...)
	out = append(out, registerKeys...)
	out = append(out, expiryKeys...)
	out = append(out, modelHashKeys...)
	out = append(out, modelZsetKeys...)
	return append(out, modelSetKeys...)
}

type workload struct {
	w      *World
	unique int // for register values no other write repeats
}

func newWorkload(w *World) *workload { return &workload{w: w} }

func (g *workload) pick(s []string) string { return s[g.w.rng.IntN(len(s))] }
func (g *workload) n(k int) string         { return strconv.Itoa(g.w.rng.IntN(k)) }
func (g *workload) elem() string           { return "e" + g.n(5) }

// key picks a key for a command on type t: a shared key a third of the time.
func (g *workload) key(t string) string {
	if g.w.rng.IntN(3) == 0 {
		return g.pick(sharedKeys)
	}
	return g.pick(typedKeys[t])
}

// command returns a random write command on the non-model keys.
func (g *workload) command() []string {
	r := g.w.rng
	switch r.IntN(76) {
	case 0:
		return []string{"SET", g.key("string"), "v" + g.n(100)}
	case 1:
		return []string{"SET", g.key("string"), "v" + g.n(100), "EX", strconv.Itoa(1 + r.IntN(20))}
	case 2:
		return []string{"INCRBY", g.key("string"), strconv.Itoa(r.IntN(21) - 10)}
	case 3:
		return []string{"INCRBYFLOAT", g.key("string"), g.pick([]string{"1.5", "-0.25", "3", "1e2"})}
	case 4:
		return []string{"APPEND", g.key("string"), g.pick([]string{"a", "bc", "7"})}
	case 5:
		return []string{"SETRANGE", g.key("string"), g.n(6), g.pick([]string{"X", "yz"})}
	case 6:
		return []string{"HSET", g.key("hash"), "f" + g.n(4), "v" + g.n(10), "f" + g.n(4), "w" + g.n(10)}
	case 7:
		return []string{"HDEL", g.key("hash"), "f" + g.n(4)}
	case 8:
		return []string{"HINCRBY", g.key("hash"), "c" + g.n(2), strconv.Itoa(r.IntN(11) - 5)}
	case 9:
		return []string{"HINCRBYFLOAT", g.key("hash"), "c" + g.n(2), "0.5"}
	case 10:
		return []string{"SADD", g.key("set"), g.elem(), g.elem()}
	case 11:
		return []string{"SREM", g.key("set"), g.elem()}
	case 12:
		return []string{"SPOP", g.key("set"), strconv.Itoa(1 + r.IntN(2))}
	case 13:
		return []string{"SMOVE", g.key("set"), g.key("set"), g.elem()}
	case 14:
		return []string{"ZADD", g.key("zset"), g.n(10), g.elem(), g.n(10), g.elem()}
	case 15:
		return []string{"ZINCRBY", g.key("zset"), strconv.Itoa(r.IntN(7) - 3), g.elem()}
	case 16:
		return []string{"ZREM", g.key("zset"), g.elem()}
	case 17:
		return []string{"ZPOPMIN", g.key("zset")}
	case 18, 19:
		return []string{g.pick([]string{"LPUSH", "RPUSH"}), g.key("list"), "a" + g.n(5), "b" + g.n(5)}
	case 20:
		return []string{g.pick([]string{"LPOP", "RPOP"}), g.key("list")}
	case 21:
		return []string{"LINSERT", g.key("list"), g.pick([]string{"BEFORE", "AFTER"}), "a" + g.n(5), "i" + g.n(5)}
	case 22:
		return []string{"LSET", g.key("list"), strconv.Itoa(r.IntN(5) - 2), "s" + g.n(5)}
	case 23:
		return []string{"LREM", g.key("list"), strconv.Itoa(r.IntN(5) - 2), "a" + g.n(5)}
	case 24:
		return []string{"LTRIM", g.key("list"), g.n(2), strconv.Itoa(r.IntN(6) - 2)}
	case 25:
		return []string{"LMOVE", g.key("list"), g.key("list"), g.pick([]string{"LEFT", "RIGHT"}), g.pick([]string{"LEFT", "RIGHT"})}
	case 26, 27:
		return []string{"PFADD", g.key("hll"), g.elem(), g.elem()}
	case 28:
		return []string{"PFMERGE", g.key("hll"), g.key("hll")}
	case 29, 30:
		return []string{"EXPIRE", g.pick(g.anyKeys()), strconv.Itoa(1 + r.IntN(30))}
	case 31:
		return []string{"PEXPIRE", g.pick(g.anyKeys()), strconv.Itoa(100 + r.IntN(5000))}
	case 32:
		return []string{"PERSIST", g.pick(g.anyKeys())}
	case 33, 34:
		return []string{"DEL", g.pick(g.anyKeys())}
	case 35:
		return []string{"RENAME", g.pick(g.anyKeys()), g.pick(g.anyKeys())}
	case 36:
		if r.IntN(8) == 0 {
			return []string{"FLUSHALL"}
		}
		return []string{"DEL", g.pick(g.anyKeys()), g.pick(g.anyKeys())}
	case 37:
		return []string{"SET", g.key("string"), "v" + g.n(100), "KEEPTTL"}
	case 38:
		return []string{"DECR", g.key("string")}
	case 39:
		return []string{g.pick([]string{"MSET", "MSETNX"}), g.key("string"), "m" + g.n(9), g.key("string"), "n" + g.n(9)}
	case 40:
		return []string{g.pick([]string{"SETNX", "GETSET"}), g.key("string"), "g" + g.n(9)}
	case 41:
		return []string{"GETDEL", g.key("string")}
	case 42:
		if r.IntN(2) == 0 {
			return []string{"SETEX", g.key("string"), strconv.Itoa(1 + r.IntN(20)), "e" + g.n(9)}
		}
		return []string{"PSETEX", g.key("string"), strconv.Itoa(100 + r.IntN(5000)), "e" + g.n(9)}
	case 43:
		return []string{"GETEX", g.key("string"), g.pick([]string{"EX", "PX", "PERSIST"}), strconv.Itoa(100 + r.IntN(3000))}[:3+r.IntN(2)]
	case 44:
		return []string{g.pick([]string{"INCR", "DECRBY"}), g.key("string"), "3"}[:2+r.IntN(2)]
	case 45:
		return []string{"SET", g.key("string"), "o" + g.n(9), g.pick([]string{"NX", "XX", "GET"})}
	case 46:
		return []string{"SETBIT", g.key("string"), g.n(20), g.n(2)}
	case 47:
		return []string{"HSETNX", g.key("hash"), "f" + g.n(4), "n" + g.n(9)}
	case 48:
		return []string{"HMSET", g.key("hash"), "f" + g.n(4), "m" + g.n(9)}
	case 49:
		return []string{g.pick([]string{"SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"}), g.key("set"), g.key("set"), g.key("set")}
	case 50:
		return []string{"SMISMEMBER", g.key("set"), g.elem()} // a read among the writes
	case 51:
		return []string{"ZADD", g.key("zset"), g.pick([]string{"NX", "XX", "GT", "LT", "INCR"}), g.n(10), g.elem()}
	case 52:
		return []string{g.pick([]string{"ZUNIONSTORE", "ZINTERSTORE"}), g.key("zset"), "2", g.key("zset"), g.key("zset")}
	case 53:
		switch r.IntN(3) {
		case 0:
			return []string{"ZREMRANGEBYSCORE", g.key("zset"), g.n(5), g.n(10)}
		case 1:
			return []string{"ZREMRANGEBYRANK", g.key("zset"), "0", g.n(2)}
		}
		return []string{"ZPOPMAX", g.key("zset")}
	case 54:
		return []string{"ZRANGESTORE", g.key("zset"), g.key("zset"), "0", g.n(3)}
	case 55:
		return []string{"GEOADD", g.key("zset"), "13.36", "38.11", g.elem()}
	case 56:
		return []string{g.pick([]string{"LPUSHX", "RPUSHX"}), g.key("list"), "x" + g.n(5)}
	case 57:
		return []string{"RPOPLPUSH", g.key("list"), g.key("list")}
	case 58:
		return []string{"LMPOP", "1", g.key("list"), g.pick([]string{"LEFT", "RIGHT"})}
	case 59:
		at := (epoch+g.w.now)/1000 + int64(1+r.IntN(30))
		return []string{"EXPIREAT", g.pick(g.anyKeys()), strconv.FormatInt(at, 10)}
	case 60:
		at := epoch + g.w.now + int64(100+r.IntN(5000))
		return []string{"PEXPIREAT", g.pick(g.anyKeys()), strconv.FormatInt(at, 10)}
	case 61:
		return []string{"UNLINK", g.pick(g.anyKeys())}
	case 62:
		c := []string{"COPY", g.pick(g.anyKeys()), g.pick(g.anyKeys())}
		if r.IntN(2) == 0 {
			c = append(c, "REPLACE")
		}
		return c
	case 63:
		return []string{"RENAMENX", g.pick(g.anyKeys()), g.pick(g.anyKeys())}
	default:
		return nil // a model command (modelCommand)
	}
}

func (g *workload) anyKeys() []string {
	out := append([]string(nil), sharedKeys...)
	for _, t := range []string{"string", "hash", "set", "zset", "list", "hll"} {
		out = append(out, typedKeys[t]...)
	}
	return out
}

// modelCommand returns a write of a model key and the event it makes if it commits a batch.
func (g *workload) modelCommand(m *member) ([]string, *event) {
	r := g.w.rng
	switch r.IntN(14) {
	case 10, 11:
		k, f := g.pick(modelHashKeys), "f"+g.n(2)
		switch r.IntN(6) {
		case 0:
			n := r.IntN(20)
			return []string{"HSET", k, f, strconv.Itoa(n)}, &event{kind: evFieldSet, key: k, field: f, f: float64(n)}
		case 1:
			return []string{"HDEL", k, f}, &event{kind: evFieldDel, key: k, field: f}
		case 2:
			x := g.pick([]string{"0.5", "-0.25", "1.75"})
			v, _ := strconv.ParseFloat(x, 64)
			return []string{"HINCRBYFLOAT", k, f, x}, &event{kind: evFieldIncr, key: k, field: f, f: v}
		case 3:
			if r.IntN(3) == 0 {
				return []string{"DEL", k}, &event{kind: evDel, key: k}
			}
			fallthrough
		default:
			n := r.IntN(11) - 5
			return []string{"HINCRBY", k, f, strconv.Itoa(n)}, &event{kind: evFieldIncr, key: k, field: f, f: float64(n)}
		}
	case 12, 13:
		k, e := g.pick(modelZsetKeys), "e"+g.n(3)
		switch r.IntN(6) {
		case 0:
			x := g.pick([]string{"0", "3", "7.5", "10"})
			v, _ := strconv.ParseFloat(x, 64)
			return []string{"ZADD", k, x, e}, &event{kind: evFieldSet, key: k, field: e, f: v}
		case 1:
			return []string{"ZREM", k, e}, &event{kind: evFieldDel, key: k, field: e}
		case 2:
			if r.IntN(3) == 0 {
				return []string{"DEL", k}, &event{kind: evDel, key: k}
			}
			fallthrough
		default:
			x := g.pick([]string{"1", "-2", "0.5", "2.25"})
			v, _ := strconv.ParseFloat(x, 64)
			return []string{"ZINCRBY", k, x, e}, &event{kind: evFieldIncr, key: k, field: e, f: v}
		}
	case 8, 9:
		k := g.pick(expiryKeys)
		switch r.IntN(5) {
		case 0, 1:
			g.unique++
			v := fmt.Sprintf("m%d-%d", m.id, g.unique)
			return []string{"SET", k, v}, &event{kind: evSet, key: k, val: v}
		case 2, 3:
			secs := int64(1000 + r.IntN(2000))
			// EXPIRE makes the absolute time now+secs with the member's clock, which no
			// command moves.
			return []string{"EXPIRE", k, strconv.FormatInt(secs, 10)}, &event{kind: evExpire, key: k, n: m.clk.Millis + secs*1000}
		default:
			return []string{"PERSIST", k}, &event{kind: evPersist, key: k}
		}
	case 0, 1:
		k := g.pick(counterKeys)
		n := int64(r.IntN(21) - 10)
		return []string{"INCRBY", k, strconv.FormatInt(n, 10)}, &event{kind: evIncr, key: k, n: n}
	case 2:
		k := g.pick(counterKeys)
		if r.IntN(2) == 0 {
			return []string{"DEL", k}, &event{kind: evDel, key: k}
		}
		v := strconv.Itoa(r.IntN(100))
		return []string{"SET", k, v}, &event{kind: evSet, key: k, val: v}
	case 3:
		k := g.pick(registerKeys)
		if r.IntN(3) == 0 {
			return []string{"DEL", k}, &event{kind: evDel, key: k}
		}
		g.unique++
		v := fmt.Sprintf("m%d-%d", m.id, g.unique)
		return []string{"SET", k, v}, &event{kind: evSet, key: k, val: v}
	case 4, 5:
		k := g.pick(modelSetKeys)
		e := []string{g.elem(), g.elem()}
		return []string{"SADD", k, e[0], e[1]}, &event{kind: evSAdd, key: k, elems: e}
	case 6:
		k := g.pick(modelSetKeys)
		e := []string{g.elem()}
		return []string{"SREM", k, e[0]}, &event{kind: evSRem, key: k, elems: e}
	default:
		k := g.pick(modelSetKeys)
		return []string{"DEL", k}, &event{kind: evDel, key: k}
	}
}

// run executes one client action on m: a command, a model write or a MULTI/EXEC block.
func (g *workload) run(m *member) {
	w := g.w
	w.Stats.Commands++
	var ev *event
	var cmds [][]string
	switch c := g.command(); {
	case c == nil:
		var mc []string
		mc, ev = g.modelCommand(m)
		cmds = [][]string{mc}
	case c[0] == "FLUSHALL":
		cmds = [][]string{c}
		ev = &event{kind: evFlush}
	case w.rng.IntN(8) == 0:
		cmds = [][]string{{"MULTI"}, c}
		used := map[string]bool{}
		for _, k := range keysOf(c) {
			used[k] = true
		}
		for range w.rng.IntN(3) {
			x := g.command()
			if x == nil || x[0] == "FLUSHALL" {
				continue
			}
			// Bug 1 of docs/testing.md (fixed) was a key changing type twice in one batch;
			// RepeatKeysInMulti false keeps the older workload that seed replays depend on.
			if !w.cfg.RepeatKeysInMulti && slices.ContainsFunc(keysOf(x), func(k string) bool { return used[k] }) {
				continue
			}
			for _, k := range keysOf(x) {
				used[k] = true
			}
			cmds = append(cmds, x)
		}
		cmds = append(cmds, []string{"EXEC"})
	default:
		cmds = [][]string{c}
	}
	for _, c := range cmds {
		switch c[0] {
		case "INCRBY", "INCRBYFLOAT", "DECR", "INCR", "DECRBY", "HINCRBY", "HINCRBYFLOAT", "ZINCRBY":
			w.counters[c[1]] = true
		case "ZADD":
			if slices.Contains(c, "INCR") {
				w.counters[c[1]] = true
			}
		case "RENAME", "RENAMENX", "COPY", "ZRANGESTORE":
			if w.counters[c[1]] {
				w.counters[c[2]] = true
			}
		case "ZUNIONSTORE", "ZINTERSTORE":
			if w.counters[c[3]] || w.counters[c[4]] {
				w.counters[c[1]] = true
			}
		}
	}
	before := m.local.commits
	var replies []string
	for _, c := range cmds {
		replies = append(replies, w.do(m, c...))
	}
	committed := m.local.commits != before
	batch := ""
	if m.local.commits == before+1 {
		batch = fmt.Sprintf(" [batch %v]", m.local.dot)
	} else if m.local.commits != before {
		w.failf("member %d: %q committed %d batches", m.id, cmds, m.local.commits-before)
	}
	w.tracef("member %d: %s -> %q%s", m.id, fmtCmds(cmds), strings.Join(replies, ""), batch)
	for i, rep := range replies {
		if strings.HasPrefix(rep, "-LOADING") {
			w.Stats.Refused++ // the startup gate is closed
		}
		if strings.HasPrefix(rep, "-ERR internal") {
			w.failf("member %d: %q replied %q", m.id, cmds[i], rep)
		}
	}
	w.checkEnvelopes(m, fmtCmds(cmds))
	if ev != nil && committed {
		ev.dot, ev.hlc = m.local.dot, m.local.hlc
		m.e.Lock()
		ev.vc = m.e.Vector()
		m.e.Unlock()
		w.hist.add(ev)
		w.Stats.ModelWrites++
	}
}

// keysOf returns the keys a workload command names.
func keysOf(c []string) []string {
	switch c[0] {
	case "RENAME", "RENAMENX", "COPY", "SMOVE", "LMOVE", "PFMERGE", "RPOPLPUSH", "ZRANGESTORE":
		return c[1:3]
	case "DEL", "UNLINK":
		return c[1:]
	case "MSET", "MSETNX":
		return []string{c[1], c[3]}
	case "SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE":
		return c[1:4]
	case "ZUNIONSTORE", "ZINTERSTORE":
		return []string{c[1], c[3], c[4]}
	case "LMPOP":
		return c[2:3]
	}
	return c[1:2]
}

func fmtCmds(cmds [][]string) string {
	parts := make([]string, len(cmds))
	for i, c := range cmds {
		parts[i] = strings.Join(c, " ")
	}
	return strings.Join(parts, "; ")
}
