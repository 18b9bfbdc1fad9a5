package cputime

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// OfProcess is the user and system CPU time process pid has used, from /proc (Linux; an error
// elsewhere). Its resolution is the kernel's clock tick, 10 ms.
func OfProcess(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("cputime: %w", err)
	}
	// The command name, in parentheses, may hold spaces: the fields counted start after it.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 || i+2 > len(b) {
		return 0, fmt.Errorf("cputime: /proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(b[i+2:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("cputime: /proc/%d/stat: %d fields", pid, len(f))
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("cputime: /proc/%d/stat: bad utime or stime", pid)
	}
	return time.Duration(u+s) * 10 * time.Millisecond, nil // USER_HZ is 100 on Linux
}
