package interact

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

// crockford is Crockford's base32 alphabet: sortable, no I/L/O/U.
const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

var idMu sync.Mutex
var idLast int64

// NewID returns a new 26-character identifier that sorts by creation time:
// 48 bits of milliseconds since the Unix epoch, then 80 random bits. IDs made
// in the same millisecond by one process still sort in creation order.
func NewID() string {
	idMu.Lock()
	ms := time.Now().UnixMilli()
	if ms <= idLast {
		ms = idLast + 1 // keep strictly increasing within this process
	}
	idLast = ms
	idMu.Unlock()

	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(ms)<<16)
	rand.Read(b[6:])
	return encode32(b[:], 26)
}

// NewSecret returns prefix followed by n random Crockford base32 characters
// (5 bits each), for keys and tokens.
func NewSecret(prefix string, n int) string {
	b := make([]byte, (n*5+7)/8)
	rand.Read(b)
	return prefix + encode32(b, n)
}

// encode32 writes the first n 5-bit groups of b, most significant first.
func encode32(b []byte, n int) string {
	var sb strings.Builder
	sb.Grow(n)
	var acc uint64
	bits := 0
	i := 0
	for sb.Len() < n {
		if bits < 5 {
			acc <<= 8
			if i < len(b) {
				acc |= uint64(b[i])
			}
			i++
			bits += 8
		}
		bits -= 5
		sb.WriteByte(crockford[(acc>>uint(bits))&31])
	}
	return sb.String()
}
