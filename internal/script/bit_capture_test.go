// Replies captured from redis-server 7.0.15 (each command sent in order on one connection to a
// fresh server, raw reply bytes recorded).

package script

var bitCaptured = []libCase{
	{"return {bit.tobit(0xffffffff), bit.tobit(2^32+5), bit.tobit(-1), bit.tobit(1.5), bit.tobit(2.5), bit.tobit(-2.5)}", "*6\r\n:-1\r\n:5\r\n:-1\r\n:2\r\n:2\r\n:-2\r\n"},
	{"return {bit.tohex(255), bit.tohex(-1), bit.tohex(255, 2), bit.tohex(255, -4), bit.tohex(0x12345678, 12), bit.tohex(1, 0)}", "*6\r\n$8\r\n000000ff\r\n$8\r\nffffffff\r\n$2\r\nff\r\n$4\r\n00FF\r\n$8\r\n12345678\r\n$0\r\n\r\n"},
	{"return {bit.bnot(0), bit.band(0xff, 0x0f, 0x3), bit.bor(1,2,4), bit.bxor(5,3), bit.lshift(1, 31), bit.lshift(1, 33), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.rol(0x80000001, 1), bit.ror(1, 1), bit.bswap(0x12345678)}", "*11\r\n:-1\r\n:3\r\n:7\r\n:6\r\n:-2147483648\r\n:2\r\n:15\r\n:-16\r\n:3\r\n:-2147483648\r\n:2018915346\r\n"},
	{"return bit.band()", "-ERR user_script:1: bad argument #1 to 'band' (number expected, got no value) script: 5cf53f885283a4f44a8fe7ad7e7fccaed4113e62, on @user_script:1.\r\n"},
	{"return bit.band('x')", "-ERR user_script:1: bad argument #1 to 'band' (number expected, got string) script: d35c9a1d4f4825ae2c0656c3cb8c9f397ca6d9b1, on @user_script:1.\r\n"},
	{"return bit.tobit('12')", ":12\r\n"},
}
