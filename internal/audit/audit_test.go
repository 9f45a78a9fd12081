package audit

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
)

var baseTime = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// newEntry returns an unchained entry whose fields all depend on i, so that
// no two entries of a test chain look alike.
func newEntry(i int) Entry {
	return Entry{
		At:         baseTime.Add(time.Duration(i)*time.Second + 123456789*time.Nanosecond),
		Actor:      fmt.Sprintf("tok-%d", i%7),
		ActingUser: fmt.Sprintf("user%d@example.com", i%5),
		Action:     []string{"lease.start", "lease.end", "member.grant", "decision.deny"}[i%4],
		Subject:    fmt.Sprintf("pool:agents-floating/user:u%d@example.com", i),
		Result:     []string{"ok", "denied", "pool_full"}[i%3],
		Source:     fmt.Sprintf("10.0.0.%d:5123", i%250),
		Detail:     fmt.Sprintf(`{"n":%d}`, i),
	}
}

// makeChain returns a valid chain of n entries with Seq 1..n.
func makeChain(t testing.TB, n int) []Entry {
	t.Helper()
	entries := make([]Entry, n)
	var prev *Entry
	for i := range entries {
		entries[i] = newEntry(i + 1)
		Chain(prev, &entries[i])
		prev = &entries[i]
	}
	return entries
}

// verify runs entries through a fresh Verifier and returns its error as a
// *ChainError, failing the test for any other kind of error.
func verify(t *testing.T, entries []Entry) *ChainError {
	t.Helper()
	err := Verify(entries)
	if err == nil {
		return nil
	}
	var ce *ChainError
	if !errors.As(err, &ce) {
		t.Fatalf("Verify: got error %v of type %T, want *ChainError", err, err)
	}
	return ce
}

// wantChainError checks the position, seq and kind of a chain error.
func wantChainError(t *testing.T, got *ChainError, wantPos, wantSeq int64, wantKind string) {
	t.Helper()
	if got == nil {
		t.Fatalf("got no error, want %s at position %d (seq %d)", wantKind, wantPos, wantSeq)
	}
	if got.Position != wantPos || got.Seq != wantSeq || got.Kind != wantKind {
		t.Fatalf("got %s at position %d (seq %d), want %s at position %d (seq %d); error: %v",
			got.Kind, got.Position, got.Seq, wantKind, wantPos, wantSeq, got)
	}
}

func TestChainVerifies(t *testing.T) {
	entries := makeChain(t, 100)
	var v Verifier
	for i, e := range entries {
		if err := v.Add(e); err != nil {
			t.Fatalf("Add entry %d: got %v, want nil", i+1, err)
		}
	}
	if got, want := v.Count(), int64(100); got != want {
		t.Errorf("Count: got %d, want %d", got, want)
	}
	last, ok := v.Last()
	if !ok || last.Seq != 100 {
		t.Errorf("Last: got seq %d, ok %v, want seq 100, ok true", last.Seq, ok)
	}
	if err := VerifyHead(last, 100, entries[99].Hash); err != nil {
		t.Errorf("VerifyHead: got %v, want nil", err)
	}
	if got, want := entries[0].PrevHash, GenesisHash; got != want {
		t.Errorf("first PrevHash: got %q, want %q", got, want)
	}
	for i := 1; i < len(entries); i++ {
		if got, want := entries[i].PrevHash, entries[i-1].Hash; got != want {
			t.Fatalf("entry %d PrevHash: got %q, want %q", i+1, got, want)
		}
	}
}

func TestGenesisHash(t *testing.T) {
	if got, want := GenesisHash, strings.Repeat("0", 64); got != want {
		t.Errorf("GenesisHash: got %q, want %q", got, want)
	}
}

// TestCanonicalGolden pins the encoding and the hash of one entry. Changing
// either invalidates every stored chain, so if this test fails the change
// must come with a new CanonicalVersion, not with a new golden value.
func TestCanonicalGolden(t *testing.T) {
	e := Entry{
		Seq:        1,
		At:         time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.UTC),
		Actor:      "ann",
		ActingUser: "",
		Action:     "lease.start",
		Subject:    "pool:p/user:ann",
		Result:     "ok",
		Source:     "cli",
		Detail:     `{"x":1}`,
		PrevHash:   GenesisHash,
		Hash:       "ignored",
	}
	wantCanon := "sk-audit-v1\n" +
		"1:1" +
		"27:2024-05-01T12:00:00.123456Z" +
		"3:ann" +
		"0:" +
		"11:lease.start" +
		"15:pool:p/user:ann" +
		"2:ok" +
		"3:cli" +
		`7:{"x":1}` +
		"64:" + GenesisHash
	if got := string(e.Canonical()); got != wantCanon {
		t.Errorf("Canonical:\ngot  %q\nwant %q", got, wantCanon)
	}
	const wantHash = "0d3b50485d18a35ddd0d1dff5cb7c9ecccf3ea970e84a8ab82584e612678ff2e"
	if got := e.ComputeHash(); got != wantHash {
		t.Errorf("ComputeHash: got %q, want %q", got, wantHash)
	}
}

