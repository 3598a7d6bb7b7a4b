package turnserver

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestICEFromTheEmbeddedServer(t *testing.T) {
	s := startServer(t, Config{})
	stunURLs, turnURLs := s.URLs()
	if want := []string{"stun:" + s.addr("udp")}; !slices.Equal(stunURLs, want) {
		t.Errorf("STUN URLs %v, want %v", stunURLs, want)
	}
	if want := []string{"turn:" + s.addr("udp") + "?transport=udp", "turn:" + s.addr("tcp") + "?transport=tcp"}; !slices.Equal(turnURLs, want) {
		t.Errorf("TURN URLs %v, want %v", turnURLs, want)
	}
	now := time.Now()
	ice := &ICE{STUN: stunURLs, TURN: turnURLs, Credentials: Credentials{Secret: testSecret}, ForceRelay: true, Now: func() time.Time { return now }}
	c := ice.Config("task-ice")
	if !c.ForceRelay || len(c.Servers) != 2 || c.Servers[0].Username != "" || c.Servers[0].Credential != "" {
		t.Fatalf("config %+v", c)
	}
	if !c.Expires.Equal(now.Add(DefaultTTL).Truncate(time.Second)) {
		t.Errorf("expires %v", c.Expires)
	}
	turnServer := c.Servers[1]
	if !strings.HasSuffix(turnServer.Username, ":task-ice") {
		t.Errorf("username %q is not bound to the task", turnServer.Username)
	}
	// The issued credentials open a relay over each of the URLs.
	for _, u := range turnServer.URLs {
		hostport, transport, _ := strings.Cut(strings.TrimPrefix(u, "turn:"), "?transport=")
		allocate(t, transport, hostport, turnServer.Username, turnServer.Credential)
	}
	if s.Allocations() != 2 {
		t.Errorf("%d allocations, want 2", s.Allocations())
	}
	if other := ice.Config("task-other"); other.Servers[1].Credential == turnServer.Credential {
		t.Error("two tasks got the same password")
	}
}

func TestICEWithoutServers(t *testing.T) {
	c := (&ICE{}).Config("task")
	if len(c.Servers) != 0 || c.ForceRelay || !c.Expires.IsZero() {
		t.Errorf("config %+v, want none", c)
	}
}

func TestParseURLs(t *testing.T) {
	cases := []struct {
		list       string
		stun, turn []string
	}{
		{"turn:turn.example.com:3478?transport=udp, turn:turn.example.com:3478?transport=tcp",
			[]string{"stun:turn.example.com:3478"}, []string{"turn:turn.example.com:3478?transport=udp", "turn:turn.example.com:3478?transport=tcp"}},
		{"turns:turn.example.com:5349?transport=tcp", nil, []string{"turns:turn.example.com:5349?transport=tcp"}},
		{"stun:stun.example.com,turn:[2001:db8::1]:3478", []string{"stun:stun.example.com"}, []string{"turn:[2001:db8::1]:3478"}},
		{"turn:198.51.100.7", []string{"stun:198.51.100.7"}, []string{"turn:198.51.100.7"}},
	}
	for _, c := range cases {
		stunURLs, turnURLs, err := ParseURLs(c.list)
		if err != nil || !slices.Equal(stunURLs, c.stun) || !slices.Equal(turnURLs, c.turn) {
			t.Errorf("ParseURLs(%q) = %v, %v, %v; want %v, %v", c.list, stunURLs, turnURLs, err, c.stun, c.turn)
		}
	}
	for _, bad := range []string{
		"", "stun:stun.example.com", "http://turn.example.com", "turn:", "turn:host:0", "turn:host:99999",
		"turn:host?transport=sctp", "stun:host?transport=udp", "turn:2001:db8::1", "turn:user@host", "turn:host/path",
	} {
		if _, _, err := ParseURLs(bad); err == nil || !strings.Contains(err.Error(), "turn url") {
			t.Errorf("ParseURLs(%q): got %v, want a clear error", bad, err)
		}
	}
}
