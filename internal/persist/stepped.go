package persist

// RewriteNow is BGREWRITEAOF in the foreground (engine lock held): a snapshot of the state now
// and a new append-only generation after it, the older generations removed once the snapshot
// is durable, all before it returns. It is what the deterministic simulator (internal/sim)
// calls instead of BGREWRITEAOF, whose job runs in a goroutine: the simulator runs every
// member's persistence step by step in one goroutine (Open, the sink, Tick with Options.Now a
// simulated clock, WaitDurable), with no save points and auto-aof-rewrite-percentage 0 so that
// no background job ever starts. Production does not call it.
func (p *Persister) RewriteNow() error {
	p.waitJobLocked()
	if err := p.rewriteNow(); err != nil {
		return err
	}
	p.mu.Lock()
	p.rewritten = true // Tick takes the append-only file's sizes again
	p.rewrites++
	p.mu.Unlock()
	return nil
}
