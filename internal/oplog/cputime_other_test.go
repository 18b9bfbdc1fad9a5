//go:build !unix

package oplog

import (
	"testing"
	"time"
)

func processCPU() time.Duration { return 0 }

type cpuTimer struct{}

func startCPU(*testing.B) *cpuTimer { return &cpuTimer{} }

func (*cpuTimer) stop() {}
