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

// ChainError describes the first entry at which a chain fails to verify.
type ChainError struct {
	Seq      int64  // Seq of the bad entry as stored
	Position int64  // 1-based index of the bad entry in the verified stream; 0 from VerifyHead
	Kind     string // one of the Kind constants
	Want     string // expected value: Seq in decimal, or a hex hash
	Got      string // value found in the entry
}

// Error returns a one-line description that names the entry both by Seq and
// by position, since after deletions or reordering the two differ and an
// auditor needs both to find the row. For example:
//
//	audit: entry seq 17 (position 17): hash_mismatch: entry was altered
func (e *ChainError) Error() string {
	var what string
	switch e.Kind {
	case KindHashMismatch:
		what = "entry was altered"
	case KindBrokenLink:
		what = "prev_hash does not match the previous entry's hash (an earlier entry was rewritten, or entries were deleted or reordered)"
	case KindSeqGap:
		what = fmt.Sprintf("expected seq %s, got %s (entries deleted or out of order)", e.Want, e.Got)
	case KindSeqOrder:
		what = fmt.Sprintf("expected seq %s, got %s (entries reordered or duplicated)", e.Want, e.Got)
	case KindTruncated:
		what = fmt.Sprintf("log ends at seq %s but the recorded head is seq %s (entries deleted from the end)", e.Got, e.Want)
	case KindHeadMismatch:
		what = fmt.Sprintf("does not match the recorded head (want %s, got %s)", e.Want, e.Got)
	default:
		what = fmt.Sprintf("want %s, got %s", e.Want, e.Got)
	}
	if e.Position == 0 {
		return fmt.Sprintf("audit: entry seq %d: %s: %s", e.Seq, e.Kind, what)
	}
	return fmt.Sprintf("audit: entry seq %d (position %d): %s: %s", e.Seq, e.Position, e.Kind, what)
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

	var kind, want, got string
	if h := e.ComputeHash(); h != e.Hash {
		kind, want, got = KindHashMismatch, h, e.Hash
	} else if e.Seq != wantSeq {
		kind = KindSeqGap
		if e.Seq < wantSeq {
			kind = KindSeqOrder
		}
		want, got = strconv.FormatInt(wantSeq, 10), strconv.FormatInt(e.Seq, 10)
	} else if e.PrevHash != wantPrev {
		kind, want, got = KindBrokenLink, wantPrev, e.PrevHash
	} else {
		v.last = e
		v.count++
		return nil
	}
	v.err = &ChainError{Seq: e.Seq, Position: v.count + 1, Kind: kind, Want: want, Got: got}
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
func VerifyHead(last Entry, wantSeq int64, wantHash string) error {
	if wantSeq == 0 && last.Seq == 0 {
		return nil
	}
	if last.Seq < wantSeq {
		return &ChainError{Seq: last.Seq, Kind: KindTruncated,
			Want: strconv.FormatInt(wantSeq, 10), Got: strconv.FormatInt(last.Seq, 10)}
	}
	if last.Seq > wantSeq {
		return &ChainError{Seq: last.Seq, Kind: KindHeadMismatch,
			Want: "seq " + strconv.FormatInt(wantSeq, 10), Got: "seq " + strconv.FormatInt(last.Seq, 10)}
	}
	// Check the entry itself too, so that VerifyHead cannot pass an entry
	// whose contents were edited while its Hash field was left alone.
	if h := last.ComputeHash(); h != last.Hash {
		return &ChainError{Seq: last.Seq, Kind: KindHashMismatch, Want: h, Got: last.Hash}
	}
	if last.Hash != wantHash {
		return &ChainError{Seq: last.Seq, Kind: KindHeadMismatch, Want: wantHash, Got: last.Hash}
	}
	return nil
}
