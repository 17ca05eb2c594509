package crawler

import "testing"

func TestNormalizeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"HTTP://Example.GOV.uk:80/a/./b/../c", "http://example.gov.uk/a/c"},
		{"https://example.gov.uk:443", "https://example.gov.uk/"},
		{"http://127.0.0.1:18000/x#frag", "http://127.0.0.1:18000/x"},
		{"http://h/kb5/x/service.page;jsessionid=ABC123?id=7", "http://h/kb5/x/service.page?id=7"},
		{"http://h/p?PHPSESSID=1&b=2&a=1", "http://h/p?a=1&b=2"},
		{"http://h/p?utm_source=x&id=3", "http://h/p?id=3"},
		{"http://h/search?category=B&category=A&age=0-5", "http://h/search?age=0-5&category=A&category=B"},
		{"http://h/%7euser/%2fa%c3%a9", "http://h/~user/%2Fa%C3%A9"},
		{"http://h/a b", "http://h/a%20b"},
		{"http://h/x/", "http://h/x/"},
		{"http://h/x/..", "http://h/"},
		{"http://h.example.:8080/", "http://h.example:8080/"},
		{"http://h/p?&&a=1&", "http://h/p?a=1"},
	}
	for _, tt := range tests {
		got, err := NormalizeURL(tt.in)
		if err != nil {
			t.Errorf("NormalizeURL(%q) error %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("NormalizeURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"mailto:a@b", "ftp://h/x", "/relative", "http://"} {
		if got, err := NormalizeURL(bad); err == nil {
			t.Errorf("NormalizeURL(%q) = %q, want an error", bad, got)
		}
	}
}
