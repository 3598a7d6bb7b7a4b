package interact

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// validPatternCases maps accepted domain-template entries to their canonical form.
var validPatternCases = []struct{ in, want string }{
	{"https://shop.example.com", "https://shop.example.com"},
	{"http://shop.example.com", "http://shop.example.com"},
	{"HTTPS://Shop.Example.COM", "https://shop.example.com"},
	{"  https://shop.example.com\t", "https://shop.example.com"},
	{"https://shop.example.com/", "https://shop.example.com"},
	{"https://shop.example.com:8443/", "https://shop.example.com:8443"},
	{"https://shop.example.com:443", "https://shop.example.com"},
	{"http://shop.example.com:80", "http://shop.example.com"},
	{"http://shop.example.com:443", "http://shop.example.com:443"},
	{"https://shop.example.com:80", "https://shop.example.com:80"},
	{"https://shop.example.com:8443", "https://shop.example.com:8443"},
	{"https://shop.example.com:08443", "https://shop.example.com:8443"},
	{"https://shop.example.com:65535", "https://shop.example.com:65535"},
	{"https://shop.example.com:1", "https://shop.example.com:1"},
	{"shop.example.com", "shop.example.com"},
	{"Shop.Example.com/", "shop.example.com"},
	{"shop.example.com:8080", "shop.example.com:8080"},
	{"shop.example.com:443", "shop.example.com:443"},
	{"shop.example.com:*", "shop.example.com:*"},
	{"*.example.com", "*.example.com"},
	{"https://*.example.com", "https://*.example.com"},
	{"http://*.Example.com:8080", "http://*.example.com:8080"},
	{"*.example.com:*", "*.example.com:*"},
	{"*.example.test", "*.example.test"},
	{"*.example.co.uk", "*.example.co.uk"},
	{"*.shop.example.github.io", "*.shop.example.github.io"},
	{"*.example.github.io", "*.example.github.io"},
	{"http://localhost:*", "http://localhost:*"},
	{"http://localhost:3000", "http://localhost:3000"},
	{"localhost", "localhost"},
	{"https://BÜCHER.example", "https://xn--bcher-kva.example"},
	{"https://bücher.example", "https://xn--bcher-kva.example"},
	{"https://xn--bcher-kva.example", "https://xn--bcher-kva.example"},
	{"https://XN--BCHER-KVA.example", "https://xn--bcher-kva.example"},
	{"*.bücher.example", "*.xn--bcher-kva.example"},
	{"https://ｅｘａｍｐｌｅ．com", "https://example.com"},
	{"https://example.com.", "https://example.com"},
	{"https://example.com.:8443/", "https://example.com:8443"},
	{"*.example.com.", "*.example.com"},
	{"https://a-b.example", "https://a-b.example"},
	{"https://123.example", "https://123.example"},
	{"https://example.123abc", "https://example.123abc"},
	{"https://github.io", "https://github.io"},
	{"http://127.0.0.1:3000", "http://127.0.0.1:3000"},
	{"127.0.0.1", "127.0.0.1"},
	{"http://127.0.0.1.", "http://127.0.0.1"},
	{"http://[::1]:8080", "http://[::1]:8080"},
	{"http://[0:0:0:0:0:0:0:1]", "http://[::1]"},
	{"https://[2001:DB8::1]:443", "https://[2001:db8::1]"},
	{"[::1]:*", "[::1]:*"},
	{"[::ffff:127.0.0.1]", "[::ffff:127.0.0.1]"},
	{strings.Repeat("a", 63) + ".example", strings.Repeat("a", 63) + ".example"},
	{"https://" + strings.Repeat("abcdefghi.", 24) + "example.com", "https://" + strings.Repeat("abcdefghi.", 24) + "example.com"}, // 251-char host
}

