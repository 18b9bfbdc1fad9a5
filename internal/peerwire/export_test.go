package peerwire

import "encoding/binary"

func AppendUvarintForTest(dst []byte, v uint64) []byte { return binary.AppendUvarint(dst, v) }
