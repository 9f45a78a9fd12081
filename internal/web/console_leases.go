package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/plural"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// The console's sessions & leases: who holds a seat right now and since
// when, the sessions open, and who waits in each pool's queue, with force
// release of a lease and the end of a session (each confirmed first, then
// done by the API's own route).

// leasesPage bounds each list of the page; the next page continues from a
// keyset cursor.
const leasesPage = 50

// queueShown bounds the people listed per queue.
const queueShown = 50

// registerConsoleLeases adds the sessions & leases pages.
func (p *Pages) registerConsoleLeases(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/leases", p.consolePage(p.leasesPage))
	mux.HandleFunc("GET /admin/leases/{id}/release", p.consolePage(p.leaseReleaseConfirm))
	mux.HandleFunc("POST /admin/leases/{id}/release", p.consolePage(p.leaseRelease))
	mux.HandleFunc("GET /admin/sessions/{id}/end", p.consolePage(p.sessionEndConfirm))
	mux.HandleFunc("POST /admin/sessions/{id}/end", p.consolePage(p.sessionEnd))
}

var leasesDone = map[string]string{
	"released": "The lease was released: its seat is back in the pool. The person needs a seat again at their next agent action.",
	"ended":    "The session was ended: its seats are back in their pools, and the person signs in again to work.",
}

// holder is a person as the lists name them.
type holder struct {
	ID, Name, UserName string
	// You marks the signed-in administrator's own.
	You bool
}

type liveLease struct {
	Lease       licensing.Lease
	Holder      holder
	Integration string
}

type liveSession struct {
	Session     licensing.Session
	Holder      holder
	Integration string
	Pools       string
}

type queueRow struct {
	store.QueueEntry
	Holder    holder
	KeptUntil time.Time
}

type poolQueue struct {
	Pool    licensing.Pool
	Entries []queueRow
	// Waiting counts everyone in line; More those not listed.
	Waiting, More int
}

// liveQuery is the page's filter and cursors, as its links carry them.
type liveQuery struct {
	Pool, Person string
	After        string // the leases' cursor
	SAfter       string // the sessions' cursor
}

func (q liveQuery) link(after, safter string) string {
	v := url.Values{}
	for k, s := range map[string]string{"pool": q.Pool, "person": q.Person, "after": after, "safter": safter} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if len(v) == 0 {
		return "/admin/leases"
	}
	return "/admin/leases?" + v.Encode()
}

// cursorText writes a keyset cursor for a link; readCursor reads it back
// (a cursor that does not read starts at the newest).
func cursorText(at time.Time, id string) string {
	return strconv.FormatInt(at.UnixMicro(), 10) + "." + id
}

func readCursor(s string) store.LiveCursor {
	us, id, ok := strings.Cut(s, ".")
	n, err := strconv.ParseInt(us, 10, 64)
	if !ok || err != nil || n <= 0 || id == "" {
		return store.LiveCursor{}
	}
	return store.LiveCursor{At: time.UnixMicro(n).UTC(), ID: id}
}

func (p *Pages) holderOf(id string) holder {
	if u, ok := p.svc.Engine.User(id); ok {
		name := u.DisplayName
		if name == "" {
			name = u.UserName
		}
		return holder{ID: id, Name: name, UserName: u.UserName}
	}
	return holder{ID: id, Name: id, UserName: id}
}

