package endpoint

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the addresses of trusted reverse proxies (load balancers):
// only a request arriving from one of them may say, in X-Forwarded-For or
// Forwarded, whom it forwards for.
type Proxies []netip.Prefix

// ParseProxies reads a comma-separated list of CIDRs or single addresses
// ("10.0.0.0/8, 192.168.1.10, ::1").
func ParseProxies(s string) (Proxies, error) {
	var out Proxies
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: want an IP address or a CIDR such as 10.0.0.0/8", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func (p Proxies) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, pre := range p {
		if pre.Contains(a) {
			return true
		}
	}
	return false
}

// Client returns the address of the client behind r: the connection's
// peer, unless that peer is a trusted proxy; then the rightmost address of
// the forwarding chain that is not a trusted proxy (the hops left of it
// could be forged by the client). X-Forwarded-For is read first, else
// Forwarded's for= parameters. A malformed chain stops the walk at the
// last trusted hop.
func (p Proxies) Client(r *http.Request) string {
	peer := remoteIP(r.RemoteAddr)
	a, err := netip.ParseAddr(peer)
	if err != nil || len(p) == 0 || !p.trusted(a) {
		return peer
	}
	chain := forwardedChain(r.Header)
	client := a
	for i := len(chain) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(chain[i])
		if err != nil {
			break
		}
		client = hop.Unmap()
		if !p.trusted(client) {
			break
		}
	}
	return client.String()
}

// forwardedChain lists the forwarding chain's addresses, client first.
func forwardedChain(h http.Header) []string {
	var out []string
	if xff := h.Values("X-Forwarded-For"); len(xff) > 0 {
		for _, v := range xff {
			for _, f := range strings.Split(v, ",") {
				out = append(out, strings.TrimSpace(f))
			}
		}
		return out
	}
	for _, v := range h.Values("Forwarded") {
		for _, elem := range strings.Split(v, ",") {
			for _, pair := range strings.Split(elem, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if !ok || !strings.EqualFold(k, "for") {
					continue
				}
				out = append(out, forwardedNode(strings.Trim(val, `"`)))
			}
		}
	}
	return out
}

// forwardedNode strips a Forwarded node's port and IPv6 brackets
// ("[2001:db8::1]:4711" → "2001:db8::1", "192.0.2.60:443" → "192.0.2.60").
func forwardedNode(n string) string {
	if strings.HasPrefix(n, "[") {
		if i := strings.IndexByte(n, ']'); i > 0 {
			return n[1:i]
		}
		return n
	}
	if host, _, err := net.SplitHostPort(n); err == nil {
		return host
	}
	return n
}

func remoteIP(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return remote
	}
	return host
}

type clientKey struct{}

// WithClientAddr returns ctx carrying the client's address (Proxies.Client).
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientKey{}, addr)
}

// ClientAddr is the client's IP address, for rate limits and logs: the one
// web found behind its trusted proxies, else the connection's peer.
func ClientAddr(r *http.Request) string {
	if a, ok := r.Context().Value(clientKey{}).(string); ok {
		return a
	}
	return remoteIP(r.RemoteAddr)
}
