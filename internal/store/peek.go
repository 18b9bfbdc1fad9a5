package store

// Find returns the entry of key, live or not, or nil, like Get but without making it the
// database's last looked-up entry: a look-ahead (the engine's Prefetch) must not displace the
// entry the operation being applied uses.
func (d *DB) Find(key string) *Entry { return d.keys[key] }
