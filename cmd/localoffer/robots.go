package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/crawler"
	"github.com/spf13/cobra"
)

func init() {
	register(func(g *globals) *cobra.Command {
		var agent, file string
		cmd := &cobra.Command{
			Use:   "robots URL [--agent UA] [--robots FILE]",
			Short: "Say whether robots.txt lets the crawler fetch a URL, and why",
			Long: `robots reads the robots.txt of URL's host (or FILE) and prints whether the
crawler may fetch URL: the first word is "allowed" or "disallowed", then the
rule and group that decided, and the crawl delay. Matching follows RFC 9309:
the longest matching rule wins, Allow wins a tie, "*" and "$" are wildcards.
A robots.txt that answers 4xx allows everything; 5xx or no answer disallows
everything.`,
			Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				u, err := url.Parse(args[0])
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return usagef("%q is not an http(s) URL", args[0])
				}
				if agent == "" {
					agent = config.DefaultUserAgent
					if cfg, err := g.loadConfig(); err == nil && cfg.UserAgent != "" {
						agent = cfg.UserAgent
					}
				}
				var rb *crawler.Robots
				source := file
				if file != "" {
					data, err := os.ReadFile(file)
					if err != nil {
						return usagef("--robots: %v", err)
					}
					rb = crawler.ParseRobots(data)
				} else {
					source = u.Scheme + "://" + u.Host + "/robots.txt"
					var note string
					rb, note, err = fetchRobots(cmd.Context(), source, agent)
					if err != nil {
						return err
					}
					if note != "" {
						source += " (" + note + ")"
					}
				}
				v := rb.Test(agent, args[0])
				word := "allowed"
				if !v.Allowed {
					word = "disallowed"
				}
				fmt.Fprintf(g.stdout, "%s %s\n", word, args[0])
				fmt.Fprintf(g.stdout, "  agent:       %s (matches groups as %q)\n", agent, crawler.ProductToken(agent))
				fmt.Fprintf(g.stdout, "  robots.txt:  %s\n", source)
				switch {
				case v.Rule != "":
					fmt.Fprintf(g.stdout, "  rule:        %s (line %d)\n", v.Rule, v.Line)
				default:
					fmt.Fprintf(g.stdout, "  rule:        none matches\n")
				}
				if v.Group != "" {
					fmt.Fprintf(g.stdout, "  group:       %s\n", v.Group)
				} else {
					fmt.Fprintf(g.stdout, "  group:       none applies to this agent\n")
				}
				fmt.Fprintf(g.stdout, "  crawl delay: %s\n", rb.CrawlDelay(agent))
				for _, s := range rb.Sitemaps() {
					fmt.Fprintf(g.stdout, "  sitemap:     %s\n", s)
				}
				return nil
			},
		}
		cmd.Flags().StringVar(&agent, "agent", "", "User-Agent to test (default: the configured one)")
		cmd.Flags().StringVar(&file, "robots", "", "read robots.txt from `FILE` instead of fetching it")
		return cmd
	})
}

// fetchRobots fetches a robots.txt and applies RFC 9309's rules for
// answers that are not 200: 4xx allows all, 5xx or no answer disallows
// all. The note says which default applied.
func fetchRobots(ctx context.Context, u, agent string) (*crawler.Robots, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("User-Agent", agent)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return crawler.DisallowAll(), "unreachable: " + err.Error() + "; everything is disallowed", nil
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		data, err := io.ReadAll(io.LimitReader(resp.Body, crawler.MaxRobotsBytes))
		if err != nil {
			return crawler.DisallowAll(), "read failed: " + err.Error() + "; everything is disallowed", nil
		}
		return crawler.ParseRobots(data), "", nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return crawler.DisallowAll(), fmt.Sprintf("answered %d; everything is disallowed", resp.StatusCode), nil
	default:
		return crawler.AllowAll(), fmt.Sprintf("answered %d; everything is allowed", resp.StatusCode), nil
	}
}
