package command

import (
	"io"
	"testing"
)

// BenchmarkListEnds is redis-benchmark's LPUSH and LPOP tests as the comparison runs
// them (-d 3): every command on the one list "mylist", pops taking what pushes left. The LPOP
// case refills the list outside the timer whenever it runs low.
func BenchmarkListEnds(b *testing.B) {
	push := [][]byte{[]byte("LPUSH"), []byte("mylist"), []byte("xxx")}
	for _, tc := range []struct {
		name string
		cmd  [][]byte
		pop  bool
	}{
		{"LPUSH", push, false},
		{"RPUSH", [][]byte{[]byte("RPUSH"), []byte("mylist"), []byte("xxx")}, false},
		{"LPOP", [][]byte{[]byte("LPOP"), []byte("mylist")}, true},
		{"RPOP", [][]byte{[]byte("RPOP"), []byte("mylist")}, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			env, cl := benchEnv(b)
			const refill = 200000
			left := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if tc.pop && left == 0 {
					b.StopTimer()
					for range refill {
						env.Execute(cl, push)
					}
					cl.Out.WriteTo(io.Discard)
					left = refill
					b.StartTimer()
				}
				left--
				env.Execute(cl, tc.cmd)
				if i%64 == 0 {
					cl.Out.WriteTo(io.Discard)
				}
			}
		})
	}
}