func TestCanonicalIgnoresHashAndZone(t *testing.T) {
	e := makeChain(t, 1)[0]
	f := e
	f.Hash = "something else"
	f.At = e.At.In(time.FixedZone("CEST", 2*3600))
	if got, want := f.ComputeHash(), e.ComputeHash(); got != want {
		t.Errorf("hash after changing Hash and zone: got %s, want %s", got, want)
	}
}

// TestCanonicalDistinguishes checks that moving bytes between adjacent
// fields changes the encoding, which a plain concatenation would not.
func TestCanonicalDistinguishes(t *testing.T) {
	setters := []struct {
		name string
		set  func(e *Entry, s string)
	}{
		{"actor", func(e *Entry, s string) { e.Actor = s }},
		{"acting_user", func(e *Entry, s string) { e.ActingUser = s }},
		{"action", func(e *Entry, s string) { e.Action = s }},
		{"subject", func(e *Entry, s string) { e.Subject = s }},
		{"result", func(e *Entry, s string) { e.Result = s }},
		{"source", func(e *Entry, s string) { e.Source = s }},
		{"detail", func(e *Entry, s string) { e.Detail = s }},
		{"prev_hash", func(e *Entry, s string) { e.PrevHash = s }},
	}
	splits := []struct {
		name       string
		a1, b1     string
		a2, b2     string
		sameBefore bool
	}{
		{name: "ab,c vs a,bc", a1: "ab", b1: "c", a2: "a", b2: "bc"},
		{name: "empty first", a1: "", b1: "abc", a2: "abc", b2: ""},
		{name: "length-like bytes", a1: "1:", b1: "x", a2: "", b2: "1:1:x"},
	}
	for i := 0; i+1 < len(setters); i++ {
		for _, sp := range splits {
			name := setters[i].name + "+" + setters[i+1].name + "/" + sp.name
			t.Run(name, func(t *testing.T) {
				var x, y Entry
				setters[i].set(&x, sp.a1)
				setters[i+1].set(&x, sp.b1)
				setters[i].set(&y, sp.a2)
				setters[i+1].set(&y, sp.b2)
				if bytes.Equal(x.Canonical(), y.Canonical()) {
					t.Fatalf("got equal encodings %q, want different", x.Canonical())
				}
				if x.ComputeHash() == y.ComputeHash() {
					t.Fatalf("got equal hashes, want different")
				}
			})
		}
	}
}

// decodeCanonical parses an encoding back into its fields. If it recovers
// every field of every entry exactly, no two entries can share an
// encoding, which is the property the hash chain relies on.
func decodeCanonical(b []byte) ([]string, error) {
	rest, ok := bytes.CutPrefix(b, []byte(CanonicalVersion+"\n"))
	if !ok {
		return nil, errors.New("missing version tag")
	}
	var fields []string
	for len(rest) > 0 {
		num, after, ok := bytes.Cut(rest, []byte(":"))
		if !ok {
			return nil, errors.New("missing ':'")
		}
		n, err := strconv.Atoi(string(num))
		if err != nil || n < 0 || n > len(after) {
			return nil, fmt.Errorf("bad length %q", num)
		}
		fields = append(fields, string(after[:n]))
		rest = after[n:]
	}
	return fields, nil
}

func canonicalFields(e *Entry) []string {
	return []string{
		strconv.FormatInt(e.Seq, 10), e.At.UTC().Format(time.RFC3339Nano),
		e.Actor, e.ActingUser, e.Action, e.Subject, e.Result, e.Source, e.Detail, e.PrevHash,
	}
}

func checkCanonicalRoundTrip(t *testing.T, e *Entry) {
	t.Helper()
	got, err := decodeCanonical(e.Canonical())
	if err != nil {
		t.Fatalf("decode %q: %v", e.Canonical(), err)
	}
	want := canonicalFields(e)
	if strings.Join(got, "\x00|") != strings.Join(want, "\x00|") || len(got) != len(want) {
		t.Fatalf("decoded fields: got %q, want %q", got, want)
	}
	var buf [2048]byte
	if got, want := e.appendCanonical(buf[:0]), e.Canonical(); !bytes.Equal(got, want) {
		t.Fatalf("appendCanonical: got %q, want %q", got, want)
	}
}

func TestCanonicalRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		e    Entry
	}{
		{"zero", Entry{}},
		{"negative seq", Entry{Seq: -5}},
		{"colons and digits", Entry{Seq: 12, Actor: "3:abc", ActingUser: "0:", Detail: "12:x:y"}},
		{"newlines and NUL", Entry{Seq: 1, Subject: "a\nb\x00c", Detail: "sk-audit-v1\n1:1"}},
		{"large detail", Entry{Seq: 1 << 40, Detail: strings.Repeat("d", 5000)}},
		{"chained", makeChain(t, 3)[2]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkCanonicalRoundTrip(t, &tt.e)
		})
	}
}

