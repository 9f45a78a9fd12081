// Package signin signs people in to the web pages: local accounts with
// slow-hashed passwords, and browser sessions stored by the hash of the
// cookie's secret. Every way in (the local password now, OIDC later) ends in
// Start, which opens a lazy seat session for the person — so a concurrent
// seat is taken at their first agent action, not at sign-in — and the
// browser session that carries it. Signing out ends both, so the lease
// returns at once.
package signin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Store is what sign-in needs from storage.
type Store interface {
	// Account returns a person (by id, user name, email or employee ID)
	// and their password hash; not_found when either is missing.
	Account(ctx context.Context, userKey string) (licensing.User, string, error)
	CreateWebSession(ctx context.Context, a licensing.Actor, ws desk.WebSession, keep int) error
	// GetWebSession answers unauthorized for an unknown or expired session,
	// or one whose person is inactive.
	GetWebSession(ctx context.Context, idHash string) (desk.WebSession, error)
	DeleteWebSession(ctx context.Context, a licensing.Actor, idHash string) (desk.WebSession, error)
	DeleteExpiredWebSessions(ctx context.Context) (int, error)
	// EndSession and Heartbeat act on the seat session a browser session
	// holds.
	EndSession(ctx context.Context, a licensing.Actor, sessionID, reason string) error
	Heartbeat(ctx context.Context, sessionID string) (licensing.Session, error)
	// Now is the store's clock, which also decides expiry.
	Now() time.Time
	// RecordEvent audits a refused sign-in.
	RecordEvent(ctx context.Context, a licensing.Actor, action, subject, result, detail string) error
}

// Starter opens seat sessions (the seats service) and tells, from memory,
// whether one is still live.
type Starter interface {
	StartSession(ctx context.Context, a licensing.Actor, user string, lazy bool) (licensing.Session, error)
	SessionLive(id string) bool
}

// Method names for WebSession.Method.
const (
	MethodLocal = "local"
	MethodOIDC  = "oidc"
)

const (
	// Lifetime is how long a browser session lasts, active or not.
	Lifetime = 12 * time.Hour
	// beatEvery spaces the heartbeats that keep a browser session's seat
	// session (and its lease) alive while the person uses the pages: the
	// seat session ends after the sweeper's idle time without one.
	beatEvery  = time.Minute
	pruneEvery = 10 * time.Minute
	// secretLen is the random bytes of a cookie secret and a CSRF token.
	secretLen = 32
)

// wrong is the one answer to a bad user name or password: it must not tell
// an unknown person from a wrong password.
func wrong() error {
	return licensing.Errorf(licensing.CodeUnauthorized, "wrong user name or password")
}

func ended() error {
	return licensing.Errorf(licensing.CodeUnauthorized, "your session has ended: sign in again")
}

// Manager signs people in and out.
type Manager struct {
	st    Store
	seats Starter
	log   *slog.Logger
	// beats holds, per seat session, when this process last sent its
	// heartbeat; entries older than pruneEvery are dropped now and then.
	beats     sync.Map // seat session id -> time.Time
	pruneMu   sync.Mutex
	lastPrune time.Time
	limits    *throttle
	// maxSessions is the most live browser sessions one person keeps; a
	// sign-in past it ends their oldest.
	maxSessions int
	// known caches looked-up sessions for lookupTTL, as the API caches
	// tokens: every page authenticates, and most ask within seconds.
	known sync.Map // id hash -> knownSession
}

type knownSession struct {
	ws desk.WebSession
	at time.Time
}

// lookupTTL bounds how long a sign-out on another node may take to bite
// here. An ended seat session (a sign-out, the session cap, an
// administrator, a deactivation) bites at once: the engine knows.
const lookupTTL = 2 * time.Second

// DefaultMaxSessions is how many live browser sessions a person keeps by
// default: plenty for every device and browser, too few to pile up.
const DefaultMaxSessions = 20

// New returns a Manager.
func New(st Store, seats Starter, log *slog.Logger) *Manager {
	return &Manager{st: st, seats: seats, log: log, limits: newThrottle(), maxSessions: DefaultMaxSessions}
}

// SetMaxSessions changes how many live browser sessions a person keeps
// (at least 1).
func (m *Manager) SetMaxSessions(n int) { m.maxSessions = max(1, n) }

