package demo

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/localoffer/localoffer/config"
)

// Server serves several sites, each on its own loopback port.
type Server struct {
	Sites    []*Site
	Handlers []*Handler
	// URLs are the sites' base URLs ("http://127.0.0.1:PORT"), in order.
	URLs    []string
	servers []*http.Server
}

// Start serves every site on 127.0.0.1, at basePort, basePort+1... or on
// free ports when basePort is 0.
func Start(sites []*Site, basePort int) (*Server, error) {
	s := &Server{Sites: sites}
	for i, site := range sites {
		addr := "127.0.0.1:0"
		if basePort > 0 {
			addr = fmt.Sprintf("127.0.0.1:%d", basePort+i)
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("serve demo site %s: %w", site.Slug, err)
		}
		h := NewHandler(site)
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		s.Handlers = append(s.Handlers, h)
		s.servers = append(s.servers, srv)
		s.URLs = append(s.URLs, "http://"+ln.Addr().String())
		// Serve returns when Close shuts the server down; there is nothing
		// else for it to report on a loopback listener we hold.
		go srv.Serve(ln)
	}
	return s, nil
}

// Close stops every site, waiting up to five seconds for open requests.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var first error
	for _, srv := range s.servers {
		if err := srv.Shutdown(ctx); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Config returns an authority list for the running sites, crawled with the
// given delay between requests (the demo's sites allow a short one).
func (s *Server) Config(delay time.Duration) *config.Config {
	c := &config.Config{UserAgent: config.DefaultUserAgent}
	d := config.Duration{Duration: delay}
	c.Crawl.Delay = &d
	for i, site := range s.Sites {
		c.Authorities = append(c.Authorities, config.Authority{
			Slug:      site.Slug,
			Name:      site.Name,
			Region:    "Demo",
			Platform:  "demo",
			StartURLs: []string{s.URLs[i] + site.StartPath},
			HomeURL:   s.URLs[i] + site.HomePath,
		})
	}
	return c
}
