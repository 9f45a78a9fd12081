package benchmark

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/plural"
)

// DeskConfig sets up a desk run: people act through a platform token (the
// desk's own pages) and integrations act for them with their own tokens.
type DeskConfig struct {
	BaseURL string
	// Platform acts for people with the acting-user header.
	Platform string
	// Enforce, Propose and Monitor are integration tokens in those modes.
	Enforce, Propose, Monitor string
	// Requesters are free-tier people; Agents hold named agent seats;
	// Unlicensed are people without seats whom integrations act for.
	Requesters, Agents, Unlicensed []string
	Clients                        int
	Duration                       time.Duration
}

// DeskResult is what a desk run measured.
type DeskResult struct {
	Actions, Errors int64
	ByKind          map[string]int64
	Elapsed         time.Duration
	P50, P99        time.Duration
}

// ActionsPerSecond is the rate of decided and answered actions.
func (r DeskResult) ActionsPerSecond() float64 { return float64(r.Actions) / r.Elapsed.Seconds() }

// deskAction is one kind of request in the mix and its share.
type deskAction struct {
	kind  string
	share int
}

// mix is the realistic blend: requesters open and follow tickets, agents
// work them, integrations act for people (licensed or not).
var mix = []deskAction{
	{"create", 15}, {"comment", 15}, {"transition", 20}, {"work_note", 10}, {"assign", 5}, {"read", 10},
	{"integration_create", 10}, {"integration_transition", 7}, {"integration_blocked", 3}, {"integration_flagged", 3}, {"integration_proposed", 2},
}

type deskClient struct {
	cfg     DeskConfig
	plat    *Client
	enf     *Client
	pro     *Client
	mon     *Client
	rng     *rand.Rand
	tickets []deskTicket // this client's own tickets, so states never race
}

type deskTicket struct {
	number    string
	requester string
	state     string
}

// nextState walks the state machine without ever closing a ticket.
var nextState = map[string]string{"new": "in_progress", "in_progress": "on_hold", "on_hold": "in_progress"}

// Desk runs the mix from cfg.Clients clients for cfg.Duration.
func Desk(ctx context.Context, cfg DeskConfig) (DeskResult, error) {
	if len(cfg.Requesters) == 0 || len(cfg.Agents) == 0 || len(cfg.Unlicensed) == 0 {
		return DeskResult{}, fmt.Errorf("bench desk: requesters, agents and unlicensed people are needed")
	}
	total := 0
	for _, a := range mix {
		total += a.share
	}
	var actions, errs atomic.Int64
	kinds := make([]map[string]int64, cfg.Clients)
	lat := make([][]time.Duration, cfg.Clients)
	var firstErr atomic.Value
	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	begin := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < cfg.Clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := &deskClient{cfg: cfg, plat: NewClient(cfg.BaseURL, cfg.Platform, 1), enf: NewClient(cfg.BaseURL, cfg.Enforce, 1),
				pro: NewClient(cfg.BaseURL, cfg.Propose, 1), mon: NewClient(cfg.BaseURL, cfg.Monitor, 1), rng: rand.New(rand.NewPCG(uint64(w), 99))}
			kinds[w] = map[string]int64{}
			for runCtx.Err() == nil {
				n := c.rng.IntN(total)
				var kind string
				for _, a := range mix {
					if n -= a.share; n < 0 {
						kind = a.kind
						break
					}
				}
				t0 := time.Now()
				err := c.do(ctx, kind)
				d := time.Since(t0)
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				actions.Add(1)
				kinds[w][kind]++
				lat[w] = append(lat[w], d)
			}
		}(w)
	}
	wg.Wait()
	res := DeskResult{Elapsed: time.Since(begin), Actions: actions.Load(), Errors: errs.Load(), ByKind: map[string]int64{}}
	var all []time.Duration
	for w := range lat {
		all = append(all, lat[w]...)
		for k, v := range kinds[w] {
			res.ByKind[k] += v
		}
	}
	res.P50, res.P99 = percentile(all, 0.50), percentile(all, 0.99)
	if e, ok := firstErr.Load().(error); ok {
		return res, fmt.Errorf("bench desk: %s, the first: %w", plural.Of(res.Errors, "error"), e)
	}
	return res, nil
}

