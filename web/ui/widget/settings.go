package widget

import (
	"slices"

	"github.com/interact-oss/interact"
)

// OverridableKeys are the text keys a service may override: every text of
// the widget but the consent text, which the pre-chat form sets.
func OverridableKeys() []string {
	return slices.DeleteFunc(slices.Clone(Defaults().Keys), func(k string) bool { return k == interact.ConsentFieldKey })
}

// DefaultConsent is the widget's default consent text per language.
func DefaultConsent() map[string]string {
	m := map[string]string{}
	for _, l := range interact.WidgetLangs {
		m[l] = Defaults().Default[l][interact.ConsentFieldKey]
	}
	return m
}

// Effective is what a widget shows: the saved settings, else the defaults.
func Effective(saved *interact.WidgetSettings) *interact.WidgetSettings {
	if saved != nil {
		return saved
	}
	return interact.DefaultWidgetSettings(DefaultConsent())
}
