// Package command executes Redis commands: the command table (name, arity, flags, handler),
// per-client state (selected database, RESP version, authentication, MULTI queue, WATCHed keys,
// subscriptions), and one file per command group, like Redis's t_*.c files. Handlers read the
// keyspace through the engine and change it only by emitting effect operations; they know
// nothing of sockets.
//
// Every handler returns an error or writes its reply; errors are turned into RESP error replies
// by the one table in errors.go.
package command