// invalidPatternCases are entries refused at save time.
var invalidPatternCases = []struct{ name, in string }{
	{"empty", ""},
	{"blank", "   "},
	{"tab", "\t\n"},
	{"path", "https://shop.example.com/path"},
	{"double slash", "https://shop.example.com//"},
	{"slash and query", "https://shop.example.com/?"},
	{"query", "https://shop.example.com?x=1"},
	{"empty query", "https://shop.example.com?"},
	{"fragment", "https://shop.example.com#top"},
	{"slash fragment", "https://shop.example.com/#"},
	{"backslash", `https://shop.example.com\`},
	{"backslash trick", `https://evil.test\@shop.example.com`},
	{"schemeless path", "shop.example.com/shop"},
	{"userinfo", "https://user@shop.example.com"},
	{"userinfo password", "https://user:pw@shop.example.com"},
	{"userinfo trick", "https://shop.example.test@evil.test"},
	{"schemeless userinfo", "shop.example.test@evil.test"},
	{"lone star", "*"},
	{"lone star scheme", "https://*"},
	{"lone star port", "*:*"},
	{"star dot", "*."},
	{"middle star", "shop.*.com"},
	{"partial star", "sh*p.example.com"},
	{"double star", "**.example.com"},
	{"two wildcards", "*.*.example.com"},
	{"star glued", "*example.com"},
	{"star glued scheme", "https://*example.com"},
	{"trailing star", "example.*"},
	{"star com", "*.com"},
	{"star co.uk", "*.co.uk"},
	{"star github.io", "*.github.io"},
	{"star test", "*.test"},
	{"star localhost", "*.localhost"},
	{"star com scheme", "https://*.com:*"},
	{"star punycode tld", "*.xn--p1ai"},
	{"star unicode tld", "*.рф"},
	{"star trailing dot tld", "*.com."},
	{"ftp", "ftp://shop.example.com"},
	{"ws", "ws://shop.example.com"},
	{"wss", "wss://shop.example.com"},
	{"file", "file:///etc/passwd"},
	{"javascript", "javascript:alert(1)"},
	{"javascript bare", "javascript:"},
	{"data", "data:text/html,hi"},
	{"mailto", "mailto:a@example.com"},
	{"chrome extension", "chrome-extension://abcdef"},
	{"bad scheme chars", "ht tp://shop.example.com"},
	{"scheme without slashes", "https:shop.example.com"},
	{"scheme one slash", "https:/shop.example.com"},
	{"scheme relative", "//shop.example.com"},
	{"no host", "https://"},
	{"no host port", "https://:443"},
	{"port zero", "https://shop.example.com:0"},
	{"port too big", "https://shop.example.com:65536"},
	{"port huge", "https://shop.example.com:99999999999999999999"},
	{"port letters", "https://shop.example.com:abc"},
	{"port mixed", "shop.example.com:80x"},
	{"port empty", "https://shop.example.com:"},
	{"port empty schemeless", "shop.example.com:"},
	{"port negative", "https://shop.example.com:-1"},
	{"port plus", "https://shop.example.com:+80"},
	{"port twice", "https://shop.example.com:80:80"},
	{"port stars", "https://shop.example.com:**"},
	{"port space", "https://shop.example.com: 80"},
	{"underscore", "https://a_b.example"},
	{"space", "https://a b.example"},
	{"leading hyphen", "https://-a.example"},
	{"trailing hyphen", "https://a-.example"},
	{"double hyphen", "https://ab--cd.example"},
	{"empty label", "https://a..example"},
	{"leading dot", "https://.example"},
	{"two trailing dots", "https://example.com.."},
	{"lone dot", "https://."},
	{"percent", "https://exa%6dple.com"},
	{"bad punycode", "https://xn--a.example.com"},
	{"ascii punycode", "https://xn--abc-.example"},
	{"control char", "https://exa\x00mple.com"},
	{"invalid utf8", "https://exa\xffmple.com"},
	{"fullwidth star", "＊.example.com"},
	{"unbracketed ipv6", "http://::1"},
	{"unbracketed ipv6 port", "::1:8080"},
	{"unclosed ipv6", "http://[::1"},
	{"junk after ipv6", "http://[::1]x"},
	{"double bracket", "http://[::1]]"},
	{"ipv6 zone", "http://[fe80::1%25eth0]"},
	{"ipv4 in brackets", "http://[127.0.0.1]"},
	{"empty brackets", "http://[]"},
	{"wildcard ipv4", "*.0.0.1"},
	{"wildcard full ipv4", "*.127.0.0.1"},
	{"ipv4 leading zero", "http://127.0.0.01"},
	{"ipv4 out of range", "http://256.0.0.1"},
	{"ipv4 short", "http://1.2.3"},
	{"numeric tld", "https://example.123"},
	{"hex ipv4", "http://0x7f.0.0.1"},
	{"label too long", "https://" + strings.Repeat("a", 64) + ".example"},
	{"host too long", "https://" + strings.Repeat("abcdefghi.", 25) + "example.com"},
	{"entry too long", "https://shop.example.com/" + strings.Repeat("x", 300)},
}

func TestParseOriginPattern(t *testing.T) {
	for _, c := range validPatternCases {
		t.Run("valid/"+c.in, func(t *testing.T) {
			p, err := ParseOriginPattern(c.in)
			if err != nil {
				t.Fatalf("ParseOriginPattern(%q): %v", c.in, err)
			}
			if got := p.String(); got != c.want {
				t.Errorf("ParseOriginPattern(%q).String() = %q, want %q", c.in, got, c.want)
			}
		})
	}
	for _, c := range invalidPatternCases {
		t.Run("invalid/"+c.name, func(t *testing.T) {
			p, err := ParseOriginPattern(c.in)
			if err == nil {
				t.Fatalf("ParseOriginPattern(%q) = %q, want an error", c.in, p)
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALIDORIGIN {
				t.Fatalf("ParseOriginPattern(%q) error %v, want code %s", c.in, err, EINVALIDORIGIN)
			}
			if q := quoteOriginEntry(c.in); !strings.Contains(e.Message, q) {
				t.Errorf("message %q does not name the entry %s", e.Message, q)
			}
			if p != (OriginPattern{}) {
				t.Errorf("pattern %#v returned with an error", p)
			}
			t.Log(e.Message)
		})
	}
}

func TestOriginPatternRoundTrip(t *testing.T) {
	for _, c := range validPatternCases {
		t.Run(c.in, func(t *testing.T) {
			p, err := ParseOriginPattern(c.in)
			if err != nil {
				t.Fatal(err)
			}
			q, err := ParseOriginPattern(p.String())
			if err != nil {
				t.Fatalf("re-parsing %q: %v", p.String(), err)
			}
			if q != p {
				t.Errorf("ParseOriginPattern(%q) = %#v, want %#v", p.String(), q, p)
			}
		})
	}
}

// matchCases: does pattern allow the Origin header origin?
var matchCases = []struct {
	pattern, origin string
	want            bool
}{
	// exact, case, default ports
	{"https://shop.example.com", "https://shop.example.com", true},
	{"https://shop.example.com", "https://SHOP.Example.com", true},
	{"HTTPS://SHOP.EXAMPLE.COM", "https://shop.example.com", true},
	{"https://shop.example.com", "https://shop.example.com:443", true},
	{"https://shop.example.com:443", "https://shop.example.com", true},
	{"https://shop.example.com/", "https://shop.example.com", true},
	{"https://shop.example.com", "http://shop.example.com", false},
	{"https://shop.example.com", "https://shop.example.com:8443", false},
	{"https://shop.example.com", "https://www.shop.example.com", false},
	{"https://shop.example.com", "https://example.com", false},
	{"https://shop.example.com", "https://hop.example.com", false},
	{"https://shop.example.com:8443", "https://shop.example.com:8443", true},
	{"https://shop.example.com:8443", "https://shop.example.com", false},
	{"https://shop.example.com:8443", "http://shop.example.com:8443", false},
	{"http://shop.example.com", "http://shop.example.com:80", true},
	{"http://shop.example.com:443", "https://shop.example.com", false},
	// suffix and prefix attacks
	{"shop.example.test", "https://shop.example.test.evil.test", false},
	{"https://shop.example.test", "https://shop.example.test.evil.test", false},
	{"shop.example.test", "https://evilshop.example.test", false},
	{"shop.example.test", "https://shop.example.testevil.test", false},
	{"*.example.test", "https://evilexample.test", false},
	{"*.example.test", "https://a.example.test.evil.test", false},
	{"*.example.test", "https://example.test.evil.test", false},
	// scheme-less entries
	{"shop.example.test", "http://shop.example.test", true},
	{"shop.example.test", "https://shop.example.test", true},
	{"shop.example.test", "https://shop.example.test:443", true},
	{"shop.example.test", "http://shop.example.test:443", false},
	{"shop.example.test", "https://shop.example.test:80", false},
	{"shop.example.test", "https://shop.example.test:8443", false},
	{"shop.example.test:8080", "http://shop.example.test:8080", true},
	{"shop.example.test:8080", "https://shop.example.test:8080", true},
	{"shop.example.test:8080", "http://shop.example.test", false},
	{"shop.example.test:443", "http://shop.example.test:443", true},
	{"shop.example.test:443", "https://shop.example.test", true},
	{"shop.example.test:443", "http://shop.example.test", false},
	// wildcards: any depth, never the apex
	{"*.example.test", "https://a.example.test", true},
	{"*.example.test", "http://a.example.test", true},
	{"*.example.test", "https://a.b.example.test", true},
	{"*.example.test", "https://x.y.z.example.test", true},
	{"*.example.test", "https://example.test", false},
	{"*.example.test", "https://a.example.test:8443", false},
	{"https://*.example.test", "https://a.example.test", true},
	{"https://*.example.test", "http://a.example.test", false},
	{"https://*.example.test:8443", "https://a.example.test:8443", true},
	{"https://*.example.test:8443", "https://a.example.test", false},
	{"*.example.test:*", "https://a.example.test:1234", true},
	{"*.example.test:*", "http://a.b.example.test", true},
	{"*.example.test:*", "https://example.test:1234", false},
	{"*.shop.example.test", "https://a.example.test", false},
	// any port
	{"http://localhost:*", "http://localhost:3000", true},
	{"http://localhost:*", "http://localhost", true},
	{"http://localhost:*", "http://localhost:65535", true},
	{"http://localhost:*", "https://localhost:3000", false},
	{"http://localhost:*", "http://localhost.evil.test:3000", false},
	{"http://localhost:*", "http://a.localhost:3000", false},
	{"localhost:*", "https://localhost:3000", true},
	// IDNA both ways
	{"https://bücher.example", "https://xn--bcher-kva.example", true},
	{"https://BÜCHER.example", "https://xn--bcher-kva.example", true},
	{"https://xn--bcher-kva.example", "https://BÜCHER.example", true},
	{"https://xn--bcher-kva.example", "https://bücher.example", true},
	{"*.bücher.example", "https://shop.xn--bcher-kva.example", true},
	{"*.xn--bcher-kva.example", "https://shop.bücher.example", true},
	{"*.bücher.example", "https://xn--bcher-kva.example", false},
	{"https://bucher.example", "https://bücher.example", false},
	// trailing dots
	{"https://example.com.", "https://example.com", true},
	// IP literals
	{"http://127.0.0.1:3000", "http://127.0.0.1:3000", true},
	{"http://127.0.0.1:3000", "http://127.0.0.1", false},
	{"http://127.0.0.1:3000", "http://127.0.0.10:3000", false},
	{"http://127.0.0.1:3000", "https://127.0.0.1:3000", false},
	{"127.0.0.1:*", "https://127.0.0.1:1", true},
	{"http://[::1]:8080", "http://[::1]:8080", true},
	{"http://[::1]:8080", "http://[0:0:0:0:0:0:0:1]:8080", true},
	{"http://[0::1]:8080", "http://[::1]:8080", true},
	{"http://[::1]:8080", "http://[::2]:8080", false},
	{"http://[::1]:8080", "http://[::1]", false},
	{"[2001:db8::1]", "https://[2001:DB8::1]", true},
	{"http://localhost:*", "http://127.0.0.1:3000", false},
	{"http://localhost:*", "http://[::1]:3000", false},
}

func TestOriginPatternMatch(t *testing.T) {
	for _, c := range matchCases {
		t.Run(c.pattern+" "+c.origin, func(t *testing.T) {
			p, err := ParseOriginPattern(c.pattern)
			if err != nil {
				t.Fatal(err)
			}
			o, err := ParseOrigin(c.origin)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Match(o); got != c.want {
				t.Errorf("%q.Match(%q) = %v, want %v", p, o, got, c.want)
			}
		})
	}
	// Origins of other schemes (built by hand: ParseOrigin refuses them).
	others := []Origin{
		{Scheme: "ws", Host: "shop.example.test", Port: 80},
		{Scheme: "wss", Host: "shop.example.test", Port: 443},
		{Scheme: "ftp", Host: "shop.example.test", Port: 21},
		{Scheme: "ftp", Host: "shop.example.test", Port: 80},
		{Scheme: "", Host: "shop.example.test", Port: 80},
	}
	for _, pat := range []string{"shop.example.test", "shop.example.test:*", "*.example.test:*", "shop.example.test:21"} {
		p, err := ParseOriginPattern(pat)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range others {
			t.Run(pat+" "+o.Scheme, func(t *testing.T) {
				if p.Match(o) {
					t.Errorf("%q matches %#v", p, o)
				}
			})
		}
	}
	t.Run("zero pattern", func(t *testing.T) {
		if (OriginPattern{}).Match(Origin{Scheme: "http", Port: 80}) {
			t.Error("the zero OriginPattern matches")
		}
	})
}

func TestOriginMatchDoesNotAllocate(t *testing.T) {
	p, _ := ParseOriginPattern("*.example.test:*")
	o, _ := ParseOrigin("https://a.b.example.test:8443")
	if n := testing.AllocsPerRun(100, func() { p.Match(o) }); n != 0 {
		t.Errorf("Match allocates %v times", n)
	}
}

var parseOriginCases = []struct {
	in   string
	want Origin
	str  string
}{
	{"https://shop.example.com", Origin{"https", "shop.example.com", 443}, "https://shop.example.com"},
	{"http://shop.example.com", Origin{"http", "shop.example.com", 80}, "http://shop.example.com"},
	{"https://shop.example.com:443", Origin{"https", "shop.example.com", 443}, "https://shop.example.com"},
	{"https://shop.example.com:8443", Origin{"https", "shop.example.com", 8443}, "https://shop.example.com:8443"},
	{"http://shop.example.com:443", Origin{"http", "shop.example.com", 443}, "http://shop.example.com:443"},
	{"HTTPS://SHOP.Example.COM", Origin{"https", "shop.example.com", 443}, "https://shop.example.com"},
	{"https://BÜCHER.example", Origin{"https", "xn--bcher-kva.example", 443}, "https://xn--bcher-kva.example"},
	{"https://xn--bcher-kva.example", Origin{"https", "xn--bcher-kva.example", 443}, "https://xn--bcher-kva.example"},
	{"http://localhost:3000", Origin{"http", "localhost", 3000}, "http://localhost:3000"},
	{"http://127.0.0.1:3000", Origin{"http", "127.0.0.1", 3000}, "http://127.0.0.1:3000"},
	{"http://[::1]:8080", Origin{"http", "::1", 8080}, "http://[::1]:8080"},
	{"https://[2001:DB8:0::1]", Origin{"https", "2001:db8::1", 443}, "https://[2001:db8::1]"},
}

var badOrigins = []struct{ name, in string }{
	{"missing", ""},
	{"null", "null"},
	{"NULL", "NULL"},
	{"path", "https://shop.example.com/path"},
	{"trailing slash", "https://shop.example.com/"},
	{"query", "https://shop.example.com?x"},
	{"fragment", "https://shop.example.com#x"},
	{"userinfo", "https://user@shop.example.com"},
	{"userinfo trick", "https://shop.example.test@evil.test"},
	{"no scheme", "shop.example.com"},
	{"no scheme port", "shop.example.com:443"},
	{"ftp", "ftp://shop.example.com"},
	{"ws", "ws://shop.example.com"},
	{"extension", "chrome-extension://abcdefghijklmnop"},
	{"file", "file://"},
	{"wildcard", "https://*.example.com"},
	{"star", "https://*"},
	{"any port", "https://shop.example.com:*"},
	{"port zero", "https://shop.example.com:0"},
	{"port too big", "https://shop.example.com:65536"},
	{"empty port", "https://shop.example.com:"},
	{"no host", "https://"},
	{"leading space", " https://shop.example.com"},
	{"trailing space", "https://shop.example.com "},
	{"underscore", "https://a_b.example.com"},
	{"bad ipv6", "http://[::1"},
	{"ipv6 zone", "http://[fe80::1%eth0]"},
	{"bad ipv4", "http://300.1.1.1"},
	{"too long", "https://" + strings.Repeat("a.", 150) + "test"},
	{"trailing dot", "https://shop.example."},
	{"trailing dot and port", "https://shop.example.:8443"},
}

func TestParseOrigin(t *testing.T) {
	for _, c := range parseOriginCases {
		t.Run("valid/"+c.in, func(t *testing.T) {
			o, err := ParseOrigin(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if o != c.want {
				t.Errorf("ParseOrigin(%q) = %#v, want %#v", c.in, o, c.want)
			}
			if s := o.String(); s != c.str {
				t.Errorf("String() = %q, want %q", s, c.str)
			}
		})
	}
	for _, c := range badOrigins {
		t.Run("invalid/"+c.name, func(t *testing.T) {
			o, err := ParseOrigin(c.in)
			if err == nil {
				t.Fatalf("ParseOrigin(%q) = %#v, want an error", c.in, o)
			}
			if code := ErrorCode(err); code != EORIGINREFUSED {
				t.Fatalf("ParseOrigin(%q): code %q, want %q (%v)", c.in, code, EORIGINREFUSED, err)
			}
			if c.in != "" && !strings.Contains(ErrorMessage(err), quoteOriginEntry(c.in)) {
				t.Errorf("message %q does not name the origin", ErrorMessage(err))
			}
			t.Log(ErrorMessage(err))
		})
	}
}

func TestCanonicalOrigins(t *testing.T) {
	t.Run("ok", func(t *testing.T) {
		got, err := CanonicalOrigins([]string{"HTTPS://Shop.Example.com/", "*.bücher.example", "localhost:*", "http://shop.example.com"})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"https://shop.example.com", "*.xn--bcher-kva.example", "localhost:*", "http://shop.example.com"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	hundred := make([]string, 100)
	for i := range hundred {
		hundred[i] = fmt.Sprintf("https://s%d.example.com", i)
	}
	t.Run("100 entries", func(t *testing.T) {
		if _, err := CanonicalOrigins(hundred); err != nil {
			t.Fatal(err)
		}
	})
	bad := []struct {
		name    string
		entries []string
		msg     []string
	}{
		{"nil", nil, []string{"at least one"}},
		{"empty", []string{}, []string{"at least one"}},
		{"101 entries", append(hundred[:100:100], "https://x.example.com"), []string{"100", "101"}},
		{"bad entry", []string{"https://a.example.com", "b.example.com", "ftp://c.example.com"}, []string{"entry 3", `"ftp://c.example.com"`}},
		{"blank entry", []string{"https://a.example.com", " "}, []string{"entry 2", `" "`}},
		{"duplicate", []string{"https://a.example.com", "b.example.com", "HTTPS://A.example.com:443/"},
			[]string{"entry 3", `"HTTPS://A.example.com:443/"`, "entry 1", `"https://a.example.com"`}},
		{"duplicate idna", []string{"*.bücher.example", "*.XN--BCHER-KVA.example"}, []string{"entry 2", "entry 1", "*.xn--bcher-kva.example"}},
		{"duplicate trailing dot", []string{"example.com", "example.com."}, []string{"entry 2", `"example.com."`}},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			got, err := CanonicalOrigins(c.entries)
			if err == nil {
				t.Fatalf("CanonicalOrigins = %q, want an error", got)
			}
			if ErrorCode(err) != EINVALIDORIGIN {
				t.Fatalf("code %q, want %q", ErrorCode(err), EINVALIDORIGIN)
			}
			for _, m := range c.msg {
				if !strings.Contains(ErrorMessage(err), m) {
					t.Errorf("message %q lacks %q", ErrorMessage(err), m)
				}
			}
			t.Log(ErrorMessage(err))
		})
	}
	t.Run("distinct but overlapping", func(t *testing.T) {
		if _, err := CanonicalOrigins([]string{"a.example.com", "https://a.example.com", "a.example.com:443", "*.example.com"}); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzOriginPattern(f *testing.F) {
	for _, c := range validPatternCases {
		f.Add(c.in, "https://shop.example.com")
	}
	for _, c := range invalidPatternCases {
		f.Add(c.in, "http://localhost:3000")
	}
	for _, c := range matchCases {
		f.Add(c.pattern, c.origin)
	}
	f.Fuzz(func(t *testing.T, ps, os string) {
		p, err := ParseOriginPattern(ps)
		if err != nil {
			if ErrorCode(err) != EINVALIDORIGIN || !strings.Contains(ErrorMessage(err), quoteOriginEntry(ps)) {
				t.Fatalf("ParseOriginPattern(%q): bad error %v", ps, err)
			}
		} else {
			c := p.String()
			q, err := ParseOriginPattern(c)
			if err != nil {
				t.Fatalf("ParseOriginPattern(%q) = %q, which does not re-parse: %v", ps, c, err)
			}
			if q != p || q.String() != c {
				t.Fatalf("ParseOriginPattern(%q) = %#v (%q), re-parsed %#v (%q)", ps, p, c, q, q.String())
			}
			if p.wildcard {
				for _, o := range []Origin{{"https", p.host, 443}, {"http", p.host, 80}} {
					if p.Match(o) {
						t.Fatalf("%q matches its apex %#v", c, o)
					}
				}
			}
		}
		o, err := ParseOrigin(os)
		if err != nil {
			if ErrorCode(err) != EORIGINREFUSED {
				t.Fatalf("ParseOrigin(%q): code %q", os, ErrorCode(err))
			}
			return
		}
		exact, err := ParseOriginPattern(o.String())
		if err != nil {
			t.Fatalf("origin %q (%#v) is not a valid pattern: %v", os, o, err)
		}
		if !exact.Match(o) {
			t.Fatalf("%q does not match %#v", exact, o)
		}
		if p.host != "" {
			m := p.Match(o)
			if p.Match(o) != m {
				t.Fatalf("%q.Match(%q) is not deterministic", p, o)
			}
			if m && p.wildcard && o.Host == p.host {
				t.Fatalf("%q matches %q, its apex", p, o)
			}
		}
	})
}

func FuzzParseOrigin(f *testing.F) {
	for _, c := range parseOriginCases {
		f.Add(c.in)
	}
	for _, c := range badOrigins {
		f.Add(c.in)
	}
	for _, c := range matchCases {
		f.Add(c.origin)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseOrigin(s)
		if err != nil {
			if ErrorCode(err) != EORIGINREFUSED {
				t.Fatalf("ParseOrigin(%q): code %q", s, ErrorCode(err))
			}
			return
		}
		for i := 0; i < len(o.Host); i++ {
			if c := o.Host[i]; c >= 0x80 || 'A' <= c && c <= 'Z' {
				t.Fatalf("ParseOrigin(%q).Host = %q is not lower-case ASCII", s, o.Host)
			}
		}
		q, err := ParseOrigin(o.String())
		if err != nil {
			t.Fatalf("ParseOrigin(%q) = %q, which does not re-parse: %v", s, o.String(), err)
		}
		if q != o {
			t.Fatalf("ParseOrigin(%q) = %#v, re-parsed %#v", s, o, q)
		}
	})
}

func BenchmarkMatchAllowList(b *testing.B) {
	// 3 templates × 20 entries: exact, wildcard and scheme-less, with and
	// without ports; only the very last entry admits the "hit" origin.
	var pats []OriginPattern
	for t := range 3 {
		for i := range 20 {
			var e string
			switch i % 4 {
			case 0:
				e = fmt.Sprintf("https://shop%d.brand%d.example", i, t)
			case 1:
				e = fmt.Sprintf("*.cdn%d.brand%d.example", i, t)
			case 2:
				e = fmt.Sprintf("www%d.brand%d.example:8443", i, t)
			default:
				e = fmt.Sprintf("https://*.eu%d.brand%d.example", i, t)
			}
			if t == 2 && i == 19 {
				e = "https://*.support.brand2.example"
			}
			p, err := ParseOriginPattern(e)
			if err != nil {
				b.Fatal(err)
			}
			pats = append(pats, p)
		}
	}
	for _, c := range []struct {
		name, origin string
		want         bool
	}{
		{"hit-at-end", "https://help.support.brand2.example", true},
		{"miss", "https://shop1.brand2.example.evil.test", false},
	} {
		o, err := ParseOrigin(c.origin)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var hit int
			for b.Loop() {
				hit = -1
				for i, p := range pats {
					if p.Match(o) {
						hit = i
						break
					}
				}
			}
			if (hit >= 0) != c.want || c.want && hit != len(pats)-1 {
				b.Fatalf("hit = %d, want %v", hit, c.want)
			}
		})
	}
}