func FuzzCanonical(f *testing.F) {
	f.Add(int64(1), "ab", "c", "lease.start", "pool:p", "ok", "cli", "{}")
	f.Add(int64(-1), "1:", "x", "2:yy", "", "", "", "\x00")
	f.Fuzz(func(t *testing.T, seq int64, actor, actingUser, action, subject, result, source, detail string) {
		e := Entry{Seq: seq, At: baseTime, Actor: actor, ActingUser: actingUser, Action: action,
			Subject: subject, Result: result, Source: source, Detail: detail, PrevHash: GenesisHash}
		checkCanonicalRoundTrip(t, &e)
	})
}

// TestEditField edits one field of entry k, leaving its stored Hash alone,
// and expects the chain to fail with hash_mismatch exactly there. Seq and
// PrevHash are covered by the hash too, so editing them is an alteration
// as well.
func TestEditField(t *testing.T) {
	edits := []struct {
		name string
		edit func(e *Entry)
	}{
		{"seq", func(e *Entry) { e.Seq += 1000 }},
		{"at", func(e *Entry) { e.At = e.At.Add(time.Microsecond) }},
		{"actor", func(e *Entry) { e.Actor += "x" }},
		{"acting_user", func(e *Entry) { e.ActingUser = "mallory@example.com" }},
		{"action", func(e *Entry) { e.Action = "member.revoke" }},
		{"subject", func(e *Entry) { e.Subject = "pool:other" }},
		{"result", func(e *Entry) { e.Result = "ok-ish" }},
		{"source", func(e *Entry) { e.Source = "cli" + e.Source }},
		{"detail", func(e *Entry) { e.Detail = "" }},
		{"prev_hash", func(e *Entry) { e.PrevHash = strings.Repeat("f", 64) }},
		{"hash", func(e *Entry) { e.Hash = strings.Repeat("e", 64) }},
	}
	for _, k := range []int{1, 2, 50, 100} {
		for _, ed := range edits {
			t.Run(fmt.Sprintf("%s/entry%d", ed.name, k), func(t *testing.T) {
				entries := makeChain(t, 100)
				ed.edit(&entries[k-1])
				got := verify(t, entries)
				wantChainError(t, got, int64(k), entries[k-1].Seq, KindHashMismatch)
			})
		}
	}
}

// TestRehashedEdit covers an attacker who edits entry k and recomputes its
// hash: k itself looks intact, so the break shows at the link from k+1.
func TestRehashedEdit(t *testing.T) {
	for _, k := range []int{1, 50, 99} {
		t.Run(fmt.Sprintf("entry%d", k), func(t *testing.T) {
			entries := makeChain(t, 100)
			entries[k-1].Result = "ok"
			entries[k-1].Detail = "rewritten"
			entries[k-1].Hash = entries[k-1].ComputeHash()
			got := verify(t, entries)
			wantChainError(t, got, int64(k+1), int64(k+1), KindBrokenLink)
		})
	}
}

// TestDelete deletes entry k. The entry after the gap, seq k+1, now sits at
// position k, where the chain fails; the error names seq k, the one missing.
func TestDelete(t *testing.T) {
	tests := []struct {
		name string
		k    int
	}{
		{"first", 1},
		{"second", 2},
		{"middle", 50},
		{"second to last", 99},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries := makeChain(t, 100)
			entries = append(entries[:tt.k-1], entries[tt.k:]...)
			got := verify(t, entries)
			wantChainError(t, got, int64(tt.k), int64(tt.k), KindSeqGap)
			if got.Want != strconv.Itoa(tt.k) || got.Got != strconv.Itoa(tt.k+1) {
				t.Errorf("want/got: got %s/%s, want %d/%d", got.Want, got.Got, tt.k, tt.k+1)
			}
			if got.MissingFrom != int64(tt.k) || got.MissingTo != int64(tt.k) {
				t.Errorf("missing: got %d to %d, want %d alone", got.MissingFrom, got.MissingTo, tt.k)
			}
		})
	}
}

// TestDeleteRange deletes several consecutive entries.
func TestDeleteRange(t *testing.T) {
	entries := makeChain(t, 100)
	entries = append(entries[:29], entries[40:]...) // seqs 30..40 gone
	got := verify(t, entries)
	wantChainError(t, got, 30, 30, KindSeqGap)
	if got.MissingFrom != 30 || got.MissingTo != 40 || !strings.Contains(got.Error(), "seqs 30 to 40 are missing (11 entries)") {
		t.Errorf("missing: got %d to %d (%v), want 30 to 40", got.MissingFrom, got.MissingTo, got)
	}
}

