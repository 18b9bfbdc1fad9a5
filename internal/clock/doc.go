// Package clock owns Concord's notions of identity and time: member ids, dots (the identity of
// one write), hybrid logical clock (HLC) timestamps and vector clocks.
//
// It is the only package that reads real time, and it does so through the Source interface so
// that the simulator and tests can inject their own.
//
// HLC encoding: a timestamp is one uint64, the physical time in milliseconds since the Unix epoch
// in the high 48 bits and a logical counter in the low 16 bits. Comparing two HLC values as
// integers compares them as HLC timestamps. A Stamp adds the member id that produced the
// timestamp; stamps are totally ordered, and an exact HLC tie is won by the smaller member id.
package clock
