package interact

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// The origin-pattern grammar of "Restrict Access" (the CORS allow-list of a
// domain template). An entry is
//
//	[scheme://]host[:port][/]
//
// where scheme is http or https (absent: both, each on its default port unless
// a port is given), host is a DNS name, an IPv4 address or a bracketed IPv6
// address, or "*." followed by a DNS name that is not a public suffix (any
// subdomain at any depth, never the apex), and port is 1-65535 or "*" (any
// port). Hosts are compared case-insensitively after IDNA (punycode)
// normalisation, label by label, never by substring.
//
// Normalisation decisions:
//   - surrounding white space of an entry is ignored;
//   - a single trailing "/" is dropped (admins paste URLs); any longer path,
//     a query or a fragment is refused;
//   - one trailing dot on a host ("example.com.") is dropped, in entries and
//     in request origins alike, so both name the same host;
//   - an explicit default port is dropped when the entry has a scheme
//     ("https://a.test:443" is "https://a.test"), but kept in a scheme-less
//     entry, where it changes the meaning ("a.test:443" also allows http on 443);
//   - host names follow the IDNA lookup rules with STD3 restrictions:
//     letters, digits and hyphens only (no "_"), no label starting or ending
//     with "-" or holding "--" in positions 3-4 unless it is an "xn--" label;
//   - a host whose last label is numeric must be a valid dotted-quad IPv4.

const (
	maxOriginEntryLen = 300 // longest entry (or Origin header), in bytes
	maxOriginHostLen  = 253 // longest host name, without a trailing dot
	maxOriginEntries  = 100 // most entries in one domain template
	originAnyPort     = -1  // OriginPattern.port of ":*"
)

// Origin is a normalised web origin as sent by browsers.
type Origin struct {
	Scheme string // "http" or "https"
	Host   string // lower-case ASCII (punycode); IPv6 without brackets
	Port   int    // always set: the scheme's default port when none was given
}

// ParseOrigin parses the value of a request's Origin header,
// scheme://host[:port] with scheme http or https and no path, and normalises
// it (lower case, IDNA, default port filled in). A missing header (""), the
// opaque origin "null" and anything malformed are refused with an *Error of
// code EORIGINREFUSED.
func ParseOrigin(s string) (Origin, error) {
	switch s {
	case "":
		return Origin{}, Errorf(EORIGINREFUSED, "the request has no Origin header")
	case "null":
		return Origin{}, Errorf(EORIGINREFUSED, `the origin "null" (a sandboxed frame, a local file or a privacy redirect) is never allowed`)
	}
	fail := func(why string) (Origin, error) {
		return Origin{}, Errorf(EORIGINREFUSED, "the origin %s is refused: %s", quoteOriginEntry(s), why)
	}
	if len(s) > maxOriginEntryLen {
		return fail(fmt.Sprintf("it is longer than %d characters", maxOriginEntryLen))
	}
	scheme, rest, why := splitOriginScheme(s)
	if why == "" && scheme == "" {
		why = "it is not of the form http(s)://host[:port]"
	}
	if why != "" {
		return fail(why)
	}
	authority, tail := cutOriginAuthority(rest)
	if tail != "" {
		return fail("an origin has no path, query or fragment")
	}
	host, _, port, why := parseOriginAuthority(authority, false)
	if why != "" {
		return fail(why)
	}
	if port == 0 {
		port = originDefaultPort(scheme)
	}
	return Origin{Scheme: scheme, Host: host, Port: port}, nil
}

// String returns the origin as browsers serialise it: the default port
// omitted, an IPv6 address in brackets.
func (o Origin) String() string {
	var b strings.Builder
	b.WriteString(o.Scheme)
	b.WriteString("://")
	writeOriginHost(&b, o.Host)
	if o.Port != 0 && o.Port != originDefaultPort(o.Scheme) {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(o.Port))
	}
	return b.String()
}

// OriginPattern is one parsed entry of a domain template. The zero value
// matches nothing. Patterns are comparable with ==.
type OriginPattern struct {
	scheme   string // "http", "https", or "" for both
	host     string // the exact host, or for a wildcard the apex below "*."
	wildcard bool   // "*.host": any subdomain of host, not host itself
	port     int    // 0: the origin scheme's default port; originAnyPort: any
}

