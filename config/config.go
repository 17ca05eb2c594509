// Package config reads the two files a user edits: the list of authorities to
// crawl and the assessment rubric. Both are YAML, both have embedded defaults,
// and both are validated with errors that name the file and line.
package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

//go:embed authorities.yaml
var defaultAuthorities []byte

// DefaultUserAgent names the tool and where to read about it, so that a
// council's web team can see who is crawling and why.
const DefaultUserAgent = "localoffer/0.1 (+https://github.com/localoffer/localoffer#for-site-owners)"

// Politeness and scope defaults, used where neither the file nor the
// authority sets a value.
const (
	DefaultDelay              = 2 * time.Second
	DefaultPerHostConnections = 1
	DefaultMaxPages           = 5000
	DefaultMaxDepth           = 12
	DefaultMaxPageBytes       = 20 << 20
	DefaultMaxQueryVariants   = 50
	DefaultMaxRetries         = 3
)

// Config is an authority list with crawl settings.
type Config struct {
	// Path is the file the config was read from ("" for the embedded default).
	Path        string        `yaml:"-"`
	UserAgent   string        `yaml:"user_agent"`
	Crawl       CrawlSettings `yaml:"crawl"`
	Schedule    string        `yaml:"schedule"`
	Authorities []Authority   `yaml:"authorities"`
}

// CrawlSettings are the politeness and scope limits of a crawl. Zero values
// mean "inherit": from the file's defaults, then from the package defaults.
type CrawlSettings struct {
	Delay              *Duration `yaml:"delay"`
	PerHostConnections int       `yaml:"per_host_connections"`
	MaxPages           int       `yaml:"max_pages"`
	MaxDepth           int       `yaml:"max_depth"`
	MaxPageBytes       ByteSize  `yaml:"max_page_bytes"`
	MaxQueryVariants   int       `yaml:"max_query_variants"`
	MaxRetries         int       `yaml:"max_retries"`
	Timeout            *Duration `yaml:"timeout"`
	// Exclude are regular expressions; a URL matching any is never fetched.
	Exclude []string `yaml:"exclude"`
}

// Authority is one local authority and where its Local Offer lives.
type Authority struct {
	Slug         string        `yaml:"slug"`
	Name         string        `yaml:"name"`
	Region       string        `yaml:"region"`
	Platform     string        `yaml:"platform"`
	StartURLs    []string      `yaml:"start_urls"`
	HomeURL      string        `yaml:"home_url"`
	AllowedHosts []string      `yaml:"allowed_hosts"`
	Crawl        CrawlSettings `yaml:"crawl"`
	// Line is where the authority starts in its file, for error messages.
	Line int `yaml:"-"`
}

// Duration is a time.Duration written as "2s" or "500ms" in YAML.
type Duration struct{ time.Duration }

// UnmarshalYAML parses a Go duration string, or a bare number of seconds.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
		// Reject what would overflow or turn negative (NaN, -5, 1e300).
		if !(f >= 0 && f <= float64(math.MaxInt64/int64(time.Second))) {
			return fmt.Errorf("line %d: duration %q is out of range", n.Line, n.Value)
		}
		d.Duration = time.Duration(f * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (try 2s or 500ms)", n.Line, n.Value)
	}
	if v < 0 {
		return fmt.Errorf("line %d: duration %q is negative", n.Line, n.Value)
	}
	d.Duration = v
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// ByteSize is a size written as "20MB", "512KB" or a plain number of bytes.
type ByteSize int64

var sizeRE = regexp.MustCompile(`^\s*(\d+(?:\.\d+)?)\s*([KMGT]?i?B?)?\s*$`)

// UnmarshalYAML parses sizes such as 20MB (decimal multiples of 1024 are
// what people mean here, so MB and MiB are both 1<<20).
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*b = v
	return nil
}

// ParseByteSize parses "20MB", "512KB", "1GiB" or "1048576".
func ParseByteSize(s string) (ByteSize, error) {
	m := sizeRE.FindStringSubmatch(strings.ToUpper(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not a size (try 20MB)", s)
	}
	f, _ := strconv.ParseFloat(m[1], 64)
	mult := 1.0
	switch strings.TrimSuffix(strings.TrimSuffix(m[2], "B"), "I") {
	case "K":
		mult = 1 << 10
	case "M":
		mult = 1 << 20
	case "G":
		mult = 1 << 30
	case "T":
		mult = 1 << 40
	}
	return ByteSize(f * mult), nil
}

// Error is a problem in a config or rubric file, with its position.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	f := e.File
	if f == "" {
		f = "(embedded)"
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", f, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", f, e.Msg)
}

