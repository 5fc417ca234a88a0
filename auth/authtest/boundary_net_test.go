//go:build !js

package authtest_test

import (
	"encoding/json"
	"fmt"
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