// ParseOriginPattern parses one entry of a domain template. Errors are *Error
// with code EINVALIDORIGIN whose message quotes the entry and says what is
// wrong with it.
func ParseOriginPattern(s string) (OriginPattern, error) {
	fail := func(why string) (OriginPattern, error) {
		return OriginPattern{}, Errorf(EINVALIDORIGIN, "%s is not a valid origin: %s", quoteOriginEntry(s), why)
	}
	t := strings.TrimSpace(s)
	switch {
	case t == "":
		return fail("the entry is empty")
	case len(t) > maxOriginEntryLen:
		return fail(fmt.Sprintf("it is longer than %d characters", maxOriginEntryLen))
	}
	scheme, rest, why := splitOriginScheme(t)
	if why != "" {
		return fail(why)
	}
	authority, tail := cutOriginAuthority(rest)
	switch {
	case authority == "":
		return fail("the host is missing")
	case tail == "" || tail == "/":
	case tail[0] == '?':
		return fail("a query (?…) is not allowed; enter only scheme://host[:port]")
	case tail[0] == '#':
		return fail("a fragment (#…) is not allowed; enter only scheme://host[:port]")
	default:
		return fail("a path is not allowed; enter only scheme://host[:port]")
	}
	host, wildcard, port, why := parseOriginAuthority(authority, true)
	if why != "" {
		return fail(why)
	}
	if scheme != "" && port == originDefaultPort(scheme) {
		port = 0
	}
	return OriginPattern{scheme: scheme, host: host, wildcard: wildcard, port: port}, nil
}

// String returns the canonical form of the pattern: lower case, punycode,
// default port and trailing slash dropped. ParseOriginPattern(p.String())
// returns p.
func (p OriginPattern) String() string {
	var b strings.Builder
	if p.scheme != "" {
		b.WriteString(p.scheme)
		b.WriteString("://")
	}
	if p.wildcard {
		b.WriteString("*.")
	}
	writeOriginHost(&b, p.host)
	switch p.port {
	case 0:
	case originAnyPort:
		b.WriteString(":*")
	default:
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(p.port))
	}
	return b.String()
}

// Match reports whether the pattern allows the origin o, which must be
// normalised (as returned by ParseOrigin). It does not allocate.
func (p OriginPattern) Match(o Origin) bool {
	def := originDefaultPort(o.Scheme)
	if def == 0 || p.host == "" || (p.scheme != "" && p.scheme != o.Scheme) {
		return false
	}
	switch p.port {
	case originAnyPort:
	case 0:
		if o.Port != def {
			return false
		}
	default:
		if o.Port != p.port {
			return false
		}
	}
	if !p.wildcard {
		return o.Host == p.host
	}
	// At least one whole label in front of ".apex".
	n := len(o.Host) - len(p.host)
	return n >= 2 && o.Host[n-1] == '.' && o.Host[n:] == p.host
}

// CanonicalOrigins validates a template's entries: it parses every entry,
// returns their canonical strings in the given order, and refuses an empty
// list, more than 100 entries, or duplicates after canonicalisation. Errors
// are *Error with code EINVALIDORIGIN naming the first bad entry and its
// position (1-based).
func CanonicalOrigins(entries []string) ([]string, error) {
	switch {
	case len(entries) == 0:
		return nil, Errorf(EINVALIDORIGIN, "at least one origin is required")
	case len(entries) > maxOriginEntries:
		return nil, Errorf(EINVALIDORIGIN, "at most %d origins are allowed, got %d", maxOriginEntries, len(entries))
	}
	out := make([]string, len(entries))
	seen := make(map[string]int, len(entries))
	for i, e := range entries {
		p, err := ParseOriginPattern(e)
		if err != nil {
			return nil, Errorf(EINVALIDORIGIN, "entry %d: %s", i+1, ErrorMessage(err))
		}
		c := p.String()
		if j, dup := seen[c]; dup {
			return nil, Errorf(EINVALIDORIGIN, "entry %d: %s is a duplicate of entry %d %s (both are %q)",
				i+1, quoteOriginEntry(e), j+1, quoteOriginEntry(entries[j]), c)
		}
		seen[c] = i
		out[i] = c
	}
	return out, nil
}

