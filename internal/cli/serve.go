package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/api"
	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/provision"
	"github.com/seatkeeper/seatkeeper/internal/publicurl"
	"github.com/seatkeeper/seatkeeper/internal/scimserver"
	"github.com/seatkeeper/seatkeeper/internal/seats"
	"github.com/seatkeeper/seatkeeper/internal/signin"
	"github.com/seatkeeper/seatkeeper/internal/store"
	"github.com/seatkeeper/seatkeeper/internal/web"
)

type serveConfig struct {
	addr, db, logLevel string
	sweepEvery         time.Duration
	// baseURL is where people and clients reach the server (links, SCIM
	// locations, OIDC redirects); trustProxy believes X-Forwarded-*.
	baseURL    string
	trustProxy bool
	// maxBrowserSessions caps a person's live browser sessions.
	maxBrowserSessions int
	// oidc configures sign-in with an OpenID Connect provider; off while
	// oidc.issuer is empty.
	oidc oidcFlags
	// ready, when set, receives the bound address once the server listens
	// (tests and the bench start on port 0).
	ready func(addr string)
}

func (c *serveConfig) register(fs interface {
	StringVar(*string, string, string, string)
	BoolVar(*bool, string, bool, string)
	IntVar(*int, string, int, string)
	DurationVar(*time.Duration, string, time.Duration, string)
}, env Env) {
	addr := env.Getenv("SEATKEEPER_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	fs.StringVar(&c.addr, "addr", addr, "listen address (env SEATKEEPER_ADDR)")
	lvl := env.Getenv("SEATKEEPER_LOG_LEVEL")
	if lvl == "" {
		lvl = "info"
	}
	fs.StringVar(&c.logLevel, "log-level", lvl, "debug, info, warn or error (env SEATKEEPER_LOG_LEVEL)")
	fs.DurationVar(&c.sweepEvery, "sweep-every", 5*time.Second, "how often expired leases are reclaimed")
	fs.StringVar(&c.baseURL, "base-url", env.Getenv("SEATKEEPER_BASE_URL"),
		"the public URL people and clients reach, e.g. https://seats.example.com: share links, SCIM locations, the OIDC redirect (env SEATKEEPER_BASE_URL; default: the request's own host)")
	fs.BoolVar(&c.trustProxy, "trust-proxy", env.Getenv("SEATKEEPER_TRUST_PROXY") == "true",
		"believe X-Forwarded-Proto and X-Forwarded-Host (only behind a proxy that sets them; env SEATKEEPER_TRUST_PROXY=true)")
	maxSessions := signin.DefaultMaxSessions
	if v, err := strconv.Atoi(env.Getenv("SEATKEEPER_MAX_BROWSER_SESSIONS")); err == nil && v > 0 {
		maxSessions = v
	}
	fs.IntVar(&c.maxBrowserSessions, "max-browser-sessions", maxSessions,
		"live browser sessions one person keeps; a sign-in past it ends their oldest (env SEATKEEPER_MAX_BROWSER_SESSIONS)")
	c.oidc.register(fs, env)
}

func runServe(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet("serve", env)
	var d dbFlags
	var c serveConfig
	d.register(fs, env)
	c.register(fs, env)
	if err := parse(fs, args); err != nil {
		return err
	}
	c.db = d.db
	return serve(ctx, env, c, nil)
}

// serve runs the server until ctx ends. seed, if given, runs once after the
// store opens (the demo).
func serve(ctx context.Context, env Env, c serveConfig, seed func(context.Context, *store.Store) error) error {
	log := newLogger(env.Stderr, c.logLevel)
	st, err := openStore(ctx, c.db, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if seed != nil {
		if err := seed(ctx, st); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	if err := bootstrapToken(ctx, st, env); err != nil {
		return err
	}
	svc := seats.New(st, licensing.NewEngine(nil), log, seats.Config{SweepEvery: c.sweepEvery})
	if err := svc.Load(ctx); err != nil {
		return err
	}
	public, err := publicurl.New(c.baseURL, c.trustProxy)
	if err != nil {
		return fmt.Errorf("--base-url: %w", err)
	}
	dsk := desk.New(st, svc, svc.Engine, log)
	apiServer := api.New(svc, dsk, log)
	apiServer.SetPublicURL(public)
	auth := signin.New(st, svc, log)
	switch {
	case c.maxBrowserSessions < 0:
		return fmt.Errorf("--max-browser-sessions must be at least 1")
	case c.maxBrowserSessions > 0: // 0: the default
		auth.SetMaxSessions(c.maxBrowserSessions)
	}
	opts := []web.Option{web.WithPublicURL(public)}
	if c.oidc.issuer != "" {
		if c.oidc.redirectURL == "" && public.Configured() {
			c.oidc.redirectURL = public.URL() + "/signin/oidc/callback"
		}
		cfg, err := c.oidc.config()
		if err != nil {
			return err
		}
		// A provider that cannot be discovered fails the start: better than
		// a sign-in button that cannot work.
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		provider, err := signin.NewOIDC(dctx, cfg, auth, svc.Engine.UserLookup)
		cancel()
		if err != nil {
			return err
		}
		opts = append(opts, web.WithOIDC(provider))
		log.Info("oidc sign-in", "issuer", cfg.Issuer, "name", provider.Name())
	}
	pages := web.New(apiServer, svc, dsk, auth, log, opts...)
	apiServer.Mount(pages.Register)
	apiServer.SetPageNotFound(http.HandlerFunc(pages.NotFound))
	apiServer.Mount(scimserver.New(st, apiServer.Authenticate, log, scimserver.WithPublicURL(public)).Register)
	srv := &http.Server{
		Handler:           apiServer.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	bgCtx, stopBg := context.WithCancel(context.WithoutCancel(ctx))
	bgDone := make(chan struct{})
	go func() {
		var wg sync.WaitGroup
		wg.Go(func() { sweepWebSessions(bgCtx, auth, log) })
		// Pending rule grants take seats as they free (DESIGN §3.6).
		rec := &provision.Reconciler{Store: st, Log: log}
		wg.Go(func() { rec.Run(bgCtx, licensing.System("reconciler"), pendingEvery) })
		// Usage days are kept and dormant seats swept hourly (DESIGN §3.1, §3.7).
		wg.Go(func() { rec.Housekeep(bgCtx, licensing.System("housekeeper"), time.Hour) })
		svc.Run(bgCtx)
		wg.Wait()
		close(bgDone)
	}()
	log.Info("seatkeeper serving", "addr", ln.Addr().String(), "store", st.Dialect(), "people", svc.Engine.PeopleCount())
	if c.ready != nil {
		c.ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		stopBg()
		<-bgDone
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(shutCtx)
	stopBg()
	<-bgDone
	if _, cerr := st.ChainPending(shutCtx); cerr != nil {
		err = errors.Join(err, cerr)
	}
	return err
}

// pendingEvery is how often pending rule grants are retried.
const pendingEvery = 15 * time.Second

// sweepWebSessions removes expired browser sessions now and then; they are
// refused already, so this only reclaims their rows.
func sweepWebSessions(ctx context.Context, auth *signin.Manager, log *slog.Logger) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := auth.Sweep(ctx); err != nil && ctx.Err() == nil {
				log.Warn("sweep browser sessions", "err", err)
			}
		}
	}
}

// bootstrapToken prints an admin token on the first start, when none exists,
// so a new installation can be configured; it is shown only this once.
func bootstrapToken(ctx context.Context, st *store.Store, env Env) error {
	list, err := st.ListTokens(ctx)
	if err != nil || len(list) > 0 {
		return err
	}
	_, secret, err := st.CreateToken(ctx, licensing.System("bootstrap"), "bootstrap-admin", store.ScopeAdmin, 0)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "first start: admin token (shown once, store it now):\n%s\n", secret)
	return nil
}
