package crdt

import "github.com/concord-db/concord/internal/clock"

// Rule names the semantics rule that resolved a conflict between concurrent writes (two
// writes neither of which had observed the other). Values return what they resolved; the
// engine counts and logs it (CRDT.CONFLICTS).
type Rule uint8

const (
	RuleNone    Rule = iota // no conflict
	RuleLWW                 // concurrent register writes: the later timestamp wins (§1, §2, §4, §5)
	RuleAddWins             // a removal lost to a concurrent add it had not observed (§2–§4)
	RuleType                // concurrent creations of different types (§7)
	RuleExpiry              // concurrent expiry writes: no TTL, then the longest TTL wins (§8)
	NumRules
)

var ruleNames = [NumRules]string{"none", "lww", "add-wins", "type-conflict", "expiry"}

// String is the rule's name as CRDT.CONFLICTS and the metrics report it.
func (r Rule) String() string {
	if r < NumRules {
		return ruleNames[r]
	}
	return "unknown"
}

// Write is one side of a resolved conflict: the dot of the write and its timestamp (zero when
// the value does not keep the timestamp of that write, as for expiry writes and set adds).
type Write struct {
	Dot clock.Dot
	HLC clock.HLC
}

// Resolution is what applying a write resolved. The zero Resolution means no conflict; it is
// returned by value so that the no-conflict path allocates nothing.
type Resolution struct {
	Rule          Rule
	Winner, Loser Write
	// LoserValue is the discarded value of a register (aliasing the value's bytes: the engine
	// copies it before the value can change).
	LoserValue []byte
	// LoserAt is the losing expiry time of an expiry contest (ms, 0: no TTL).
	LoserAt int64
	// LoserType is the type of the value that lost a type conflict (reported by state merges;
	// the effect path knows it from the operation).
	LoserType Type
}

// MergeReport receives the conflicts a state merge (full resync) resolves, as Resolutions:
// elem is the collection element concerned (a set member, a hash field), nil for the value or
// the key itself. A nil MergeReport asks for none. Merges report what applying the effects
// one side had and the other lacked would have resolved there, with one difference: a state
// does not keep the dot of a removal, so the loser of an add-wins conflict found by a merge is
// the zero Write. The merge also reports the add-wins conflicts whose add came from the
// merged side, which the effect path does not see (there, an add arriving after the removal it
// survives simply adds).
type MergeReport func(elem []byte, r Resolution)
