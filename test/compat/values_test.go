package compat

import "strings"

// stringValues are the values string commands store: numbers in many spellings, binary data,
// unicode, empty and long strings.
var stringValues = []string{
	"", "0", "1", "-1", "10", "42", "100", "007", "-0", "+5", "10.5", "-3.25", "1e3", "abc", "hello world",
	" 1", "1 ", "0x10", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
	"\x00\xff\r\n", "ünïcödé", "a\x00b", strings.Repeat("x", 100), strings.Repeat("ab", 600), "*", "[a-z]",
	"nan", "inf", "-inf", "1.7976931348623157e308",
}

func (s *stream) value() string {
	if s.chance(0.1) {
		// a random short binary-safe value
		b := make([]byte, s.intn(12))
		for i := range b {
			b[i] = byte(s.intn(256))
		}
		return string(b)
	}
	return s.pick(stringValues...)
}

// badInts are arguments that are not valid integers (or are out of range) for integer parameters.
var badInts = []string{"abc", "", "1.5", " 1", "1 ", "0x10", "9223372036854775808", "-9223372036854775809",
	"18446744073709551616", "1e3", "--1", "+1", "١"}

// edgeInts are valid but extreme integers.
var edgeInts = []string{"0", "-1", "1", "9223372036854775807", "-9223372036854775808", "9223372036854775806",
	"4294967295", "4294967296", "2147483647", "2147483648", "-2147483648"}
