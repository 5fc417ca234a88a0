//go:build !js

// The README's V2 Go example, compiled and run by `go test`: keep the two
// the same.
package authhttp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authhttp"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
)

// closes checks the key, then fetches a stock's daily closes, every page,
// paced for the plan. baseURL "" is J-Quants itself; key "" reads
// $JQUANTS_API_KEY.
func closes(ctx context.Context, baseURL, key, code, from, to string) (string, []float64, error) {
	client, err := authhttp.NewAPIClient(baseURL, key, auth.PlanFree)
	if err != nil {
		return "", nil, err // errors.Is(err, auth.ErrInvalidInput): nothing was sent
	}
	listing, err := client.CheckKey(ctx) // GET /v2/equities/master?code=86970
	if err != nil {
		return "", nil, err // errors.Is(err, auth.ErrKeyInvalid), …
	}
	var out []float64
	query := auth.Query("code", code, "from", from, "to", to)
	for page, err := range client.Pages(ctx, "/equities/bars/daily", query) {
		if err != nil {
			return "", nil, err // auth.ErrOutsidePlanDates: e.From, e.To; auth.ErrRateLimited: waited out twice, …
		}
		var body struct {
			Data []struct{ C float64 } `json:"data"`
		}
		if err := json.Unmarshal(page.Body, &body); err != nil {
			return "", nil, err
		}
		for _, row := range body.Data {
			out = append(out, row.C)
		}
	}
	return listing.CoNameEn, out, nil
}

func ExampleNewAPIClient() {
	fake := authtest.NewServer() // use "" for J-Quants itself
	defer fake.Close()
	ctx := context.Background()
	_, last := authtest.PlanWindow(auth.PlanFree, time.Now()) // a Free key sees up to 12 weeks ago
	from, to := last.AddDate(0, -1, 0).Format(time.DateOnly), last.Format(time.DateOnly)

	name, c, err := closes(ctx, fake.URL, authtest.DemoKey, "86970", from, to)
	fmt.Println(name, len(c) > 10, err)

	_, _, err = closes(ctx, fake.URL, "not-a-key-of-ours", "86970", from, to)
	fmt.Println(errors.Is(err, auth.ErrKeyInvalid), auth.Code(err))
	// Output:
	// Japan Exchange Group,Inc. true <nil>
	// true key_invalid
}
