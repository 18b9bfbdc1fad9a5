package config

// ID is a parameter resolved once by name, for code that reads a value on every command and
// cannot afford the name lookup (the dispatcher reads latency-tracking once per call).
type ID int

// MustID resolves a parameter name (or alias); it panics for an unknown name, which is a bug
// in the caller's constant.
func MustID(name string) ID {
	e, ok := lookup(name)
	if !ok {
		panic("config: unknown parameter " + name)
	}
	return ID(e.id)
}

// BoolID is Bool for a pre-resolved yes/no parameter: one atomic load, no lookup.
func (c *Config) BoolID(id ID) bool { return c.snap.Load().vals[id].n != 0 }