// splitOriginScheme splits off "http://" or "https://" (any case). scheme is
// "" when s has none; why is non-empty when s has another scheme.
func splitOriginScheme(s string) (scheme, rest, why string) {
	if i := strings.Index(s, "://"); i >= 0 {
		scheme = strings.ToLower(s[:i])
		switch {
		case scheme == "http" || scheme == "https":
			return scheme, s[i+3:], ""
		case !isOriginSchemeToken(scheme):
			return "", "", fmt.Sprintf("%q is not a scheme; only http:// and https:// are allowed", s[:i])
		}
		return "", "", fmt.Sprintf("the scheme %q is not allowed; only http and https are", scheme)
	}
	// "javascript:…", "https:host": a scheme without "//". "host:8080",
	// "host:*" and "host:" are a host and a (possibly bad) port.
	if i := strings.IndexByte(s, ':'); i > 0 && i+1 < len(s) && isOriginSchemeToken(s[:i]) &&
		(s[i+1] < '0' || s[i+1] > '9') && s[i+1] != '*' {
		if sc := strings.ToLower(s[:i]); sc == "http" || sc == "https" {
			return "", "", fmt.Sprintf("write %s:// followed by the host", sc)
		}
		return "", "", fmt.Sprintf("the scheme %q is not allowed; only http:// and https:// are", s[:i+1])
	}
	return "", s, ""
}

// isOriginSchemeToken reports whether s has the syntax of a URL scheme.
func isOriginSchemeToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' ||
			i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return s != ""
}