func (c *deskClient) pick(list []string) string { return list[c.rng.IntN(len(list))] }

// ticket returns one of the client's tickets, creating the first if needed.
func (c *deskClient) ticket(ctx context.Context) (*deskTicket, error) {
	if len(c.tickets) == 0 {
		if err := c.create(ctx, c.plat, c.pick(c.cfg.Requesters)); err != nil {
			return nil, err
		}
	}
	return &c.tickets[c.rng.IntN(len(c.tickets))], nil
}

func (c *deskClient) create(ctx context.Context, cl *Client, requester string) error {
	var t struct {
		Number string `json:"number"`
	}
	body := map[string]any{"title": "Laptop will not connect to the VPN", "description": "Since this morning the VPN client times out.", "category": "network"}
	if err := want(http.StatusCreated)(cl.Act(ctx, requester, http.MethodPost, "/api/v1/tickets", body, &t)); err != nil {
		return err
	}
	if len(c.tickets) < 64 {
		c.tickets = append(c.tickets, deskTicket{number: t.Number, requester: requester, state: "new"})
	} else {
		c.tickets[c.rng.IntN(len(c.tickets))] = deskTicket{number: t.Number, requester: requester, state: "new"}
	}
	return nil
}

// do performs one action of the mix and checks its answer.
func (c *deskClient) do(ctx context.Context, kind string) error {
	switch kind {
	case "create":
		return c.create(ctx, c.plat, c.pick(c.cfg.Requesters))
	case "integration_create":
		return c.create(ctx, c.enf, c.pick(c.cfg.Requesters))
	}
	t, err := c.ticket(ctx)
	if err != nil {
		return err
	}
	path := "/api/v1/tickets/" + t.number
	agent := c.pick(c.cfg.Agents)
	switch kind {
	case "comment":
		return want(http.StatusCreated)(c.plat.Act(ctx, t.requester, http.MethodPost, path+"/comments", map[string]string{"body": "Any news? It still fails."}, nil))
	case "work_note":
		return want(http.StatusCreated)(c.plat.Act(ctx, agent, http.MethodPost, path+"/work-notes", map[string]string{"body": "Checked the VPN concentrator logs."}, nil))
	case "assign":
		return want(http.StatusOK)(c.plat.Act(ctx, agent, http.MethodPost, path+"/assign", map[string]string{"assignee": agent}, nil))
	case "read":
		return want(http.StatusOK)(c.plat.Act(ctx, agent, http.MethodGet, path, nil, nil))
	case "transition", "integration_transition":
		cl := c.plat
		if kind == "integration_transition" {
			cl = c.enf
		}
		to := nextState[t.state]
		if err := want(http.StatusOK)(cl.Act(ctx, agent, http.MethodPost, path+"/transition", map[string]string{"to": to}, nil)); err != nil {
			return err
		}
		t.state = to
		return nil
	case "integration_blocked":
		return want(http.StatusForbidden)(c.enf.Act(ctx, c.pick(c.cfg.Unlicensed), http.MethodPost, path+"/work-notes", map[string]string{"body": "from chat"}, nil))
	case "integration_flagged":
		return want(http.StatusCreated)(c.mon.Act(ctx, c.pick(c.cfg.Unlicensed), http.MethodPost, path+"/work-notes", map[string]string{"body": "from the legacy desk"}, nil))
	case "integration_proposed":
		return want(http.StatusAccepted)(c.pro.Act(ctx, c.pick(c.cfg.Unlicensed), http.MethodPost, path+"/work-notes", map[string]string{"body": "proposed from Teams"}, nil))
	}
	return fmt.Errorf("bench desk: unknown action %q", kind)
}

// want checks an answer's status.
func want(status int) func(int, error) error {
	return func(code int, err error) error {
		if err != nil {
			return err
		}
		if code != status {
			return fmt.Errorf("answered %d, want %d", code, status)
		}
		return nil
	}
}

// Kinds lists a result's action kinds in order.
func (r DeskResult) Kinds() []string {
	out := make([]string, 0, len(r.ByKind))
	for k := range r.ByKind {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
