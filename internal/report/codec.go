package report

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// dayFormat versions the encoding; a stored day of another version is
// rebuilt from history rather than misread.
const dayFormat = 2

// ErrDayFormat means a stored day was written by another encoding version.
var ErrDayFormat = errors.New("report: unknown day encoding")

// Encode packs a day's summary compactly (varints): everything but the
// spells, which EncodeSpells packs apart. A year of ten pools is a few
// thousand rows of a few kilobytes whatever the leases, decoded far faster
// than JSON.
func (d Day) Encode() []byte {
	b := make([]byte, 0, 256+len(d.Spells)*10+len(d.People)*24)
	b = append(b, dayFormat)
	b = binary.AppendVarint(b, d.Start.Unix())
	b = binary.AppendUvarint(b, uint64(d.Seats))
	b = binary.AppendUvarint(b, uint64(d.Capacity))
	for _, h := range d.Hours {
		b = binary.AppendUvarint(b, uint64(len(h.Levels)))
		for _, l := range h.Levels {
			b = binary.AppendUvarint(b, uint64(l.Held))
			b = binary.AppendUvarint(b, uint64(l.Seconds))
		}
		for _, v := range []int32{h.Peak, h.AtCapacity, h.Over, h.Starts} {
			b = binary.AppendUvarint(b, uint64(v))
		}
	}
	b = binary.AppendUvarint(b, uint64(len(d.People)))
	for _, p := range d.People {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	b = binary.AppendUvarint(b, uint64(d.Active))
	b = binary.AppendUvarint(b, uint64(len(d.Refusals)))
	for _, r := range d.Refusals {
		b = binary.AppendUvarint(b, uint64(r.Person))
		b = binary.AppendUvarint(b, uint64(r.At))
		b = binary.AppendVarint(b, int64(r.MetAfter))
	}
	return b
}

// EncodeSpells packs a day's spells (sorted by start: small deltas).
func (d Day) EncodeSpells() []byte {
	b := make([]byte, 0, 1+len(d.Spells)*8)
	b = append(b, dayFormat)
	b = binary.AppendUvarint(b, uint64(len(d.Spells)))
	prev := int32(0)
	for _, s := range d.Spells {
		b = binary.AppendUvarint(b, uint64(s.Person))
		b = binary.AppendVarint(b, int64(s.Start-prev))
		prev = s.Start
		b = binary.AppendUvarint(b, uint64(s.Active))
		b = binary.AppendUvarint(b, uint64(s.Held-s.Active))
		b = append(b, boolByte(s.Logout))
	}
	return b
}

// DecodeSpells reads spells written by EncodeSpells into d.
func (d *Day) DecodeSpells(b []byte) error {
	if len(b) == 0 || b[0] != dayFormat {
		return ErrDayFormat
	}
	r := &decoder{b: b[1:]}
	spells := make([]Spell, r.count())
	prev := int32(0)
	for i := range spells {
		s := &spells[i]
		s.Person = int32(r.u())
		s.Start = prev + int32(r.s())
		prev = s.Start
		s.Active = int32(r.u())
		s.Held = s.Active + int32(r.u())
		s.Logout = r.flag()
	}
	if r.err != nil {
		return fmt.Errorf("report: spells of %s %s: %w", d.Pool, d.Start.Format(time.DateOnly), r.err)
	}
	for _, s := range spells {
		if s.Person >= d.Active {
			return fmt.Errorf("report: spells of %s: person %d of %d active", d.Pool, s.Person, d.Active)
		}
	}
	d.Spells, d.SpellsRead = spells, true
	return nil
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// decoder reads varints, remembering the first error.
type decoder struct {
	b   []byte
	err error
}

func (r *decoder) u() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errors.New("report: truncated day")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *decoder) s() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errors.New("report: truncated day")
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a length and refuses one longer than the bytes left could hold.
func (r *decoder) count() int {
	n := r.u()
	if n > uint64(len(r.b)) {
		r.err = errors.New("report: corrupt day length")
		return 0
	}
	return int(n)
}

func (r *decoder) bytes(n int) []byte {
	if r.err != nil || n > len(r.b) {
		r.err = errors.New("report: truncated day")
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *decoder) flag() bool {
	v := r.bytes(1)
	return len(v) == 1 && v[0] == 1
}

// DecodeDay unpacks a day written by Encode.
func DecodeDay(pool string, b []byte) (Day, error) { return DecodeDayInterned(pool, b, nil) }

// Interner shares the strings of many decoded days: the same few thousand
// people appear in every day of a year, and one string each instead of one
// per day keeps a year's decode from allocating per person-day.
type Interner map[string]string

func (in Interner) get(b []byte) string {
	if in == nil {
		return string(b)
	}
	if s, ok := in[string(b)]; ok { // no allocation for the lookup
		return s
	}
	s := string(b)
	in[s] = s
	return s
}

// DecodeDayInterned is DecodeDay sharing people's strings through in.
func DecodeDayInterned(pool string, b []byte, in Interner) (Day, error) {
	if len(b) == 0 || b[0] != dayFormat {
		return Day{}, ErrDayFormat
	}
	r := &decoder{b: b[1:]}
	d := Day{Pool: pool}
	d.Start = time.Unix(r.s(), 0).UTC()
	d.Seats, d.Capacity = int32(r.u()), int32(r.u())
	for h := range d.Hours {
		hr := &d.Hours[h]
		if n := r.count(); n > 0 {
			hr.Levels = make([]Level, n)
			for i := range hr.Levels {
				hr.Levels[i] = Level{Held: int32(r.u()), Seconds: int32(r.u())}
			}
		}
		hr.Peak, hr.AtCapacity, hr.Over, hr.Starts = int32(r.u()), int32(r.u()), int32(r.u()), int32(r.u())
	}
	d.People = make([]string, r.count())
	for i := range d.People {
		d.People[i] = in.get(r.bytes(r.count()))
	}
	d.Active = int32(r.u())
	d.Refusals = make([]Refusal, r.count())
	for i := range d.Refusals {
		d.Refusals[i] = Refusal{Person: int32(r.u()), At: int32(r.u()), MetAfter: int32(r.s())}
	}
	if r.err != nil {
		return Day{}, fmt.Errorf("report: day %s of %s: %w", d.Start.Format(time.DateOnly), pool, r.err)
	}
	if int(d.Active) > len(d.People) {
		return Day{}, fmt.Errorf("report: day of %s: %d active of %d people", pool, d.Active, len(d.People))
	}
	for _, x := range d.Refusals {
		if int(x.Person) >= len(d.People) {
			return Day{}, fmt.Errorf("report: day of %s: refusal names person %d of %d", pool, x.Person, len(d.People))
		}
	}
	return d, nil
}
