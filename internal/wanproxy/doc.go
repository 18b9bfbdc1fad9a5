// Package wanproxy is a controllable TCP proxy that stands in for a wide-area network between
// Concord members on one machine. A Proxy listens on one address and forwards every accepted
// connection to a target address, and lets a test or `concord demo` shape that link:
//
//   - Latency and jitter: every byte is delayed by a one-way latency plus a uniformly random
//     jitter in [0, jitter]. The bytes are delayed, not the connection: a dial succeeds at once,
//     as with a real long-distance TCP connection whose handshake is not what is being measured.
//     Delivery times never go backwards, so jitter never reorders the byte stream.
//   - Pause / Resume: while paused, bytes read from either side are held in the proxy (and,
//     once its bounded queue is full, in the kernel's socket buffers through TCP back-pressure)
//     and delivered in order on Resume. Nothing is lost and no connection is closed, so paused
//     links model "the link was slow for a while" and let commands on different members be
//     truly concurrent.
//   - Cut / Heal: Cut closes every connection (held bytes are dropped, as a broken network
//     drops them) and refuses new ones with a reset until Heal. A cut proxy that is also paused
//     stays paused after Heal.
//
// Close stops the listener and every connection and returns only when all of the proxy's
// goroutines have ended.
package wanproxy
