package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// Refresh exchanges a refresh token for a new token pair with the user's current role.
// Refused: any invalid token (ErrInvalidToken, ErrTokenExpired), an access token, a
// deleted or disabled user, and a token issued before the user's last change (a new
// password, role or disabled flag ends every earlier token). A refresh token is good for
// one exchange on this hub: using it again ends every token of its user (whoever
// refreshed first may be a thief; both must log in again).
func (a *Authenticator) Refresh(ctx context.Context, refreshToken string) (TokenPair, error) {
	c, err := a.tokens.Parse(refreshToken, TokenRefresh)
	if err != nil {
		return TokenPair{}, err
	}
	u, err := a.store.GetUser(ctx, c.Subject)
	if errors.Is(err, store.ErrNotFound) {
		return TokenPair{}, fmt.Errorf("%w: user no longer exists", ErrInvalidToken)
	}
	if err != nil {
		return TokenPair{}, fmt.Errorf("refresh: %w", err)
	}
	if err := checkTokenUser(c, u); err != nil {
		return TokenPair{}, err
	}
	if !a.spent.spend(c.ID, c.ExpiresAt, a.tokens.Now().Unix()) {
		if err := a.endSessions(ctx, u); err != nil {
			return TokenPair{}, err
		}
		return TokenPair{}, &ReusedError{UserID: u.ID}
	}
	return a.issue(ctx, u)
}

// VerifyAccess checks an access token (the REST API's "Authorization: Bearer <jwt>")
// and returns who it speaks for, from the cache: the user's current name and role, not
// the token's. Refused like Refresh, with ErrInvalidToken, ErrTokenExpired or ErrUserDisabled.
func (a *Authenticator) VerifyAccess(token string) (Identity, error) {
	c, err := a.tokens.Parse(token, TokenAccess)
	if err != nil {
		return Identity{}, err
	}
	u, ok := a.cache.User(c.Subject)
	if !ok {
		return Identity{}, fmt.Errorf("%w: user no longer exists", ErrInvalidToken)
	}
	if err := checkTokenUser(c, &u); err != nil {
		return Identity{}, err
	}
	return Identity{UserID: u.ID, Name: u.Name, Role: u.Role, Kind: store.KindUser, TokenID: c.ID}, nil
}

func checkTokenUser(c Claims, u *store.User) error {
	if u.Disabled {
		return ErrUserDisabled
	}
	// iat has second resolution: a token dated in the second of the change is refused too
	// (issueTime dates new tokens after that second).
	if c.IssuedAt <= u.UpdatedAt.Unix() {
		return fmt.Errorf("%w: issued before the user was last changed; log in again", ErrInvalidToken)
	}
	return nil
}

// ChangePassword sets a user's own password after checking the current one; a user who
// has none yet passes "" as current, from the client address from (ClientAddress). A
// wrong current password counts as a failed login from that address (and can lock the
// user there, or everywhere like Login's); a locked user is refused. Tokens issued before
// the change stop working, so the client logs in again.
func (a *Authenticator) ChangePassword(ctx context.Context, userID, current, next, from string) error {
	// Failures are counted like login's, under the same lock (see login).
	defer a.clients.lock(from)()
	u, err := a.store.GetUser(ctx, userID)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	key := fromKey(u.Name, from)
	if until, locked := a.fromAddr.locked(key, a.Now()); locked {
		return &LockedError{Until: until}
	}
	if err := a.checkLock(ctx, u); err != nil {
		return err
	}
	if err := a.checkCurrent(ctx, u, current); err != nil {
		if errors.Is(err, ErrWrongPassword) {
			a.fromAddr.fail(key, a.Now(), a.cfg.MaxFailures, a.cfg.LockFor)
		}
		return err
	}
	if next == current {
		return errors.New("change password: the new password must differ from the current one")
	}
	a.fromAddr.forget(key)
	return a.setPassword(ctx, u.ID, next)
}

func (a *Authenticator) checkCurrent(ctx context.Context, u *store.User, current string) error {
	if u.PasswordHash == "" {
		if current != "" {
			return ErrWrongPassword
		}
		return nil
	}
	ok, err := a.verify(ctx, u.PasswordHash, current)
	if err != nil {
		return fmt.Errorf("change password: stored hash of user %q: %w", u.ID, err)
	}
	if !ok {
		if err := a.recordFailure(ctx, u); err != nil {
			return err
		}
		return ErrWrongPassword
	}
	return nil
}

// SetPassword sets another user's password without the current one and lifts any
// lockout. It is for administrators: the caller must have checked the permission
// (rbac users.write) first.
func (a *Authenticator) SetPassword(ctx context.Context, userID, next string) error {
	return a.setPassword(ctx, userID, next)
}

func (a *Authenticator) setPassword(ctx context.Context, userID, next string) error {
	var hash string
	err := a.hashing(ctx, func() (err error) {
		hash, err = HashPassword(next)
		return err
	})
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if err := a.store.SetPasswordHash(ctx, userID, hash); err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	// The store's count and lock are reset with the hash; so are the counts in memory.
	if u, err := a.store.GetUser(ctx, userID); err == nil {
		a.fromAddr.forgetPrefix(fromKey(u.Name, ""))
		a.phantoms.forget(u.Name)
	}
	// Earlier tokens end with the change; make VerifyAccess see it now.
	if a.cache != nil {
		if err := a.cache.Invalidate(ctx); err != nil {
			return fmt.Errorf("password set, but the cache was not refreshed: %w", err)
		}
	}
	return nil
}

// ErrTokenReused is wrapped by the refusal of a refresh token used a second time.
var ErrTokenReused = fmt.Errorf("%w: refresh token already used", ErrInvalidToken)

// ReusedError is Refresh's refusal of a spent refresh token, naming whose sessions it
// ended (for the audit trail); errors.Is(err, ErrTokenReused) and ErrInvalidToken hold.
type ReusedError struct{ UserID string }

func (e *ReusedError) Error() string {
	return ErrTokenReused.Error() + "; every session of this user is ended, log in again"
}

func (e *ReusedError) Unwrap() error { return ErrTokenReused }

// SessionAccess issues an access token (no refresh token) for a session of userID that
// began at signedIn, such as a web console session: refused like a refresh when the user is
// gone or disabled, or changed at or after signedIn (a new password, role or disabled flag
// ends every earlier session, as it ends every earlier token).
func (a *Authenticator) SessionAccess(ctx context.Context, userID string, signedIn time.Time) (TokenPair, error) {
	u, err := a.store.GetUser(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return TokenPair{}, fmt.Errorf("%w: user no longer exists", ErrInvalidToken)
	}
	if err != nil {
		return TokenPair{}, fmt.Errorf("session access: %w", err)
	}
	if err := checkTokenUser(Claims{IssuedAt: signedIn.Unix()}, u); err != nil {
		return TokenPair{}, err
	}
	now, err := a.issueTime(ctx, u)
	if err != nil {
		return TokenPair{}, err
	}
	access, ac, err := a.tokens.issueAt(now, u.ID, u.Role, TokenAccess)
	if err != nil {
		return TokenPair{}, err
	}
	return TokenPair{AccessToken: access, TokenType: "Bearer", ExpiresAt: time.Unix(ac.ExpiresAt, 0).UTC()}, nil
}
