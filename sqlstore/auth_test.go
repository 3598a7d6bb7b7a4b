package sqlstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/interact-oss/interact"
)

func TestLogin(t *testing.T) { eachEngine(t, testLogin) }

func testLogin(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()

	tok, csrf, a, err := w.db.Login(ctx, "  "+strings.ToUpper(w.agent.Email)+" ", pw, "")
	noErr(t, err)
	if diff := cmp.Diff(w.agent, a); diff != "" {
		t.Errorf("login actor (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(tok, "is_") || csrf == "" {
		t.Errorf("session token %q, CSRF token %q", tok, csrf)
	}
	sa, scsrf, err := w.db.SessionActor(ctx, tok)
	noErr(t, err)
	if diff := cmp.Diff(w.agent, sa); diff != "" || scsrf != csrf {
		t.Errorf("session: CSRF %q (want %q), actor (-want +got):\n%s", scsrf, csrf, diff)
	}
	// A second session is independent of the first.
	tok2, csrf2, _, err := w.db.Login(ctx, w.agent.Email, pw, "")
	noErr(t, err)
	if tok2 == tok || csrf2 == csrf {
		t.Errorf("two logins share tokens")
	}

	// Wrong password and unknown address are indistinguishable.
	_, _, _, errWrong := w.db.Login(ctx, w.agent.Email, pw+"!", "")
	_, _, _, errUnknown := w.db.Login(ctx, w.email("nobody"), pw, "")
	wantCode(t, errWrong, interact.EUNAUTHORIZED)
	wantCode(t, errUnknown, interact.EUNAUTHORIZED)
	if m1, m2 := interact.ErrorMessage(errWrong), interact.ErrorMessage(errUnknown); m1 != m2 {
		t.Errorf("messages differ: wrong password %q, unknown e-mail %q", m1, m2)
	}
	_, _, _, err = w.db.Login(ctx, w.agent.Email, "", "")
	wantCode(t, err, interact.EUNAUTHORIZED)

	noErr(t, w.db.Logout(ctx, tok))
	for _, tc := range []struct{ name, token string }{
		{"logged out", tok},
		{"garbage", "is_garbage"},
		{"empty", ""},
		{"no prefix", strings.TrimPrefix(tok2, "is_")},
	} {
		_, _, err := w.db.SessionActor(ctx, tc.token)
		if got := interact.ErrorCode(err); got != interact.EUNAUTHORIZED {
			t.Errorf("%s session token: code %q, want unauthorized", tc.name, got)
		}
	}
	if _, _, err := w.db.SessionActor(ctx, tok2); err != nil {
		t.Errorf("logging out one session ended the other: %v", err)
	}

	// Deleting a user ends its sessions.
	noErr(t, w.db.DeleteUser(ctx, w.adminA, w.agent.UserID))
	_, _, err = w.db.SessionActor(ctx, tok2)
	wantCode(t, err, interact.EUNAUTHORIZED)
}

func TestAPITokens(t *testing.T) { eachEngine(t, testAPITokens) }

func testAPITokens(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()

	tok, secret, err := w.db.CreateAPIToken(ctx, w.agent, w.agent.UserID, " ci ")
	noErr(t, err)
	if !strings.HasPrefix(secret, "it_") || len(secret) < 30 || tok.ID == "" || tok.UserID != w.agent.UserID || tok.Name != "ci" {
		t.Fatalf("token %+v, secret %q", tok, secret)
	}
	a, err := w.db.TokenActor(ctx, secret)
	noErr(t, err)
	if diff := cmp.Diff(w.agent, a); diff != "" {
		t.Errorf("token actor (-want +got):\n%s", diff)
	}
	list, err := w.db.APITokens(ctx, w.agent, w.agent.UserID)
	noErr(t, err)
	if len(list) != 1 || list[0].ID != tok.ID || list[0].Name != "ci" || !list[0].CreatedAt.Equal(tok.CreatedAt) || list[0].LastUsedAt == nil {
		t.Errorf("token list after one use: %+v", list)
	}
	b, _ := json.Marshal(list)
	if strings.Contains(string(b), secret) || strings.Contains(string(b), secret[3:]) {
		t.Errorf("token list shows the secret: %s", b)
	}
	// A session token is no API token, and the other way round.
	_, err = w.db.TokenActor(ctx, "is_"+secret[3:])
	wantCode(t, err, interact.EUNAUTHORIZED)
	_, _, err = w.db.SessionActor(ctx, secret)
	wantCode(t, err, interact.EUNAUTHORIZED)

	noErr(t, w.db.DeleteAPIToken(ctx, w.agent, w.agent.UserID, tok.ID))
	_, err = w.db.TokenActor(ctx, secret)
	wantCode(t, err, interact.EUNAUTHORIZED)
	list, err = w.db.APITokens(ctx, w.agent, w.agent.UserID)
	noErr(t, err)
	if len(list) != 0 {
		t.Errorf("tokens after revoking: %+v", list)
	}
	wantCode(t, w.db.DeleteAPIToken(ctx, w.agent, w.agent.UserID, tok.ID), interact.ENOTFOUND)

	t.Run("for users one administers", func(t *testing.T) {
		for _, admin := range []interact.Actor{w.adminA, w.emeaAdmin} {
			_, secret, err := w.db.CreateAPIToken(ctx, admin, w.agent.UserID, "by "+admin.Email)
			noErr(t, err)
			a, err := w.db.TokenActor(ctx, secret)
			noErr(t, err)
			if a.UserID != w.agent.UserID {
				t.Errorf("token made by %s acts as %+v, want the agent", admin.Email, a)
			}
		}
	})

	adminTok, adminSecret, err := w.db.CreateAPIToken(ctx, w.adminA, w.adminA.UserID, "admin's")
	noErr(t, err)
	w.refuse(t, []refusal{
		{"agent for someone else", interact.ENOTFOUND, func(ctx context.Context) error {
			_, _, err := w.db.CreateAPIToken(ctx, w.agent, w.adminA.UserID, "mine")
			return err
		}},
		{"agent lists someone else's", interact.ENOTFOUND, func(ctx context.Context) error {
			return errOf(w.db.APITokens(ctx, w.agent, w.adminA.UserID))
		}},
		{"agent revokes someone else's", interact.ENOTFOUND, func(ctx context.Context) error {
			return w.db.DeleteAPIToken(ctx, w.agent, w.adminA.UserID, adminTok.ID)
		}},
		{"agent revokes someone else's as its own", interact.ENOTFOUND, func(ctx context.Context) error {
			return w.db.DeleteAPIToken(ctx, w.agent, w.agent.UserID, adminTok.ID)
		}},
		{"OU admin for a tenant admin", interact.EFORBIDDEN, func(ctx context.Context) error {
			_, _, err := w.db.CreateAPIToken(ctx, w.emeaAdmin, w.adminA.UserID, "mine")
			return err
		}},
		{"empty name", interact.EINVALID, func(ctx context.Context) error {
			_, _, err := w.db.CreateAPIToken(ctx, w.agent, w.agent.UserID, "  ")
			return err
		}},
	})
	for i := range interact.MaxAPITokens - 1 {
		_, _, err := w.db.CreateAPIToken(ctx, w.adminA, w.adminA.UserID, fmt.Sprint("token ", i))
		noErr(t, err)
	}
	w.refuse(t, []refusal{{"one token too many", interact.EINVALID, func(ctx context.Context) error {
		_, _, err := w.db.CreateAPIToken(ctx, w.adminA, w.adminA.UserID, "one too many")
		return err
	}}})
	if a, err := w.db.TokenActor(ctx, adminSecret); err != nil || a.UserID != w.adminA.UserID {
		t.Errorf("admin's token after the attempts: %+v, %v", a, err)
	}

	// Deleting a user revokes its tokens.
	_, secret, err = w.db.CreateAPIToken(ctx, w.agent, w.agent.UserID, "doomed")
	noErr(t, err)
	noErr(t, w.db.DeleteUser(ctx, w.adminA, w.agent.UserID))
	_, err = w.db.TokenActor(ctx, secret)
	wantCode(t, err, interact.EUNAUTHORIZED)
}