// SignIn checks a local password and starts a session. An unknown user, a
// person without a local account and a wrong password are all answered
// unauthorized, after the same amount of hashing; an inactive person with
// the right password is answered inactive.
func (m *Manager) SignIn(ctx context.Context, a licensing.Actor, userName, password string) (desk.WebSession, string, error) {
	userName = strings.TrimSpace(userName)
	now := m.st.Now()
	if err := m.limits.allow(now, userName, a.Source); err != nil {
		return desk.WebSession{}, "", err
	}
	if userName == "" || len(userName) > 256 || checkLength(password) != nil {
		m.limits.hash(func() { spendHash(password) })
		m.limits.fail(now, userName, "", a.Source)
		return desk.WebSession{}, "", wrong()
	}
	u, hash, err := m.st.Account(ctx, userName)
	if err == nil || licensing.ErrorCode(err) == licensing.CodeNotFound && u.ID != "" {
		// The account's own count, whichever of its keys was typed.
		if err := m.limits.allowAccount(now, u.ID); err != nil {
			return desk.WebSession{}, "", err
		}
	}
	if licensing.ErrorCode(err) == licensing.CodeNotFound || (err == nil && hash == "") {
		m.limits.hash(func() { spendHash(password) })
		m.limits.fail(now, userName, u.ID, a.Source)
		// The typed name is not written: it may be a password typed in the
		// wrong field.
		return desk.WebSession{}, "", m.refused(ctx, a, "user:unknown", "no account")
	}
	if err != nil {
		return desk.WebSession{}, "", fmt.Errorf("signin: account: %w", err)
	}
	var ok bool
	m.limits.hash(func() { ok = CheckPassword(hash, password) })
	if !ok || u.Kind != licensing.KindPerson {
		m.limits.fail(now, userName, u.ID, a.Source)
		return desk.WebSession{}, "", m.refused(ctx, a, "user:"+u.UserName, "wrong password")
	}
	if !u.Active {
		return desk.WebSession{}, "", licensing.Errorf(licensing.CodeInactive, "the account %s is inactive: ask the service desk", u.UserName)
	}
	return m.Start(ctx, a, u.ID, MethodLocal)
}

// refused audits a refused sign-in (SOC 2 CC6.1 asks for failed logons
// too) and answers the one refusal.
func (m *Manager) refused(ctx context.Context, a licensing.Actor, subject, why string) error {
	if err := m.st.RecordEvent(ctx, a, "signin", subject, "refused", "why="+why); err != nil {
		return fmt.Errorf("signin: audit refusal: %w", err)
	}
	return wrong()
}

// Start opens a browser session for a person whose identity has been
// proven by method: a lazy seat session and the browser session holding
// it, with a fresh CSRF token. It returns the session and the cookie's
// secret, which is stored only hashed.
func (m *Manager) Start(ctx context.Context, a licensing.Actor, userID, method string) (desk.WebSession, string, error) {
	if method == "" {
		return desk.WebSession{}, "", licensing.FieldErrorf(licensing.CodeInvalid, "method", "a sign-in method is required")
	}
	sess, err := m.seats.StartSession(ctx, a, userID, true)
	if err != nil {
		return desk.WebSession{}, "", err
	}
	secret, err := randomToken()
	if err != nil {
		return desk.WebSession{}, "", err
	}
	csrf, err := randomToken()
	if err != nil {
		return desk.WebSession{}, "", err
	}
	now := m.st.Now()
	ws := desk.WebSession{ID: HashSecret(secret), User: sess.User, SeatSession: sess.ID, CSRF: csrf, Method: method, CreatedAt: now, ExpiresAt: now.Add(Lifetime)}
	if err := m.st.CreateWebSession(ctx, a, ws, m.maxSessions); err != nil {
		// Nothing carries the seat session now: end it rather than leave
		// it to the idle sweep.
		if eerr := m.st.EndSession(context.WithoutCancel(ctx), a, sess.ID, licensing.EndLogout); eerr != nil {
			m.log.Error("end orphaned seat session", "session", sess.ID, "err", eerr)
		}
		return desk.WebSession{}, "", err
	}
	m.beats.Store(sess.ID, now)
	// Read it back for the person's user name.
	stored, err := m.st.GetWebSession(ctx, ws.ID)
	if err != nil {
		return desk.WebSession{}, "", err
	}
	return stored, secret, nil
}

