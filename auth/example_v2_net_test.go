//go:build !js

package auth_test

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

func ExampleAPIClient_CheckKey() {
	// A fake J-Quants on loopback; use authhttp.NewAPIClient("", "", plan)
	// for the real one, with the key in $JQUANTS_API_KEY.
	srv := authtest.NewServer()
	defer srv.Close()
	client, err := authhttp.NewAPIClient(srv.URL, authtest.DemoKey, auth.PlanFree)
	if err != nil {
		fmt.Println(err)
		return
	}
	listing, err := client.CheckKey(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(listing.Code, listing.CoNameEn)

	wrong, _ := authhttp.NewAPIClient(srv.URL, "not-a-key-of-ours", auth.PlanFree)
	_, err = wrong.CheckKey(context.Background())
	fmt.Println(errors.Is(err, auth.ErrKeyInvalid), auth.Code(err))
	// Output:
	// 86970 Japan Exchange Group,Inc.
	// true key_invalid
}

func ExampleAPIClient_Pages() {
	srv := authtest.NewServer()
	defer srv.Close()
	srv.SetPageRows(20) // small pages, to show the paging
	client, _ := authhttp.NewAPIClient(srv.URL, authtest.DemoKey, auth.PlanFree)

	// A Free key sees dates up to 12 weeks back: take a month of them.
	_, to := authtest.PlanWindow(auth.PlanFree, time.Now())
	query := auth.Query("code", "86970", "from", to.AddDate(0, -1, 0).Format(time.DateOnly), "to", to.Format(time.DateOnly))
	var closes []float64
	for page, err := range client.Pages(context.Background(), "/equities/bars/daily", query) {
		if err != nil {
			fmt.Println(err)
			return
		}
		var body struct {
			Data []struct{ C float64 } `json:"data"`
		}
		if err := json.Unmarshal(page.Body, &body); err != nil {
			fmt.Println(err)
			return
		}
		for _, row := range body.Data {
			closes = append(closes, row.C)
		}
	}
	fmt.Println(len(closes) > 10, closes[0] > 0)
	// Output: true true
}
