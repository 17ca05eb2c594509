package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/localoffer/localoffer/extract"
	"github.com/localoffer/localoffer/review"
	"github.com/spf13/cobra"
)

// serveOptions are the serve command's flags.
type serveOptions struct {
	addr          string
	tlsCert       string
	tlsKey        string
	secureCookies bool
	trustProxy    bool
	schedule      string
}

func init() {
	register(func(g *globals) *cobra.Command {
		var o serveOptions
		cmd := &cobra.Command{
			Use:   "serve",
			Short: "Serve the review web UI",
			Long: `serve runs the review web UI: a dashboard of every authority's scores,
each authority's suggested evidence to accept or reject, final scores with
rationales, the SEN adviser's judgements on Partials, the captured pages as
they were crawled, the audit trail and blind double review.

Create accounts first with 'localoffer user add NAME --role ROLE'.

It listens on 127.0.0.1:8080, reachable from this machine only. To let
colleagues in, either give --tls-cert and --tls-key and an --addr such as
0.0.0.0:8443, or (better) keep the default address and put a reverse proxy
that terminates TLS in front, with --secure-cookies so that the session
cookie is only ever sent over HTTPS, and --trust-proxy so that failed
sign-ins are counted per client rather than for the proxy as a whole. For example, with Caddy:

    review.example.org {
        reverse_proxy 127.0.0.1:8080
    }

or nginx:

    location / {
        proxy_pass http://127.0.0.1:8080;
        proxy_set_header Host $host;
    }

The proxy must pass the Host header unchanged: forms are checked against
the origin they were served from.`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				return runServe(cmd.Context(), g, o)
			},
		}
		f := cmd.Flags()
		f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on")
		f.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate file (PEM); with --tls-key serves HTTPS")
		f.StringVar(&o.tlsKey, "tls-key", "", "TLS private key file (PEM)")
		f.BoolVar(&o.secureCookies, "secure-cookies", false, "mark cookies Secure (set this behind a TLS-terminating proxy)")
		f.BoolVar(&o.trustProxy, "trust-proxy", false, "count sign-in attempts by the client address in X-Forwarded-For (set this only behind a reverse proxy that sets it)")
		f.StringVar(&o.schedule, "schedule", "", "also crawl and assess every authority on this cron `SPEC` (e.g. \"0 3 * * 1\", 03:00 on Mondays; default: the config file's schedule)")
		return cmd
	})
}

func runServe(ctx context.Context, g *globals, o serveOptions) error {
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return usagef("--tls-cert and --tls-key go together")
	}
	cfg, err := g.loadConfig()
	if err != nil {
		return err
	}
	rub, err := g.loadRubric()
	if err != nil {
		return err
	}
	db, err := g.openDB()
	if err != nil {
		return err
	}
	defer db.Close()
	users, err := db.Users()
	if err != nil {
		return err
	}
	if len(users) == 0 {
		fmt.Fprintln(g.stderr, "No users yet: create one with 'localoffer user add NAME --role admin' (in another terminal, after stopping serve).")
	}
	sched, err := startSchedule(ctx, g, db, cfg, rub, o.schedule)
	if err != nil {
		return err
	}
	if sched != nil {
		defer sched.Wait() // before the store closes
	}
	srv, err := review.NewServer(review.Config{
		DB: db, Rubric: rub, Authorities: cfg, Log: g.log,
		SecureCookies: o.secureCookies || o.tlsCert != "",
		TrustProxy:    o.trustProxy,
		Extract:       extract.Any,
		DashboardInfo: dashboardInfo(db, sched),
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.addr, err)
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          nil,
	}
	scheme := "http"
	if o.tlsCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(g.stdout, "Review UI on %s://%s/ (Ctrl-C to stop)\n", scheme, ln.Addr())
	errc := make(chan error, 1)
	go func() {
		if o.tlsCert != "" {
			errc <- hs.ServeTLS(ln, o.tlsCert, o.tlsKey)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		g.log.Info("stopping the review UI")
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return hs.Shutdown(sctx)
	}
}
