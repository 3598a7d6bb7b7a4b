package turnserver

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/interact-oss/interact"
)

// ICE hands out the ICE configuration of calls: the STUN URLs, and the
// TURN URLs with fresh credentials bound to the call's task. The servers
// are this package's Server (see Server.URLs) or an external one sharing
// the secret (see ParseURLs).
type ICE struct {
	STUN        []string // given without credentials
	TURN        []string // given with the task's credentials
	Credentials Credentials
	// ForceRelay makes both parties send media only through TURN
	// (iceTransportPolicy "relay"): no address of theirs reaches the other.
	ForceRelay bool
	Now        func() time.Time // default time.Now
}

// Config returns the ICE configuration for the parties of task taskID.
// Its credentials start relays until Expires; relays started in time
// outlive it (see Config.MaxAllocationAge).
func (i *ICE) Config(taskID string) interact.ICEConfig {
	now := time.Now
	if i.Now != nil {
		now = i.Now
	}
	c := interact.ICEConfig{ForceRelay: i.ForceRelay}
	if len(i.STUN) > 0 {
		c.Servers = append(c.Servers, interact.ICEServer{URLs: slices.Clone(i.STUN)})
	}
	if len(i.TURN) > 0 {
		user, pass, expires := i.Credentials.Issue(taskID, now())
		c.Servers = append(c.Servers, interact.ICEServer{URLs: slices.Clone(i.TURN), Username: user, Credential: pass})
		c.Expires = expires
	}
	return c
}

// ParseURLs reads a comma-separated list of external STUN and TURN URLs
// (RFC 7064, RFC 7065): stun:host[:port], stuns:…, turn:host[:port][?transport=udp|tcp],
// turns:…. When the list names no STUN URL, the plain turn: hosts also
// serve STUN (as coturn does), so their stun: URLs are added.
func ParseURLs(list string) (stun, turn []string, err error) {
	for u := range strings.SplitSeq(list, ",") {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		scheme, rest, _ := strings.Cut(u, ":")
		hostport, query, hasQuery := strings.Cut(rest, "?")
		switch {
		case scheme != "stun" && scheme != "stuns" && scheme != "turn" && scheme != "turns",
			!validHostPort(hostport),
			hasQuery && (strings.HasPrefix(scheme, "stun") || (query != "transport=udp" && query != "transport=tcp")):
			return nil, nil, fmt.Errorf("turn url %q: want turn:host[:port][?transport=udp|tcp], turns:…, or stun:host[:port]", u)
		}
		if strings.HasPrefix(scheme, "stun") {
			stun = append(stun, u)
		} else {
			turn = append(turn, u)
		}
	}
	if len(turn) == 0 {
		return nil, nil, fmt.Errorf("turn urls %q: no turn: or turns: URL", list)
	}
	if len(stun) == 0 {
		for _, u := range turn {
			if hostport, ok := strings.CutPrefix(u, "turn:"); ok {
				hostport, _, _ = strings.Cut(hostport, "?")
				if s := "stun:" + hostport; !slices.Contains(stun, s) {
					stun = append(stun, s)
				}
			}
		}
	}
	return stun, turn, nil
}

// validHostPort accepts host, host:port, [v6] and [v6]:port.
func validHostPort(hp string) bool {
	host, port := hp, ""
	if h, p, err := net.SplitHostPort(hp); err == nil {
		host, port = h, p
	} else if strings.HasPrefix(hp, "[") && strings.HasSuffix(hp, "]") {
		host = hp[1 : len(hp)-1]
		if net.ParseIP(host) == nil {
			return false
		}
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return false
		}
	}
	if host == "" || strings.ContainsAny(host, "/@ []") {
		return false
	}
	return strings.Contains(hp, "[") == (net.ParseIP(host) != nil && strings.Contains(host, ":"))
}
