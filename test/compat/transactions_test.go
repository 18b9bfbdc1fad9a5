package compat

import "testing"

func TestCompatTransactions(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	forProtocols(t, func(t *testing.T, proto int) {
		t.Run("scenarios", func(t *testing.T) {
			s := newStream(t, p, 2, proto)
			txScenarios(s)
			s.dumpState(2)
		})
		t.Run("random", func(t *testing.T) {
			s := newStream(t, p, 2, proto)
			s.keys = []string{"t1", "t2", "t3"}
			for i := 0; i < n(800); i++ {
				genTx(s)
			}
			s.on(0, nil, "DISCARD")
			s.on(1, nil, "DISCARD")
			s.dumpState(2)
		})
	})
}

func txScenarios(s *stream) {
	type step struct {
		conn int
		args []string
	}
	a, b := 0, 1
	steps := []step{
		// plain transaction, empty transaction
		{a, []string{"MULTI"}}, {a, []string{"SET", "x", "1"}}, {a, []string{"INCR", "x"}}, {a, []string{"GET", "x"}}, {a, []string{"EXEC"}},
		{a, []string{"MULTI"}}, {a, []string{"EXEC"}},
		// errors outside MULTI
		{a, []string{"EXEC"}}, {a, []string{"DISCARD"}}, {a, []string{"MULTI", "x"}}, {a, []string{"EXEC", "x"}},
		// nested MULTI, WATCH inside MULTI, DISCARD
		{a, []string{"MULTI"}}, {a, []string{"MULTI"}}, {a, []string{"WATCH", "x"}}, {a, []string{"SET", "y", "2"}}, {a, []string{"DISCARD"}},
		{a, []string{"GET", "y"}},
		// queued wrong arity / unknown command: EXECABORT, nothing runs
		{a, []string{"MULTI"}}, {a, []string{"SET", "y", "3"}}, {a, []string{"GET"}}, {a, []string{"EXEC"}}, {a, []string{"GET", "y"}},
		{a, []string{"MULTI"}}, {a, []string{"SET", "y", "3"}}, {a, []string{"NOSUCHCOMMAND", "a"}}, {a, []string{"EXEC"}}, {a, []string{"GET", "y"}},
		{a, []string{"MULTI"}}, {a, []string{"SET", "y", "3"}}, {a, []string{"SET", "y"}}, {a, []string{"DISCARD"}},
		// runtime errors inside EXEC do not abort the rest
		{a, []string{"SET", "l", "not a number"}}, {a, []string{"MULTI"}}, {a, []string{"INCR", "l"}}, {a, []string{"SET", "z", "9"}},
		{a, []string{"INCRBY", "z", "abc"}}, {a, []string{"INCR", "z"}}, {a, []string{"EXEC"}},
		// syntax errors detected at queue time vs at run time
		{a, []string{"MULTI"}}, {a, []string{"SET", "z", "1", "NX", "XX"}}, {a, []string{"INCR", "z"}}, {a, []string{"EXEC"}}, {a, []string{"GET", "z"}},
		// WATCH, then a write from another connection: EXEC returns null
		{a, []string{"SET", "w", "1"}}, {a, []string{"WATCH", "w"}}, {b, []string{"SET", "w", "2"}}, {a, []string{"MULTI"}},
		{a, []string{"GET", "w"}}, {a, []string{"EXEC"}},
		// WATCH, write from another connection of the same value, after MULTI
		{a, []string{"WATCH", "w"}}, {a, []string{"MULTI"}}, {b, []string{"SET", "w", "2"}}, {a, []string{"GET", "w"}}, {a, []string{"EXEC"}},
		// WATCH, own write before MULTI also aborts
		{a, []string{"WATCH", "w"}}, {a, []string{"SET", "w", "3"}}, {a, []string{"MULTI"}}, {a, []string{"INCR", "w"}}, {a, []string{"EXEC"}},
		// WATCH then UNWATCH: EXEC runs
		{a, []string{"WATCH", "w"}}, {b, []string{"SET", "w", "4"}}, {a, []string{"UNWATCH"}}, {a, []string{"MULTI"}}, {a, []string{"INCR", "w"}}, {a, []string{"EXEC"}},
		// WATCH a missing key, another connection creates it
		{a, []string{"WATCH", "missing"}}, {b, []string{"SET", "missing", "1"}}, {a, []string{"MULTI"}}, {a, []string{"PING"}}, {a, []string{"EXEC"}},
		// WATCH a missing key that stays missing (DEL of a missing key does not touch it)
		{a, []string{"WATCH", "missing2"}}, {b, []string{"DEL", "missing2"}}, {a, []string{"MULTI"}}, {a, []string{"PING"}}, {a, []string{"EXEC"}},
		// writes to other keys do not abort; reads do not abort
		{a, []string{"WATCH", "w", "x"}}, {b, []string{"SET", "other", "1"}}, {b, []string{"GET", "w"}}, {a, []string{"MULTI"}}, {a, []string{"GET", "x"}}, {a, []string{"EXEC"}},
		// EXPIRE and DEL and FLUSHDB touch watched keys
		{a, []string{"WATCH", "x"}}, {b, []string{"EXPIRE", "x", "100000"}}, {a, []string{"MULTI"}}, {a, []string{"GET", "x"}}, {a, []string{"EXEC"}},
		{a, []string{"WATCH", "x"}}, {b, []string{"DEL", "x"}}, {a, []string{"MULTI"}}, {a, []string{"GET", "x"}}, {a, []string{"EXEC"}},
		{a, []string{"SET", "x", "5"}}, {a, []string{"WATCH", "x"}}, {b, []string{"FLUSHDB"}}, {a, []string{"MULTI"}}, {a, []string{"GET", "x"}}, {a, []string{"EXEC"}},
		// watched key in another database
		{a, []string{"SELECT", "1"}}, {a, []string{"SET", "x", "1"}}, {a, []string{"WATCH", "x"}}, {b, []string{"SET", "x", "2"}},
		{a, []string{"MULTI"}}, {a, []string{"GET", "x"}}, {a, []string{"EXEC"}},
		{b, []string{"SELECT", "1"}}, {a, []string{"WATCH", "x"}}, {b, []string{"SET", "x", "3"}}, {a, []string{"MULTI"}}, {a, []string{"GET", "x"}}, {a, []string{"EXEC"}},
		{a, []string{"SELECT", "0"}}, {b, []string{"SELECT", "0"}},
		// SELECT inside MULTI
		{a, []string{"MULTI"}}, {a, []string{"SELECT", "1"}}, {a, []string{"SET", "indb1", "v"}}, {a, []string{"SELECT", "99"}}, {a, []string{"EXEC"}},
		{a, []string{"GET", "indb1"}}, {a, []string{"SELECT", "0"}},
		// DISCARD clears watches
		{a, []string{"WATCH", "w"}}, {a, []string{"MULTI"}}, {a, []string{"DISCARD"}}, {b, []string{"SET", "w", "5"}}, {a, []string{"MULTI"}}, {a, []string{"GET", "w"}}, {a, []string{"EXEC"}},
		// EXEC clears watches
		{a, []string{"WATCH", "w"}}, {a, []string{"MULTI"}}, {a, []string{"EXEC"}}, {b, []string{"SET", "w", "6"}}, {a, []string{"MULTI"}}, {a, []string{"GET", "w"}}, {a, []string{"EXEC"}},
		// aborted EXEC clears watches too
		{a, []string{"WATCH", "w"}}, {b, []string{"SET", "w", "7"}}, {a, []string{"MULTI"}}, {a, []string{"EXEC"}}, {b, []string{"SET", "w", "8"}},
		{a, []string{"MULTI"}}, {a, []string{"GET", "w"}}, {a, []string{"EXEC"}},
		// MULTI state survives errors; WATCH/UNWATCH arity
		{a, []string{"WATCH"}}, {a, []string{"UNWATCH", "x"}}, {a, []string{"DISCARD", "x"}},
		{a, []string{"MULTI"}}, {a, []string{"UNWATCH"}}, {a, []string{"EXEC"}},
		// commands that behave differently inside MULTI
		{a, []string{"MULTI"}}, {a, []string{"PING"}}, {a, []string{"ECHO", "hi"}}, {a, []string{"DBSIZE"}}, {a, []string{"EXEC"}},
		{a, []string{"MULTI"}}, {a, []string{"SUBSCRIBE", "ch"}}, {a, []string{"EXEC"}}, {a, []string{"UNSUBSCRIBE"}},
		{a, []string{"MULTI"}}, {a, []string{"HELLO", "2"}}, {a, []string{"DISCARD"}},
		// the other connection does not see queued writes
		{a, []string{"MULTI"}}, {a, []string{"SET", "q", "1"}}, {b, []string{"GET", "q"}}, {a, []string{"EXEC"}}, {b, []string{"GET", "q"}},
		// both connections in MULTI at once
		{a, []string{"MULTI"}}, {b, []string{"MULTI"}}, {a, []string{"INCR", "n"}}, {b, []string{"INCR", "n"}}, {b, []string{"EXEC"}}, {a, []string{"EXEC"}},
		// WATCH of the same key twice, of many keys
		{a, []string{"WATCH", "n", "n", "w", "x", "y", "z"}}, {a, []string{"WATCH", "n"}}, {b, []string{"INCR", "z"}}, {a, []string{"MULTI"}}, {a, []string{"EXEC"}},
		// a transaction with MULTI/EXEC in lower case and many commands
		{a, []string{"multi"}}, {a, []string{"mset", "a", "1", "b", "2"}}, {a, []string{"mget", "a", "b", "c"}}, {a, []string{"del", "a", "b"}}, {a, []string{"exec"}},
	}
	for _, st := range steps {
		s.on(st.conn, nil, st.args...)
	}
}

