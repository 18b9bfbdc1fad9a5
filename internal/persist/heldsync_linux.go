package persist

import (
	"os"
	"syscall"
)

// heldSync makes f's written data durable with fdatasync(2), as redis-server does, without
// releasing the scheduler's processor during the call (a raw system call): with appendfsync
// always the fsync round's leader calls it, and the whole member then waits for the disk as
// redis-server's single thread does. With a normal (blocking) system call, the runtime hands
// the processor to another thread after about 20 µs and takes it back afterwards: futex
// wake-ups and sleeps of threads and a busy sysmon on every round (measured with redis-benchmark
// SET -c 50 on 2 shared cores: about 11,000 futex calls per 100,000 SETs against under 150, and
// 24–28 µs of CPU per SET against 28–42). Clients lose little meanwhile: every reply, reads'
// included, waits for the round in progress anyway. ok is false when f is not an
// operating-system file (tests' FaultFS): the caller uses f.Sync.
func heldSync(f File) (ok bool, err error) {
	osf, isOS := f.(*os.File)
	if !isOS {
		return false, nil
	}
	rc, err := osf.SyscallConn()
	if err != nil {
		return false, nil
	}
	cerr := rc.Control(func(fd uintptr) {
		for {
			_, _, e := syscall.RawSyscall(syscall.SYS_FDATASYNC, fd, 0, 0)
			if e == syscall.EINTR {
				continue
			}
			if e != 0 {
				err = os.NewSyscallError("fdatasync", e)
			}
			return
		}
	})
	if cerr != nil {
		return true, cerr
	}
	return true, err
}
