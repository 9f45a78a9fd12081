package web

import (
	"fmt"
	"github.com/seatkeeper/seatkeeper/internal/api"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/reporting"
)

// The pool and SKU forms of the licence console: what a person types,
// read into the API's JSON. Only what JSON cannot carry (a number that is
// not one, a "group = seats" line without its "=") is refused here, with
// the API's code and field; every rule of the catalog (ranges, durations,
// dates in order, shrinking below the holders) is the API's to check.

// dateForm is how a date input writes a day.
const dateForm = "2006-01-02"

// poolForm is a pool as its form holds it: the fields' text.
type poolForm struct {
	ID, SKU, Model                      string
	Seats, Overdraft, Price, WarnAt     string
	Starts, Ends                        string // days; Ends is the last day in force
	IdleTimeout, Linger, Cooldown       string
	Reservations, Limits                string // "group = seats" lines
	Queue                               bool
	QueueMax, QueueTTL, QueuePriorities string
}

// poolFormOf is the form of an existing pool.
func poolFormOf(p licensing.Pool) poolForm {
	f := poolForm{ID: p.ID, SKU: p.SKU, Model: string(p.Model), Seats: strconv.Itoa(p.Seats), Overdraft: strconv.Itoa(p.Overdraft),
		Price: formNumber(p.MonthlyPrice), WarnAt: strconv.FormatFloat(p.WarnAt*100, 'f', -1, 64),
		Starts: startDay(p.Starts), Ends: lastDay(p.Ends), Reservations: groupLines(p.Reservations), Limits: groupLines(p.Limits)}
	if p.Model == licensing.ModelConcurrent {
		f.IdleTimeout = shortDur(p.IdleTimeout)
		f.Linger = shortDur(p.Linger)
	} else {
		f.Cooldown = shortDur(p.Cooldown)
	}
	if q := p.Queue; q != nil {
		f.Queue, f.QueueMax, f.QueueTTL, f.QueuePriorities = true, strconv.Itoa(q.MaxLength), shortDur(q.OfferTTL), groupLines(q.Priority)
	}
	return f
}

// newPoolForm is the form of a new pool: the API's defaults filled in.
func newPoolForm(sku string) poolForm {
	return poolForm{SKU: sku, Model: string(licensing.ModelNamed), Overdraft: "0", Price: "0", WarnAt: "90",
		IdleTimeout: shortDur(licensing.DefaultIdleTimeout), QueueMax: "0", QueueTTL: shortDur(licensing.DefaultOfferTTL)}
}

func readPoolForm(v url.Values) poolForm {
	g := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	return poolForm{ID: g("id"), SKU: g("sku"), Model: g("model"), Seats: g("seats"), Overdraft: g("overdraft"), Price: g("monthly_price"), WarnAt: g("warn_at"),
		Starts: g("starts"), Ends: g("ends"), IdleTimeout: g("idle_timeout"), Linger: g("linger"), Cooldown: g("cooldown"),
		Reservations: g("reservations"), Limits: g("limits"), Queue: v.Get("queue") == "on",
		QueueMax: g("queue_max_length"), QueueTTL: g("queue_offer_ttl"), QueuePriorities: g("queue_priority")}
}

// values are the form's fields as posted, for the hidden fields of its
// confirmation.
func (f poolForm) values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("id", f.ID)
	set("sku", f.SKU)
	set("model", f.Model)
	set("seats", f.Seats)
	set("overdraft", f.Overdraft)
	set("monthly_price", f.Price)
	set("warn_at", f.WarnAt)
	set("starts", f.Starts)
	set("ends", f.Ends)
	set("idle_timeout", f.IdleTimeout)
	set("linger", f.Linger)
	set("cooldown", f.Cooldown)
	set("reservations", f.Reservations)
	set("limits", f.Limits)
	if f.Queue {
		v.Set("queue", "on")
	}
	set("queue_max_length", f.QueueMax)
	set("queue_offer_ttl", f.QueueTTL)
	set("queue_priority", f.QueuePriorities)
	return v
}

// concurrent reports whether the form is of a concurrent pool.
func (f poolForm) concurrent() bool { return f.Model == string(licensing.ModelConcurrent) }

