package store

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/register"
)

func obs(seq uint64) crdt.Observed { return crdt.Observed{Self: clock.Dot{Member: 1, Seq: seq}} }

func setKey(s *Store, d *DB, key string, seq uint64) *Entry {
	e := d.GetOrCreate(key)
	e.Value = register.New([]byte("v"), obs(seq), clock.HLC(seq))
	s.Update(d, e)
	return e
}

func delKey(s *Store, d *DB, e *Entry, seq uint64) {
	e.Value.(*register.Value).Remove(obs(seq), nil)
	s.Update(d, e)
}

// A key present for the whole SCAN must be returned even while other keys come and go.
func TestScanReturnsKeysPresentThroughout(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 50 {
		s := New(1)
		d := s.DB(0)
		var seq uint64
		stable := map[string]bool{}
		for i := range 200 {
			seq++
			k := fmt.Sprintf("k%d", i)
			setKey(s, d, k, seq)
			if i%3 == 0 {
				stable[k] = true
			}
		}
		seen := map[string]bool{}
		cursor := uint64(0)
		for {
			cursor = d.Scan(cursor, 1+r.IntN(20), func(e *Entry) { seen[e.Name] = true })
			// churn: delete and add non-stable keys
			for range 5 {
				seq++
				if e := d.Random(r); e != nil && !stable[e.Name] {
					delKey(s, d, e, seq)
				}
				seq++
				setKey(s, d, fmt.Sprintf("new%d", seq), seq)
			}
			if cursor == 0 {
				break
			}
		}
		for k := range stable {
			if !seen[k] {
				t.Fatalf("round %d: key %s present throughout was not returned", round, k)
			}
		}
	}
}

func TestTombstonesKeptOnlyWhenAsked(t *testing.T) {
	for _, keep := range []bool{false, true} {
		s := New(2)
		s.KeepTombstones = keep
		d := s.DB(1)
		e := setKey(s, d, "a", 1)
		if d.Size() != 1 {
			t.Fatalf("size %d", d.Size())
		}
		delKey(s, d, e, 2)
		if d.Size() != 0 {
			t.Fatalf("size after delete %d", d.Size())
		}
		want := 0
		if keep {
			want = 1
		}
		if d.Tombstones() != want || (d.Get("a") != nil) != keep {
			t.Fatalf("keep=%v: tombstones %d, entry %v", keep, d.Tombstones(), d.Get("a"))
		}
		setKey(s, d, "a", 3)
		if d.Tombstones() != 0 || d.Size() != 1 {
			t.Fatalf("revived: tombstones %d size %d", d.Tombstones(), d.Size())
		}
	}
}

func TestExpiresIndexFollowsExpiry(t *testing.T) {
	s := New(1)
	d := s.DB(0)
	e := setKey(s, d, "a", 1)
	e.Expiry.Write(5000, obs(2))
	s.Update(d, e)
	if d.Expires() != 1 || e.ExpireAt != 5000 {
		t.Fatalf("expires %d at %d", d.Expires(), e.ExpireAt)
	}
	e.Expiry.Write(0, obs(3))
	s.Update(d, e)
	if d.Expires() != 0 || e.ExpireAt != 0 {
		t.Fatalf("after persist: expires %d at %d", d.Expires(), e.ExpireAt)
	}
}

// A loader's entries are the database's only once installed, and then index like inserted
// ones; entries are stamped with the epoch they were born in.
func TestLoaderAndEpochs(t *testing.T) {
	s := New(2)
	d := s.DB(1)
	l := d.NewLoader(3)
	var ents []*Entry
	for i := range 3 {
		e := &Entry{Name: fmt.Sprint("k", i)}
		e.Value = register.New([]byte("v"), obs(uint64(i+1)), clock.HLC(i+1))
		l.Add(e)
		ents = append(ents, e)
	}
	if d.Entries() != 0 || d.Get("k0") != nil {
		t.Fatal("loader entries visible before Install")
	}
	l.Install()
	for _, e := range ents {
		s.Update(d, e)
	}
	if d.Entries() != 3 || d.Size() != 3 || d.Get("k2") != ents[2] {
		t.Fatalf("after Install: %d entries, %d live", d.Entries(), d.Size())
	}
	epoch := s.NewEpoch()
	born := setKey(s, d, "later", 9)
	if ents[0].Born >= epoch || born.Born != epoch {
		t.Fatalf("born %d and %d around epoch %d", ents[0].Born, born.Born, epoch)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Install into a database with entries did not panic")
		}
	}()
	d.NewLoader(1).Install()
}
