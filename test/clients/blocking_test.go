package clients

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/concord-db/concord/test/testserver"
)

// Blocking commands through go-redis (RESP2 and RESP3) and raw RESP against a Concord process.
func TestGoRedisBlocking(t *testing.T) {
	t.Parallel()
	srv := testserver.StartTarget(t, nil)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			ctx := context.Background()
			admin := newClient(t, srv, proto)
			if err := admin.FlushAll(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			t.Run("ArrivalOrder", func(t *testing.T) { blockingArrivalOrder(t, ctx, srv, admin, proto) })
			t.Run("Timeout", func(t *testing.T) { blockingTimeout(t, ctx, srv, proto) })
			t.Run("ClientUnblock", func(t *testing.T) { blockingUnblock(t, ctx, srv, admin, proto) })
			t.Run("MoveChain", func(t *testing.T) { blockingMoveChain(t, ctx, srv, admin, proto) })
			t.Run("Multi", func(t *testing.T) { blockingMulti(t, ctx, admin) })
			t.Run("SortedSets", func(t *testing.T) { blockingZsets(t, ctx, srv, admin, proto) })
		})
	}
	t.Run("DisconnectWhileBlocked", func(t *testing.T) { blockingDisconnect(t, srv) })
}

var blockedClientsRE = regexp.MustCompile(`blocked_clients:(\d+)`)

// waitBlocked waits until INFO reports n blocked clients.
func waitBlocked(t *testing.T, ctx context.Context, admin *redis.Client, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := admin.Info(ctx, "clients").Result()
		if err != nil {
			t.Fatal(err)
		}
		m := blockedClientsRE.FindStringSubmatch(info)
		if m != nil && m[1] == strconv.Itoa(n) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("blocked_clients never reached %d: %q", n, info)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

type popResult struct {
	vals []string
	err  error
}

func blockingArrivalOrder(t *testing.T, ctx context.Context, srv *testserver.Server, admin *redis.Client, proto int) {
	first, second := newClient(t, srv, proto), newClient(t, srv, proto)
	r1, r2 := make(chan popResult, 1), make(chan popResult, 1)
	go func() { v, err := first.BLPop(ctx, 0, "order").Result(); r1 <- popResult{v, err} }()
	waitBlocked(t, ctx, admin, 1)
	go func() { v, err := second.BLPop(ctx, 0, "order").Result(); r2 <- popResult{v, err} }()
	waitBlocked(t, ctx, admin, 2)
	if err := admin.RPush(ctx, "order", "a").Err(); err != nil {
		t.Fatal(err)
	}
	got := <-r1
	if got.err != nil || fmt.Sprint(got.vals) != "[order a]" {
		t.Fatalf("first waiter: %v %v", got.vals, got.err)
	}
	select {
	case got := <-r2:
		t.Fatalf("second waiter served without an element: %v %v", got.vals, got.err)
	case <-time.After(50 * time.Millisecond):
	}
	if err := admin.RPush(ctx, "order", "b").Err(); err != nil {
		t.Fatal(err)
	}
	if got := <-r2; got.err != nil || fmt.Sprint(got.vals) != "[order b]" {
		t.Fatalf("second waiter: %v %v", got.vals, got.err)
	}
	waitBlocked(t, ctx, admin, 0)
}

func blockingTimeout(t *testing.T, ctx context.Context, srv *testserver.Server, proto int) {
	c := newClient(t, srv, proto)
	start := time.Now()
	// go-redis rounds durations under a second up to 1 s: the fraction is sent as it is.
	err := c.Do(ctx, "BLPOP", "never", "0.2").Err()
	elapsed := time.Since(start)
	if !errors.Is(err, redis.Nil) {
		t.Fatalf("BLPOP timeout: %v, want redis.Nil", err)
	}
	if elapsed < 195*time.Millisecond || elapsed > 900*time.Millisecond {
		t.Fatalf("BLPOP with 0.2 s returned after %v", elapsed)
	}
	// The connection still works after a timeout.
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
}

func blockingUnblock(t *testing.T, ctx context.Context, srv *testserver.Server, admin *redis.Client, proto int) {
	c := newClient(t, srv, proto)
	conn := c.Conn()
	defer conn.Close()
	id, err := conn.ClientID(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	res := make(chan error, 1)
	go func() { res <- conn.BRPop(ctx, 0, "unb").Err() }()
	waitBlocked(t, ctx, admin, 1)
	if n, err := admin.ClientUnblock(ctx, id).Result(); err != nil || n != 1 {
		t.Fatalf("CLIENT UNBLOCK: %v %v", n, err)
	}
	if err := <-res; !errors.Is(err, redis.Nil) {
		t.Fatalf("unblocked BRPOP: %v, want redis.Nil", err)
	}
	go func() { res <- conn.BLMove(ctx, "unb", "x", "LEFT", "RIGHT", 0).Err() }()
	waitBlocked(t, ctx, admin, 1)
	if n, err := admin.ClientUnblockWithError(ctx, id).Result(); err != nil || n != 1 {
		t.Fatalf("CLIENT UNBLOCK ERROR: %v %v", n, err)
	}
	if err := <-res; err == nil || err.Error() != "UNBLOCKED client unblocked via CLIENT UNBLOCK" {
		t.Fatalf("unblocked BLMOVE: %v", err)
	}
	if n, err := admin.ClientUnblock(ctx, id).Result(); err != nil || n != 0 {
		t.Fatalf("CLIENT UNBLOCK of a client not blocked: %v %v", n, err)
	}
}

func blockingMoveChain(t *testing.T, ctx context.Context, srv *testserver.Server, admin *redis.Client, proto int) {
	a, b := newClient(t, srv, proto), newClient(t, srv, proto)
	ra, rb := make(chan popResult, 1), make(chan popResult, 1)
	go func() {
		v, err := a.BLMove(ctx, "ch1", "ch2", "RIGHT", "LEFT", 0).Result()
		ra <- popResult{[]string{v}, err}
	}()
	waitBlocked(t, ctx, admin, 1)
	go func() { v, err := b.BRPopLPush(ctx, "ch2", "ch3", 0).Result(); rb <- popResult{[]string{v}, err} }()
	waitBlocked(t, ctx, admin, 2)
	if err := admin.LPush(ctx, "ch1", "item").Err(); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]chan popResult{"BLMOVE": ra, "BRPOPLPUSH": rb} {
		if got := <-r; got.err != nil || got.vals[0] != "item" {
			t.Fatalf("%s: %v %v", name, got.vals, got.err)
		}
	}
	if got, err := admin.LRange(ctx, "ch3", 0, -1).Result(); err != nil || fmt.Sprint(got) != "[item]" {
		t.Fatalf("LRANGE ch3: %v %v", got, err)
	}
	if n, err := admin.Exists(ctx, "ch1", "ch2").Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS ch1 ch2: %v %v", n, err)
	}
}

