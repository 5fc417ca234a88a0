//go:build !js

package authtest_test

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth/authtest"
)

// A day's minute bars are one a minute, in order: 09:00 to 11:30, then
// 12:30 to 15:30. (make mutate showed their times unchecked.)
func TestV2MinuteBarTimes(t *testing.T) {
	a := newV2Fake(t).get(authtest.DemoKeyStandard, "/v2/equities/bars/minute?code=86970&date=2026-06-12")
	require.Equal(t, 200, a.status, string(a.body))
	var page struct {
		Data []struct{ Date, Time string } `json:"data"`
	}
	require.NoError(t, json.Unmarshal(a.body, &page))
	var want []string
	for m := 9 * 60; m <= 11*60+30; m++ {
		want = append(want, fmt.Sprintf("%02d:%02d", m/60, m%60))
	}
	for m := 12*60 + 30; m <= 15*60+30; m++ {
		want = append(want, fmt.Sprintf("%02d:%02d", m/60, m%60))
	}
	var got []string
	for _, r := range page.Data {
		assert.Equal(t, "2026-06-12", r.Date)
		got = append(got, r.Time)
	}
	assert.Equal(t, want, got)
}

// The exchange is shut from 31 December to 3 January: the daily bars around
// New Year skip exactly those days (and the weekend).
func TestV2NewYearHolidays(t *testing.T) {
	a := newV2Fake(t).get(authtest.DemoKeyStandard, "/v2/equities/bars/daily?code=86970&from=2024-12-30&to=2025-01-07")
	require.Equal(t, 200, a.status, string(a.body))
	var page struct {
		Data []struct{ Date string } `json:"data"`
	}
	require.NoError(t, json.Unmarshal(a.body, &page))
	var got []string
	for _, r := range page.Data {
		got = append(got, r.Date)
	}
	assert.Equal(t, []string{"2024-12-30", "2025-01-06", "2025-01-07"}, got)
}

// The fake's prices are on the exchange's tick (1 yen up to 3,000, 5 up to
// 5,000, 10 above) and between 300 and 30,000 yen; daily volumes are whole
// hundreds of shares, in the thousands at least.
func TestV2PricesOnTheTick(t *testing.T) {
	f := newV2Fake(t)
	for _, code := range []string{"13010", "67580", "72030", "83060", "86970", "99840"} {
		a := f.get(authtest.DemoKeyStandard, "/v2/equities/bars/daily?code="+code+"&from=2025-03-01&to=2025-05-31")
		require.Equal(t, 200, a.status, string(a.body))
		var page struct {
			Data []struct{ O, H, L, C, Vo float64 } `json:"data"`
		}
		require.NoError(t, json.Unmarshal(a.body, &page))
		require.NotEmpty(t, page.Data, code)
		for _, r := range page.Data {
			for _, p := range []float64{r.O, r.H, r.L, r.C} {
				step := 1.0
				switch {
				case p > 5000:
					step = 10
				case p > 3000:
					step = 5
				}
				assert.Zero(t, math.Mod(p, step), "%s: %v not on the tick", code, p)
				assert.True(t, p >= 300 && p <= 30000, "%s: price %v", code, p)
			}
			assert.Zero(t, math.Mod(r.Vo, 100), "%s: volume %v", code, r.Vo)
			assert.GreaterOrEqual(t, r.Vo, 1000.0, code)
		}
	}
}