// TestDeleteHead deletes the oldest entries: the error names seq 1, the
// first one missing, at position 1.
func TestDeleteHead(t *testing.T) {
	entries := makeChain(t, 20)[5:] // seqs 1..5 gone
	got := verify(t, entries)
	wantChainError(t, got, 1, 1, KindSeqGap)
	if got.MissingFrom != 1 || got.MissingTo != 5 || !strings.Contains(got.Error(), "seqs 1 to 5 are missing") {
		t.Errorf("missing: got %d to %d (%v), want 1 to 5", got.MissingFrom, got.MissingTo, got)
	}
}

// TestDeleteLast shows that the chain alone cannot detect a deleted last
// entry, and that VerifyHead with a separately kept head can.
func TestDeleteLast(t *testing.T) {
	entries := makeChain(t, 100)
	headSeq, headHash := entries[99].Seq, entries[99].Hash
	truncated := entries[:99]
	if got := verify(t, truncated); got != nil {
		t.Fatalf("Verify truncated chain: got %v, want nil (undetectable from the chain)", got)
	}
	err := VerifyHead(truncated[98], headSeq, headHash)
	var ce *ChainError
	if !errors.As(err, &ce) || ce.Kind != KindTruncated || ce.Seq != 100 || ce.Position != 100 || ce.MissingFrom != 100 || ce.MissingTo != 100 {
		t.Fatalf("VerifyHead: got %v (%+v), want %s at seq 100, position 100, the one missing", err, ce, KindTruncated)
	}
}

// TestRewriteFromEntry shows that rewriting the chain from some entry on,
// recomputing every hash, passes the chain check and fails VerifyHead.
func TestRewriteFromEntry(t *testing.T) {
	entries := makeChain(t, 100)
	headSeq, headHash := entries[99].Seq, entries[99].Hash
	entries[59].Detail = "rewritten"
	for i := 59; i < 100; i++ {
		Chain(&entries[i-1], &entries[i])
	}
	if got := verify(t, entries); got != nil {
		t.Fatalf("Verify rewritten chain: got %v, want nil (undetectable from the chain)", got)
	}
	err := VerifyHead(entries[99], headSeq, headHash)
	var ce *ChainError
	if !errors.As(err, &ce) || ce.Kind != KindHeadMismatch {
		t.Fatalf("VerifyHead: got %v, want %s", err, KindHeadMismatch)
	}
}

// TestSwap swaps entries k and k+1 in the three ways it can happen and
// expects the chain to fail at position k, the first swapped row.
func TestSwap(t *testing.T) {
	swaps := []struct {
		name     string
		swap     func(a, b *Entry)
		wantKind string
	}{
		// The rows change places in the stream, each keeping its seq. The
		// row at position k is intact but has seq k+1.
		{"rows", func(a, b *Entry) { *a, *b = *b, *a }, KindSeqGap},
		// Everything but the seqs changes places.
		{"contents", func(a, b *Entry) {
			a.Seq, b.Seq = b.Seq, a.Seq
			*a, *b = *b, *a
		}, KindHashMismatch},
		// Only the seqs change places.
		{"seqs", func(a, b *Entry) { a.Seq, b.Seq = b.Seq, a.Seq }, KindHashMismatch},
		// Only the visible contents change places; hashes and seqs stay.
		{"visible contents", func(a, b *Entry) {
			a.Actor, b.Actor = b.Actor, a.Actor
			a.Subject, b.Subject = b.Subject, a.Subject
			a.Detail, b.Detail = b.Detail, a.Detail
		}, KindHashMismatch},
	}
	for _, k := range []int{1, 50, 99} {
		for _, sw := range swaps {
			t.Run(fmt.Sprintf("%s/entry%d", sw.name, k), func(t *testing.T) {
				entries := makeChain(t, 100)
				sw.swap(&entries[k-1], &entries[k])
				got := verify(t, entries)
				want := entries[k-1].Seq
				if sw.wantKind == KindSeqGap {
					want = int64(k) // the seq missing at position k
				}
				wantChainError(t, got, int64(k), want, sw.wantKind)
			})
		}
	}
}

func TestDuplicate(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func([]Entry) []Entry
		wantPos  int64
		wantSeq  int64
		wantKind string
	}{
		{
			name:   "adjacent",
			mutate: func(es []Entry) []Entry { return insert(es, 10, es[9]) },
			// Position 11 holds a second copy of seq 10.
			wantPos: 11, wantSeq: 10, wantKind: KindSeqOrder,
		},
		{
			name:    "first entry",
			mutate:  func(es []Entry) []Entry { return insert(es, 1, es[0]) },
			wantPos: 2, wantSeq: 1, wantKind: KindSeqOrder,
		},
		{
			name:    "last entry appended again",
			mutate:  func(es []Entry) []Entry { return append(es, es[len(es)-1]) },
			wantPos: 101, wantSeq: 100, wantKind: KindSeqOrder,
		},
		{
			name:    "earlier entry replayed later",
			mutate:  func(es []Entry) []Entry { return insert(es, 50, es[4]) },
			wantPos: 51, wantSeq: 5, wantKind: KindSeqOrder,
		},
		{
			name: "copy renumbered without rehash",
			mutate: func(es []Entry) []Entry {
				dup := es[9]
				dup.Seq = 11
				es = insert(es, 10, dup)
				return es
			},
			wantPos: 11, wantSeq: 11, wantKind: KindHashMismatch,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries := tt.mutate(makeChain(t, 100))
			got := verify(t, entries)
			wantChainError(t, got, tt.wantPos, tt.wantSeq, tt.wantKind)
		})
	}
}

