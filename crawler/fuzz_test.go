package crawler

import (
	"bytes"
	"net/url"
	"strings"
	"testing"

	"github.com/localoffer/localoffer/config"
)

// checkNormalized holds for every URL the normaliser accepts: it parses
// back to an absolute http(s) URL with a host, carries no fragment or raw
// byte that would need escaping on the wire, and normalising it again
// changes nothing (one page, one key).
func checkNormalized(t *testing.T, in, got string) {
	t.Helper()
	u, err := url.Parse(got)
	if err != nil {
		t.Fatalf("normalize(%q) = %q, which does not parse: %v", in, got, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		t.Fatalf("normalize(%q) = %q: scheme %q", in, got, u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		t.Fatalf("normalize(%q) = %q: no host", in, got)
	}
	if strings.Contains(got, "#") {
		t.Fatalf("normalize(%q) = %q keeps a fragment", in, got)
	}
	for i := 0; i < len(got); i++ {
		if c := got[i]; c <= ' ' || c >= 0x7f {
			t.Fatalf("normalize(%q) = %q has raw byte %#x", in, got, c)
		}
	}
	again, err := NormalizeURL(got)
	if err != nil {
		t.Fatalf("normalize(%q) = %q, which it then rejects: %v", in, got, err)
	}
	if again != got {
		t.Fatalf("normalize is not idempotent:\n in    %q\n once  %q\n twice %q", in, got, again)
	}
}

func FuzzNormalizeURL(f *testing.F) {
	for _, s := range []string{
		"http://Example.COM:80/a/./b/../c?b=2&a=1#frag",
		"https://x.test/%7euser/%2f;jsessionid=ABC?utm_source=x&q=%e2%82%ac",
		"http://[::1]:8080/a b/\u00e9",
		"http://x.test/a/../../../b/./",
		"http://x.test/?a=1&&a=1&=&%",
		"HTTP://x.test./%zz%41",
		"http://x.test/a;b;sid=1;c/d",
		"javascript:alert(1)",
		"mailto:a@b.test",
		"//no-scheme.test/x",
		"http://user:pass@x.test:0/",
		"http://x.test/%2e%2e/%2E/a",
		"http://Caf\u00e9.Test/",
		"http://\xff0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := NormalizeURL(raw)
		if err != nil {
			return
		}
		checkNormalized(t, raw, got)
	})
}

func FuzzResolveLink(f *testing.F) {
	for _, s := range []string{
		"../a", "?q=1", "#top", "//other.test/x", "/a/b/../c", " javascript:void(0) ",
		"data:text/html,<b>x</b>", "tel:+441234", "file:///etc/passwd", "mailto:x@y",
		"http://127.0.0.1:9/x", "a%20b c", "\x00", "https:", "http://[::1", "./;jsessionid=1",
	} {
		f.Add(s)
	}
	base, _ := url.Parse("https://la.test/send/local-offer/index.html?x=1")
	f.Fuzz(func(t *testing.T, ref string) {
		got, err := resolve(base, ref)
		if err != nil {
			return
		}
		checkNormalized(t, ref, got)
		// Odd schemes never become fetchable URLs.
		lr := strings.ToLower(strings.TrimSpace(ref))
		for _, p := range []string{"javascript:", "data:", "mailto:", "tel:", "file:"} {
			if strings.HasPrefix(lr, p) {
				t.Fatalf("resolve(%q) = %q, want it rejected", ref, got)
			}
		}
	})
}

func FuzzRobots(f *testing.F) {
	f.Add([]byte("User-agent: *\nDisallow: /private/\nAllow: /private/ok$\nCrawl-delay: 5\nSitemap: http://x/s.xml\n"), "localoffer/0.1", "/private/ok")
	f.Add([]byte("user-agent: localoffer\ndisallow: /*.pdf$\n\nuser-agent: *\nallow: /\n"), "localoffer", "/a/b.pdf")
	f.Add([]byte("<html><body>Not a robots file</body></html>"), "localoffer", "/")
	f.Add([]byte("\xef\xbb\xbfUser-agent: *\r\nDisallow: /%E3%83%84\rDisallow: /ツ\n"), "x", "/%e3%83%84")
	f.Add([]byte("User-agent: *\nDisallow: /****************************************x$\n"), "x", "/"+strings.Repeat("a", 300))
	f.Add([]byte("Disallow: /\nUser-agent: *\nCrawl-delay: -3\nCrawl-delay: 1e9\n"), "a", "http://h/x?y#z")
	f.Fuzz(func(t *testing.T, body []byte, agent, path string) {
		r := ParseRobots(body)
		v := r.Test(agent, path)
		if v2 := r.Test(agent, path); v2 != v {
			t.Fatalf("Test is not deterministic: %+v then %+v", v, v2)
		}
		if d := r.CrawlDelay(agent); d < 0 {
			t.Fatalf("CrawlDelay = %v, negative", d)
		}
		if v.Line < 0 || v.Line > bytes.Count(body, []byte("\n"))+bytes.Count(body, []byte("\r"))+1 {
			t.Fatalf("verdict line %d is outside the file", v.Line)
		}
		if !v.Allowed && v.Rule == "" {
			t.Fatalf("disallowed without naming a rule: %+v", v)
		}
		// A file without a single disallow rule allows everything.
		if !v.Allowed && !bytes.Contains(bytes.ToLower(body), []byte("disallow")) {
			t.Fatalf("disallowed %q by a file with no Disallow line: %+v", path, v)
		}
		_ = v.String()
		for _, s := range r.Sitemaps() {
			if s == "" {
				t.Fatal("empty sitemap URL listed")
			}
		}
	})
}

// FuzzScope resolves hostile links on a council page and asks the scope
// whether to follow them: a link may only be in scope when its host is one
// the authority names. Userinfo, backslashes, fragments, percent-encoded
// dots and look-alike suffixes must not smuggle another host in.
func FuzzScope(f *testing.F) {
	for _, s := range []string{
		"https://www.la.test@evil.test/", "https://evil.test#@www.la.test/", "https://www.la.test.evil.test/",
		`https:\\evil.test\send`, "//evil.test/%2f%2fwww.la.test", "https://www%2ela%2etest/", "https://WWW.LA.TEST./x",
		"https://directory.la.test:444/", "http://www.la.test:80/", "https://[::ffff:127.0.0.1]/", "https://evil.test\\@www.la.test/",
		"/send/page", "../../../etc", "https://directory.la.test/kb5/x.page",
	} {
		f.Add(s)
	}
	a := config.Authority{Slug: "la", StartURLs: []string{"https://www.la.test/send/"}, AllowedHosts: []string{"directory.la.test"}}
	sc, err := newScope(a, config.Settings{})
	if err != nil {
		f.Fatal(err)
	}
	base, _ := url.Parse("https://www.la.test/send/index.html")
	f.Fuzz(func(t *testing.T, ref string) {
		n, err := resolve(base, ref)
		if err != nil {
			return
		}
		u, err := url.Parse(n)
		if err != nil {
			t.Fatalf("resolve(%q) = %q, which does not parse", ref, n)
		}
		in := sc.inScope(hostKey(u))
		host := u.Hostname()
		if in && host != "www.la.test" && host != "directory.la.test" {
			t.Fatalf("link %q resolved to %q (host %q) is in scope", ref, n, host)
		}
		if !in && host == "www.la.test" && u.Port() == "" {
			t.Fatalf("link %q to the council's own host (%q) is out of scope", ref, n)
		}
		if in != InScope(a, n) {
			t.Fatalf("InScope(%q) = %v, scope said %v", n, !in, in)
		}
	})
}
