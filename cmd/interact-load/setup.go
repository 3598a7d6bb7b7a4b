package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strconv"
	"sync"
	"time"

	"github.com/interact-oss/interact"
)

// The load's setup goes through the admin REST API only, and is
// idempotent: what exists is reused, what is missing is created.

// setupSpec is what the load needs.
type setupSpec struct {
	Visitors, Agents, Idle int
	LocalAddr              string
}

// serviceRef is a service and its widget contact.
type serviceRef struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	ContactID string `json:"contactId"`
	WidgetKey string `json:"widgetKey"`
}

// agentCred is an agent and an API token for its console socket.
type agentCred struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Token string `json:"token"`
}

// loadPlan is what setup made.
type loadPlan struct {
	ChatServices []serviceRef
	IdleServices []serviceRef
	Agents       []agentCred // agent i is a member of chat service i % len(ChatServices)
	Holder       *agentCred  // member of every idle service; online, never claims
}

// chatServiceName and idleServiceName name the load's services.
func chatServiceName(i int) string {
	if i == 0 {
		return "Load"
	}
	return "Load " + strconv.Itoa(i+1)
}

func idleServiceName(i int) string { return "Load idle " + strconv.Itoa(i+1) }

const holderEmail = "load-holder@example.com"

func agentEmail(i int) string { return fmt.Sprintf("load-agent-%04d@example.com", i) }

// adminClient speaks the admin API with a session cookie and CSRF token.
type adminClient struct {
	base string
	hc   *http.Client
	csrf string
	user interact.User
}

// localClient is an HTTP client whose connections leave from localAddr.
func localClient(localAddr string, conns int, jar http.CookieJar) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if localAddr != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(localAddr)}
	}
	return &http.Client{Jar: jar, Timeout: 60 * time.Second, Transport: &http.Transport{
		DialContext: d.DialContext, MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute,
	}}
}

func adminLogin(ctx context.Context, base, localAddr, email, password string) (*adminClient, error) {
	jar, _ := cookiejar.New(nil)
	a := &adminClient{base: base, hc: localClient(localAddr, 16, jar)}
	var out struct {
		User      interact.User `json:"user"`
		CSRFToken string        `json:"csrfToken"`
	}
	if err := a.do(ctx, "POST", "/api/v1/session", map[string]string{"email": email, "password": password}, &out); err != nil {
		return nil, fmt.Errorf("sign in as %s: %w", email, err)
	}
	a.csrf, a.user = out.CSRFToken, out.User
	return a, nil
}

// apiError is an error answer of the API.
type apiError struct {
	Status int
	Code   string
	Msg    string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Msg) }

// do sends a JSON request and decodes the answer into out. It waits out
// rate limits (429 with Retry-After) a few times.
func (a *adminClient) do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, a.base+path, bytes.NewReader(body))
		if err != nil {
			return err
		}
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if method != "GET" && a.csrf != "" {
			req.Header.Set("X-CSRF-Token", a.csrf)
		}
		resp, err := a.hc.Do(req)
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests && attempt < 5 {
			wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			select {
			case <-time.After(time.Duration(max(wait, 1)) * time.Second):
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if resp.StatusCode >= 300 {
			var eb struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			json.Unmarshal(b, &eb)
			return &apiError{Status: resp.StatusCode, Code: eb.Error.Code, Msg: eb.Error.Message}
		}
		if out != nil && len(b) > 0 {
			if err := json.Unmarshal(b, out); err != nil {
				return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
			}
		}
		return nil
	}
}

