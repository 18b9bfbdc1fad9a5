//go:build !amd64

package latency

func rdtsc() uint64 { return 0 }

const haveTSC = false
