// Package clients runs real Redis clients against Concord: go-redis (RESP2 and RESP3) and
// redis-cli. Under CONCORD_DIFF_AGAINST=redis they run against redis-server instead, which
// validates the tests themselves.
package clients