// body reads the form into the API's JSON. old is the pool being changed
// (nil for a new one): a day left as it was keeps the exact time stored,
// which the API may have been given to the second.
func (f poolForm) body(old *licensing.Pool) (api.Pool, error) {
	b := api.Pool{ID: f.ID, SKU: f.SKU, Model: f.Model, IdleTimeout: f.IdleTimeout, Linger: f.Linger, Cooldown: f.Cooldown}
	if old != nil {
		b.ID = ""
	}
	if f.Seats != "" {
		n, err := whole("seats", "Seats", f.Seats)
		if err != nil {
			return b, err
		}
		b.Seats = &n
	}
	var err error
	if b.Overdraft, err = wholeOr0("overdraft", "Overdraft", f.Overdraft); err != nil {
		return b, err
	}
	if b.MonthlyPrice, err = decimal("monthly_price", "Monthly price", f.Price); err != nil {
		return b, err
	}
	if f.WarnAt != "" {
		pct, err := decimal("warn_at", "Warn at", f.WarnAt)
		if err != nil {
			return b, err
		}
		if pct <= 0 || pct > 100 {
			return b, licensing.FieldErrorf(licensing.CodeInvalid, "warn_at", "warn at must be a percentage of the seats above 0 and at most 100")
		}
		b.WarnAt = pct / 100
	}
	if b.Starts, err = dayStart("starts", f.Starts, old, func(p *licensing.Pool) time.Time { return p.Starts }, false); err != nil {
		return b, err
	}
	if b.Ends, err = dayStart("ends", f.Ends, old, func(p *licensing.Pool) time.Time { return p.Ends }, true); err != nil {
		return b, err
	}
	if b.Reservations, err = groupMap("reservations", "Reservations", f.Reservations); err != nil {
		return b, err
	}
	if b.Limits, err = groupMap("limits", "Limits", f.Limits); err != nil {
		return b, err
	}
	if f.Queue {
		q := &api.PoolQueue{OfferTTL: f.QueueTTL}
		if q.MaxLength, err = wholeOr0("queue.max_length", "Queue length", f.QueueMax); err != nil {
			return b, err
		}
		if q.Priority, err = groupMap("queue.priority", "Queue priorities", f.QueuePriorities); err != nil {
			return b, err
		}
		b.Queue = q
	}
	return b, nil
}

// dayStart turns a day of the form into the API's time: the start of the
// day (UTC), or for the last day in force the start of the next. Text that
// is no day goes to the API as typed, which accepts a full RFC 3339 time
// and refuses anything else naming the field.
func dayStart(field, day string, old *licensing.Pool, was func(*licensing.Pool) time.Time, last bool) (string, error) {
	if day == "" {
		return "", nil
	}
	if old != nil {
		t := was(old)
		if (!last && day == startDay(t)) || (last && day == lastDay(t)) {
			return rfc3339(t), nil
		}
	}
	d, err := time.Parse(dateForm, day)
	if err != nil {
		return day, nil
	}
	if last {
		d = d.AddDate(0, 0, 1)
	}
	return rfc3339(d), nil
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// startDay is the day a pool starts, as the form writes it.
func startDay(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(dateForm)
}

// lastDay is the last day a pool is in force: it ends (exclusive) at the
// start of the next.
func lastDay(end time.Time) string {
	if end.IsZero() {
		return ""
	}
	return end.UTC().Add(-time.Nanosecond).Format(dateForm)
}

func shortDur(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return reporting.ShortDuration(d)
}

func formNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// whole reads a whole number of a form field (field is the API's name).
func whole(field, label, s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, licensing.FieldErrorf(licensing.CodeInvalid, field, "%s must be a whole number, not %q", label, s)
	}
	return n, nil
}

func wholeOr0(field, label, s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	return whole(field, label, s)
}

func decimal(field, label, s string) (float64, error) {
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v != v {
		return 0, licensing.FieldErrorf(licensing.CodeInvalid, field, "%s must be a number such as 95 or 12.50, not %q", label, s)
	}
	return v, nil
}

// groupMap reads "group = n" lines (a comma also separates entries). The
// group is everything before the last "=", so a group's name may hold one.
func groupMap(field, label, s string) (map[string]int, error) {
	if s == "" {
		return nil, nil
	}
	m := map[string]int{}
	for _, line := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		i := strings.LastIndex(line, "=")
		if i < 0 {
			return nil, licensing.FieldErrorf(licensing.CodeInvalid, field, "%s: %q must read group = number, one group a line", label, line)
		}
		g := strings.TrimSpace(line[:i])
		n, err := strconv.Atoi(strings.TrimSpace(line[i+1:]))
		if err != nil || g == "" {
			return nil, licensing.FieldErrorf(licensing.CodeInvalid, field, "%s: %q must read group = number, one group a line", label, line)
		}
		if _, dup := m[g]; dup {
			return nil, licensing.FieldErrorf(licensing.CodeInvalid, field, "%s: group %q is given twice", label, g)
		}
		m[g] = n
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}

// groupLines writes a group map as the form's lines, sorted by group.
func groupLines(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	lines := make([]string, len(keys))
	for i, k := range keys {
		lines[i] = fmt.Sprintf("%s = %d", k, m[k])
	}
	return strings.Join(lines, "\n")
}