// parallel runs fn(i) for i in [0,n) on at most width goroutines and
// returns the first error.
func parallel(n, width int, fn func(i int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan int)
	)
	for range min(width, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

// setupLoad makes (or finds) everything the load needs.
func setupLoad(ctx context.Context, base, email, password string, spec setupSpec, logf func(string, ...any)) (*loadPlan, error) {
	a, err := adminLogin(ctx, base, spec.LocalAddr, email, password)
	if err != nil {
		return nil, err
	}
	// The tenant: Interact and IM on, the highest cap of open chats per service.
	var tn interact.Tenant
	if err := a.do(ctx, "GET", "/api/v1/tenant", nil, &tn); err != nil {
		return nil, fmt.Errorf("tenant: %w", err)
	}
	if !tn.InteractEnabled || !tn.IMEnabled || tn.MaxConcurrentIMTasksPerService != tasksPerService {
		on, capacity := true, tasksPerService
		if err := a.do(ctx, "PATCH", "/api/v1/tenant", interact.TenantUpdate{InteractEnabled: &on, IMEnabled: &on,
			MaxConcurrentIMTasksPerService: &capacity}, nil); err != nil {
			return nil, fmt.Errorf("switch the tenant's Interact and IM on: %w", err)
		}
	}

	plan := &loadPlan{}
	nChat := (spec.Visitors + tasksPerService - 1) / tasksPerService
	if spec.Visitors > 0 || spec.Agents > 0 {
		nChat = max(nChat, 1)
	}
	nIdle := (spec.Idle + tasksPerService - 1) / tasksPerService
	var existing struct{ Items []interact.Service }
	if err := a.do(ctx, "GET", "/api/v1/services", nil, &existing); err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	byName := map[string]interact.Service{}
	for _, s := range existing.Items {
		byName[s.Name] = s
	}
	plan.ChatServices = make([]serviceRef, nChat)
	plan.IdleServices = make([]serviceRef, nIdle)
	err = parallel(nChat+nIdle, 8, func(i int) error {
		name, dist, ref := "", interact.Distribution{Type: interact.DistributeDirect}, &serviceRef{}
		if i < nChat {
			name, ref = chatServiceName(i), &plan.ChatServices[i]
		} else {
			name, ref = idleServiceName(i-nChat), &plan.IdleServices[i-nChat]
			dist.Type = interact.DistributePickup
		}
		r, err := a.ensureService(ctx, byName, name, dist)
		if err != nil {
			return fmt.Errorf("service %q: %w", name, err)
		}
		*ref = r
		return nil
	})
	if err != nil {
		return nil, err
	}

	// Agents, each with a fresh API token.
	var users struct{ Items []interact.User }
	if err := a.do(ctx, "GET", "/api/v1/users", nil, &users); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	byEmail := map[string]interact.User{}
	for _, u := range users.Items {
		byEmail[u.Email] = u
	}
	emails := make([]string, spec.Agents)
	for i := range emails {
		emails[i] = agentEmail(i)
	}
	if nIdle > 0 {
		emails = append(emails, holderEmail)
	}
	creds := make([]agentCred, len(emails))
	// Two at a time: creating a user hashes its password with argon2id
	// (19 MiB, CPU-bound), and more in parallel only inflates the server's
	// heap before the memory readings.
	err = parallel(len(emails), 2, func(i int) error {
		c, err := a.ensureAgent(ctx, byEmail, emails[i])
		if err != nil {
			return fmt.Errorf("agent %s: %w", emails[i], err)
		}
		creds[i] = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	plan.Agents = creds[:spec.Agents]
	if nIdle > 0 {
		plan.Holder = &creds[len(creds)-1]
	}

	// Memberships: agent i in chat service i % nChat; the holder in every idle service.
	members := make([][]string, nChat+nIdle)
	for i := range plan.Agents {
		members[i%nChat] = append(members[i%nChat], plan.Agents[i].ID)
	}
	for i := range nIdle {
		members[nChat+i] = []string{plan.Holder.ID}
	}
	err = parallel(nChat+nIdle, 8, func(i int) error {
		svc := plan.ChatServices
		j := i
		if i >= nChat {
			svc, j = plan.IdleServices, i-nChat
		}
		return a.ensureMembers(ctx, svc[j].ID, members[i])
	})
	if err != nil {
		return nil, err
	}
	return plan, nil
}

// ensureService finds or creates a Contact Center service with the
// Interact add-on, the given distribution (no maximum wait) and chat on.
func (a *adminClient) ensureService(ctx context.Context, byName map[string]interact.Service, name string, dist interact.Distribution) (serviceRef, error) {
	s, ok := byName[name]
	if !ok {
		s = interact.Service{Name: name, OUID: a.user.OUID, License: interact.LicenseContactCenter, InteractLicense: true, Distribution: dist}
		if err := a.do(ctx, "POST", "/api/v1/services", s, &s); err != nil {
			return serviceRef{}, err
		}
	} else if s.License != interact.LicenseContactCenter || !s.InteractLicense || s.Distribution.Type != dist.Type ||
		s.Distribution.MaxWaitSeconds != 0 || s.Distribution.OverflowAction != interact.OverflowMessage {
		lic, on := interact.LicenseContactCenter, true
		d := s.Distribution
		d.Type, d.MaxWaitSeconds, d.OverflowAction, d.OverflowServiceID = dist.Type, 0, interact.OverflowMessage, ""
		if err := a.do(ctx, "PATCH", "/api/v1/services/"+s.ID, interact.ServiceUpdate{License: &lic, InteractLicense: &on, Distribution: &d}, &s); err != nil {
			return serviceRef{}, err
		}
	}
	var st interact.InteractSettings
	if err := a.do(ctx, "GET", "/api/v1/services/"+s.ID+"/interact", nil, &st); err != nil {
		return serviceRef{}, err
	}
	if !st.InstantMessage || st.RestrictAccess {
		on, off := true, false
		if err := a.do(ctx, "PUT", "/api/v1/services/"+s.ID+"/interact", interact.InteractUpdate{InstantMessage: &on, RestrictAccess: &off}, &st); err != nil {
			return serviceRef{}, err
		}
	}
	return serviceRef{ID: s.ID, Name: s.Name, ContactID: st.ContactID, WidgetKey: st.WidgetKey}, nil
}

// ensureAgent finds or creates an agent with chat licences and gives it a
// new API token named "loadtest" (older ones of that name are revoked).
func (a *adminClient) ensureAgent(ctx context.Context, byEmail map[string]interact.User, email string) (agentCred, error) {
	lic := interact.Licenses{ContactCenter: true, InstantMessaging: true}
	u, ok := byEmail[email]
	if !ok {
		req := struct {
			interact.User
			Password string `json:"password"`
		}{interact.User{Email: email, Name: "Load agent " + email[:len(email)-len("@example.com")], OUID: a.user.OUID, Licenses: lic, Roles: []interact.Role{}},
			interact.NewSecret("", 24)}
		if err := a.do(ctx, "POST", "/api/v1/users", req, &u); err != nil {
			return agentCred{}, err
		}
	} else if !u.Licenses.ContactCenter || !u.Licenses.InstantMessaging {
		if err := a.do(ctx, "PATCH", "/api/v1/users/"+u.ID, interact.UserUpdate{Licenses: &lic}, &u); err != nil {
			return agentCred{}, err
		}
	}
	var tokens struct {
		Items []struct{ ID, Name string }
	}
	if err := a.do(ctx, "GET", "/api/v1/users/"+u.ID+"/tokens", nil, &tokens); err != nil {
		return agentCred{}, err
	}
	for _, t := range tokens.Items {
		if t.Name == "loadtest" {
			if err := a.do(ctx, "DELETE", "/api/v1/users/"+u.ID+"/tokens/"+t.ID, nil, nil); err != nil {
				return agentCred{}, err
			}
		}
	}
	var tok struct {
		Secret string `json:"secret"`
	}
	if err := a.do(ctx, "POST", "/api/v1/users/"+u.ID+"/tokens", map[string]string{"name": "loadtest"}, &tok); err != nil {
		return agentCred{}, err
	}
	return agentCred{ID: u.ID, Email: u.Email, Token: tok.Secret}, nil
}

// ensureMembers makes users active members of a service.
func (a *adminClient) ensureMembers(ctx context.Context, serviceID string, userIDs []string) error {
	var ms struct{ Items []interact.Member }
	if err := a.do(ctx, "GET", "/api/v1/services/"+serviceID+"/members", nil, &ms); err != nil {
		return err
	}
	active := map[string]bool{}
	for _, m := range ms.Items {
		active[m.UserID] = m.Active
	}
	for _, id := range userIDs {
		if !active[id] {
			if err := a.do(ctx, "PUT", "/api/v1/services/"+serviceID+"/members/"+id, map[string]bool{"active": true}, nil); err != nil {
				return fmt.Errorf("member %s of %s: %w", id, serviceID, err)
			}
		}
	}
	return nil
}
