package command

import (
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

// The commands redis-benchmark sends for its collection tests (-r 100000, -d 3), as the issue's
// comparison runs them: each __rand_int__ is a fresh 12-digit number below the keyspace size.
func benchRand(r *rand.Rand) string { return fmt.Sprintf("%012d", r.IntN(100000)) }

// benchCollection runs cmds (cycled) after setup, on one client, as the dispatch benchmark does.
func benchCollection(b *testing.B, setup [][][]byte, cmd func(i int) [][]byte) {
	env, cl := benchEnv(b)
	for _, c := range setup {
		env.Execute(cl, c)
	}
	cmds := make([][][]byte, 1<<16)
	for i := range cmds {
		cmds[i] = cmd(i)
	}
	cl.Out.WriteTo(io.Discard)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		env.Execute(cl, cmds[i%len(cmds)])
		if i%64 == 0 {
			cl.Out.WriteTo(io.Discard)
		}
	}
}

// BenchmarkCollections is redis-benchmark's ZADD, LPUSH, LPOP, RPOP and LRANGE_100 against one
// big key each (the ZADD set holds about 63,000 members after 100,000 random adds).
func BenchmarkCollections(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	zadd := func(int) [][]byte {
		return [][]byte{[]byte("ZADD"), []byte("myzset"), []byte(benchRand(r)), []byte("element:" + benchRand(r))}
	}
	var zsetup [][][]byte
	for range 100000 {
		zsetup = append(zsetup, zadd(0))
	}
	push := func(int) [][]byte { return [][]byte{[]byte("LPUSH"), []byte("mylist"), []byte("xxx")} }
	var lsetup [][][]byte
	for range 100000 {
		lsetup = append(lsetup, push(0))
	}
	b.Run("ZADD", func(b *testing.B) { benchCollection(b, zsetup, zadd) })
	b.Run("LPUSH", func(b *testing.B) { benchCollection(b, nil, push) })
	// Pops alternate with pushes so that the list never runs dry whatever b.N is.
	b.Run("LPOP", func(b *testing.B) {
		benchCollection(b, lsetup, func(i int) [][]byte {
			if i%2 == 1 {
				return push(i)
			}
			return [][]byte{[]byte("LPOP"), []byte("mylist")}
		})
	})
	b.Run("RPOP", func(b *testing.B) {
		benchCollection(b, lsetup, func(i int) [][]byte {
			if i%2 == 1 {
				return push(i)
			}
			return [][]byte{[]byte("RPOP"), []byte("mylist")}
		})
	})
	b.Run("LRANGE_100", func(b *testing.B) {
		benchCollection(b, lsetup, func(int) [][]byte {
			return [][]byte{[]byte("LRANGE"), []byte("mylist"), []byte("0"), []byte("99")}
		})
	})
}