// poolFields name the pool form's fields, in the form's order: the API's
// field, the form's label, and how the value reads on a confirmation.
var poolFields = []struct {
	field, label string
	get          func(f poolForm) string
}{
	{"seats", "seats", func(f poolForm) string { return normNum(f.Seats) }},
	{"overdraft", "overdraft seats", func(f poolForm) string { return orNone(normNum(f.Overdraft), "0") }},
	{"monthly_price", "monthly price per seat", func(f poolForm) string { return "$" + orNone(normNum(f.Price), "0") }},
	{"starts", "valid from", func(f poolForm) string { return orNone(f.Starts, "") }},
	{"ends", "valid until (last day)", func(f poolForm) string { return orNone(f.Ends, "") }},
	{"warn_at", "warning threshold", func(f poolForm) string { return orNone(normNum(f.WarnAt), "90") + " % of the seats" }},
	{"idle_timeout", "idle timeout", func(f poolForm) string {
		if !f.concurrent() {
			return ""
		}
		return orNone(normDur(f.IdleTimeout), shortDur(licensing.DefaultIdleTimeout))
	}},
	{"linger", "linger after sign-out", func(f poolForm) string { return concurrentOnly(f, normDur(f.Linger)) }},
	{"cooldown", "reassignment cooldown", func(f poolForm) string {
		if f.concurrent() {
			return ""
		}
		return orNone(normDur(f.Cooldown), "")
	}},
	{"reservations", "reservations", func(f poolForm) string { return concurrentOnly(f, oneLine(f.Reservations)) }},
	{"limits", "limits", func(f poolForm) string { return concurrentOnly(f, oneLine(f.Limits)) }},
	{"queue", "wait queue", func(f poolForm) string {
		if !f.concurrent() {
			return ""
		}
		if !f.Queue {
			return "none"
		}
		s := "on, places kept " + orNone(normDur(f.QueueTTL), shortDur(licensing.DefaultOfferTTL)) + " after the last try"
		if n := normNum(f.QueueMax); n != "" && n != "0" {
			s += ", at most " + n + " waiting"
		}
		if p := oneLine(f.QueuePriorities); p != "" {
			s += ", priorities " + p
		}
		return s
	}},
}

// normNum writes a number as the API reads it ("010" and "10.0" are 10),
// and anything else as typed.
func normNum(s string) string {
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return s
}

// normDur writes a duration as the API reads it ("30m0s" is 30m, "0s" none).
func normDur(s string) string {
	if d, err := time.ParseDuration(s); err == nil {
		return shortDur(d)
	}
	return s
}

func orNone(s, zero string) string {
	if s == "" || s == zero {
		if zero != "" {
			return zero
		}
		return "none"
	}
	return s
}

func concurrentOnly(f poolForm, s string) string {
	if !f.concurrent() {
		return ""
	}
	return orNone(s, "")
}

// oneLine writes group lines as "a = 1, b = 2", normalised, so a
// reordering or a space is not shown as a change.
func oneLine(s string) string {
	m, err := groupMap("", "", s)
	if err != nil {
		return strings.Join(strings.Fields(s), " ")
	}
	return strings.ReplaceAll(groupLines(m), "\n", ", ")
}

// poolChanges says what saving to reads differs from the pool from:
// "Change seats of agents-named from 10 to 8".
func poolChanges(id string, from, to poolForm) []string {
	var out []string
	for _, pf := range poolFields {
		a, b := pf.get(from), pf.get(to)
		if a != b {
			out = append(out, fmt.Sprintf("Change %s of %s from %s to %s", pf.label, id, a, b))
		}
	}
	return out
}

// poolSummary says what creating the form's pool does.
func poolSummary(f poolForm, skuName string) []string {
	out := []string{fmt.Sprintf("Create the %s pool %s of %s (%s) with %s", f.Model, f.ID, skuName, f.SKU, seatsText(f.Seats))}
	for _, pf := range poolFields[1:] {
		if v := pf.get(f); v != "" {
			out = append(out, upperFirst(pf.label)+": "+v)
		}
	}
	return out
}

func seatsText(s string) string {
	if n, err := strconv.Atoi(s); err == nil {
		if n == 1 {
			return "1 seat"
		}
		return s + " seats"
	}
	return s + " seats"
}

// fieldLabels name a form's fields for a refusal naming the API's field.
var fieldLabels = map[string]string{
	"id": "Pool id", "key": "Key", "name": "Name", "tier": "Tier", "requires": "Requires", "sku": "SKU", "model": "Model",
	"seats": "Seats", "overdraft": "Overdraft", "monthly_price": "Monthly price", "warn_at": "Warn at",
	"starts": "Valid from", "ends": "Valid until", "idle_timeout": "Idle timeout", "linger": "Linger", "cooldown": "Cooldown",
	"reservations": "Reservations", "limits": "Limits", "queue.max_length": "Queue length", "queue.offer_ttl": "Queue place kept for",
	"queue.priority": "Queue priorities",
}

// refusalOf is the flash of a refused form and the field to mark.
func (p *Pages) refusalOf(r *http.Request, err error) (int, *flash, string) {
	status, f := p.explain(r, err)
	e, _ := licensing.AsError(err)
	field := ""
	if e != nil {
		field = e.Field
		if l, ok := fieldLabels[field]; ok {
			f.Text += " Check “" + l + "”."
		}
	}
	return status, f, field
}
