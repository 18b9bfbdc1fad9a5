package clients

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/concord-db/concord/test/testserver"
)

func TestMain(m *testing.M) { os.Exit(testserver.Main(m)) }

func newClient(t *testing.T, srv *testserver.Server, proto int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr:         srv.Addr(),
		Protocol:     proto,
		Password:     srv.Password,
		DialTimeout:  5 * time.Second,
		ReadTimeout:  5 * time.Second,
		WriteTimeout: 5 * time.Second,
		MaxRetries:   -1, // a failure must show, not be retried away
	})
	t.Cleanup(func() { c.Close() })
	return c
}

func TestGoRedis(t *testing.T) {
	t.Parallel()
	srv := testserver.StartTarget(t, nil)
	for _, proto := range []int{2, 3} {
		proto := proto
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			ctx := context.Background()
			c := newClient(t, srv, proto)
			if err := c.FlushAll(ctx).Err(); err != nil {
				t.Fatalf("FLUSHALL: %v", err)
			}
			t.Run("Ping", func(t *testing.T) { goredisPing(t, ctx, c, proto) })
			t.Run("SetGetExpiry", func(t *testing.T) { goredisSetGet(t, ctx, c) })
			t.Run("Incr", func(t *testing.T) { goredisIncr(t, ctx, c) })
			t.Run("Pipeline", func(t *testing.T) { goredisPipeline(t, ctx, c) })
			t.Run("TxPipelined", func(t *testing.T) { goredisTx(t, ctx, c) })
			t.Run("Watch", func(t *testing.T) { goredisWatch(t, ctx, c, newClient(t, srv, proto)) })
			t.Run("PubSub", func(t *testing.T) { goredisPubSub(t, ctx, c, newClient(t, srv, proto)) })
			t.Run("ScanIterator", func(t *testing.T) { goredisScan(t, ctx, c) })
			t.Run("Errors", func(t *testing.T) { goredisErrors(t, ctx, c) })
			t.Run("Strings", func(t *testing.T) { goredisStrings(t, ctx, c) })
		})
	}
}

func goredisPing(t *testing.T, ctx context.Context, c *redis.Client, proto int) {
	// the client negotiated the protocol it was asked for
	if info, err := c.Do(ctx, "CLIENT", "INFO").Text(); err != nil || !strings.Contains(info, " resp="+strconv.Itoa(proto)) {
		t.Fatalf("CLIENT INFO = %q, %v; want resp=%d", info, err, proto)
	}
	if got, err := c.Ping(ctx).Result(); err != nil || got != "PONG" {
		t.Fatalf("Ping = %q, %v", got, err)
	}
	if got, err := c.Echo(ctx, "hello").Result(); err != nil || got != "hello" {
		t.Fatalf("Echo = %q, %v", got, err)
	}
	if n, err := c.DBSize(ctx).Result(); err != nil || n < 0 {
		t.Fatalf("DBSIZE = %d, %v", n, err)
	}
}

