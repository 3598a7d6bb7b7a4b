package main

import (
	"context"
	"fmt"
	"io"
	"net/url"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/sqlstore"
)

// firstRun creates the first tenant and its tenant admin when the store is
// empty. The password comes from INTERACT_ADMIN_PASSWORD, else it is
// generated and printed this once. INTERACT_ADMIN_PASSWORD is read on this
// very first run only: later runs ignore it, and `interact reset-password`
// changes a password afterwards.
func firstRun(ctx context.Context, db *sqlstore.DB, cfg *config, stdout io.Writer) error {
	n, err := db.TenantCount(ctx)
	if err != nil {
		return fmt.Errorf("first run: %w", err)
	}
	if n > 0 {
		return nil
	}
	password, generated := cfg.AdminPassword, false
	if password == "" {
		password, generated = interact.NewSecret("", 20), true
	}
	_, u, err := db.CreateTenant(ctx, interact.System, interact.NewTenant{
		Tenant:     interact.Tenant{Name: "My organisation"},
		AdminEmail: cfg.AdminEmail, AdminName: "Administrator", AdminPassword: password,
	})
	if err != nil {
		return fmt.Errorf("first run: create tenant admin: %w", err)
	}
	fmt.Fprintf(stdout, "First run: created tenant admin %s\n", u.Email)
	if generated {
		fmt.Fprintf(stdout, "  password: %s   (shown once; set INTERACT_ADMIN_PASSWORD before the first run to choose it)\n", password)
	}
	fmt.Fprintf(stdout, "  INTERACT_ADMIN_PASSWORD is read on this first run only; to change a password later: interact reset-password %s\n", u.Email)
	return nil
}

// Demo names, also used by tests.
const (
	demoServiceName  = "Demo Support"
	demoAgentEmail   = "agent@example.com"
	demoTemplateName = "Demo page"
)

// seedDemo seeds, once, an OU tree (root → EMEA → Switzerland), a Contact
// Center service with the Interact add-on and both modalities on, an agent
// who is an active member, and a domain template allowing the origins of
// the demo page (demoOrigins) with Restrict Access on.
func seedDemo(ctx context.Context, db *sqlstore.DB, cfg *config, stdout io.Writer) error {
	sys := interact.Actor{UserID: "system", Email: "system", Roles: []interact.Role{{Role: interact.RoleOperator}, {Role: interact.RoleTenantAdmin}}}
	tenants, err := db.Tenants(ctx, sys)
	if err != nil || len(tenants) == 0 {
		return fmt.Errorf("no tenant to seed: %v", err)
	}
	sys.TenantID = tenants[0].ID
	services, err := db.Services(ctx, sys)
	if err != nil {
		return err
	}
	for _, s := range services {
		if s.Name == demoServiceName {
			return printDemo(ctx, db, sys, s.ID, cfg, stdout, "")
		}
	}
	on := true
	if _, err := db.UpdateTenant(ctx, sys, sys.TenantID, interact.TenantUpdate{InteractEnabled: &on, IMEnabled: &on}); err != nil {
		return err
	}
	ous, err := db.OUs(ctx, sys)
	if err != nil {
		return err
	}
	var root string
	for _, o := range ous {
		if o.ParentID == nil {
			root = o.ID
		}
	}
	emea, err := db.CreateOU(ctx, sys, interact.OU{Name: "EMEA", ParentID: &root})
	if err != nil {
		return err
	}
	ch, err := db.CreateOU(ctx, sys, interact.OU{Name: "Switzerland", ParentID: &emea.ID})
	if err != nil {
		return err
	}
	svc, err := db.CreateService(ctx, sys, interact.Service{
		Name: demoServiceName, OUID: ch.ID, License: interact.LicenseContactCenter, InteractLicense: true,
	})
	if err != nil {
		return err
	}
	password := interact.NewSecret("", 16)
	agent, err := db.CreateUser(ctx, sys, interact.User{
		Email: demoAgentEmail, Name: "Alex Agent", OUID: ch.ID,
		Licenses: interact.Licenses{ContactCenter: true, InstantMessaging: true},
	}, password)
	if err != nil {
		return err
	}
	if _, err := db.PutMember(ctx, sys, svc.ID, agent.ID, true); err != nil {
		return err
	}
	tpl, err := db.CreateDomainTemplate(ctx, sys, interact.DomainTemplate{
		Name: demoTemplateName, Description: "The demo page served by this interact server.", OUID: emea.ID,
		Origins: demoOrigins(cfg.PublicURL),
	})
	if err != nil {
		return err
	}
	ids := []string{tpl.ID}
	if _, err := db.UpdateInteract(ctx, sys, interact.OwnerService, svc.ID, interact.InteractUpdate{
		AudioVideo: &on, InstantMessage: &on, RestrictAccess: &on, DomainTemplateIDs: &ids,
	}); err != nil {
		return err
	}
	return printDemo(ctx, db, sys, svc.ID, cfg, stdout, password)
}

// demoOrigins are the origins the demo page is opened at: the public URL's
// and, when its host is a loopback name, the other one on the same port
// (localhost and 127.0.0.1), since a browser may be pointed at either.
func demoOrigins(publicURL string) []string {
	origins := []string{publicURL}
	u, err := url.Parse(publicURL)
	if err != nil {
		return origins
	}
	other := map[string]string{"localhost": "127.0.0.1", "127.0.0.1": "localhost"}[u.Hostname()]
	if other == "" {
		return origins
	}
	if p := u.Port(); p != "" {
		other += ":" + p
	}
	return append(origins, u.Scheme+"://"+other)
}

func printDemo(ctx context.Context, db *sqlstore.DB, sys interact.Actor, serviceID string, cfg *config, stdout io.Writer, agentPassword string) error {
	st, err := db.Interact(ctx, sys, interact.OwnerService, serviceID)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Demo: service %q (contact ID %s), agent %s", demoServiceName, st.ContactID, demoAgentEmail)
	if agentPassword != "" {
		fmt.Fprintf(stdout, " / password %s (shown once)", agentPassword)
	}
	fmt.Fprintf(stdout, "\n  snippet: %s\n", interact.Snippet(cfg.PublicURL, st.ContactID, st.WidgetKey))
	fmt.Fprintf(stdout, "  demo page: %s/demo\n", cfg.PublicURL)
	return nil
}

// demoSnippet is the demo service's snippet for the page at /demo, or ""
// without --demo.
func demoSnippet(ctx context.Context, db *sqlstore.DB, cfg *config) string {
	if !cfg.Demo {
		return ""
	}
	sys := interact.Actor{UserID: "system", Email: "system", Roles: []interact.Role{{Role: interact.RoleOperator}, {Role: interact.RoleTenantAdmin}}}
	tenants, err := db.Tenants(ctx, sys)
	if err != nil || len(tenants) == 0 {
		return ""
	}
	sys.TenantID = tenants[0].ID
	services, err := db.Services(ctx, sys)
	if err != nil {
		return ""
	}
	for _, s := range services {
		if s.Name == demoServiceName {
			if st, err := db.Interact(ctx, sys, interact.OwnerService, s.ID); err == nil {
				return interact.Snippet(cfg.PublicURL, st.ContactID, st.WidgetKey)
			}
		}
	}
	return ""
}