// Errors is every problem found in one file.
type Errors []*Error

func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Default returns the embedded North West authority list.
func Default() *Config {
	c, err := Parse("", defaultAuthorities)
	if err != nil {
		panic("embedded authority list is invalid: " + err.Error())
	}
	return c
}

// Load reads an authority list from path, or the embedded default when path
// is empty.
func Load(path string) (*Config, error) {
	if path == "" {
		return Default(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data)
}

var lineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlErrors turns a yaml.v3 error into positioned Errors.
func yamlErrors(file string, err error) Errors {
	var te *yaml.TypeError
	var msgs []string
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var out Errors
	for _, m := range msgs {
		m = strings.TrimPrefix(m, "yaml: ")
		e := &Error{File: file, Msg: m}
		if sm := lineRE.FindStringSubmatch(m); sm != nil {
			e.Line, _ = strconv.Atoi(sm[1])
			e.Msg = sm[2]
		}
		e.Msg = friendlyKeyError(e.Msg)
		out = append(out, e)
	}
	return out
}

var unknownKeyRE = regexp.MustCompile(`^field (\S+) not found in type config\.(\w+)$`)

// typeNames says in a user's words where an unknown key was found.
var typeNames = map[string]string{
	"Config": "the authority list", "Authority": "an authority", "CrawlSettings": "crawl settings",
	"Rubric": "the rubric", "Section": "a section", "Subsection": "a sub-section",
	"Criterion": "a criterion", "Signals": "signals",
}

// friendlyKeyError rewrites yaml.v3's "field x not found in type
// config.Authority" as "unknown key "x" in an authority".
func friendlyKeyError(msg string) string {
	m := unknownKeyRE.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	where, ok := typeNames[m[2]]
	if !ok {
		where = m[2]
	}
	return fmt.Sprintf("unknown key %q in %s (check its spelling and indentation)", m[1], where)
}

// decodeStrict decodes YAML into v, rejecting unknown keys, and returns the
// document node for position look-ups.
func decodeStrict(file string, data []byte, v any) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlErrors(file, err)
	}
	if len(doc.Content) == 0 {
		return nil, Errors{{File: file, Msg: "file is empty"}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return nil, yamlErrors(file, err)
	}
	return &doc, nil
}

