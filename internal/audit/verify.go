package audit

import (
	"fmt"
	"strconv"
)

// Kinds of chain errors, used in ChainError.Kind. They describe what was
// observed at the first bad entry, which is also the most likely kind of
// tampering that caused it.
const (
	// KindHashMismatch means the entry's Hash does not match its contents:
	// the entry was edited after it was chained. Because Seq and PrevHash
	// are hashed too, changing them is reported this way as well.
	KindHashMismatch = "hash_mismatch"
	// KindBrokenLink means the entry is intact and has the expected Seq, but
	// its PrevHash is not the Hash of the entry before it: the previous entry
	// was replaced by one with a recomputed hash, or entries were deleted or
	// reordered and renumbered.
	KindBrokenLink = "broken_link"
	// KindSeqGap means the entry's Seq is higher than expected: entries
	// before it were deleted, or it was moved ahead of entries that should
	// precede it.
	KindSeqGap = "seq_gap"
	// KindSeqOrder means the entry's Seq is not higher than its
	// predecessor's: entries were reordered or duplicated.
	KindSeqOrder = "seq_order"
	// KindTruncated is reported by VerifyHead when the log ends before the
	// separately recorded head: entries were deleted from the end.
	KindTruncated = "truncated"
	// KindHeadMismatch is reported by VerifyHead when the entry at the
	// recorded head's Seq has a different hash, or the log goes beyond the
	// recorded head.
	KindHeadMismatch = "head_mismatch"
)

// ChainError describes the first entry at which a chain fails to verify:
// the first bad entry, or, when entries are missing (seq_gap, truncated),
// the first missing one.
type ChainError struct {
	// Seq is the bad entry's Seq as stored, or for seq_gap and truncated
	// the first Seq that is missing: an auditor looks for that entry, not
	// for the intact one after it.
	Seq int64
	// Position is the 1-based index in the verified stream of the bad
	// entry, or where the first missing entry belongs. It is never 0: a
	// report of "position 0" told an auditor nothing.
	Position int64
	Kind     string // one of the Kind constants
	Want     string // expected value: Seq in decimal, or a hex hash
	Got      string // value found in the entry
	// MissingFrom and MissingTo bound the Seqs that are absent, for
	// seq_gap (the entries before the one found) and truncated (the end up
	// to the recorded head); both 0 for the other kinds.
	MissingFrom, MissingTo int64
}

// Error returns a one-line description that names the entry both by Seq and
// by position, since after deletions or reordering the two differ and an
// auditor needs both to find the row. For example:
//
//	audit: entry seq 17 (position 17): hash_mismatch: entry was altered
//	audit: entry seq 5 (position 5): seq_gap: seq 5 is missing: the next entry found is seq 6 (entries deleted or out of order)
func (e *ChainError) Error() string {
	return "audit: " + e.Summary()
}

// Summary is Error without the package prefix, for a command's or a page's
// own sentence.
func (e *ChainError) Summary() string {
	var what string
	switch e.Kind {
	case KindHashMismatch:
		what = "entry was altered"
	case KindBrokenLink:
		what = "prev_hash does not match the previous entry's hash (an earlier entry was rewritten, or entries were deleted or reordered)"
	case KindSeqGap:
		what = fmt.Sprintf("%s: the next entry found is seq %s (entries deleted or out of order)", e.missing(), e.Got)
	case KindSeqOrder:
		what = fmt.Sprintf("expected seq %s, got %s (entries reordered or duplicated)", e.Want, e.Got)
	case KindTruncated:
		ends := "the log is empty"
		if e.Got != "0" {
			ends = "the log ends at seq " + e.Got
		}
		what = fmt.Sprintf("%s: %s but the recorded head is seq %s (entries deleted from the end)", e.missing(), ends, e.Want)
	case KindHeadMismatch:
		what = fmt.Sprintf("does not match the recorded head (want %s, got %s)", e.Want, e.Got)
	default:
		what = fmt.Sprintf("want %s, got %s", e.Want, e.Got)
	}
	return fmt.Sprintf("entry seq %d (position %d): %s: %s", e.Seq, e.Position, e.Kind, what)
}

// missing says which Seqs are absent: "seq 5 is missing", "seqs 5 to 9
// are missing (5 entries)".
func (e *ChainError) missing() string {
	if e.MissingTo <= e.MissingFrom {
		return fmt.Sprintf("seq %d is missing", e.MissingFrom)
	}
	return fmt.Sprintf("seqs %d to %d are missing (%d entries)", e.MissingFrom, e.MissingTo, e.MissingTo-e.MissingFrom+1)
}

// Verifier checks a stream of entries, in Seq order, one at a time, so that
// a log of any size can be verified while it is read page by page or from an
// export file. The zero Verifier expects the stream to start at Seq 1.
//
// The first error is sticky: once Add has failed, every later call returns
// the same *ChainError and Count stops, so a caller that checks only the
// last error still cannot mistake a broken chain for a good one.
//
// A Verifier is not safe for concurrent use.
type Verifier struct {
	last  Entry // last good entry, or the starting point; zero if none
	count int64
	err   *ChainError
}

// NewVerifierFrom returns a Verifier that continues after prev, which the
// caller has already verified (typically the last entry of the previous
// page). prev itself is trusted and not checked. Positions in errors count
// from 1 again, and Seq identifies the entry globally. A zero prev gives the
// same result as a zero Verifier.
func NewVerifierFrom(prev Entry) *Verifier {
	return &Verifier{last: prev}
}