func genTx(s *stream) {
	c := 0
	if s.chance(0.3) {
		c = 1
	}
	k := s.key()
	var args []string
	switch s.intn(20) {
	case 0, 1, 2:
		args = []string{"MULTI"}
	case 3, 4:
		args = []string{"EXEC"}
	case 5:
		args = []string{"DISCARD"}
	case 6, 7:
		args = append([]string{"WATCH"}, s.keysN(2)...)
	case 8:
		args = []string{"UNWATCH"}
	case 9, 10:
		args = []string{"SET", k, itoa(int64(s.intn(100)))}
	case 11, 12:
		args = []string{"INCR", k}
	case 13:
		args = []string{"GET", k}
	case 14:
		args = []string{"DEL", k}
	case 15:
		args = []string{"APPEND", k, "x"}
	case 16:
		args = s.pick2([]string{"GET"}, []string{"SET", k}, []string{"NOSUCH", k}, []string{"INCRBY", k, "x"}, []string{"EXPIRE", k})
	case 17:
		args = []string{"SET", k, "x"}
	case 18:
		args = []string{"SELECT", s.pick("0", "1", "0")}
	default:
		args = []string{"EXPIRE", k, itoa(s.relS())}
	}
	s.on(c, nil, s.cmd(args[0], args[1:]...)...)
}

func (s *stream) pick2(xs ...[]string) []string { return xs[s.intn(len(xs))] }
