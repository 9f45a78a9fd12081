package store

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Denials are written one per request, except that repeats of one (actor,
// person, pool, capability, reason) within the same second are counted in
// memory and written together as one row and one audit entry (with
// repeated=N) once the second has passed: a token hammering a refused call
// cannot grow the audit log by more than two entries a second per key. The
// first denial of a second is always written at once. An unknown person's
// key is not part of the grouping, so inventing names does not escape it.

type denialKey struct{ actor, user, pool, capability, reason string }

type denialWindow struct {
	sec   int64 // unix second the window covers
	actor licensing.Actor
	user  string // as the first denial named the person
	n     int    // repeats counted after the first
	last  time.Time
}

type denialCoalescer struct {
	mu      sync.Mutex
	open    map[denialKey]*denialWindow
	pending []pendingRepeats
}

type pendingRepeats struct {
	key denialKey
	w   denialWindow
}

// repeat reports whether this denial repeats one already written in the
// same second (and counts it); otherwise it opens a window for the second.
func (c *denialCoalescer) repeat(a licensing.Actor, user, pool, capability, reason string, now time.Time) bool {
	k := denialKey{actor: a.Name, user: user, pool: pool, capability: capability, reason: reason}
	if reason == licensing.ReasonUnknownUser {
		k.user = ""
	}
	sec := now.Unix()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open == nil {
		c.open = map[denialKey]*denialWindow{}
	}
	if w := c.open[k]; w != nil {
		if w.sec == sec {
			w.n++
			w.last = now
			return true
		}
		if w.n > 0 {
			c.pending = append(c.pending, pendingRepeats{k, *w})
		}
	}
	c.open[k] = &denialWindow{sec: sec, actor: a, user: user}
	return false
}

// due takes every repeat counted so far; windows of seconds before now's
// are closed, the current one starts counting again.
func (c *denialCoalescer) due(now time.Time) []pendingRepeats {
	sec := now.Unix()
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.pending
	c.pending = nil
	for k, w := range c.open {
		if w.n > 0 {
			out = append(out, pendingRepeats{k, *w})
			w.n = 0
		}
		if w.sec < sec {
			delete(c.open, k)
		}
	}
	return out
}

// FlushDenials writes the repeats counted so far, one row and one audit
// entry per key; serve calls it with every activity flush and at shutdown.
func (s *Store) FlushDenials(ctx context.Context) error {
	due := s.denials.due(s.now())
	if len(due) == 0 {
		return nil
	}
	return s.write(ctx, func(t *tx) error {
		for _, p := range due {
			if err := t.writeDenial(p.w.actor, p.w.user, p.key.pool, p.key.capability, p.key.reason, p.w.n, p.w.last); err != nil {
				return err
			}
		}
		return nil
	})
}

// denial records a refused request for the reports and the audit log,
// unless it repeats one written this second (then it is counted).
func (t *tx) denial(a licensing.Actor, userID, poolID, capability, reason string) error {
	if t.s.denials.repeat(a, userID, poolID, capability, reason, t.now) {
		return nil
	}
	return t.writeDenial(a, userID, poolID, capability, reason, 0, t.now)
}

// RecordDenial stores a denial decided by the engine; a repeat within the
// second costs no write.
func (s *Store) RecordDenial(ctx context.Context, a licensing.Actor, userID, poolID, capability, reason string) error {
	if s.denials.repeat(a, userID, poolID, capability, reason, s.now()) {
		return nil
	}
	return s.write(ctx, func(t *tx) error { return t.writeDenial(a, userID, poolID, capability, reason, 0, t.now) })
}

// writeDenial writes one denial row and its audit entry: a single denial
// when repeated is 0, else the repeated denials of a second counted after
// its first (the row then stands for repeated of them).
func (t *tx) writeDenial(a licensing.Actor, userID, poolID, capability, reason string, repeated int, at time.Time) error {
	if _, err := t.exec(`INSERT INTO denials (at, user_id, pool_id, capability, reason, actor, repeats) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		micro(at), userID, poolID, capability, reason, a.Name, max(0, repeated-1)); err != nil {
		return fmt.Errorf("store: denial: %w", err)
	}
	subject := "user:" + t.userName(userID)
	if poolID != "" {
		subject = "pool:" + poolID + "/" + subject
	}
	if capability != "" {
		subject += "/capability:" + capability
	}
	detail := ""
	if repeated > 0 {
		detail = fmt.Sprintf("repeated=%d within 1s", repeated)
	}
	return t.record(a, "decision.deny", subject, reason, detail)
}
