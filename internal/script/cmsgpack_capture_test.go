// Replies captured from redis-server 7.0.15 (each command sent in order on one connection to a
// fresh server, raw reply bytes recorded).

package script

var cmsgpackCaptured = []libCase{
	{"return cmsgpack.pack(1, -1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649)", "$62\r\n\x01\xff\x7f̀\xcc\xff\xcd\x01\x00\xcd\xff\xff\xce\x00\x01\x00\x00\xce\xff\xff\xff\xff\xcf\x00\x00\x00\x01\x00\x00\x00\x00\xe0\xd0\xdfЀ\xd1\xff\x7fр\x00\xd2\xff\xff\x7f\xffҀ\x00\x00\x00\xd3\xff\xff\xff\xff\x7f\xff\xff\xff\r\n"},
	{"return cmsgpack.pack(1.5, 0.1, 1e300, -0.0, true, false, nil)", "$27\r\n\xca?\xc0\x00\x00\xcb?\xb9\x99\x99\x99\x99\x99\x9a\xcb~7\xe4<\x88\x00u\x9c\x00\xc3\xc2\xc0\r\n"},
	{"return cmsgpack.pack('', 'abc', string.rep('x', 31), string.rep('y', 32), string.rep('z', 256))", "$330\r\n\xa0\xa3abc\xbfxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xd9 yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\xda\x01\x00zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\r\n"},
	{"return cmsgpack.pack({}, {1,2,3}, {a=1}, {[1]=1,[3]=3}, {1,{2,{3}}})", "$20\r\n\x90\x93\x01\x02\x03\x81\xa1a\x01\x82\x01\x01\x03\x03\x92\x01\x92\x02\x91\x03\r\n"},
	{"return cmsgpack.pack()", "-ERR user_script:1: bad argument #0 to 'pack' (MessagePack pack needs input.) script: 6bc235afa55de88253e203cc5fe5844792e25209, on @user_script:1.\r\n"},
	{"return cmsgpack.pack(redis.call)", "$1\r\n\xc0\r\n"},
	{"local t = {} for i=1,20 do t = {t} end return cmsgpack.pack(t)", "$17\r\n\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\xc0\r\n"},
	{"return {cmsgpack.unpack(cmsgpack.pack(1, 'a', {1,2}, -5, 1.5))}", "*5\r\n:1\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n:-5\r\n:1\r\n"},
	{"return cmsgpack.unpack(cmsgpack.pack({a=1})).a", ":1\r\n"},
	{"return {cmsgpack.unpack('\\205')}", "-ERR user_script:1: Missing bytes in input. script: a7484e3af3322b56df12311f6e7c483dbbfc2383, on @user_script:1.\r\n"},
	{"return {cmsgpack.unpack('\\193')}", "-ERR user_script:1: Bad data format in input. script: 4370c4369e4c339c56b8ad64adc652c10d7953b5, on @user_script:1.\r\n"},
	{"return {cmsgpack.unpack('')}", "*0\r\n"},
	{"return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3))}", "*2\r\n:1\r\n:1\r\n"},
	{"return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3), 2)}", "*2\r\n:-1\r\n:3\r\n"},
	{"return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 2)}", "*3\r\n:2\r\n:1\r\n:2\r\n"},
	{"return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 2, 1)}", "*3\r\n:-1\r\n:2\r\n:3\r\n"},
	{"return {cmsgpack.unpack_one('abc', 10)}", "-ERR user_script:1: Start offset 10 greater than input length 3. script: 78d6d39240906c374ca25df0534f484e34ca671e, on @user_script:1.\r\n"},
	{"return {cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255')}", "*1\r\n:-1\r\n"},
	{"return {cmsgpack.unpack('\\211\\255\\255\\255\\255\\255\\255\\255\\255')}", "*1\r\n:-1\r\n"},
	{"return {cmsgpack.unpack('\\196\\2ab')}", "-ERR user_script:1: Bad data format in input. script: 13132368b52b1c1da75f6f05c620e6b5f148ab0a, on @user_script:1.\r\n"},
	{"return {cmsgpack.unpack('\\145\\192')}", "*1\r\n*0\r\n"},
	{"return {cmsgpack.unpack('\\129\\192\\1')}", "-ERR table index is nil script: b57640c96e3674704b8e4c9127630b3cf5524843, on @user_script:1.\r\n"},
	{"return {cmsgpack.unpack('\\202\\63\\192\\0\\0')}", "*1\r\n:1\r\n"},
	{"local t={} for k,v in pairs(cmsgpack) do t[#t+1]=k end table.sort(t) return t", "*8\r\n$10\r\n_COPYRIGHT\r\n$12\r\n_DESCRIPTION\r\n$5\r\n_NAME\r\n$8\r\n_VERSION\r\n$4\r\npack\r\n$6\r\nunpack\r\n$12\r\nunpack_limit\r\n$10\r\nunpack_one\r\n"},
	{"return {cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT, cmsgpack._DESCRIPTION}", "*4\r\n$8\r\ncmsgpack\r\n$18\r\nlua-cmsgpack 0.4.0\r\n$40\r\nCopyright (C) 2012, Salvatore Sanfilippo\r\n$36\r\nMessagePack C implementation for Lua\r\n"},
}
