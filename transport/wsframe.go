//go:build !js

package transport

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
)

// WebSocket opcodes the link writes itself (RFC 6455 5.2).
const (
	opText   = 0x1
	opBinary = 0x2
	opPong   = 0xA
)

// wsBatchFlush is what a batch holds before it is written early: four TLS
// records of 16 KiB.
const wsBatchFlush = 64 << 10

// wsBatchBufs holds batch buffers between batches: an idle link holds none.
var wsBatchBufs = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// appendClientFrame appends one final, masked client frame (RFC 6455 5.2,
// 5.3) with opcode op whose payload is hdr followed by data (either may be
// empty). The masking key comes from crypto/rand.
func appendClientFrame(dst []byte, op byte, hdr, data []byte) []byte {
	n := len(hdr) + len(data)
	dst = append(dst, 0x80|op)
	switch {
	case n < 126:
		dst = append(dst, 0x80|byte(n))
	case n <= 0xFFFF:
		dst = append(dst, 0x80|126, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x80|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	var key [4]byte
	rand.Read(key[:]) // never fails (crypto/rand since Go 1.24)
	dst = append(dst, key[:]...)
	start := len(dst)
	dst = append(dst, hdr...)
	dst = append(dst, data...)
	maskBytes(key, dst[start:])
	return dst
}

// maskBytes XORs b with the repeated key, eight bytes at a time.
func maskBytes(key [4]byte, b []byte) {
	k := uint64(binary.LittleEndian.Uint32(key[:]))
	k |= k << 32
	i := 0
	for ; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], binary.LittleEndian.Uint64(b[i:])^k)
	}
	for ; i < len(b); i++ {
		b[i] ^= key[i&3]
	}
}
