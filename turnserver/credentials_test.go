package turnserver

import (
	"testing"
	"time"
)

func TestPasswordKnownAnswer(t *testing.T) {
	// echo -n "1700000000:01jtask" | openssl dgst -sha1 -hmac "s3cret-shared-with-coturn" -binary | base64
	if got, want := Password("s3cret-shared-with-coturn", "1700000000:01jtask"), "4RgFgzRNESAvP21Xxr3/eZim9Ns="; got != want {
		t.Errorf("Password = %q, want %q", got, want)
	}
}

func TestIssueBindsTaskAndExpiry(t *testing.T) {
	now := time.Date(2026, 11, 25, 8, 0, 0, 500, time.UTC)
	user, pass, expires := Credentials{Secret: "s", TTL: 5 * time.Minute}.Issue("01jtask", now)
	if want := now.Add(5 * time.Minute).Truncate(time.Second); !expires.Equal(want) {
		t.Errorf("expires %v, want %v", expires, want)
	}
	gotExpires, task, err := parseUsername(user)
	if err != nil || task != "01jtask" || !gotExpires.Equal(expires) {
		t.Errorf("username %q parses to %v %q %v", user, gotExpires, task, err)
	}
	if pass != Password("s", user) {
		t.Errorf("password %q is not the HMAC of %q", pass, user)
	}
	if _, _, def := (Credentials{Secret: "s"}).Issue("x", now); !def.Equal(now.Add(DefaultTTL).Truncate(time.Second)) {
		t.Errorf("default TTL gives expiry %v", def)
	}
}

func TestParseUsernameRefusesMalformed(t *testing.T) {
	for _, u := range []string{"", "task", "1700000000", "1700000000:", "soon:task", "-5:task", "0:task"} {
		if _, _, err := parseUsername(u); err == nil {
			t.Errorf("parseUsername(%q) accepted", u)
		}
	}
	if _, task, err := parseUsername("1700000000:a:b"); err != nil || task != "a:b" {
		t.Errorf(`"1700000000:a:b" gives task %q, %v`, task, err)
	}
}