func blockingMulti(t *testing.T, ctx context.Context, c *redis.Client) {
	var pop *redis.StringSliceCmd
	var move *redis.StringCmd
	var zpop *redis.ZWithKeyCmd
	_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		pop = p.BLPop(ctx, 0, "multi-none")
		move = p.BLMove(ctx, "multi-none", "x", "LEFT", "LEFT", 0)
		zpop = p.BZPopMin(ctx, 0, "multi-none")
		return nil
	})
	if !errors.Is(err, redis.Nil) {
		t.Fatalf("EXEC: %v, want redis.Nil from the nil replies", err)
	}
	for name, err := range map[string]error{"BLPOP": pop.Err(), "BLMOVE": move.Err(), "BZPOPMIN": zpop.Err()} {
		if !errors.Is(err, redis.Nil) {
			t.Errorf("%s inside MULTI: %v, want redis.Nil at once", name, err)
		}
	}
}

func blockingZsets(t *testing.T, ctx context.Context, srv *testserver.Server, admin *redis.Client, proto int) {
	c := newClient(t, srv, proto)
	res := make(chan *redis.ZWithKey, 1)
	go func() {
		z, err := c.BZPopMax(ctx, 0, "bz1", "bz2").Result()
		if err != nil {
			t.Error(err)
		}
		res <- z
	}()
	waitBlocked(t, ctx, admin, 1)
	if err := admin.ZAdd(ctx, "bz2", redis.Z{Score: 1.5, Member: "a"}, redis.Z{Score: 2.5, Member: "b"}).Err(); err != nil {
		t.Fatal(err)
	}
	z := <-res
	if z == nil || z.Key != "bz2" || z.Member != "b" || z.Score != 2.5 {
		t.Fatalf("BZPOPMAX: %+v", z)
	}
	key, members, err := admin.BZMPop(ctx, 0, "min", 5, "bz2").Result()
	if err != nil || key != "bz2" || len(members) != 1 || members[0].Member != "a" || members[0].Score != 1.5 {
		t.Fatalf("BZMPOP: %v %v %v", key, members, err)
	}
}

// A client that disconnects while blocked is removed: INFO stops counting it, and the element
// pushed next stays in the list.
func blockingDisconnect(t *testing.T, srv *testserver.Server) {
	ctx := context.Background()
	admin := newClient(t, srv, 2)
	c := srv.Dial(t)
	c.Send("BLPOP", "gone", "0")
	waitBlocked(t, ctx, admin, 1)
	c.Close()
	waitBlocked(t, ctx, admin, 0)
	if err := admin.RPush(ctx, "gone", "v").Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := admin.LLen(ctx, "gone").Result(); err != nil || n != 1 {
		t.Fatalf("LLEN after the waiter left: %v %v", n, err)
	}
	// CLIENT KILL of a blocked client.
	k := srv.Dial(t)
	id := k.DoReply("CLIENT", "ID").Str
	k.Send("BLPOP", "gone2", "0")
	waitBlocked(t, ctx, admin, 1)
	if n, err := admin.Do(ctx, "CLIENT", "KILL", "ID", id).Int(); err != nil || n != 1 {
		t.Fatalf("CLIENT KILL ID %s: %v %v", id, n, err)
	}
	waitBlocked(t, ctx, admin, 0)
	if _, closed := k.ReadAll(2 * time.Second); !closed {
		t.Fatal("the killed client's connection is still open")
	}
}
