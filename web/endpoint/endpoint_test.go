package endpoint

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/interact-oss/interact"
)

// Both list formats read the same filter fields; they differ in how times
// and limits are written, and in the words of their errors.
func TestListFilters(t *testing.T) {
	q := url.Values{"serviceId": {"s1"}, "outcome": {"handled"}, "code": {"c1"}, "tag": {"vip"}, "cursor": {"x"},
		"since": {"2026-11-25T10:00:00Z"}, "until": {"2026-11-26T10:00:00Z"}, "limit": {"7"}}
	f, err := SessionFilter(q, APIList)
	if err != nil || f.ServiceID != "s1" || f.Outcome != "handled" || f.Code != "c1" || f.Tag != "vip" || f.Cursor != "x" ||
		f.Limit != 7 || f.Since.Hour() != 10 || f.Until.Day() != 26 {
		t.Fatalf("API session filter = %+v, %v", f, err)
	}
	form := url.Values{"entityKind": {"service"}, "action": {"service.update"}, "since": {"2026-11-25T10:00"}}
	a, err := AuditFilter(form, FormList)
	if err != nil || a.EntityKind != "service" || a.Action != "service.update" || a.Limit != 50 || a.Since.Minute() != 0 || a.Since.Location() != time.UTC {
		t.Fatalf("form audit filter = %+v, %v", a, err)
	}
	if a, err := AuditFilter(url.Values{}, APIList); err != nil || a.Limit != 0 {
		t.Errorf("API audit filter without limit = %+v, %v; want the store's default (0)", a, err)
	}
	for _, tc := range []struct {
		q    url.Values
		lf   ListFormat
		want string
	}{
		{url.Values{"since": {"yesterday"}}, APIList, "since must be an RFC 3339 time"},
		{url.Values{"until": {"2026-11-25T10:00"}}, APIList, "until must be an RFC 3339 time"},
		{url.Values{"limit": {"0"}}, APIList, "limit must be a number from 1 to 500"},
		{url.Values{"since": {"soon"}}, FormList, "From must be a date and time"},
		{url.Values{"until": {"later"}}, FormList, "Until must be a date and time"},
		{url.Values{"limit": {"501"}}, FormList, "Per page must be a number from 1 to 500"},
	} {
		_, err := SessionFilter(tc.q, tc.lf)
		if interact.ErrorCode(err) != interact.EINVALID || !strings.Contains(interact.ErrorMessage(err), tc.want) {
			t.Errorf("%v: %v, want invalid_input %q", tc.q, err, tc.want)
		}
	}
}

func TestLimiter(t *testing.T) {
	l := NewLimiter(2, time.Minute)
	now := time.Unix(1000, 0)
	l.now = func() time.Time { return now }
	for i := range 2 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("event %d refused within the limit", i+1)
		}
	}
	if ok, wait := l.Allow("a"); ok || wait != time.Minute {
		t.Fatalf("third event: ok %v wait %v, want refused for a minute", ok, wait)
	}
	if ok, _ := l.Peek("b"); !ok {
		t.Fatal("another key is limited too")
	}
	now = now.Add(30 * time.Second)
	if ok, wait := l.Peek("a"); ok || wait != 30*time.Second {
		t.Fatalf("peek after 30s: ok %v wait %v", ok, wait)
	}
	now = now.Add(30 * time.Second)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("a new window did not reset the count")
	}
}