func (p *Pages) leasesPage(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	ctx := r.Context()
	st := p.svc.Store
	qv := r.URL.Query()
	q := liveQuery{Pool: strings.TrimSpace(qv.Get("pool")), Person: strings.TrimSpace(qv.Get("person")), After: qv.Get("after"), SAfter: qv.Get("safter")}
	data := p.consoleData(c, "leases", "Sessions & leases")
	data["Flash"] = consoleFlash(r, leasesDone)
	status := http.StatusOK

	pools, err := st.ListPools(ctx)
	if err != nil {
		p.fail(w, r, c.v, err)
		return
	}
	integrations := map[string]string{}
	if list, err := st.ListIntegrations(ctx); err == nil {
		for _, in := range list {
			integrations[in.ID] = in.Name
		}
	}
	f := store.LiveFilter{Pool: q.Pool, Limit: leasesPage + 1}
	known := true
	if q.Pool != "" {
		if _, ok := p.svc.Engine.Pool(q.Pool); !ok {
			known = false
			status, data["Flash"] = http.StatusNotFound, &flash{Code: licensing.CodeNotFound, Text: "There is no pool " + strconv.Quote(q.Pool) + "."}
		}
	}
	if q.Person != "" {
		id, ok := p.svc.Engine.Resolve(q.Person)
		if !ok {
			known = false
			status, data["Flash"] = http.StatusNotFound, &flash{Code: licensing.CodeNotFound, Text: "No one is known as " + strconv.Quote(q.Person) + ": give their user name, email or employee id."}
		}
		f.User = id
	}
	var leases []liveLease
	var sessions []liveSession
	var nextLeases, nextSessions string
	if known {
		lf := f
		lf.After = readCursor(q.After)
		list, err := st.LiveLeases(ctx, lf)
		if err != nil {
			p.fail(w, r, c.v, err)
			return
		}
		if len(list) > leasesPage {
			list = list[:leasesPage]
			last := list[len(list)-1]
			nextLeases = q.link(cursorText(last.StartedAt, last.ID), q.SAfter)
		}
		for _, l := range list {
			leases = append(leases, liveLease{Lease: l, Holder: p.holderOf(l.User), Integration: integrationName(integrations, l.Integration)})
		}
		sf := f
		sf.After = readCursor(q.SAfter)
		slist, err := st.LiveSessions(ctx, sf)
		if err != nil {
			p.fail(w, r, c.v, err)
			return
		}
		if len(slist) > leasesPage {
			slist = slist[:leasesPage]
			last := slist[len(slist)-1]
			nextSessions = q.link(q.After, cursorText(last.LastSeen, last.ID))
		}
		for _, ss := range slist {
			names := make([]string, len(ss.Leases))
			for i, l := range ss.Leases {
				names[i] = l.Pool
			}
			h := p.holderOf(ss.User)
			h.You = c.who.Person() && ss.User == c.who.User.ID
			sessions = append(sessions, liveSession{Session: ss, Holder: h, Integration: integrationName(integrations, ss.Integration), Pools: strings.Join(names, ", ")})
		}
	}
	queues, err := p.queues(r, pools, q.Pool)
	if err != nil {
		p.fail(w, r, c.v, err)
		return
	}
	data["Query"], data["PoolList"], data["Leases"], data["Sessions"], data["Queues"] = q, pools, leases, sessions, queues
	data["NextLeases"], data["NextSessions"] = nextLeases, nextSessions
	if q.After != "" {
		data["FirstLeases"] = q.link("", q.SAfter)
	}
	if q.SAfter != "" {
		data["FirstSessions"] = q.link(q.After, "")
	}
	data["Filtered"] = q.Pool != "" || q.Person != ""
	p.render(w, "console_leases.html", status, data)
}

func integrationName(names map[string]string, id string) string {
	if id == "" {
		return ""
	}
	if n := names[id]; n != "" {
		return n
	}
	return id
}

// queues lists the wait queue of each pool that keeps one (of only).
func (p *Pages) queues(r *http.Request, pools []licensing.Pool, only string) ([]poolQueue, error) {
	usage, err := p.svc.Store.Usage(r.Context())
	if err != nil {
		return nil, err
	}
	queued := map[string]int{}
	for _, u := range usage {
		queued[u.Pool] = u.Queued
	}
	var out []poolQueue
	for _, pl := range pools {
		if pl.Queue == nil || (only != "" && pl.ID != only) {
			continue
		}
		entries, err := p.svc.Store.QueueOf(r.Context(), pl, queueShown)
		if err != nil {
			return nil, err
		}
		pq := poolQueue{Pool: pl}
		for _, e := range entries {
			pq.Entries = append(pq.Entries, queueRow{QueueEntry: e, Holder: p.holderOf(e.User), KeptUntil: e.LastSeen.Add(pl.Queue.OfferTTL)})
		}
		pq.Waiting = len(entries)
		if len(entries) == queueShown {
			pq.Waiting = max(len(entries), queued[pl.ID])
			pq.More = pq.Waiting - len(entries)
		}
		out = append(out, pq)
	}
	return out, nil
}

// backTo is the list page a release or end returns to, keeping the filter
// the person was looking at (only the filter's own two fields).
func backTo(r *http.Request) string {
	return liveQuery{Pool: strings.TrimSpace(r.FormValue("pool")), Person: strings.TrimSpace(r.FormValue("person"))}.link("", "")
}

func (p *Pages) releasePage(r *http.Request, l licensing.Lease) confirmPage {
	h := p.holderOf(l.User)
	who := h.Name
	if h.UserName != h.Name {
		who += " (" + h.UserName + ")"
	}
	cp := confirmPage{Area: "leases", Title: "Release a lease of " + l.Pool, Danger: true, Button: "Release the seat now",
		Action: "/admin/leases/" + l.ID + "/release", Back: backTo(r), Fields: url.Values{}}
	if !l.EndedAt.IsZero() {
		cp.Lines = []string{"Nothing: this lease of " + who + " on " + l.Pool + " already ended at " + l.EndedAt.UTC().Format("2006-01-02 15:04 UTC") + " (" + label(l.EndReason) + ")."}
		cp.Action = ""
		return cp
	}
	line := "Release the seat of " + l.Pool + " that " + who + " holds since " + l.StartedAt.UTC().Format("2006-01-02 15:04 UTC")
	if l.Integration != "" {
		line += ", taken for a call of the integration " + l.Integration
	}
	cp.Lines = []string{line + ".",
		"The seat returns to the pool at once (the longest waiting in its queue gets it first). Their next agent action needs a seat again: it takes a free one, or is refused and queued while the pool is full.",
		"The release is recorded in the audit log under your name."}
	for _, k := range []string{"pool", "person"} {
		if v := strings.TrimSpace(r.FormValue(k)); v != "" {
			cp.Fields.Set(k, v)
		}
	}
	return cp
}

