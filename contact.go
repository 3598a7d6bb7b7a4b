package interact

// Contact is everything the public widget endpoints need to know about a
// Contact ID: whose it is, the tenant, the settings, the selected templates
// and the opening hours.
type Contact struct {
	Tenant    *Tenant
	Settings  *InteractSettings
	Service   *Service // set for a service's contact
	User      *User    // set for a user's (direct) contact
	Templates []DomainTemplate
	// Hours are the service's opening hours with their calendars; nil
	// (a direct contact, or a service without hours): always open.
	Hours *ServiceHours
}

// Gate returns nil when the contact may take new Interact work now.
func (c *Contact) Gate() error {
	if err := c.Tenant.AcceptsInteract(); err != nil {
		return err
	}
	if c.Service != nil {
		return c.Service.InteractGate(c.Tenant)
	}
	if err := c.User.InteractGate(c.Tenant); err != nil {
		return err
	}
	if !c.Settings.Active {
		return Errorf(EINTERACTOFF, "This contact is switched off.")
	}
	return nil
}

// CheckOrigin answers whether a page at origin may use the contact now: the
// template entry that allows it, or why not (the origin is refused, or the
// contact may take no new work).
func (c *Contact) CheckOrigin(origin string) (*OriginMatch, error) {
	m, err := c.Settings.CheckOrigin(c.Templates, origin)
	if err == nil {
		err = c.Gate()
	}
	return m, err
}

// Offers refuses a modality the contact does not offer now: everything
// that gates new work, then the tenant's and the contact's chat and call
// switches.
func (c *Contact) Offers(m Modality) error {
	if err := c.Gate(); err != nil {
		return err
	}
	switch {
	case m == ModalityChat && !c.Tenant.IMEnabled:
		return Errorf(EIMDISABLED, "Chat is switched off for this organisation.")
	case m == ModalityChat && !c.Settings.InstantMessage:
		return Errorf(EMODALITYOFF, "Chat is not offered here.")
	case m.IsCall() && !c.Settings.AudioVideo:
		return Errorf(EMODALITYOFF, "Calls are not offered here.")
	case !m.Valid():
		return Errorf(EINVALID, "modality must be chat, audio or video.")
	}
	return nil
}
