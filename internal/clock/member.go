package clock

import "fmt"

// MemberID identifies one member (region) of an active-active database: 1..MaxMembers.
type MemberID uint8

// MaxMembers is the largest member id and so the largest number of members.
const MaxMembers = 64

// Valid reports whether id is in 1..MaxMembers.
func (id MemberID) Valid() bool { return id >= 1 && id <= MaxMembers }

// Dot is the identity of one effect batch: the member that made it and that member's sequence
// number for it. Every element a batch inserts carries the batch's dot.
type Dot struct {
	Member MemberID
	Seq    uint64
}

func (d Dot) String() string { return fmt.Sprintf("%d:%d", d.Member, d.Seq) }

// IsZero reports whether d is the zero dot, which identifies nothing.
func (d Dot) IsZero() bool { return d.Member == 0 }