func TestDecode(t *testing.T) {
	var v struct {
		Name string `json:"name"`
		N    int    `json:"n"`
	}
	for body, want := range map[string]string{
		`{"name":"x","n":1}`:                  "",
		`{"name":"x","x":1}`:                  `Unknown field "x".`,
		`{"n":"one"}`:                         `Field "n" must be a whole number, not a JSON string.`,
		`{"name":"x"} {}`:                     "exactly one JSON value",
		``:                                    "The request body is empty",
		`{"name":`:                            "ends too early",
		`[1]`:                                 "must be a JSON object",
		strings.Repeat(" ", MaxBody+1) + "{}": "at most 65536 bytes",
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		err := Decode(httptest.NewRecorder(), r, &v)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(interact.ErrorMessage(err), want)) {
			t.Errorf("Decode(%.30q) = %v, want %q", body, err, want)
		}
	}
	r := httptest.NewRequest("POST", "/", strings.NewReader(`{}`))
	r.Header.Set("Content-Type", "text/plain")
	if err := Decode(httptest.NewRecorder(), r, &v); interact.ErrorCode(err) != interact.EINVALID {
		t.Errorf("a text/plain body: %v, want invalid_input", err)
	}
}

// Every error code has its status; codes without one are internal.
func TestStatusOf(t *testing.T) {
	if StatusOf(interact.Errorf(interact.ECAPACITY, "full")) != http.StatusTooManyRequests ||
		StatusOf(interact.Errorf(interact.ENOTFOUND, "gone")) != http.StatusNotFound ||
		StatusOf(errTest{}) != http.StatusInternalServerError {
		t.Error("StatusOf maps a code wrongly")
	}
	for _, c := range ErrorCodes() {
		if _, ok := statusOf[c]; !ok {
			t.Errorf("code %s listed without a status", c)
		}
	}
}

type errTest struct{}

func (errTest) Error() string { return "plain" }

func TestProxiesClient(t *testing.T) {
	proxies, err := ParseProxies("10.0.0.0/8, 192.168.1.10 ,::1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseProxies("10.0.0.0/8,not-an-ip"); err == nil || !strings.Contains(err.Error(), "not-an-ip") {
		t.Errorf("a bad entry: %v, want an error naming it", err)
	}
	for _, tc := range []struct {
		name, remote string
		header       http.Header
		proxies      Proxies
		want         string
	}{
		{"no proxies: the peer, whatever it says", "10.1.1.1:5000", http.Header{"X-Forwarded-For": {"203.0.113.9"}}, nil, "10.1.1.1"},
		{"an untrusted peer cannot forge", "198.51.100.7:5000", http.Header{"X-Forwarded-For": {"203.0.113.9"}}, proxies, "198.51.100.7"},
		{"one trusted hop", "10.1.1.1:5000", http.Header{"X-Forwarded-For": {"203.0.113.9"}}, proxies, "203.0.113.9"},
		{"a forged left part is skipped", "10.1.1.1:5000", http.Header{"X-Forwarded-For": {"1.2.3.4, 203.0.113.9, 10.2.2.2"}}, proxies, "203.0.113.9"},
		{"several headers are one chain", "10.1.1.1:5000", http.Header{"X-Forwarded-For": {"1.2.3.4", "203.0.113.9"}}, proxies, "203.0.113.9"},
		{"all trusted: the leftmost", "10.1.1.1:5000", http.Header{"X-Forwarded-For": {"192.168.1.10, 10.3.3.3"}}, proxies, "192.168.1.10"},
		{"garbage stops the walk", "10.1.1.1:5000", http.Header{"X-Forwarded-For": {"203.0.113.9, junk"}}, proxies, "10.1.1.1"},
		{"no header: the proxy itself", "10.1.1.1:5000", http.Header{}, proxies, "10.1.1.1"},
		{"Forwarded with IPv6 and ports", "[::1]:5000", http.Header{"Forwarded": {`for=198.51.100.1;proto=https, for="[2001:db8::17]:4711"`}}, proxies, "2001:db8::17"},
		{"Forwarded through a trusted hop", "[::1]:5000", http.Header{"Forwarded": {`for=198.51.100.1, for=10.9.9.9:80`}}, proxies, "198.51.100.1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr, r.Header = tc.remote, tc.header
		if got := tc.proxies.Client(r); got != tc.want {
			t.Errorf("%s: client %q, want %q", tc.name, got, tc.want)
		}
	}
}
