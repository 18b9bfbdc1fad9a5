//go:build unix

package replication

import (
	"syscall"
	"time"
)

// processCPU is the user and system CPU time the process has used (benchmarks report it
// besides the wall time: on a shared machine it is the steadier figure).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