func goredisSetGet(t *testing.T, ctx context.Context, c *redis.Client) {
	if err := c.Set(ctx, "gr:k", "v1", 100*time.Second).Err(); err != nil {
		t.Fatalf("Set with expiry: %v", err)
	}
	if got, err := c.Get(ctx, "gr:k").Result(); err != nil || got != "v1" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if ttl, err := c.TTL(ctx, "gr:k").Result(); err != nil || ttl < 98*time.Second || ttl > 100*time.Second {
		t.Fatalf("TTL = %v, %v", ttl, err)
	}
	if pttl, err := c.PTTL(ctx, "gr:k").Result(); err != nil || pttl < 98*time.Second || pttl > 100*time.Second {
		t.Fatalf("PTTL = %v, %v", pttl, err)
	}
	if err := c.SetArgs(ctx, "gr:k", "v2", redis.SetArgs{KeepTTL: true}).Err(); err != nil {
		t.Fatalf("SET KEEPTTL: %v", err)
	}
	if ttl := c.TTL(ctx, "gr:k").Val(); ttl < 98*time.Second {
		t.Fatalf("TTL after KEEPTTL = %v", ttl)
	}
	old, err := c.SetArgs(ctx, "gr:k", "v3", redis.SetArgs{Get: true}).Result()
	if err != nil || old != "v2" {
		t.Fatalf("SET GET = %q, %v", old, err)
	}
	if ttl := c.TTL(ctx, "gr:k").Val(); ttl != -1 {
		t.Fatalf("TTL after plain SET = %v, want -1 (no expiry)", ttl)
	}
	at := time.Now().Add(time.Hour).Truncate(time.Second)
	if err := c.SetArgs(ctx, "gr:k", "v4", redis.SetArgs{ExpireAt: at}).Err(); err != nil {
		t.Fatalf("SET EXAT: %v", err)
	}
	if exp, err := c.ExpireTime(ctx, "gr:k").Result(); err != nil || exp != time.Duration(at.Unix())*time.Second {
		t.Fatalf("EXPIRETIME = %v, %v; want %v", exp, err, at.Unix())
	}
	if ok, err := c.SetNX(ctx, "gr:k", "x", 0).Result(); err != nil || ok {
		t.Fatalf("SetNX on an existing key = %v, %v", ok, err)
	}
	if ok, err := c.SetNX(ctx, "gr:new", "x", time.Minute).Result(); err != nil || !ok {
		t.Fatalf("SetNX on a new key = %v, %v", ok, err)
	}
	if _, err := c.Get(ctx, "gr:missing").Result(); err != redis.Nil {
		t.Fatalf("Get of a missing key: err = %v, want redis.Nil", err)
	}
	if ok, err := c.Persist(ctx, "gr:k").Result(); err != nil || !ok {
		t.Fatalf("Persist = %v, %v", ok, err)
	}
	if err := c.Set(ctx, "gr:short", "v", 50*time.Millisecond).Err(); err != nil {
		t.Fatalf("Set PX 50: %v", err)
	}
	time.Sleep(150 * time.Millisecond)
	if _, err := c.Get(ctx, "gr:short").Result(); err != redis.Nil {
		t.Fatalf("Get after expiry: err = %v, want redis.Nil", err)
	}
	if n, err := c.Exists(ctx, "gr:k", "gr:new", "gr:short").Result(); err != nil || n != 2 {
		t.Fatalf("Exists = %d, %v", n, err)
	}
	if v, err := c.GetEx(ctx, "gr:k", time.Minute).Result(); err != nil || v != "v4" {
		t.Fatalf("GetEx = %q, %v", v, err)
	}
	if v, err := c.GetDel(ctx, "gr:k").Result(); err != nil || v != "v4" {
		t.Fatalf("GetDel = %q, %v", v, err)
	}
}

func goredisIncr(t *testing.T, ctx context.Context, c *redis.Client) {
	c.Del(ctx, "gr:n")
	for i := int64(1); i <= 5; i++ {
		if n, err := c.Incr(ctx, "gr:n").Result(); err != nil || n != i {
			t.Fatalf("Incr = %d, %v; want %d", n, err, i)
		}
	}
	if n, err := c.IncrBy(ctx, "gr:n", 10).Result(); err != nil || n != 15 {
		t.Fatalf("IncrBy = %d, %v", n, err)
	}
	if n, err := c.DecrBy(ctx, "gr:n", 20).Result(); err != nil || n != -5 {
		t.Fatalf("DecrBy = %d, %v", n, err)
	}
	if n, err := c.Decr(ctx, "gr:n").Result(); err != nil || n != -6 {
		t.Fatalf("Decr = %d, %v", n, err)
	}
	if f, err := c.IncrByFloat(ctx, "gr:n", 1.5).Result(); err != nil || f != -4.5 {
		t.Fatalf("IncrByFloat = %v, %v", f, err)
	}
	if v := c.Get(ctx, "gr:n").Val(); v != "-4.5" {
		t.Fatalf("GET after IncrByFloat = %q", v)
	}
	c.Set(ctx, "gr:s", "abc", 0)
	if err := c.Incr(ctx, "gr:s").Err(); err == nil || err.Error() != "ERR value is not an integer or out of range" {
		t.Fatalf("Incr of a non-integer: %v", err)
	}
}

