package web

import (
	"net/http"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

const dateLayout = "2006-01-02"

// reportPeriod reads from and to (dates, to inclusive) into [from, to);
// the default is the last 30 days up to now.
func reportPeriod(r *http.Request, now time.Time) (from, to time.Time, fromS, toS string, err error) {
	q := r.URL.Query()
	fromS, toS = q.Get("from"), q.Get("to")
	to = now
	if toS != "" {
		d, perr := time.Parse(dateLayout, toS)
		if perr != nil {
			return from, to, fromS, toS, licensing.FieldErrorf(licensing.CodeInvalid, "to", "to must be a date like 2025-01-31")
		}
		to = d.AddDate(0, 0, 1)
	} else {
		toS = now.UTC().Format(dateLayout)
	}
	from = to.AddDate(0, 0, -30)
	if fromS != "" {
		d, perr := time.Parse(dateLayout, fromS)
		if perr != nil {
			return from, to, fromS, toS, licensing.FieldErrorf(licensing.CodeInvalid, "from", "from must be a date like 2025-01-01")
		}
		from = d
	} else {
		fromS = from.UTC().Format(dateLayout)
	}
	if !to.After(from) {
		return from, to, fromS, toS, licensing.FieldErrorf(licensing.CodeInvalid, "to", "the period must end after it starts")
	}
	if to.Sub(from) > 5*366*24*time.Hour {
		return from, to, fromS, toS, licensing.FieldErrorf(licensing.CodeInvalid, "from", "the period is at most five years")
	}
	return from, to, fromS, toS, nil
}

// multiplexing is the multiplexing report (DESIGN §3.5). The administrator
// (admin-token cookie) may read it, and so may a signed-in person whose
// report.view decision allows — a stakeholder seat, without an agent one.
func (p *Pages) multiplexing(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var data map[string]any
	var viewer licensing.Actor
	who, err := p.gate.Identify(r)
	if err == nil && !who.Person() {
		data = map[string]any{"Title": "Multiplexing report", "AdminView": true}
		viewer = who.Actor
	} else {
		var v *visit
		if err == nil {
			v, err = p.visitAs(who)
		}
		if licensing.ErrorCode(err) == licensing.CodeUnauthorized {
			p.toSignin(w, r)
			return
		}
		if err != nil {
			p.fail(w, r, nil, err)
			return
		}
		if !who.Administrator() { // a role reads it without a seat
			d, refused, err := p.svc.Decide(ctx, v.actor, v.ws.User, "report.view", v.ws.SeatSession)
			if err == nil && refused != nil {
				err = refused
			}
			if err == nil && !d.Allow {
				err = licensing.Errorf(licensing.CodeNoLicence, "the multiplexing report needs a stakeholder or agent seat")
			}
			if err != nil {
				p.fail(w, r, v, err)
				return
			}
		}
		data, viewer = p.base(v, "Multiplexing report"), v.actor
	}
	from, to, fromS, toS, err := reportPeriod(r, p.svc.Store.Now())
	if err == nil {
		var rep any
		rep, err = p.desk.Report(ctx, viewer, from, to)
		data["Report"] = rep
	}
	if err != nil {
		status, f := p.explain(r, err)
		data["Flash"], data["Status"] = f, status
		p.render(w, "error.html", status, data)
		return
	}
	data["From"], data["To"] = fromS, toS
	p.render(w, "report.html", http.StatusOK, data)
}
