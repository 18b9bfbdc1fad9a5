package node

import "github.com/concord-db/concord/internal/clock"

func clockID(m int) clock.MemberID { return clock.MemberID(m) }
