package turnserver

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// DefaultTTL is how long issued credentials may start new relays.
const DefaultTTL = 10 * time.Minute

// Credentials issues TURN credentials in the TURN REST API scheme that
// coturn (use-auth-secret) and this package's server both check: the
// username is "<unix expiry>:<task id>" and the password is
// base64(HMAC-SHA1(secret, username)). Nothing is stored: any server that
// knows the secret can verify them.
type Credentials struct {
	Secret string
	TTL    time.Duration // default DefaultTTL
}

// Issue returns credentials for one task, valid until expires.
func (c Credentials) Issue(taskID string, now time.Time) (username, password string, expires time.Time) {
	ttl := c.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	expires = now.Add(ttl).Truncate(time.Second)
	username = strconv.FormatInt(expires.Unix(), 10) + ":" + taskID
	return username, Password(c.Secret, username), expires
}

// Password is the TURN REST API password of username: the base64 of its
// HMAC-SHA1 under secret.
func Password(secret, username string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

var errUsername = errors.New(`username is not "<unix expiry>:<task id>"`)

// parseUsername splits a TURN REST API username into its expiry and task id.
func parseUsername(username string) (expires time.Time, taskID string, err error) {
	ts, taskID, ok := strings.Cut(username, ":")
	if !ok || taskID == "" {
		return time.Time{}, "", errUsername
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec <= 0 {
		return time.Time{}, "", errUsername
	}
	return time.Unix(sec, 0), taskID, nil
}
