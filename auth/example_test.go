package auth_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
)

func ExampleNewCredentials() {
	creds, err := auth.NewCredentials("  user@example.com\n", "s3cret")
	fmt.Println(creds, err)
	fmt.Println(string(creds.RequestBody()))

	_, err = auth.NewCredentials("user.example.com", "s3cret")
	fmt.Println(err, errors.Is(err, auth.ErrInvalidInput), auth.Code(err))
	// Output:
	// {MailAddress:user@example.com Password:[REDACTED]} <nil>
	// {"mailaddress":"user@example.com","password":"s3cret"}
	// mailaddress must contain exactly one @ true invalid_input
}

func ExampleDecodeAnswer() {
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

	tok, err := auth.DecodeAnswer(auth.Answer{StatusCode: 200, Body: []byte(`{"refreshToken":"abc"}`)}, now)
	fmt.Println(tok.Value, tok.ExpiresAt.Format(time.DateOnly), err)

	_, err = auth.DecodeAnswer(auth.Answer{
		StatusCode: 400,
		Body:       []byte(`{"message":"'mailaddress' or 'password' is incorrect."}`),
	}, now)
	var e *auth.Error
	fmt.Println(errors.As(err, &e), e.StatusCode, errors.Is(err, auth.ErrInvalidCredentials))
	fmt.Println(err)

	_, err = auth.DecodeAnswer(auth.Answer{StatusCode: 429, Header: auth.Header{"Retry-After": {"30"}}}, now)
	fmt.Println(err, auth.Code(err))
	// Output:
	// abc 2026-05-08 <nil>
	// true 400 true
	// auth: 400 credentials are incorrect: 'mailaddress' or 'password' is incorrect.
	// auth: 429 rate limited (retry after 30s) rate_limited
}

func ExampleParseRetryAfter() {
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	fmt.Println(auth.ParseRetryAfter("120", now))
	fmt.Println(auth.ParseRetryAfter("Fri, 01 May 2026 09:00:45 GMT", now))
	fmt.Println(auth.ParseRetryAfter("-1", now))
	// Output:
	// 2m0s
	// 45s
	// 0s
}

func ExampleToken_String() {
	issued := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	tok := auth.RefreshToken{Value: "secret-token", IssuedAt: issued, ExpiresAt: issued.Add(auth.TokenLifetime)}
	fmt.Println(tok)
	fmt.Println(tok.Expired(issued.Add(24 * time.Hour)))
	// Output:
	// Token{Value:[REDACTED] IssuedAt:2026-05-01T09:00:00Z ExpiresAt:2026-05-08T09:00:00Z}
	// false
}

func ExampleExchange() {
	// The retry state machine, driven by hand: what an edge without Go's
	// net/http (the browser module) does with fetch.
	x, err := auth.NewAuthRefresh("https://api.example", "refresh-token", auth.Retry{MaxRetryAfter: 3 * time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(x.Request.URL, x.Request.Body == nil)
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

	step := x.Receive(auth.Answer{StatusCode: 503, Header: auth.Header{"Retry-After": {"10"}}}, nil, now)
	fmt.Println(step.Done, step.Wait, step.Err)

	// An edge that keeps no Go value rebuilds the exchange from its parts.
	y := auth.Exchange{Endpoint: x.Endpoint, Retry: x.Retry, Attempt: x.Attempt}
	step = y.Receive(auth.Answer{StatusCode: 200, Body: []byte(`{"idToken":"id"}`)}, nil, now)
	fmt.Println(step.Done, step.Token.Value, step.Token.ExpiresAt.Sub(step.Token.IssuedAt), y.Attempt)
	// Output:
	// https://api.example/v1/token/auth_refresh?refreshtoken=refresh-token true
	// false 3s auth: 503 unexpected status (retry after 10s)
	// true id 24h0m0s 2
}

func ExampleCode() {
	_, err := auth.DecodeAnswer(auth.Answer{StatusCode: 404}, time.Now())
	fmt.Println(auth.Code(err))
	fmt.Println(err)
	// Output:
	// endpoint_gone
	// auth: 404 endpoint does not exist upstream: J-Quants retired its V1 API, /v1/token/auth_user included, on 2026-06-01
}