func insert(es []Entry, i int, e Entry) []Entry {
	out := append([]Entry(nil), es[:i]...)
	out = append(out, e)
	return append(out, es[i:]...)
}

func TestFirstEntry(t *testing.T) {
	tests := []struct {
		name     string
		edit     func(e *Entry)
		wantKind string
	}{
		{"empty prev_hash", func(e *Entry) { e.PrevHash = ""; e.Hash = e.ComputeHash() }, KindBrokenLink},
		{"seq 0", func(e *Entry) { e.Seq = 0; e.Hash = e.ComputeHash() }, KindSeqOrder},
		{"seq 2", func(e *Entry) { e.Seq = 2; e.Hash = e.ComputeHash() }, KindSeqGap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries := makeChain(t, 3)
			tt.edit(&entries[0])
			got := verify(t, entries)
			want := entries[0].Seq
			if tt.wantKind == KindSeqGap {
				want = 1 // seq 1 is the one missing
			}
			wantChainError(t, got, 1, want, tt.wantKind)
		})
	}
}

func TestVerifierErrorIsSticky(t *testing.T) {
	entries := makeChain(t, 10)
	entries[4].Detail = "edited"
	var v Verifier
	var first error
	for _, e := range entries {
		if err := v.Add(e); err != nil && first == nil {
			first = err
		}
	}
	if first == nil {
		t.Fatal("got no error, want one")
	}
	if got := v.Add(entries[5]); got != first {
		t.Errorf("Add after error: got %v, want the first error %v", got, first)
	}
	if got, want := v.Count(), int64(4); got != want {
		t.Errorf("Count: got %d, want %d", got, want)
	}
	if last, _ := v.Last(); last.Seq != 4 {
		t.Errorf("Last: got seq %d, want 4", last.Seq)
	}
}

// TestNewVerifierFrom verifies a chain in pages, as a store would, and
// checks that positions restart on every page while seqs stay global.
func TestNewVerifierFrom(t *testing.T) {
	entries := makeChain(t, 100)
	v := &Verifier{}
	var total int64
	for page := 0; page < 10; page++ {
		if page > 0 {
			last, _ := v.Last()
			v = NewVerifierFrom(last)
		}
		for _, e := range entries[page*10 : page*10+10] {
			if err := v.Add(e); err != nil {
				t.Fatalf("page %d: got %v, want nil", page, err)
			}
		}
		total += v.Count()
	}
	if total != 100 {
		t.Errorf("total: got %d, want 100", total)
	}

	entries[54].Detail = "edited" // seq 55, fifth entry of page 6
	v = NewVerifierFrom(entries[49])
	var got *ChainError
	for _, e := range entries[50:60] {
		if err := v.Add(e); err != nil {
			got = err.(*ChainError)
			break
		}
	}
	wantChainError(t, got, 5, 55, KindHashMismatch)

	// A zero starting entry behaves like a zero Verifier.
	v = NewVerifierFrom(Entry{})
	if err := v.Add(entries[0]); err != nil {
		t.Errorf("NewVerifierFrom(Entry{}).Add(first): got %v, want nil", err)
	}
	if _, ok := NewVerifierFrom(Entry{}).Last(); ok {
		t.Errorf("NewVerifierFrom(Entry{}).Last: got ok, want !ok")
	}
}

func TestVerifyHead(t *testing.T) {
	entries := makeChain(t, 5)
	edited := entries[4]
	edited.Detail = "edited"
	tests := []struct {
		name     string
		last     Entry
		wantSeq  int64
		wantHash string
		wantKind string // "" for no error
		// wantAt is the Seq and Position reported: the first missing entry
		// for a truncation (never position 0), else the last entry.
		wantAt int64
	}{
		{"matches", entries[4], 5, entries[4].Hash, "", 0},
		{"older anchor checked with its entry", entries[2], 3, entries[2].Hash, "", 0},
		{"empty log, empty head", Entry{}, 0, "", "", 0},
		{"truncated", entries[3], 5, entries[4].Hash, KindTruncated, 5},
		{"everything deleted", Entry{}, 5, entries[4].Hash, KindTruncated, 1},
		{"rewritten", entries[4], 5, strings.Repeat("a", 64), KindHeadMismatch, 5},
		{"log beyond head", entries[4], 4, entries[3].Hash, KindHeadMismatch, 5},
		{"head entry edited", edited, 5, entries[4].Hash, KindHashMismatch, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyHead(tt.last, tt.wantSeq, tt.wantHash)
			if tt.wantKind == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			var ce *ChainError
			if !errors.As(err, &ce) || ce.Kind != tt.wantKind {
				t.Fatalf("got %v, want %s", err, tt.wantKind)
			}
			if ce.Position != tt.wantAt || ce.Seq != tt.wantAt {
				t.Errorf("Seq, Position: got %d, %d, want %d", ce.Seq, ce.Position, tt.wantAt)
			}
			if tt.wantKind == KindTruncated && (ce.MissingFrom != tt.wantAt || ce.MissingTo != tt.wantSeq) {
				t.Errorf("missing: got %d to %d, want %d to %d", ce.MissingFrom, ce.MissingTo, tt.wantAt, tt.wantSeq)
			}
		})
	}
}

func TestChainErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  *ChainError
		want string
	}{
		{
			name: "hash mismatch",
			err:  &ChainError{Seq: 17, Position: 17, Kind: KindHashMismatch, Want: "aa", Got: "bb"},
			want: "audit: entry seq 17 (position 17): hash_mismatch: entry was altered",
		},
		{
			name: "seq gap",
			err:  &ChainError{Seq: 17, Position: 17, Kind: KindSeqGap, Want: "17", Got: "18", MissingFrom: 17, MissingTo: 17},
			want: "audit: entry seq 17 (position 17): seq_gap: seq 17 is missing: the next entry found is seq 18 (entries deleted or out of order)",
		},
		{
			name: "seq gap of several",
			err:  &ChainError{Seq: 1, Position: 1, Kind: KindSeqGap, Want: "1", Got: "6", MissingFrom: 1, MissingTo: 5},
			want: "audit: entry seq 1 (position 1): seq_gap: seqs 1 to 5 are missing (5 entries): the next entry found is seq 6 (entries deleted or out of order)",
		},
		{
			name: "seq order",
			err:  &ChainError{Seq: 3, Position: 6, Kind: KindSeqOrder, Want: "6", Got: "3"},
			want: "audit: entry seq 3 (position 6): seq_order: expected seq 6, got 3 (entries reordered or duplicated)",
		},
		{
			name: "broken link",
			err:  &ChainError{Seq: 9, Position: 9, Kind: KindBrokenLink, Want: "aa", Got: "bb"},
			want: "audit: entry seq 9 (position 9): broken_link: prev_hash does not match the previous entry's hash (an earlier entry was rewritten, or entries were deleted or reordered)",
		},
		{
			name: "head mismatch",
			err:  &ChainError{Seq: 5, Position: 5, Kind: KindHeadMismatch, Want: "aa", Got: "bb"},
			want: "audit: entry seq 5 (position 5): head_mismatch: does not match the recorded head (want aa, got bb)",
		},
		{
			name: "truncated",
			err:  &ChainError{Seq: 100, Position: 100, Kind: KindTruncated, Want: "100", Got: "99", MissingFrom: 100, MissingTo: 100},
			want: "audit: entry seq 100 (position 100): truncated: seq 100 is missing: the log ends at seq 99 but the recorded head is seq 100 (entries deleted from the end)",
		},
		{
			name: "everything deleted",
			err:  &ChainError{Seq: 1, Position: 1, Kind: KindTruncated, Want: "3", Got: "0", MissingFrom: 1, MissingTo: 3},
			want: "audit: entry seq 1 (position 1): truncated: seqs 1 to 3 are missing (3 entries): the log is empty but the recorded head is seq 3 (entries deleted from the end)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestChainTime checks that Chain stores At in UTC with whole microseconds,
// so that a database keeping microseconds, or a JSON round trip, gives back
// an entry with the same hash.
func TestChainTime(t *testing.T) {
	zone := time.FixedZone("UTC-7", -7*3600)
	tests := []struct {
		name string
		at   time.Time
		want time.Time
	}{
		{"nanoseconds in another zone", time.Date(2024, 5, 1, 5, 0, 0, 123456789, zone),
			time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.UTC)},
		{"whole seconds", time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
			time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)},
		{"monotonic clock reading", time.Now(), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Entry{At: tt.at, Action: "lease.start"}
			Chain(nil, &e)
			if !tt.want.IsZero() && !e.At.Equal(tt.want) {
				t.Errorf("At: got %v, want %v", e.At, tt.want)
			}
			if got := e.At.Location(); got != time.UTC {
				t.Errorf("Location: got %v, want UTC", got)
			}
			if got := e.At.Nanosecond() % 1000; got != 0 {
				t.Errorf("sub-microsecond nanoseconds: got %d, want 0", got)
			}
			if got, want := e.At, e.At.Round(0); got != want {
				t.Errorf("At keeps a monotonic reading: got %v, want %v", got, want)
			}

			// As PostgreSQL gives it back: microseconds, maybe another zone.
			db := e
			db.At = time.UnixMicro(e.At.UnixMicro()).In(zone)
			if got, want := db.ComputeHash(), e.Hash; got != want {
				t.Errorf("hash after database round trip: got %s, want %s", got, want)
			}

			b, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			var back Entry
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if back != e {
				t.Errorf("JSON round trip: got %+v, want %+v", back, e)
			}
		})
	}
}