// Add checks that e is a valid successor of the previous entry and returns
// a *ChainError if it is not.
//
// The checks run in an order chosen so that the first bad entry is blamed
// for what most likely happened to it:
//
//  1. Hash must equal ComputeHash(). This comes first because Seq and
//     PrevHash are hashed too: an entry whose Seq or PrevHash was edited is
//     reported as altered rather than as out of place.
//  2. Seq must be the previous Seq+1 (1 for the first entry). An intact
//     entry with a higher Seq is a seq_gap, which is how deleted entries
//     show up at the entry after the gap. Two swapped entries show up the
//     same way at the first of them, since a streaming check cannot know
//     that the missing entry comes later. A lower or equal Seq is seq_order
//     (reordered or duplicated).
//  3. PrevHash must equal the previous entry's Hash (GenesisHash for
//     Seq 1). With hash and Seq intact, a mismatch means the previous entry
//     was replaced by one with a recomputed hash.
func (v *Verifier) Add(e Entry) error {
	if v.err != nil {
		return v.err
	}
	wantSeq := v.last.Seq + 1
	wantPrev := v.last.Hash
	if v.last.Seq == 0 {
		wantPrev = GenesisHash
	}

	ce := &ChainError{Seq: e.Seq, Position: v.count + 1}
	if h := e.ComputeHash(); h != e.Hash {
		ce.Kind, ce.Want, ce.Got = KindHashMismatch, h, e.Hash
	} else if e.Seq != wantSeq {
		ce.Kind, ce.Want, ce.Got = KindSeqOrder, strconv.FormatInt(wantSeq, 10), strconv.FormatInt(e.Seq, 10)
		if e.Seq > wantSeq {
			// Entries before e are missing: name the first of them, where
			// it belongs, rather than the intact entry found in its place.
			ce.Kind, ce.Seq, ce.MissingFrom, ce.MissingTo = KindSeqGap, wantSeq, wantSeq, e.Seq-1
		}
	} else if e.PrevHash != wantPrev {
		ce.Kind, ce.Want, ce.Got = KindBrokenLink, wantPrev, e.PrevHash
	} else {
		v.last = e
		v.count++
		return nil
	}
	v.err = ce
	return v.err
}

// Count returns the number of entries that Add accepted. The starting entry
// of NewVerifierFrom is not counted.
func (v *Verifier) Count() int64 {
	return v.count
}

// Last returns the last entry that Add accepted, or the starting entry of
// NewVerifierFrom, so that the caller can start the next page with
// NewVerifierFrom or compare the end of the log with VerifyHead. ok is false
// if there is no such entry; the returned zero Entry then stands for an
// empty log.
func (v *Verifier) Last() (last Entry, ok bool) {
	return v.last, v.last.Seq != 0
}

// Verify checks that entries form a complete chain starting at Seq 1. It is
// a convenience for callers that already hold the whole log in memory.
func Verify(entries []Entry) error {
	var v Verifier
	for _, e := range entries {
		if err := v.Add(e); err != nil {
			return err
		}
	}
	return nil
}

// VerifyHead checks last, the newest entry of a log whose chain has already
// been verified, against a head (wantSeq and wantHash) that was recorded
// separately when that entry was appended.
//
// It exists because the chain alone cannot reveal that entries were deleted
// from its end, nor that it was rewritten from some point on with
// recomputed hashes: the remaining chain is still valid. A head kept out of
// reach of whoever can write the log closes both gaps. A head with Seq 0
// stands for an empty log and matches a zero last.
//
// If the head is recorded less often than entries are appended, pass the
// entry at the head's Seq instead of the newest entry; VerifyHead then
// checks that the log up to that point is the one that was recorded.
//
// The chain before last is complete from Seq 1, so positions are Seqs: a
// truncation is reported at the first missing Seq (last.Seq+1, which is 1
// when every entry was deleted) with the missing range up to the head.
func VerifyHead(last Entry, wantSeq int64, wantHash string) error {
	if wantSeq == 0 && last.Seq == 0 {
		return nil
	}
	if last.Seq < wantSeq {
		first := last.Seq + 1
		return &ChainError{Seq: first, Position: first, Kind: KindTruncated,
			Want: strconv.FormatInt(wantSeq, 10), Got: strconv.FormatInt(last.Seq, 10),
			MissingFrom: first, MissingTo: wantSeq}
	}
	if last.Seq > wantSeq {
		return &ChainError{Seq: last.Seq, Position: last.Seq, Kind: KindHeadMismatch,
			Want: "seq " + strconv.FormatInt(wantSeq, 10), Got: "seq " + strconv.FormatInt(last.Seq, 10)}
	}
	// Check the entry itself too, so that VerifyHead cannot pass an entry
	// whose contents were edited while its Hash field was left alone.
	if h := last.ComputeHash(); h != last.Hash {
		return &ChainError{Seq: last.Seq, Position: last.Seq, Kind: KindHashMismatch, Want: h, Got: last.Hash}
	}
	if last.Hash != wantHash {
		return &ChainError{Seq: last.Seq, Position: last.Seq, Kind: KindHeadMismatch, Want: wantHash, Got: last.Hash}
	}
	return nil
}
