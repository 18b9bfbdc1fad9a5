package command

// watchedKey is one key a client WATCHes, and whether it existed unexpired then (Redis 7.0
// aborts EXEC when a watched key expires after WATCH).
type watchedKey struct {
	db      int
	key     string
	wasLive bool
}

type watchKey struct {
	db  int
	key string
}

// watchers is the registry of WATCHed keys, used under the engine lock.
type watchers struct {
	byKey map[watchKey]map[*Client]struct{}
}

func (w *watchers) add(cl *Client, db int, key string, live bool) {
	for _, k := range cl.Watched {
		if k.db == db && k.key == key {
			return
		}
	}
	cl.Watched = append(cl.Watched, watchedKey{db: db, key: key, wasLive: live})
	if w.byKey == nil {
		w.byKey = make(map[watchKey]map[*Client]struct{})
	}
	k := watchKey{db, key}
	if w.byKey[k] == nil {
		w.byKey[k] = make(map[*Client]struct{})
	}
	w.byKey[k][cl] = struct{}{}
}

func (w *watchers) unwatchAll(cl *Client) {
	for _, k := range cl.Watched {
		wk := watchKey{k.db, k.key}
		delete(w.byKey[wk], cl)
		if len(w.byKey[wk]) == 0 {
			delete(w.byKey, wk)
		}
	}
	cl.Watched = nil
	cl.WatchDirt = false
}

// touch marks the clients watching a key as dirty (engine.OnTouch).
func (w *watchers) touch(db int, key string) {
	if len(w.byKey) == 0 {
		return
	}
	for cl := range w.byKey[watchKey{db, key}] {
		cl.WatchDirt = true
	}
}

// touchDB marks every client watching a key of db as dirty (FLUSHDB, SWAPDB); db < 0 means all.
func (w *watchers) touchDB(db int) {
	for k, cls := range w.byKey {
		if db < 0 || k.db == db {
			for cl := range cls {
				cl.WatchDirt = true
			}
		}
	}
}
