package command

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkHashSetCollections is redis-benchmark's HSET and SADD (-r 100000, -d 3) against one
// big hash and one big set, next to SET on the same keyspace for comparison: after the 100,000
// random writes of the setup most writes overwrite a field or re-add a member, as in the
// comparison runs.
func BenchmarkHashSetCollections(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	hset := func(int) [][]byte {
		return [][]byte{[]byte("HSET"), []byte("myhash"), []byte("element:" + benchRand(r)), []byte("xxx")}
	}
	sadd := func(int) [][]byte {
		return [][]byte{[]byte("SADD"), []byte("myset"), []byte("element:" + benchRand(r))}
	}
	set := func(int) [][]byte {
		return [][]byte{[]byte("SET"), []byte("key:" + benchRand(r)), []byte("xxx")}
	}
	setup := func(cmd func(int) [][]byte) [][][]byte {
		var s [][][]byte
		for range 100000 {
			s = append(s, cmd(0))
		}
		return s
	}
	b.Run("SET", func(b *testing.B) { benchCollection(b, setup(set), set) })
	b.Run("HSET", func(b *testing.B) { benchCollection(b, setup(hset), hset) })
	b.Run("SADD", func(b *testing.B) { benchCollection(b, setup(sadd), sadd) })
}