// Lookup returns the live session a cookie's secret names, or unauthorized.
// It keeps the session's seat session alive; once that has ended (idle,
// ended by an administrator, the person deactivated) the browser session
// ends too.
func (m *Manager) Lookup(ctx context.Context, secret string) (desk.WebSession, error) {
	if secret == "" || len(secret) > 256 {
		return desk.WebSession{}, ended()
	}
	hash := HashSecret(secret)
	now := m.st.Now()
	if v, ok := m.known.Load(hash); ok {
		k := v.(knownSession)
		if now.Sub(k.at) < lookupTTL && now.Before(k.ws.ExpiresAt) && (k.ws.SeatSession == "" || m.seats.SessionLive(k.ws.SeatSession)) {
			return k.ws, nil
		}
		m.known.Delete(hash)
	}
	ws, err := m.st.GetWebSession(ctx, hash)
	if err != nil {
		return desk.WebSession{}, err
	}
	if ws.SeatSession == "" {
		m.known.Store(hash, knownSession{ws: ws, at: now})
		return ws, nil
	}
	if last, ok := m.beats.Load(ws.SeatSession); ok && now.Sub(last.(time.Time)) < beatEvery {
		m.known.Store(hash, knownSession{ws: ws, at: now})
		return ws, nil
	}
	m.beats.Store(ws.SeatSession, now)
	m.prune(now)
	if _, err := m.st.Heartbeat(ctx, ws.SeatSession); err != nil {
		switch licensing.ErrorCode(err) {
		case licensing.CodeConflict, licensing.CodeNotFound:
			m.beats.Delete(ws.SeatSession)
			if _, derr := m.st.DeleteWebSession(ctx, licensing.System("signin"), ws.ID); derr != nil && licensing.ErrorCode(derr) != licensing.CodeNotFound {
				return desk.WebSession{}, derr
			}
			return desk.WebSession{}, ended()
		}
		m.beats.Delete(ws.SeatSession)
		return desk.WebSession{}, fmt.Errorf("signin: heartbeat: %w", err)
	}
	m.known.Store(hash, knownSession{ws: ws, at: now})
	return ws, nil
}

// SignOut ends the browser session a secret names and its seat session, so
// a lease it holds returns. A secret naming no session is no error: the
// person is signed out either way.
func (m *Manager) SignOut(ctx context.Context, a licensing.Actor, secret string) error {
	if secret == "" || len(secret) > 256 {
		return nil
	}
	m.known.Delete(HashSecret(secret))
	ws, err := m.st.DeleteWebSession(ctx, a, HashSecret(secret))
	if licensing.ErrorCode(err) == licensing.CodeNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if ws.SeatSession == "" {
		return nil
	}
	m.beats.Delete(ws.SeatSession)
	err = m.st.EndSession(ctx, a, ws.SeatSession, licensing.EndLogout)
	switch licensing.ErrorCode(err) {
	case "", licensing.CodeConflict, licensing.CodeNotFound: // ended already
		return nil
	}
	return err
}

// Sweep removes expired browser sessions (they are refused already; this
// only reclaims their rows); their seat sessions, no longer kept alive, end
// at the seat sweeper's idle time. It returns how many it removed.
func (m *Manager) Sweep(ctx context.Context) (int, error) {
	return m.st.DeleteExpiredWebSessions(ctx)
}

// prune forgets heartbeats older than pruneEvery, at most once per
// pruneEvery, so sessions that went quiet do not pile up in memory.
func (m *Manager) prune(now time.Time) {
	m.pruneMu.Lock()
	due := now.Sub(m.lastPrune) >= pruneEvery
	if due {
		m.lastPrune = now
	}
	m.pruneMu.Unlock()
	if !due {
		return
	}
	m.beats.Range(func(k, v any) bool {
		if now.Sub(v.(time.Time)) >= pruneEvery {
			m.beats.Delete(k)
		}
		return true
	})
	m.known.Range(func(k, v any) bool {
		if now.Sub(v.(knownSession).at) >= lookupTTL {
			m.known.Delete(k)
		}
		return true
	})
}

// HashSecret is how a browser session's id is stored: the SHA-256 (hex) of
// the cookie's secret, as store.HashToken does for API tokens.
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

func randomToken() (string, error) {
	b := make([]byte, secretLen)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("signin: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
