package command

import (
	"strconv"
	"testing"
)

func TestExpireOptions(t *testing.T) {
	const (
		errNX          = "ERR NX and XX, GT or LT options at the same time are not compatible"
		errGTLT        = "ERR GT and LT options at the same time are not compatible"
		errExpire      = "ERR invalid expire time in 'expire' command"
		errPexpire     = "ERR invalid expire time in 'pexpire' command"
		errExpireat    = "ERR invalid expire time in 'expireat' command"
		errPexpireat   = "ERR invalid expire time in 'pexpireat' command"
		nowS           = ktStart / 1000
		maxTTLSeconds  = maxTTL / 1000 // the largest whole second within 2^49 ms
		beyondMaxTTLms = maxTTL + 1
	)
	tests := []struct {
		name  string
		steps []ktStep
	}{
		{"option errors", []ktStep{
			st(ktOK, "SET", "k", "v"),
			st(ktErr("ERR Unsupported option FOO"), "EXPIRE", "k", "100", "FOO"),
			st(ktErr("ERR Unsupported option FOO"), "EXPIRE", "k", "abc", "FOO"),
			st(ktErr("ERR Unsupported option FOO"), "EXPIRE", "k", "100", "FOO", "BAR"),
			st(ktErr("ERR Unsupported option FOO"), "EXPIRE", "k", "100", "NX", "FOO"),
			st(ktErr("ERR Unsupported option xx "), "PEXPIRE", "k", "100", "xx "),
			st(ktErr(errNX), "EXPIRE", "k", "100", "nx", "xx"),
			st(ktErr(errNX), "EXPIRE", "k", "abc", "NX", "XX"),
			st(ktErr(errNX), "EXPIRE", "nokey", "100", "NX", "XX"),
			st(ktErr(errNX), "EXPIRE", "k", "100", "NX", "GT"),
			st(ktErr(errNX), "EXPIRE", "k", "100", "NX", "LT"),
			st(ktErr(errNX), "EXPIRE", "k", "100", "GT", "LT", "NX"),
			st(ktErr(errGTLT), "EXPIRE", "k", "100", "GT", "LT"),
			st(ktErr(errGTLT), "PEXPIREAT", "k", "100", "XX", "gt", "lt"),
			st(ktErr(ktErrNotInt), "EXPIRE", "k", "abc"),
			st(ktErr(ktErrNotInt), "EXPIRE", "k", "1.5"),
			st(ktErr(ktErrNotInt), "EXPIRE", "k", ""),
			st(ktErr(ktErrNotInt), "EXPIRE", "k", "abc", "XX", "GT"),
			st(ktInt(-1), "TTL", "k"),
		}},
		{"nx xx gt lt", []ktStep{
			st(ktOK, "SET", "k", "v"),
			st(ktInt(0), "EXPIRE", "k", "100", "XX"),
			st(ktInt(0), "EXPIRE", "k", "100", "GT"),
			st(ktInt(-1), "TTL", "k"),
			st(ktInt(1), "EXPIRE", "k", "100", "nx"),
			st(ktInt(100), "TTL", "k"),
			st(ktInt(0), "EXPIRE", "k", "200", "NX"),
			st(ktInt(0), "EXPIRE", "k", "50", "GT"),
			st(ktInt(0), "EXPIRE", "k", "100", "GT"),
			st(ktInt(1), "EXPIRE", "k", "200", "GT"),
			st(ktInt(200), "TTL", "k"),
			st(ktInt(0), "EXPIRE", "k", "300", "LT"),
			st(ktInt(0), "EXPIRE", "k", "200", "LT"),
			st(ktInt(1), "EXPIRE", "k", "100", "LT", "XX"),
			st(ktInt(100), "TTL", "k"),
			st(ktInt(1), "EXPIRE", "k", "150", "xx", "gt"),
			st(ktInt(150), "TTL", "k"),
			st(ktInt(1), "PERSIST", "k"),
			st(ktInt(1), "EXPIRE", "k", "100", "LT"), // no TTL counts as infinite
			st(ktInt(100), "TTL", "k"),
			st(ktInt(0), "EXPIRE", "nokey", "100", "LT"),
		}},
		{"lt with a time in the past deletes", []ktStep{
			st(ktOK, "SET", "k", "v", "EX", "100"),
			st(ktInt(0), "EXPIRE", "k", "-10", "GT"),
			st(ktInt(1), "EXPIRE", "k", "-10", "LT"),
			st(ktInt(0), "EXISTS", "k"),
		}},
		{"past times delete", []ktStep{
			st(ktOK, "SET", "k", "v"), st(ktInt(1), "EXPIRE", "k", "0"), st(ktInt(0), "EXISTS", "k"),
			st(ktOK, "SET", "k", "v"), st(ktInt(1), "EXPIRE", "k", "-1"), st(ktInt(-2), "TTL", "k"),
			st(ktOK, "SET", "k", "v"), st(ktInt(1), "PEXPIRE", "k", "0"), st(ktNull, "GET", "k"),
			st(ktOK, "SET", "k", "v"), st(ktInt(1), "EXPIREAT", "k", "1"), st(ktInt(0), "EXISTS", "k"),
			st(ktOK, "SET", "k", "v"), st(ktInt(1), "PEXPIREAT", "k", strconv.FormatInt(ktStart, 10)), st(ktInt(0), "EXISTS", "k"),
			st(ktOK, "SET", "k", "v"), st(ktInt(1), "EXPIREAT", "k", "-9223372036854775"), st(ktInt(0), "EXISTS", "k"),
			st(ktOK, "SET", "k", "v"), st(ktInt(1), "EXPIRE", "k", "-9223372036854775"), st(ktInt(0), "EXISTS", "k"),
			st(ktOK, "SET", "k", "v"), st(ktInt(1), "PEXPIRE", "k", "-9223372036854775808"), st(ktInt(0), "EXISTS", "k"),
			st(ktInt(0), "EXPIRE", "k", "-1"),
		}},
		{"overflow", []ktStep{
			st(ktOK, "SET", "k", "v"),
			st(ktErr(errExpire), "EXPIRE", "k", "9223372036854775"),
			st(ktErr(errExpire), "EXPIRE", "k", "9223372036854776"),
			st(ktErr(errExpire), "EXPIRE", "k", "-9223372036854776"),
			st(ktErr(errExpireat), "EXPIREAT", "k", "-9223372036854775808"),
			st(ktErr(errExpire), "EXPIRE", "nokey", "99999999999999999"),
			st(ktErr(errPexpire), "PEXPIRE", "k", "9223372036854775807"),
			st(ktErr(errExpireat), "EXPIREAT", "k", "9223372036854775807"),
			st(ktErr(errExpireat), "EXPIREAT", "k", "9223372036854776"),
			st(ktErr(errExpire), "expire", "k", "9223372036854776"),
			st(ktInt(-1), "TTL", "k"),
		}},
		{"concord's 2^49 ms limit", []ktStep{
			// Redis accepts these; Concord refuses TTLs beyond 2^49 ms (semantics.md §8), but
			// only where it would set one: a missing key or a failed condition replies 0.
			st(ktOK, "SET", "k", "v"),
			st(ktErr(errPexpireat), "PEXPIREAT", "k", strconv.FormatInt(beyondMaxTTLms, 10)),
			st(ktErr(errExpireat), "EXPIREAT", "k", "9223372036854775"),
			st(ktErr(errExpireat), "EXPIREAT", "k", strconv.FormatInt(maxTTLSeconds+1, 10)),
			st(ktErr(errPexpire), "PEXPIRE", "k", strconv.FormatInt(maxTTL-ktStart+1, 10)),
			st(ktInt(0), "PEXPIREAT", "nokey", strconv.FormatInt(beyondMaxTTLms, 10)),
			st(ktInt(0), "PEXPIREAT", "k", strconv.FormatInt(beyondMaxTTLms, 10), "GT"),
			st(ktInt(-1), "TTL", "k"),
			st(ktInt(1), "PEXPIREAT", "k", strconv.FormatInt(maxTTL, 10)),
			st(ktInt(maxTTL), "PEXPIRETIME", "k"),
			st(ktInt(1), "EXPIREAT", "k", strconv.FormatInt(maxTTLSeconds, 10)),
			st(ktInt(maxTTLSeconds*1000), "PEXPIRETIME", "k"),
		}},
		{"missing and expired keys", []ktStep{
			st(ktInt(0), "EXPIRE", "nokey", "100"),
			st(ktInt(0), "PEXPIREAT", "nokey", "1"),
			st(ktOK, "SET", "k", "v", "PX", "10"),
			ktWait(11),
			st(ktInt(0), "EXPIRE", "k", "100"),
			st(ktInt(0), "PERSIST", "k"),
			st(ktInt(-2), "TTL", "k"),
		}},
		{"relative and absolute", []ktStep{
			st(ktOK, "SET", "k", "v"),
			st(ktInt(1), "EXPIRE", "k", "100"),
			st(ktInt(100000), "PTTL", "k"),
			st(ktInt(nowS+100), "EXPIRETIME", "k"),
			st(ktInt(ktStart+100000), "PEXPIRETIME", "k"),
			st(ktInt(1), "PEXPIRE", "k", "1500"),
			st(ktInt(2), "TTL", "k"), // rounded to nearest
			st(ktInt(1), "PEXPIRE", "k", "1499"),
			st(ktInt(1), "TTL", "k"),
			st(ktInt(1), "PEXPIREAT", "k", strconv.FormatInt(ktStart+2500, 10)),
			st(ktInt(nowS+3), "EXPIRETIME", "k"), // 2.5 s after a whole second: rounded to 3
		}},
		{"ttl counts down", []ktStep{
			st(ktOK, "SET", "k", "v"),
			st(ktInt(1), "EXPIREAT", "k", strconv.FormatInt(nowS+10, 10)),
			st(ktInt(10), "TTL", "k"),
			ktWait(2400),
			st(ktInt(8), "TTL", "k"),
			st(ktInt(7600), "PTTL", "k"),
			st(ktInt(nowS+10), "EXPIRETIME", "k"),
			ktWait(7599),
			st(ktInt(0), "TTL", "k"),
			st(ktInt(1), "PTTL", "k"),
			// (At the expiry time itself Redis still has the key, "now > when"; the engine
			// expires it: skip that millisecond.)
			ktWait(2),
			st(ktInt(-2), "TTL", "k"),
			st(ktInt(-2), "PTTL", "k"),
			st(ktInt(-2), "EXPIRETIME", "k"),
			st(ktInt(-2), "PEXPIRETIME", "k"),
		}},
		{"no ttl", []ktStep{
			st(ktOK, "SET", "k", "v"),
			st(ktInt(-1), "TTL", "k"), st(ktInt(-1), "PTTL", "k"),
			st(ktInt(-1), "EXPIRETIME", "k"), st(ktInt(-1), "PEXPIRETIME", "k"),
			st(ktInt(-2), "TTL", "nokey"), st(ktInt(-2), "PTTL", "nokey"),
			st(ktInt(-2), "EXPIRETIME", "nokey"), st(ktInt(-2), "PEXPIRETIME", "nokey"),
		}},
		{"persist", []ktStep{
			st(ktInt(0), "PERSIST", "nokey"),
			st(ktOK, "SET", "k", "v"),
			st(ktInt(0), "PERSIST", "k"),
			st(ktInt(1), "EXPIRE", "k", "100"),
			st(ktInt(1), "PERSIST", "k"),
			st(ktInt(0), "PERSIST", "k"),
			st(ktInt(-1), "TTL", "k"),
			ktWait(200000),
			st(ktBulk("v"), "GET", "k"),
		}},
		{"set resets the ttl, expire keeps the value", []ktStep{
			st(ktOK, "SET", "k", "v"),
			st(ktInt(1), "EXPIRE", "k", "100"),
			st(ktBulk("v"), "GET", "k"),
			st(ktInt(5), "INCRBY", "n", "5"),
			st(ktInt(1), "PEXPIRE", "n", "100"),
			st(ktInt(6), "INCR", "n"),
			st(ktInt(100), "PTTL", "n"),
			ktWait(101),
			st(ktNull, "GET", "n"),
		}},
		{"arity", []ktStep{
			st(ktWrongArgs("expire"), "EXPIRE", "k"),
			st(ktWrongArgs("pexpire"), "PEXPIRE"),
			st(ktWrongArgs("expireat"), "EXPIREAT", "k"),
			st(ktWrongArgs("pexpireat"), "PEXPIREAT"),
			st(ktWrongArgs("ttl"), "TTL"),
			st(ktWrongArgs("pttl"), "PTTL", "a", "b"),
			st(ktWrongArgs("expiretime"), "EXPIRETIME"),
			st(ktWrongArgs("pexpiretime"), "PEXPIRETIME", "a", "b"),
			st(ktWrongArgs("persist"), "PERSIST"),
			st(ktWrongArgs("persist"), "PERSIST", "a", "b"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { ktRun(t, tt.steps) })
	}
}
