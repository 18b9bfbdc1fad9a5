package command

func init() {
	define(
		&Command{Name: "multi", Arity: 1, Flags: TxControl | Fast, Run: multiCommand},
		&Command{Name: "exec", Arity: 1, Flags: TxControl, Run: execCommand},
		&Command{Name: "discard", Arity: 1, Flags: TxControl | Fast, Run: discardCommand},
		&Command{Name: "watch", Arity: -2, Flags: TxControl | Fast, Run: watchCommand},
		&Command{Name: "unwatch", Arity: 1, Flags: Fast, Run: unwatchCommand},
	)
}

func multiCommand(c *Ctx) error {
	if c.Client.InMulti {
		return ErrNestedMulti
	}
	c.Client.InMulti = true
	c.W.Simple("OK")
	return nil
}

func discardMulti(c *Ctx) {
	cl := c.Client
	cl.InMulti, cl.MultiErr, cl.Queue = false, false, nil
	c.Env.watch.unwatchAll(cl)
}

func discardCommand(c *Ctx) error {
	if !c.Client.InMulti {
		return ErrDiscardNoMulti
	}
	discardMulti(c)
	c.W.Simple("OK")
	return nil
}

// execCommand runs the queued commands under the lock the dispatcher already holds, so that the
// transaction is atomic here and its effects form one batch everywhere.
func execCommand(c *Ctx) error {
	cl := c.Client
	if !cl.InMulti {
		return ErrExecNoMulti
	}
	if cl.MultiErr {
		discardMulti(c)
		return ErrExecAbort
	}
	if cl.WatchDirt || c.watchedExpired() {
		discardMulti(c)
		c.W.NullArray()
		return nil
	}
	queue := cl.Queue
	cl.InMulti, cl.Queue = false, nil
	c.Env.watch.unwatchAll(cl)
	c.W.ArrayLen(len(queue))
	for _, args := range queue {
		cmd, err := resolve(args)
		if err != nil { // cannot happen: checked when queued
			c.Env.replyError(cl, err)
			continue
		}
		c.Env.call(cl, cmd, args)
	}
	return nil
}

// watchedExpired reports whether a key that existed at WATCH time has expired since.
func (c *Ctx) watchedExpired() bool {
	for _, k := range c.Client.Watched {
		if !k.wasLive {
			continue
		}
		ent := c.E.Store().DB(k.db).Get(k.key)
		if ent != nil && ent.Live() && c.E.Expired(ent) {
			return true
		}
	}
	return false
}

func watchCommand(c *Ctx) error {
	if c.Client.InMulti {
		return ErrWatchInMulti
	}
	for _, k := range c.Args[1:] {
		ent := c.E.Lookup(c.DB(), string(k))
		c.Env.watch.add(c.Client, c.DB(), string(k), ent != nil)
	}
	c.W.Simple("OK")
	return nil
}

func unwatchCommand(c *Ctx) error {
	c.Env.watch.unwatchAll(c.Client)
	c.W.Simple("OK")
	return nil
}
