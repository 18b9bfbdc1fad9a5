package replication

import "github.com/concord-db/concord/internal/oplog"

func newSmallBacklog() *oplog.Backlog { return oplog.New(1024) }
