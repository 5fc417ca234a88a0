//go:build !js

package auth_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authhttp"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
)

func ExampleClient_AuthUser() {
	// A fake J-Quants on loopback; use authhttp.NewClient("") for the real one.
	srv := authtest.NewServer()
	defer srv.Close()
	client := authhttp.NewClient(srv.URL)

	creds, err := auth.NewCredentials(authtest.DemoMailAddress, authtest.DemoPassword)
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, err := client.AuthUser(context.Background(), creds)
	if err != nil {
		fmt.Println(err)
		return
	}
	// The token is random: show that there is one, not what it is.
	fmt.Println(strings.HasPrefix(tok.Value, authtest.TokenPrefix), srv.Issued(tok.Value))
	fmt.Println(tok.ExpiresAt.Sub(tok.IssuedAt))

	id, err := client.AuthRefresh(context.Background(), tok.Value)
	if err != nil {
		fmt.Println(err)
		return
	}
	mail, _ := srv.IDTokenIssuedTo(id.Value)
	fmt.Println(mail, id.ExpiresAt.Sub(id.IssuedAt))

	wrong, _ := auth.NewCredentials(authtest.DemoMailAddress, "wrong")
	_, err = client.AuthUser(context.Background(), wrong)
	fmt.Println(errors.Is(err, auth.ErrInvalidCredentials), auth.Code(err))
	fmt.Println(err)
	// Output:
	// true true
	// 168h0m0s
	// demo@example.com 24h0m0s
	// true invalid_credentials
	// auth: 400 credentials are incorrect: 'mailaddress' or 'password' is incorrect.
}
