// Package audit implements the pure part of Seatkeeper's tamper-evident
// audit log: the entry type, its canonical encoding, the SHA-256 hash chain
// that links entries together, verification of a stream of entries, and
// export to JSON Lines and CSV.
//
// Every grant, revoke, lease start and end, denial and so on becomes one
// Entry. Each entry carries the hash of its predecessor (PrevHash) and its
// own hash (Hash), computed over a canonical encoding of all its other
// fields. Editing, deleting, inserting or reordering entries therefore breaks
// the chain at the first affected entry, which a Verifier reports as a
// *ChainError. The package does no I/O of its own apart from the io.Writer
// and io.Reader it is handed, so the store, the HTTP layer and an offline
// verification tool can all share it.
//
// # What the chain cannot detect
//
// The chain is unkeyed: anyone who can write to the database can also
// recompute hashes. It therefore proves integrity only relative to something
// stored elsewhere. In particular:
//
//   - Deleting entries from the end of the log leaves a perfectly valid,
//     shorter chain. Nothing in the remaining entries can reveal that a
//     successor existed.
//   - Rewriting an entry and recomputing the hashes of it and of every later
//     entry also leaves a valid chain.
//
// Both are caught by keeping the head (the Seq and Hash of the newest entry)
// somewhere the database writer cannot change, for example in a separate
// store, in the application log, or in a periodically published
// checkpoint, and comparing it with VerifyHead after the chain itself has
// been verified.
package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// GenesisHash is the PrevHash of the first entry (Seq 1). A fixed, non-empty
// value is used rather than "" so that every entry, including the first, has
// a well-formed 64-digit hex PrevHash and is checked the same way.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// CanonicalVersion is the version tag that starts every canonical encoding.
// It is part of the hashed bytes so that a future change of the encoding can
// never produce the same hash as an old entry; changing anything about the
// encoding requires a new tag, because it would invalidate every stored
// chain.
const CanonicalVersion = "sk-audit-v1"

// Entry is one audit record.
//
// Entries are created by the caller with At, Actor, ActingUser, Action,
// Subject, Result, Source and Detail filled in, and then passed to Chain,
// which assigns Seq, PrevHash and Hash. After that the entry must be stored
// and exported exactly as it is, since any change alters its hash.
type Entry struct {
	Seq        int64     `json:"seq"`
	At         time.Time `json:"at"`          // always stored/encoded in UTC with nanoseconds (RFC3339Nano)
	Actor      string    `json:"actor"`       // person, service account, token name or "system"
	ActingUser string    `json:"acting_user"` // real person behind an integration call, "" if none
	Action     string    `json:"action"`      // e.g. "lease.start", "member.grant", "decision.deny"
	Subject    string    `json:"subject"`     // what it acted on, e.g. "pool:agents-floating/user:ann@example.com"
	Result     string    `json:"result"`      // "ok", "denied", or a reason code
	Source     string    `json:"source"`      // where from: remote address, "cli", "sweeper"
	Detail     string    `json:"detail"`      // free text / compact JSON with extra facts
	PrevHash   string    `json:"prev_hash"`   // hex SHA-256 of the previous entry; GenesisHash for seq 1
	Hash       string    `json:"hash"`        // hex SHA-256 of this entry
}

// canonicalPrefix starts every canonical encoding. The newline only makes
// hex dumps easier to read; the tag has a fixed length, so it cannot run
// into the first field.
const canonicalPrefix = CanonicalVersion + "\n"