func (p *Pages) leaseReleaseConfirm(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	if !p.mayChange(w, r, c) {
		return
	}
	l, err := p.svc.Store.Lease(r.Context(), r.PathValue("id"))
	if err != nil {
		p.fail(w, r, c.v, err)
		return
	}
	p.renderConfirm(w, r, c, p.releasePage(r, l))
}

func (p *Pages) leaseRelease(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	id := r.PathValue("id")
	err := p.call(r.Context(), c, http.MethodDelete, "/api/v1/leases/"+url.PathEscape(id), nil, nil)
	if err == nil {
		doneTo(w, r, backTo(r), "released")
		return
	}
	l, lerr := p.svc.Store.Lease(r.Context(), id)
	if lerr != nil || licensing.ErrorCode(err) == licensing.CodeForbidden {
		p.fail(w, r, c.v, err)
		return
	}
	cp := p.releasePage(r, l)
	cp.Status, cp.Flash, _ = p.refusalOf(r, err)
	p.renderConfirm(w, r, c, cp)
}

func (p *Pages) endPage(r *http.Request, ss licensing.Session) confirmPage {
	h := p.holderOf(ss.User)
	who := h.Name
	if h.UserName != h.Name {
		who += " (" + h.UserName + ")"
	}
	cp := confirmPage{Area: "leases", Title: "End a session of " + h.Name, Danger: true, Button: "End the session now",
		Action: "/admin/sessions/" + ss.ID + "/end", Back: backTo(r), Fields: url.Values{}}
	if !ss.EndedAt.IsZero() {
		cp.Lines = []string{"Nothing: this session of " + who + " already ended at " + ss.EndedAt.UTC().Format("2006-01-02 15:04 UTC") + " (" + label(ss.EndReason) + ")."}
		cp.Action = ""
		return cp
	}
	line := "End the session of " + who + ", open since " + ss.StartedAt.UTC().Format("2006-01-02 15:04 UTC") + ", last active " + ss.LastSeen.UTC().Format("15:04 UTC")
	if ss.Integration != "" {
		line += ", opened by the integration " + ss.Integration
	}
	cp.Lines = []string{line + "."}
	if len(ss.Leases) > 0 {
		pools := make([]string, len(ss.Leases))
		for i, l := range ss.Leases {
			pools[i] = l.Pool
		}
		cp.Lines = append(cp.Lines, "Its "+plural.Of(len(ss.Leases), "seat")+" ("+strings.Join(pools, ", ")+") return at once, without the pool's linger, unless another open session of theirs uses them.")
	} else {
		cp.Lines = append(cp.Lines, "It holds no seat now.")
	}
	cp.Lines = append(cp.Lines, "They sign in again to go on working. The end is recorded in the audit log under your name.")
	for _, k := range []string{"pool", "person"} {
		if v := strings.TrimSpace(r.FormValue(k)); v != "" {
			cp.Fields.Set(k, v)
		}
	}
	return cp
}

func (p *Pages) sessionEndConfirm(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	if !p.mayChange(w, r, c) {
		return
	}
	ss, err := p.svc.Store.GetSession(r.Context(), r.PathValue("id"))
	if err != nil {
		p.fail(w, r, c.v, err)
		return
	}
	p.renderConfirm(w, r, c, p.endPage(r, ss))
}

func (p *Pages) sessionEnd(w http.ResponseWriter, r *http.Request, c *consoleVisit) {
	id := r.PathValue("id")
	err := p.call(r.Context(), c, http.MethodPost, "/api/v1/sessions/"+url.PathEscape(id)+"/end", nil, nil)
	if err == nil {
		doneTo(w, r, backTo(r), "ended")
		return
	}
	ss, serr := p.svc.Store.GetSession(r.Context(), id)
	if serr != nil || licensing.ErrorCode(err) == licensing.CodeForbidden {
		p.fail(w, r, c.v, err)
		return
	}
	cp := p.endPage(r, ss)
	cp.Status, cp.Flash, _ = p.refusalOf(r, err)
	p.renderConfirm(w, r, c, cp)
}
