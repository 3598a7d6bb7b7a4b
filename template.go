package interact

import (
	"strings"
	"time"
)

// DomainTemplate is a named, OU-scoped allow-list of web origins ("Interact
// Domain Template (CORS)"). Selected on a service or user with Restrict
// Access on, its entries decide which web pages may use the widget.
type DomainTemplate struct {
	ID          string    `json:"id"`
	TenantID    string    `json:"-"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	OUID        string    `json:"ouId"`
	Origins     []string  `json:"origins"`
	CreatedAt   time.Time `json:"createdAt"`
}

// DomainTemplateUpdate is a partial change to a template.
type DomainTemplateUpdate struct {
	Name        *string   `json:"name"`
	Description *string   `json:"description"`
	OUID        *string   `json:"ouId"`
	Origins     *[]string `json:"origins"`
}

// Apply copies the set fields of u onto t.
func (u DomainTemplateUpdate) Apply(t *DomainTemplate) {
	if u.Name != nil {
		t.Name = *u.Name
	}
	if u.Description != nil {
		t.Description = *u.Description
	}
	if u.OUID != nil {
		t.OUID = *u.OUID
	}
	if u.Origins != nil {
		t.Origins = *u.Origins
	}
}

// MaxDescriptionLen bounds free-text descriptions.
const MaxDescriptionLen = 1000

// Validate checks the template and canonicalises its origins.
func (t *DomainTemplate) Validate() error {
	t.Name = strings.TrimSpace(t.Name)
	if err := validName("template name", t.Name); err != nil {
		return err
	}
	if len([]rune(t.Description)) > MaxDescriptionLen {
		return Errorf(EINVALID, "The description must be at most %d characters.", MaxDescriptionLen)
	}
	if t.OUID == "" {
		return Errorf(EINVALID, "ouId is required.")
	}
	origins, err := CanonicalOrigins(t.Origins)
	if err != nil {
		return err
	}
	t.Origins = origins
	return nil
}

// OriginMatch tells which template entry allowed an origin.
type OriginMatch struct {
	TemplateID   string `json:"templateId"`
	TemplateName string `json:"templateName"`
	Entry        string `json:"entry"`
}

// MatchTemplates returns the first entry of the templates that allows o.
// Entries that no longer parse (stored by an older grammar) are skipped.
func MatchTemplates(templates []DomainTemplate, o Origin) (OriginMatch, bool) {
	for _, t := range templates {
		for _, e := range t.Origins {
			p, err := ParseOriginPattern(e)
			if err == nil && p.Match(o) {
				return OriginMatch{TemplateID: t.ID, TemplateName: t.Name, Entry: e}, true
			}
		}
	}
	return OriginMatch{}, false
}
