package latency

// rdtsc reads the processor's time-stamp counter.
//
//go:noescape
func rdtsc() uint64

const haveTSC = true
