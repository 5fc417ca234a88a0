//go:build !js

// The README's Go example, compiled and run by `go test`: keep the two the
// same. It needs a listening socket for the fake, which GOOS=js lacks.
package authhttp_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authhttp"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
)

// idToken logs in with a mail address and password (auth_user, a refresh
// token valid 7 days) and exchanges the refresh token for an ID token
// (auth_refresh, valid 24 hours). baseURL "" is J-Quants itself.
func idToken(ctx context.Context, baseURL, mail, password string) (auth.IDToken, error) {
	client := authhttp.NewClient(baseURL)
	creds, err := auth.NewCredentials(mail, password)
	if err != nil {
		return auth.IDToken{}, err // errors.Is(err, auth.ErrInvalidInput): nothing was sent
	}
	refresh, err := client.AuthUser(ctx, creds)
	if err != nil {
		return auth.IDToken{}, err
	}
	return client.AuthRefresh(ctx, refresh.Value)
}

// describe says what became of a login, as a program would tell its user.
func describe(id auth.IDToken, err error) string {
	var e *auth.Error
	switch {
	case err == nil:
		return fmt.Sprint("an ID token, valid for ", id.ExpiresAt.Sub(id.IssuedAt))
	case errors.Is(err, auth.ErrInvalidCredentials):
		return "wrong mail address or password: " + err.Error()
	case errors.As(err, &e): // any other answer from J-Quants
		return fmt.Sprint("J-Quants answered ", e.StatusCode, " (", auth.Code(err), "): ", e.Message)
	default:
		return err.Error() // bad input, no answer, timeout, canceled
	}
}

func ExampleNewClient() {
	// A fake J-Quants server stands in for the real one ("" as the base URL).
	fake := authtest.NewServer()
	defer fake.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	fmt.Println(describe(idToken(ctx, fake.URL, authtest.DemoMailAddress, authtest.DemoPassword)))
	fmt.Println(describe(idToken(ctx, fake.URL, authtest.DemoMailAddress, "a wrong password")))
	fake.SetFault(authtest.Fault{Status: 403, Message: authtest.MessageForbidden, Times: 1})
	fmt.Println(describe(idToken(ctx, fake.URL, authtest.DemoMailAddress, authtest.DemoPassword)))
	fmt.Println(describe(idToken(ctx, fake.URL, "not-an-address", "x")))
	// Output:
	// an ID token, valid for 24h0m0s
	// wrong mail address or password: auth: 400 credentials are incorrect: 'mailaddress' or 'password' is incorrect.
	// J-Quants answered 403 (forbidden): Missing Authentication Token
	// mailaddress must contain exactly one @
}