func TestChainCleansStrings(t *testing.T) {
	e := Entry{Actor: "ann", Subject: "bad\xffbyte", Detail: "nul\x00byte"}
	Chain(nil, &e)
	if got, want := e.Subject, "bad\uFFFDbyte"; got != want {
		t.Errorf("Subject: got %q, want %q", got, want)
	}
	if got, want := e.Detail, "nul\uFFFDbyte"; got != want {
		t.Errorf("Detail: got %q, want %q", got, want)
	}
	if got, want := e.Actor, "ann"; got != want {
		t.Errorf("Actor: got %q, want %q", got, want)
	}
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, []Entry{e}); err != nil {
		t.Fatalf("WriteJSONL: got %v, want nil", err)
	}
	if err := ReadJSONL(&buf, new(Verifier).Add); err != nil {
		t.Errorf("verify after round trip: got %v, want nil", err)
	}
}

func TestJSONLRoundTrip(t *testing.T) {
	entries := makeChain(t, 100)
	entries[7].Detail = `{"note":"<b>&\"quoted\"\u2028\n"}` + "\t"
	entries[7].ActingUser = "Zoë"
	for i := 7; i < len(entries); i++ {
		Chain(&entries[i-1], &entries[i])
	}

	writers := []struct {
		name  string
		write func(w io.Writer) error
	}{
		{"WriteJSONL", func(w io.Writer) error { return WriteJSONL(w, entries) }},
		{"exporter", func(w io.Writer) error {
			x := NewJSONLExporter(w)
			for _, e := range entries {
				if err := x.Write(e); err != nil {
					return err
				}
			}
			return x.Close()
		}},
	}
	for _, wr := range writers {
		t.Run(wr.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := wr.write(&buf); err != nil {
				t.Fatalf("write: got %v, want nil", err)
			}
			if got, want := strings.Count(buf.String(), "\n"), 100; got != want {
				t.Fatalf("lines: got %d, want %d", got, want)
			}
			var v Verifier
			var read []Entry
			err := ReadJSONL(&buf, func(e Entry) error {
				read = append(read, e)
				return v.Add(e)
			})
			if err != nil {
				t.Fatalf("ReadJSONL+verify: got %v, want nil", err)
			}
			if got, want := v.Count(), int64(100); got != want {
				t.Errorf("Count: got %d, want %d", got, want)
			}
			for i := range read {
				if read[i] != entries[i] {
					t.Fatalf("entry %d: got %+v, want %+v", i+1, read[i], entries[i])
				}
			}
		})
	}
}

// TestJSONLTampered edits an exported file as text and expects offline
// verification to find it.
func TestJSONLTampered(t *testing.T) {
	entries := makeChain(t, 20)
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, entries); err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(buf.String(), "\n")
	lines[11] = strings.Replace(lines[11], `"result":"`, `"result":"ok`, 1)
	var v Verifier
	err := ReadJSONL(strings.NewReader(strings.Join(lines, "")), v.Add)
	var ce *ChainError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want *ChainError", err)
	}
	wantChainError(t, ce, 12, 12, KindHashMismatch)
}

func TestReadJSONL(t *testing.T) {
	entries := makeChain(t, 2)
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, entries); err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(buf.String(), "\n")
	good0, good1 := strings.TrimSpace(lines[0]), strings.TrimSpace(lines[1])

	tests := []struct {
		name      string
		input     string
		wantCount int
		wantErr   string // substring; "" for no error
	}{
		{"plain", good0 + "\n" + good1 + "\n", 2, ""},
		{"no final newline", good0 + "\n" + good1, 2, ""},
		{"CRLF and blank lines", "\r\n" + good0 + "\r\n\r\n" + good1 + "\r\n", 2, ""},
		{"empty", "", 0, ""},
		{"long line", good0 + "\n" + strings.Replace(good1, `"detail":"`, `"detail":"`+strings.Repeat("x", 200000), 1), 2, ""},
		{"unknown field", good0 + "\n" + strings.Replace(good1, `{`, `{"extra":1,`, 1), 1, "jsonl line 2: json: unknown field"},
		{"two objects on a line", good0 + good1, 0, "jsonl line 1: unexpected data"},
		{"not an object", "null\n", 0, "jsonl line 1: not a JSON object"},
		{"truncated line", good0 + "\n" + good1[:40], 1, "jsonl line 2:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			count := 0
			err := ReadJSONL(strings.NewReader(tt.input), func(Entry) error { count++; return nil })
			if tt.wantErr == "" && err != nil {
				t.Fatalf("got %v, want nil", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("got %v, want error containing %q", err, tt.wantErr)
			}
			if count != tt.wantCount {
				t.Errorf("entries: got %d, want %d", count, tt.wantCount)
			}
		})
	}

	t.Run("fn error returned unchanged", func(t *testing.T) {
		stop := errors.New("stop")
		if got := ReadJSONL(strings.NewReader(good0+"\n"+good1), func(Entry) error { return stop }); got != stop {
			t.Errorf("got %v, want %v", got, stop)
		}
	})
}

