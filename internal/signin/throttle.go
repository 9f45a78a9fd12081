package signin

import (
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/plural"
)

// Guessing limits: failed sign-ins counted per account (whichever of its
// keys was typed: user name, employee ID, id, external ID), per typed name
// that matches no account, and per source address over failWindow. A slow hash makes each guess costly; the
// limits make guessing a password impossible in practice and keep a flood
// of attempts from spending every core on hashing.
const (
	failWindow     = 15 * time.Minute
	maxUserFails   = 10
	maxSourceFails = 100
	maxTracked     = 100_000 // keys remembered at most, so a flood cannot grow memory
)

// throttle counts recent failures and bounds concurrent hashing.
type throttle struct {
	mu     sync.Mutex
	fails  map[string][]time.Time
	pruned time.Time
	// hashing admits one password check per core at a time.
	hashing chan struct{}
}

func newThrottle() *throttle {
	return &throttle{fails: map[string][]time.Time{}, hashing: make(chan struct{}, runtime.GOMAXPROCS(0))}
}

func throttleKeys(userName, source string) (user, src string) {
	return "u:" + licensing.FoldKey(strings.TrimSpace(userName)), "s:" + source
}

// allow refuses a sign-in while its user name or source has failed too
// often within the window.
func (t *throttle) allow(now time.Time, userName, source string) error {
	u, s := throttleKeys(userName, source)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.recent(u, now) >= maxUserFails || t.recent(s, now) >= maxSourceFails {
		return licensing.Errorf(licensing.CodeRateLimited, "too many failed sign-ins: wait %s and try again", plural.Of(int(failWindow.Minutes()), "minute"))
	}
	return nil
}

// allowAccount refuses a sign-in to an account that failed too often
// within the window, whichever of its keys the failures typed.
func (t *throttle) allowAccount(now time.Time, userID string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.recent("a:"+userID, now) >= maxUserFails {
		return licensing.Errorf(licensing.CodeRateLimited, "too many failed sign-ins: wait %s and try again", plural.Of(int(failWindow.Minutes()), "minute"))
	}
	return nil
}

// fail records a failed sign-in: against the account when the typed name
// found one (userID), else against the typed name; and against the source.
func (t *throttle) fail(now time.Time, userName, userID, source string) {
	u, s := throttleKeys(userName, source)
	if userID != "" {
		u = "a:" + userID
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.fails) >= maxTracked && now.Sub(t.pruned) >= time.Minute {
		// At most once a minute: when every key is fresh, pruning frees
		// nothing and must not run on every failure.
		t.pruned = now
		t.prune(now)
	}
	for _, k := range []string{u, s} {
		if len(t.fails) < maxTracked || t.fails[k] != nil {
			t.fails[k] = append(t.fails[k], now)
		}
	}
}

// recent counts k's failures within the window, dropping older ones.
func (t *throttle) recent(k string, now time.Time) int {
	list := t.fails[k]
	i := 0
	for i < len(list) && now.Sub(list[i]) >= failWindow {
		i++
	}
	if i == len(list) {
		delete(t.fails, k)
		return 0
	}
	t.fails[k] = list[i:]
	return len(list) - i
}

func (t *throttle) prune(now time.Time) {
	for k := range t.fails {
		t.recent(k, now)
	}
}

// hash runs fn while holding a hashing slot.
func (t *throttle) hash(fn func()) {
	t.hashing <- struct{}{}
	defer func() { <-t.hashing }()
	fn()
}
