package clock

import (
	"fmt"
	"time"
)

// HLC is a hybrid logical clock timestamp: physical milliseconds << 16 | logical counter.
type HLC uint64

const logicalBits = 16

// NewHLC builds a timestamp from its parts.
func NewHLC(millis int64, logical uint16) HLC {
	return HLC(uint64(millis)<<logicalBits | uint64(logical))
}

// Millis is the physical part in milliseconds since the Unix epoch.
func (h HLC) Millis() int64 { return int64(uint64(h) >> logicalBits) }

// Logical is the logical counter.
func (h HLC) Logical() uint16 { return uint16(h) }

func (h HLC) String() string { return fmt.Sprintf("%d.%d", h.Millis(), h.Logical()) }

// Source tells the current physical time. Real members use System; tests and the simulator use
// their own.
type Source interface {
	NowMillis() int64
}

// System reads the machine's clock.
type System struct{}

// NowMillis returns the wall-clock time in milliseconds.
func (System) NowMillis() int64 { return time.Now().UnixMilli() }

// Manual is a Source moved by hand, for tests.
type Manual struct{ Millis int64 }

// NowMillis returns the time last set.
func (m *Manual) NowMillis() int64 { return m.Millis }

// Clock produces HLC timestamps that never go backwards and that are larger than every timestamp
// it has observed. It is not safe for concurrent use; its owner serialises access.
type Clock struct {
	src  Source
	last HLC
}

// NewClock returns a clock reading physical time from src.
func NewClock(src Source) *Clock { return &Clock{src: src} }

// Now returns a fresh timestamp for a local event.
func (c *Clock) Now() HLC { return c.NowAt(c.src.NowMillis()) }

// NowAt returns a fresh timestamp for a local event happening at physical time millis (read
// from the Source by the caller).
func (c *Clock) NowAt(millis int64) HLC {
	phys := NewHLC(millis, 0)
	if phys > c.last {
		c.last = phys
	} else {
		c.last++ // same or earlier millisecond: advance the logical part (carries into millis)
	}
	return c.last
}

// Observe moves the clock past a timestamp received from another member, so that every later
// local event is ordered after it.
func (c *Clock) Observe(remote HLC) {
	if remote > c.last {
		c.last = remote
	}
}

// Last returns the latest timestamp produced or observed.
func (c *Clock) Last() HLC { return c.last }

// Restore sets the clock to at least h, for a member restarting from its files.
func (c *Clock) Restore(h HLC) { c.Observe(h) }

// PhysicalMillis reads the physical time without producing a timestamp (expiry checks).
func (c *Clock) PhysicalMillis() int64 { return c.src.NowMillis() }

// Stamp is an HLC timestamp together with the member that produced it. Stamps are totally
// ordered: the larger HLC is later; on an exact HLC tie the smaller member id counts as later,
// so that it wins last-writer-wins contests (semantics.md: the smaller member id wins a tie).
type Stamp struct {
	HLC    HLC
	Member MemberID
}

// After reports whether s wins over t in a last-writer-wins contest.
func (s Stamp) After(t Stamp) bool {
	if s.HLC != t.HLC {
		return s.HLC > t.HLC
	}
	return s.Member < t.Member
}

func (s Stamp) String() string { return fmt.Sprintf("%s@%d", s.HLC, s.Member) }