func TestJSONLExporterErrors(t *testing.T) {
	e := makeChain(t, 1)[0]
	bad := e
	bad.Detail = "bad\xff"
	x := NewJSONLExporter(io.Discard)
	if err := x.Write(bad); err == nil || !strings.Contains(err.Error(), "detail is not valid UTF-8") {
		t.Errorf("Write invalid UTF-8: got %v, want an error naming detail", err)
	}
	if err := x.Write(e); err != nil {
		t.Errorf("Write after refused entry: got %v, want nil", err)
	}
	if err := x.Close(); err != nil {
		t.Errorf("Close: got %v, want nil", err)
	}
	if err := x.Write(e); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: got %v, want %v", err, ErrClosed)
	}
	if err := x.Close(); err != nil {
		t.Errorf("second Close: got %v, want nil", err)
	}

	unencodable := e
	unencodable.At = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := WriteJSONL(io.Discard, []Entry{unencodable}); err == nil {
		t.Errorf("WriteJSONL with year 10000: got nil, want error")
	}

	failing := NewJSONLExporter(errWriter{})
	_ = failing.Write(e)
	if err := failing.Close(); err == nil {
		t.Errorf("Close on failing writer: got nil, want error")
	}
}

type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestCSVExport(t *testing.T) {
	entries := makeChain(t, 3)
	entries[1].Subject = "=HYPERLINK(\"http://evil.example\",\"click\")"
	entries[1].Detail = "+1+1"
	entries[1].Actor = "@SUM(A1)"
	entries[1].ActingUser = "-2+3"
	entries[1].Source = "\tcmd"
	entries[1].Result = "ok=fine" // '=' not at the start: untouched

	var buf bytes.Buffer
	x := NewCSVExporter(&buf)
	for _, e := range entries {
		if err := x.Write(e); err != nil {
			t.Fatalf("Write: got %v, want nil", err)
		}
	}
	if err := x.Close(); err != nil {
		t.Fatalf("Close: got %v, want nil", err)
	}

	wantHeader := "seq,at,actor,acting_user,action,subject,result,source,detail,prev_hash,hash\n"
	if got := buf.String(); !strings.HasPrefix(got, wantHeader) {
		t.Fatalf("header: got %q, want prefix %q", got[:min(len(got), 100)], wantHeader)
	}
	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("parse CSV: %v", err)
	}
	if got, want := len(records), 4; got != want {
		t.Fatalf("records: got %d, want %d", got, want)
	}
	row := records[2]
	cells := []struct {
		name string
		got  string
		want string
	}{
		{"seq", row[0], "2"},
		{"at", row[1], entries[1].At.Format(time.RFC3339Nano)},
		{"actor", row[2], "'@SUM(A1)"},
		{"acting_user", row[3], "'-2+3"},
		{"subject", row[5], "'=HYPERLINK(\"http://evil.example\",\"click\")"},
		{"result", row[6], "ok=fine"},
		{"source", row[7], "'\tcmd"},
		{"detail", row[8], "'+1+1"},
		{"prev_hash", row[9], entries[1].PrevHash},
		{"hash", row[10], entries[1].Hash},
	}
	for _, c := range cells {
		if c.got != c.want {
			t.Errorf("cell %s: got %q, want %q", c.name, c.got, c.want)
		}
	}

	t.Run("empty export has header", func(t *testing.T) {
		var buf bytes.Buffer
		x := NewCSVExporter(&buf)
		if err := x.Close(); err != nil {
			t.Fatalf("Close: got %v, want nil", err)
		}
		if got := buf.String(); got != wantHeader {
			t.Errorf("got %q, want %q", got, wantHeader)
		}
		if err := x.Write(entries[0]); !errors.Is(err, ErrClosed) {
			t.Errorf("Write after Close: got %v, want %v", err, ErrClosed)
		}
	})
}

func TestDefuseFormula(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"=1+1", "'=1+1"},
		{"+1", "'+1"},
		{"-1", "'-1"},
		{"@x", "'@x"},
		{"\r=1", "'\r=1"},
		{"ok", "ok"},
		{"a=b", "a=b"},
		{"'=already", "'=already"},
	}
	for _, tt := range tests {
		t.Run(strconv.Quote(tt.in), func(t *testing.T) {
			if got := defuseFormula(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// BenchmarkChain measures chaining (normalising and hashing) one typical
// entry, the cost paid on every audited action.
func BenchmarkChain(b *testing.B) {
	prev := makeChain(b, 1)[0]
	e := newEntry(2)
	b.ReportAllocs()
	for b.Loop() {
		Chain(&prev, &e)
	}
}