func goredisPipeline(t *testing.T, ctx context.Context, c *redis.Client) {
	cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := 0; i < 100; i++ {
			p.Set(ctx, "gr:p"+strconv.Itoa(i), i, 0)
		}
		for i := 0; i < 100; i++ {
			p.Get(ctx, "gr:p"+strconv.Itoa(i))
		}
		p.Incr(ctx, "gr:p0")
		p.Get(ctx, "gr:p:missing")
		return nil
	})
	if err != redis.Nil { // the last GET's nil is the pipeline's first error
		t.Fatalf("Pipelined: %v", err)
	}
	if len(cmds) != 202 {
		t.Fatalf("Pipelined ran %d commands", len(cmds))
	}
	for i := 0; i < 100; i++ {
		if v := cmds[100+i].(*redis.StringCmd).Val(); v != strconv.Itoa(i) {
			t.Fatalf("pipelined GET %d = %q", i, v)
		}
	}
	if n := cmds[200].(*redis.IntCmd).Val(); n != 1 {
		t.Fatalf("pipelined INCR = %d", n)
	}
}

func goredisTx(t *testing.T, ctx context.Context, c *redis.Client) {
	var incr *redis.IntCmd
	var get *redis.StringCmd
	_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "gr:tx", "10", 0)
		incr = p.IncrBy(ctx, "gr:tx", 5)
		get = p.Get(ctx, "gr:tx")
		p.Expire(ctx, "gr:tx", time.Hour)
		return nil
	})
	if err != nil || incr.Val() != 15 || get.Val() != "15" {
		t.Fatalf("TxPipelined: %v, incr=%d get=%q", err, incr.Val(), get.Val())
	}
	// a runtime error inside EXEC fails that command only
	c.Set(ctx, "gr:txs", "abc", 0)
	var bad *redis.IntCmd
	var after *redis.StatusCmd
	_, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		bad = p.Incr(ctx, "gr:txs")
		after = p.Set(ctx, "gr:txs2", "ok", 0)
		return nil
	})
	if err == nil || bad.Err() == nil || after.Err() != nil || after.Val() != "OK" {
		t.Fatalf("TxPipelined with a runtime error: err=%v bad=%v after=%v", err, bad.Err(), after.Err())
	}
	// an error when queuing aborts everything
	_, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "gr:txa", "1", 0)
		p.Do(ctx, "NOSUCHCOMMAND")
		return nil
	})
	if err == nil {
		t.Fatalf("TxPipelined with an unknown command succeeded")
	}
	if n := c.Exists(ctx, "gr:txa").Val(); n != 0 {
		t.Fatalf("aborted transaction wrote its keys")
	}
}

func goredisWatch(t *testing.T, ctx context.Context, c, other *redis.Client) {
	c.Set(ctx, "gr:w", "0", 0)
	// a write from another connection between WATCH and EXEC fails the transaction
	err := c.Watch(ctx, func(tx *redis.Tx) error {
		n, err := tx.Get(ctx, "gr:w").Int()
		if err != nil {
			return err
		}
		other.Set(ctx, "gr:w", "100", 0)
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "gr:w", n+1, 0)
			return nil
		})
		return err
	}, "gr:w")
	if !errors.Is(err, redis.TxFailedErr) {
		t.Fatalf("Watch with a concurrent write: err = %v, want TxFailedErr", err)
	}
	if v := c.Get(ctx, "gr:w").Val(); v != "100" {
		t.Fatalf("after the failed transaction gr:w = %q", v)
	}
	// optimistic locking from several goroutines: every increment lands exactly once
	c.Set(ctx, "gr:w", "0", 0)
	const workers, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				for attempt := 0; ; attempt++ {
					err := c.Watch(ctx, func(tx *redis.Tx) error {
						n, err := tx.Get(ctx, "gr:w").Int()
						if err != nil {
							return err
						}
						_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
							p.Set(ctx, "gr:w", n+1, 0)
							return nil
						})
						return err
					}, "gr:w")
					if err == nil {
						break
					}
					if !errors.Is(err, redis.TxFailedErr) || attempt > 1000 {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Watch loop: %v", err)
	}
	if v := c.Get(ctx, "gr:w").Val(); v != strconv.Itoa(workers*each) {
		t.Fatalf("after %d optimistic increments gr:w = %q", workers*each, v)
	}
}