// Canonical returns the bytes that are hashed for e.
//
// The encoding is the version tag and a newline, followed by every field
// except Hash in a fixed order (Seq, At, Actor, ActingUser, Action, Subject,
// Result, Source, Detail, PrevHash), each written as its length in decimal
// bytes, a ':' and the bytes themselves. Seq is written in decimal and At
// as RFC 3339 with nanoseconds in UTC, so At is hashed as an instant,
// independent of its time zone. Length prefixes make the encoding
// unambiguous: no separator or escaping is needed, and no two entries with
// different field values share an encoding, so moving bytes from one field
// to the next (("ab", "c") versus ("a", "bc")) always changes the hash.
//
// For example, the entry with Seq 1, At 2024-05-01 12:00:00.123456 UTC,
// Actor "ann", no ActingUser, Action "lease.start", Subject
// "pool:p/user:ann", Result "ok", Source "cli" and Detail {"x":1} encodes as
//
//	sk-audit-v1
//	1:127:2024-05-01T12:00:00.123456Z3:ann0:11:lease.start15:pool:p/user:ann2:ok3:cli7:{"x":1}64:000…000
//
// (with a newline after the tag and the 64 zeros of GenesisHash at the end).
func (e *Entry) Canonical() []byte {
	n := len(canonicalPrefix) + 10*21 + len(time.RFC3339Nano) + 8 +
		len(e.Actor) + len(e.ActingUser) + len(e.Action) + len(e.Subject) +
		len(e.Result) + len(e.Source) + len(e.Detail) + len(e.PrevHash)
	return e.appendCanonical(make([]byte, 0, n))
}

// appendCanonical appends the canonical encoding of e to b. It is separate
// from Canonical so that ComputeHash can encode into a stack buffer and
// hash an entry without allocating for the encoding.
func (e *Entry) appendCanonical(b []byte) []byte {
	b = append(b, canonicalPrefix...)

	var num [20]byte // enough for any int64 in decimal
	b = appendField(b, strconv.AppendInt(num[:0], e.Seq, 10))

	var ts [64]byte // RFC3339Nano is at most 35 bytes for years 0-9999
	b = appendField(b, e.At.UTC().AppendFormat(ts[:0], time.RFC3339Nano))

	b = appendStringField(b, e.Actor)
	b = appendStringField(b, e.ActingUser)
	b = appendStringField(b, e.Action)
	b = appendStringField(b, e.Subject)
	b = appendStringField(b, e.Result)
	b = appendStringField(b, e.Source)
	b = appendStringField(b, e.Detail)
	b = appendStringField(b, e.PrevHash)
	return b
}

func appendField(b, f []byte) []byte {
	b = strconv.AppendInt(b, int64(len(f)), 10)
	b = append(b, ':')
	return append(b, f...)
}

func appendStringField(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

// ComputeHash returns the lower-case hex SHA-256 of e.Canonical(). It
// ignores e.Hash, so comparing the result with e.Hash tells whether the
// entry was changed after it was chained.
func (e *Entry) ComputeHash() string {
	// Typical entries fit in the stack buffer; larger ones make append move
	// to the heap, which is still correct.
	var buf [1024]byte
	sum := sha256.Sum256(e.appendCanonical(buf[:0]))
	var h [2 * sha256.Size]byte
	hex.Encode(h[:], sum[:])
	return string(h[:])
}

// Chain makes e the successor of prev: it sets e.Seq to prev.Seq+1 and
// e.PrevHash to prev.Hash, or to 1 and GenesisHash when prev is nil, and
// then sets e.Hash. prev must itself have been chained.
//
// Before hashing, Chain normalises e so that it survives storage and export
// unchanged, because an entry that comes back from the database even
// slightly different would later look tampered with:
//
//   - At is converted to UTC and truncated to whole microseconds, since
//     PostgreSQL keeps only microseconds.
//   - Every string field is made valid UTF-8 without NUL bytes, replacing
//     invalid byte sequences and NULs with U+FFFD, since PostgreSQL text
//     columns reject both and JSON export cannot carry invalid UTF-8.
//
// Chain does not set At; the caller decides what time an event happened.
func Chain(prev *Entry, e *Entry) {
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.Actor = cleanString(e.Actor)
	e.ActingUser = cleanString(e.ActingUser)
	e.Action = cleanString(e.Action)
	e.Subject = cleanString(e.Subject)
	e.Result = cleanString(e.Result)
	e.Source = cleanString(e.Source)
	e.Detail = cleanString(e.Detail)
	if prev == nil {
		e.Seq = 1
		e.PrevHash = GenesisHash
	} else {
		e.Seq = prev.Seq + 1
		e.PrevHash = prev.Hash
	}
	e.Hash = e.ComputeHash()
}

// cleanString returns s as valid UTF-8 without NUL bytes. It returns s
// itself, without allocating, in the common case that s is already clean.
func cleanString(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}
