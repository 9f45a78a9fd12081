package audit

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"
)

// Exporter writes entries one at a time, so that a log of any size can be
// exported while it is read from the store. Output is buffered: Close must
// be called to flush it, and its error checked. Close does not close the
// underlying writer, which belongs to the caller.
type Exporter interface {
	Write(Entry) error
	Close() error
}

// ErrClosed is returned by an Exporter's Write after Close.
var ErrClosed = errors.New("audit: exporter is closed")

// WriteJSONL writes entries to w as JSON Lines, one entry per line, in the
// format that ReadJSONL reads back for offline verification.
func WriteJSONL(w io.Writer, entries []Entry) error {
	x := NewJSONLExporter(w)
	for _, e := range entries {
		if err := x.Write(e); err != nil {
			return err
		}
	}
	return x.Close()
}

// NewJSONLExporter returns an Exporter that writes JSON Lines. This is the
// export format to verify: every field is written exactly as stored, so
// ReadJSONL followed by a Verifier recomputes the same hashes.
//
// Write refuses an entry with a string field that is not valid UTF-8
// (entries that went through Chain never have one), because JSON would
// silently replace the bad bytes and the entry would then fail
// verification as if it had been tampered with.
func NewJSONLExporter(w io.Writer) Exporter {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	// Details often hold compact JSON; keep '<', '>' and '&' readable. The
	// value decodes the same either way.
	enc.SetEscapeHTML(false)
	return &jsonlExporter{bw: bw, enc: enc}
}

type jsonlExporter struct {
	bw     *bufio.Writer
	enc    *json.Encoder
	closed bool
}

func (x *jsonlExporter) Write(e Entry) error {
	if x.closed {
		return ErrClosed
	}
	if err := checkUTF8(&e); err != nil {
		return err
	}
	// Encode marshals the whole entry before writing, so an error leaves no
	// partial line behind; write errors stay sticky in the bufio.Writer.
	if err := x.enc.Encode(&e); err != nil {
		return fmt.Errorf("audit: writing entry seq %d: %w", e.Seq, err)
	}
	return nil
}

func (x *jsonlExporter) Close() error {
	if x.closed {
		return nil
	}
	x.closed = true
	return x.bw.Flush()
}

// checkUTF8 reports a string field of e that JSON cannot carry unchanged.
func checkUTF8(e *Entry) error {
	fields := [...]struct{ name, value string }{
		{"actor", e.Actor}, {"acting_user", e.ActingUser}, {"action", e.Action},
		{"subject", e.Subject}, {"result", e.Result}, {"source", e.Source},
		{"detail", e.Detail}, {"prev_hash", e.PrevHash}, {"hash", e.Hash},
	}
	for _, f := range fields {
		if !utf8.ValidString(f.value) {
			return fmt.Errorf("audit: entry seq %d: field %s is not valid UTF-8 and cannot be exported to JSON unchanged", e.Seq, f.name)
		}
	}
	return nil
}

// csvHeader names the CSV columns after the JSON fields, in the order of
// the canonical encoding, so the two exports read alike.
var csvHeader = []string{
	"seq", "at", "actor", "acting_user", "action", "subject",
	"result", "source", "detail", "prev_hash", "hash",
}

// NewCSVExporter returns an Exporter that writes CSV with a header row,
// meant for people rather than for verification; use JSON Lines to verify.
// The header is written even if no entry is.
//
// Auditors open these exports in spreadsheets, which treat a cell that
// starts with '=', '+', '-' or '@' as a formula, and an attacker controls
// much of what ends up in an audit entry (subjects, details, token names).
// To prevent CSV formula injection, such a cell is written with a single
// quote in front, which spreadsheets show as text. Cells starting with a
// tab or carriage return get the same treatment, as OWASP recommends. The
// quote changes the cell, which is one reason the CSV export cannot be
// used to verify the chain.
func NewCSVExporter(w io.Writer) Exporter {
	return &csvExporter{cw: csv.NewWriter(w)}
}

type csvExporter struct {
	cw      *csv.Writer
	started bool // header written
	closed  bool
	rec     [11]string
}

func (x *csvExporter) Write(e Entry) error {
	if x.closed {
		return ErrClosed
	}
	if err := x.header(); err != nil {
		return err
	}
	r := &x.rec
	r[0] = strconv.FormatInt(e.Seq, 10)
	r[1] = e.At.UTC().Format(time.RFC3339Nano)
	r[2] = e.Actor
	r[3] = e.ActingUser
	r[4] = e.Action
	r[5] = e.Subject
	r[6] = e.Result
	r[7] = e.Source
	r[8] = e.Detail
	r[9] = e.PrevHash
	r[10] = e.Hash
	for i := range r {
		r[i] = defuseFormula(r[i])
	}
	return x.cw.Write(r[:])
}

func (x *csvExporter) header() error {
	if x.started {
		return nil
	}
	x.started = true
	return x.cw.Write(csvHeader)
}

func (x *csvExporter) Close() error {
	if x.closed {
		return nil
	}
	x.closed = true
	if err := x.header(); err != nil {
		return err
	}
	x.cw.Flush()
	return x.cw.Error()
}

// defuseFormula prefixes s with a single quote if a spreadsheet would
// otherwise interpret it as a formula. See NewCSVExporter.
func defuseFormula(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// ReadJSONL reads entries written by WriteJSONL or a JSON Lines Exporter and
// calls fn for each, in file order, so that an exported file can be
// verified offline by feeding a Verifier. Lines may be of any length; blank
// lines and CRLF line endings are accepted.
//
// Parsing is strict, because a file that is only nearly in the expected
// format could hide fields from verification: every non-blank line must
// hold exactly one JSON object with no unknown fields, or ReadJSONL returns
// an error naming the line. An error returned by fn stops reading and is
// returned unchanged, so a *ChainError from a Verifier can be examined with
// errors.As.
func ReadJSONL(r io.Reader, fn func(Entry) error) error {
	br := bufio.NewReader(r)
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if b = bytes.TrimSpace(b); len(b) > 0 {
			e, derr := decodeJSONLine(b)
			if derr != nil {
				return fmt.Errorf("audit: jsonl line %d: %w", line, derr)
			}
			if ferr := fn(e); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("audit: jsonl line %d: %w", line, err)
		}
	}
}

func decodeJSONLine(b []byte) (Entry, error) {
	var e Entry
	if b[0] != '{' {
		return e, errors.New("not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return e, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return e, errors.New("unexpected data after the entry")
	}
	return e, nil
}