func goredisPubSub(t *testing.T, ctx context.Context, pub, subClient *redis.Client) {
	sub := subClient.Subscribe(ctx, "gr:ch1", "gr:ch2")
	defer sub.Close()
	for i := 0; i < 2; i++ {
		msg, err := sub.ReceiveTimeout(ctx, 5*time.Second)
		if err != nil {
			t.Fatalf("Receive subscription confirmation: %v", err)
		}
		if s, ok := msg.(*redis.Subscription); !ok || s.Kind != "subscribe" || s.Count != i+1 {
			t.Fatalf("confirmation %d = %#v", i, msg)
		}
	}
	if err := sub.PSubscribe(ctx, "gr:p.*"); err != nil {
		t.Fatalf("PSubscribe: %v", err)
	}
	if msg, err := sub.ReceiveTimeout(ctx, 5*time.Second); err != nil || msg.(*redis.Subscription).Kind != "psubscribe" {
		t.Fatalf("psubscribe confirmation = %#v, %v", msg, err)
	}
	if n, err := pub.Publish(ctx, "gr:ch1", "hello").Result(); err != nil || n != 1 {
		t.Fatalf("Publish = %d, %v", n, err)
	}
	if n, err := pub.Publish(ctx, "gr:p.x", "pattern").Result(); err != nil || n != 1 {
		t.Fatalf("Publish to a pattern = %d, %v", n, err)
	}
	if n, err := pub.Publish(ctx, "gr:none", "nobody").Result(); err != nil || n != 0 {
		t.Fatalf("Publish to nobody = %d, %v", n, err)
	}
	m1, err := sub.ReceiveTimeout(ctx, 5*time.Second)
	if msg, ok := m1.(*redis.Message); err != nil || !ok || msg.Channel != "gr:ch1" || msg.Payload != "hello" || msg.Pattern != "" {
		t.Fatalf("first message = %#v, %v", m1, err)
	}
	m2, err := sub.ReceiveTimeout(ctx, 5*time.Second)
	if msg, ok := m2.(*redis.Message); err != nil || !ok || msg.Channel != "gr:p.x" || msg.Payload != "pattern" || msg.Pattern != "gr:p.*" {
		t.Fatalf("pattern message = %#v, %v", m2, err)
	}
	if got, err := pub.PubSubNumSub(ctx, "gr:ch1", "gr:none").Result(); err != nil || got["gr:ch1"] != 1 || got["gr:none"] != 0 {
		t.Fatalf("PUBSUB NUMSUB = %v, %v", got, err)
	}
	if got, err := pub.PubSubNumPat(ctx).Result(); err != nil || got != 1 {
		t.Fatalf("PUBSUB NUMPAT = %v, %v", got, err)
	}
	chans, err := pub.PubSubChannels(ctx, "gr:*").Result()
	sort.Strings(chans)
	if err != nil || fmt.Sprint(chans) != "[gr:ch1 gr:ch2]" {
		t.Fatalf("PUBSUB CHANNELS = %v, %v", chans, err)
	}
	// the Go channel interface
	ch := sub.Channel()
	pub.Publish(ctx, "gr:ch2", "via channel")
	select {
	case msg := <-ch:
		if msg.Channel != "gr:ch2" || msg.Payload != "via channel" {
			t.Fatalf("Channel() message = %#v", msg)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no message on Channel()")
	}
	if err := sub.Unsubscribe(ctx, "gr:ch1", "gr:ch2"); err != nil {
		t.Fatalf("Unsubscribe: %v", err)
	}
	if err := sub.PUnsubscribe(ctx); err != nil {
		t.Fatalf("PUnsubscribe: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for pub.PubSubNumPat(ctx).Val() != 0 || pub.PubSubNumSub(ctx, "gr:ch1").Val()["gr:ch1"] != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("subscriptions still counted after unsubscribing")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func goredisScan(t *testing.T, ctx context.Context, c *redis.Client) {
	want := map[string]bool{}
	p := c.Pipeline()
	for i := 0; i < 250; i++ {
		k := "gr:scan:" + strconv.Itoa(i)
		want[k] = true
		p.Set(ctx, k, "v", 0)
	}
	p.Set(ctx, "gr:other", "v", 0)
	if _, err := p.Exec(ctx); err != nil {
		t.Fatalf("setup: %v", err)
	}
	got := map[string]bool{}
	it := c.Scan(ctx, 0, "gr:scan:*", 10).Iterator()
	for it.Next(ctx) {
		if !want[it.Val()] {
			t.Fatalf("Scan returned %q, which does not match", it.Val())
		}
		got[it.Val()] = true
	}
	if err := it.Err(); err != nil {
		t.Fatalf("Scan iterator: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("Scan iterator found %d of %d keys", len(got), len(want))
	}
	keys, _, err := c.ScanType(ctx, 0, "gr:*", 1000, "string").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("SCAN TYPE string = %d keys, %v", len(keys), err)
	}
}

func goredisErrors(t *testing.T, ctx context.Context, c *redis.Client) {
	err := c.Do(ctx, "nosuchcmd", "a", "b").Err()
	if err == nil || err.Error() != "ERR unknown command 'nosuchcmd', with args beginning with: 'a' 'b' " {
		t.Fatalf("unknown command: %q", err)
	}
	err = c.Do(ctx, "GET").Err()
	if err == nil || err.Error() != "ERR wrong number of arguments for 'get' command" {
		t.Fatalf("wrong arity: %q", err)
	}
	c.Do(ctx, "DEL", "gr:l")
	if err := c.Do(ctx, "SET", "gr:x", "1", "EX", "0").Err(); err == nil || err.Error() != "ERR invalid expire time in 'set' command" {
		t.Fatalf("SET EX 0: %q", err)
	}
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		t.Fatalf("server error is not a redis.Error: %T", err)
	}
	// the connection is still usable
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("Ping after errors: %v", err)
	}
}

func goredisStrings(t *testing.T, ctx context.Context, c *redis.Client) {
	if err := c.MSet(ctx, "gr:a", "1", "gr:b", "hello world").Err(); err != nil {
		t.Fatalf("MSet: %v", err)
	}
	vals, err := c.MGet(ctx, "gr:a", "gr:missing", "gr:b").Result()
	if err != nil || len(vals) != 3 || vals[0] != "1" || vals[1] != nil || vals[2] != "hello world" {
		t.Fatalf("MGet = %#v, %v", vals, err)
	}
	if n, err := c.Append(ctx, "gr:b", "!").Result(); err != nil || n != 12 {
		t.Fatalf("Append = %d, %v", n, err)
	}
	if s, err := c.GetRange(ctx, "gr:b", 0, 4).Result(); err != nil || s != "hello" {
		t.Fatalf("GetRange = %q, %v", s, err)
	}
	if n, err := c.SetRange(ctx, "gr:b", 6, "WORLD").Result(); err != nil || n != 12 {
		t.Fatalf("SetRange = %d, %v", n, err)
	}
	if n, err := c.StrLen(ctx, "gr:b").Result(); err != nil || n != 12 {
		t.Fatalf("StrLen = %d, %v", n, err)
	}
	if n, err := c.SetBit(ctx, "gr:bits", 7, 1).Result(); err != nil || n != 0 {
		t.Fatalf("SetBit = %d, %v", n, err)
	}
	if n, err := c.BitCount(ctx, "gr:bits", nil).Result(); err != nil || n != 1 {
		t.Fatalf("BitCount = %d, %v", n, err)
	}
	if res, err := c.BitField(ctx, "gr:bf", "SET", "u8", 0, 200, "INCRBY", "u8", 0, 100, "GET", "u8", 0).Result(); err != nil ||
		fmt.Sprint(res) != "[0 44 44]" {
		t.Fatalf("BitField = %v, %v", res, err)
	}
	if s, err := c.LCS(ctx, &redis.LCSQuery{Key1: "gr:b", Key2: "gr:b"}).Result(); err != nil || s.MatchString != "hello WORLD!" {
		t.Fatalf("LCS = %#v, %v", s, err)
	}
	if n, err := c.Del(ctx, "gr:a", "gr:b", "gr:missing").Result(); err != nil || n != 2 {
		t.Fatalf("Del = %d, %v", n, err)
	}
}