// childNode returns the value node of key in mapping n, or nil.
func childNode(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Parse reads an authority list from data; file names it in errors.
func Parse(file string, data []byte) (*Config, error) {
	var c Config
	doc, err := decodeStrict(file, data, &c)
	if err != nil {
		return nil, err
	}
	c.Path = file
	if list := childNode(doc.Content[0], "authorities"); list != nil && list.Kind == yaml.SequenceNode {
		for i, n := range list.Content {
			if i < len(c.Authorities) {
				c.Authorities[i].Line = n.Line
			}
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Validate checks the list and returns every problem it finds.
func (c *Config) Validate() error {
	var errs Errors
	add := func(line int, format string, args ...any) {
		errs = append(errs, &Error{File: c.Path, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	if len(c.Authorities) == 0 {
		add(0, "no authorities listed")
	}
	checkSettings := func(line int, who string, s CrawlSettings) {
		for _, p := range s.Exclude {
			if _, err := regexp.Compile(p); err != nil {
				add(line, "%s: exclude pattern %q: %v", who, p, err)
			}
		}
		if s.Timeout != nil && s.Timeout.Duration <= 0 {
			add(line, "%s: crawl timeout must be more than 0 (a slow site would otherwise hold the crawl for ever)", who)
		}
		if s.PerHostConnections < 0 || s.MaxPages < 0 || s.MaxDepth < 0 || s.MaxPageBytes < 0 || s.MaxQueryVariants < 0 || s.MaxRetries < 0 {
			add(line, "%s: crawl limits cannot be negative", who)
		}
	}
	checkSettings(0, "crawl", c.Crawl)
	seen := map[string]int{}
	for _, a := range c.Authorities {
		who := a.Slug
		if who == "" {
			who = "authority"
		}
		if !slugRE.MatchString(a.Slug) {
			add(a.Line, "slug %q must be lower-case letters, digits and dashes", a.Slug)
		} else if prev, ok := seen[a.Slug]; ok {
			add(a.Line, "duplicate slug %q (first at line %d)", a.Slug, prev)
		} else {
			seen[a.Slug] = a.Line
		}
		if strings.TrimSpace(a.Name) == "" {
			add(a.Line, "%s: name is required", who)
		}
		if len(a.StartURLs) == 0 {
			add(a.Line, "%s: start_urls needs at least one URL", who)
		}
		for _, u := range a.StartURLs {
			if err := checkURL(u); err != nil {
				add(a.Line, "%s: start_urls: %v", who, err)
			}
		}
		if a.HomeURL != "" {
			if err := checkURL(a.HomeURL); err != nil {
				add(a.Line, "%s: home_url: %v", who, err)
			}
		}
		for _, h := range a.AllowedHosts {
			if h == "" || strings.ContainsAny(h, "/ ") {
				add(a.Line, "%s: allowed_hosts: %q is not a host name", who, h)
			}
		}
		checkSettings(a.Line, who, a.Crawl)
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %v", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q must start with http:// or https://", s)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("%q has no host", s)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n <= 0 || n > 65535 {
			return fmt.Errorf("%q has an invalid port", s)
		}
	}
	if strings.ContainsAny(u.Hostname(), " _") && net.ParseIP(u.Hostname()) == nil {
		return fmt.Errorf("%q has an invalid host", s)
	}
	return nil
}

// Authority returns the authority with the given slug.
func (c *Config) Authority(slug string) (Authority, bool) {
	for _, a := range c.Authorities {
		if a.Slug == slug {
			return a, true
		}
	}
	return Authority{}, false
}

// Select returns the authorities named by slugs, or all when slugs is empty.
// An unknown slug is an error that lists the known ones.
func (c *Config) Select(slugs []string) ([]Authority, error) {
	if len(slugs) == 0 {
		return c.Authorities, nil
	}
	var out []Authority
	for _, s := range slugs {
		a, ok := c.Authority(s)
		if !ok {
			known := make([]string, len(c.Authorities))
			for i, a := range c.Authorities {
				known[i] = a.Slug
			}
			return nil, fmt.Errorf("unknown authority %q (known: %s)", s, strings.Join(known, ", "))
		}
		out = append(out, a)
	}
	return out, nil
}

// Effective returns the crawl settings for a, after applying the file's
// defaults and then the package defaults.
func (c *Config) Effective(a Authority) Settings {
	s := Settings{
		UserAgent:          c.UserAgent,
		Delay:              DefaultDelay,
		PerHostConnections: DefaultPerHostConnections,
		MaxPages:           DefaultMaxPages,
		MaxDepth:           DefaultMaxDepth,
		MaxPageBytes:       DefaultMaxPageBytes,
		MaxQueryVariants:   DefaultMaxQueryVariants,
		MaxRetries:         DefaultMaxRetries,
		Timeout:            30 * time.Second,
	}
	if s.UserAgent == "" {
		s.UserAgent = DefaultUserAgent
	}
	for _, o := range []CrawlSettings{c.Crawl, a.Crawl} {
		if o.Delay != nil {
			s.Delay = o.Delay.Duration
		}
		if o.Timeout != nil {
			s.Timeout = o.Timeout.Duration
		}
		if o.PerHostConnections > 0 {
			s.PerHostConnections = o.PerHostConnections
		}
		if o.MaxPages > 0 {
			s.MaxPages = o.MaxPages
		}
		if o.MaxDepth > 0 {
			s.MaxDepth = o.MaxDepth
		}
		if o.MaxPageBytes > 0 {
			s.MaxPageBytes = int64(o.MaxPageBytes)
		}
		if o.MaxQueryVariants > 0 {
			s.MaxQueryVariants = o.MaxQueryVariants
		}
		if o.MaxRetries > 0 {
			s.MaxRetries = o.MaxRetries
		}
		s.Exclude = append(s.Exclude, o.Exclude...)
	}
	return s
}

// Settings are resolved crawl settings for one authority.
type Settings struct {
	UserAgent          string
	Delay              time.Duration
	PerHostConnections int
	MaxPages           int
	MaxDepth           int
	MaxPageBytes       int64
	MaxQueryVariants   int
	MaxRetries         int
	Timeout            time.Duration
	Exclude            []string
}