// cutOriginAuthority splits s into the authority and whatever follows it
// (path, query or fragment; a backslash counts as a path, as in browsers).
func cutOriginAuthority(s string) (authority, tail string) {
	if i := strings.IndexAny(s, `/?#\`); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

// parseOriginAuthority parses host[:port]. A pattern may use a "*." wildcard
// and the ":*" port; port is 0 when absent.
func parseOriginAuthority(a string, pattern bool) (host string, wildcard bool, port int, why string) {
	if strings.Contains(a, "@") {
		return "", false, 0, "a user name or password (user@host) is not allowed"
	}
	h, ps, hasPort := a, "", false
	if strings.HasPrefix(a, "[") {
		i := strings.IndexByte(a, ']')
		if i < 0 {
			return "", false, 0, "the IPv6 address lacks its closing ]"
		}
		h = a[:i+1]
		if rest := a[i+1:]; rest != "" {
			if rest[0] != ':' {
				return "", false, 0, fmt.Sprintf("unexpected %q after the IPv6 address", rest)
			}
			ps, hasPort = rest[1:], true
		}
	} else if i := strings.LastIndexByte(a, ':'); i >= 0 {
		h, ps, hasPort = a[:i], a[i+1:], true
	}
	host, wildcard, why = parseOriginHost(h, pattern)
	if why != "" || !hasPort {
		return host, wildcard, 0, why
	}
	switch {
	case ps == "*" && pattern:
		return host, wildcard, originAnyPort, ""
	case ps == "":
		return "", false, 0, "the port after \":\" is missing"
	}
	n, err := strconv.Atoi(ps)
	if err != nil || ps[0] < '0' || ps[0] > '9' || n < 1 || n > 65535 {
		if pattern {
			return "", false, 0, fmt.Sprintf("the port %q is not a number from 1 to 65535 or *", ps)
		}
		return "", false, 0, fmt.Sprintf("the port %q is not a number from 1 to 65535", ps)
	}
	return host, wildcard, n, ""
}

// parseOriginHost normalises a host: an IPv6 address in brackets (returned
// without), an IPv4 address or a DNS name in lower-case punycode. A pattern's
// host may start with the wildcard label "*." over a non-public suffix.
func parseOriginHost(h string, pattern bool) (host string, wildcard bool, why string) {
	switch {
	case h == "":
		return "", false, "the host is missing"
	case h[0] == '[':
		ip, err := netip.ParseAddr(h[1 : len(h)-1])
		if err != nil || !ip.Is6() || ip.Zone() != "" {
			return "", false, fmt.Sprintf("%q is not a valid IPv6 address", h)
		}
		return ip.String(), false, ""
	case pattern && h == "*":
		return "", false, "a lone * would allow every website; use *.example.com for the subdomains of one domain"
	case pattern && strings.HasPrefix(h, "*."):
		wildcard, h = true, h[2:]
	}
	switch {
	case wildcard && h == "":
		return "", false, "the wildcard *. must be followed by a domain, as in *.example.com"
	case pattern && strings.Contains(h, "*"):
		return "", false, "the wildcard * must be the whole leftmost label, as in *.example.com"
	case strings.Contains(h, ":"):
		return "", false, `a host cannot contain ":" (write an IPv6 address in brackets, as in http://[::1]:8080)`
	case !pattern && strings.HasSuffix(h, "."):
		// https://shop.example. is another origin than https://shop.example
		// for the browser (its own cookies and storage): it never matches.
		return "", false, "a host name ending in a dot is another site than the name without it"
	}
	name, why := originHostName(h)
	if why != "" {
		return "", false, why
	}
	if i := strings.LastIndexByte(name, '.'); isOriginDigits(name[i+1:]) {
		ip, err := netip.ParseAddr(name)
		switch {
		case err != nil || !ip.Is4():
			return "", false, fmt.Sprintf("%q is not a valid IPv4 address", h)
		case wildcard:
			return "", false, "a wildcard cannot be used with an IP address"
		}
		return ip.String(), false, ""
	}
	if wildcard {
		if ps, _ := publicsuffix.PublicSuffix(name); ps == name {
			return "", false, fmt.Sprintf("%q is a public suffix, so *.%s would allow websites of unrelated owners", name, name)
		}
	}
	return name, wildcard, ""
}

// originHostName converts a DNS name to lower-case punycode (IDNA lookup
// rules), drops one trailing dot and checks the result's syntax.
func originHostName(h string) (string, string) {
	name, plain := strings.ToLower(h), true
	for i := 0; i < len(name) && plain; i++ {
		c := name[i]
		plain = 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.'
	}
	if !plain || strings.Contains(name, "xn--") {
		// The result must be stable under a second conversion, so that the
		// canonical form of an entry re-parses to the same entry.
		a, err := idna.Lookup.ToASCII(h)
		if b, err2 := idna.Lookup.ToASCII(a); err != nil || err2 != nil || a != b || !utf8.ValidString(h) {
			return "", fmt.Sprintf("%q is not a valid host name", h)
		}
		name = a
	}
	name = strings.TrimSuffix(name, ".")
	if len(name) > maxOriginHostLen {
		return "", fmt.Sprintf("the host name is longer than %d characters", maxOriginHostLen)
	}
	for label := range strings.SplitSeq(name, ".") {
		if !isOriginLabel(label) {
			return "", fmt.Sprintf("%q is not a valid host name", h)
		}
	}
	return name, ""
}

// isOriginLabel reports whether s is a valid lower-case LDH label.
func isOriginLabel(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' ||
		len(s) >= 4 && s[2:4] == "--" && !strings.HasPrefix(s, "xn--") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func isOriginDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// originDefaultPort returns the default port of http and https, else 0.
func originDefaultPort(scheme string) int {
	switch scheme {
	case "http":
		return 80
	case "https":
		return 443
	}
	return 0
}

// writeOriginHost writes host, bracketed if it is an IPv6 address.
func writeOriginHost(b *strings.Builder, host string) {
	if strings.Contains(host, ":") {
		b.WriteByte('[')
		b.WriteString(host)
		b.WriteByte(']')
		return
	}
	b.WriteString(host)
}

// quoteOriginEntry quotes s for an error message, shortened if long.
func quoteOriginEntry(s string) string {
	const max = 80
	if len(s) <= max {
		return strconv.Quote(s)
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return strconv.Quote(s[:i]) + "…"
}
