package auth

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The three layouts time.Parse would read HTTP dates with: parseHTTPDate's
// oracle.
var httpDateLayouts = [...]string{"Mon, 02 Jan 2006 15:04:05 GMT", "Monday, 02-Jan-06 15:04:05 GMT", "Mon Jan _2 15:04:05 2006"}

func TestParseHTTPDate(t *testing.T) {
	want := time.Date(1994, time.November, 6, 8, 49, 37, 0, time.UTC)
	for _, s := range []string{"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"} {
		got, ok := parseHTTPDate(s)
		assert.True(t, ok, s)
		assert.Equal(t, want, got, s)
	}
	for _, s := range []string{
		"", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 GMT ", " Sun, 06 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 PST", "Sun, 06 Nov 94 08:49:37 GMT", "Sun, 6 Nov 1994 08:49:37 GMT",
		"Sun, 31 Nov 1994 08:49:37 GMT", "Sun, 29 Feb 1995 08:49:37 GMT", "Sun, 00 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:60:00 GMT", "Sun, 06 Nov 1994 08:49:60 GMT",
		"Sun, 06 Nav 1994 08:49:37 GMT", "Sul, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49 GMT",
		"Sunday, 06-Nov-1994 08:49:37 GMT", "Sun, 06-Nov-94 08:49:37 GMT", "Sun Nov 6 08:49:37 1994", "Sun Nov 06 08:49:37 94",
		// time.Parse takes these; parseHTTPDate does not.
		"sun, 06 nov 1994 08:49:37 GMT", "Sun,  06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 8:49:37 GMT", "Sun, 06 Nov 1994 08:49:37.5 GMT",
	} {
		_, ok := parseHTTPDate(s)
		assert.False(t, ok, "%q", s)
	}
	// Leap years and the ends of the four-digit years, as time.Parse reads them.
	for _, s := range []string{"Tue, 29 Feb 2028 23:59:59 GMT", "Tue, 29 Feb 2000 00:00:00 GMT", "Sat, 01 Jan 0000 00:00:00 GMT",
		"Sat, 29 Feb 0000 12:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "Thu, 01 Jan 1970 00:00:00 GMT", "Wed, 31 Dec 1969 23:59:59 GMT"} {
		got, ok := parseHTTPDate(s)
		want, err := time.Parse(httpDateLayouts[0], s)
		require.NoError(t, err)
		assert.True(t, ok, s)
		assert.Equal(t, want, got, s)
	}
	for _, s := range []string{"Mon, 29 Feb 2100 00:00:00 GMT", "Fri, 29 Feb 1900 00:00:00 GMT", "Sun, 29 Feb 2027 00:00:00 GMT"} {
		_, ok := parseHTTPDate(s)
		assert.False(t, ok, "no 29 February in %q", s)
	}
}

// Every moment time.Format writes in the three forms reads back the same,
// as time.Parse reads it: each day from 1969 to 2068 (where RFC 850's two
// digits say the year), at a time of day that changes with it.
func TestParseHTTPDateAsTimeParse(t *testing.T) {
	for d := time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2069; d = d.AddDate(0, 0, 1) {
		at := d.Add(time.Duration(d.YearDay()*7919) * time.Second % (24 * time.Hour))
		for _, layout := range httpDateLayouts {
			s := at.Format(layout)
			got, ok := parseHTTPDate(s)
			require.True(t, ok, s)
			want, err := time.Parse(layout, s)
			require.NoError(t, err)
			require.Equal(t, want, got, s)
		}
	}
}

// FuzzHTTPDate: what parseHTTPDate reads, time.Parse reads the same in one
// of the three layouts.
func FuzzHTTPDate(f *testing.F) {
	for _, s := range []string{"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Sat, 29 Feb 2000 00:00:00 GMT"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseHTTPDate(s)
		if !ok {
			return
		}
		for _, layout := range httpDateLayouts {
			if want, err := time.Parse(layout, s); err == nil {
				if !want.Equal(got) {
					t.Fatalf("%q: parseHTTPDate %v, time.Parse %v", s, got, want)
				}
				return
			}
		}
		t.Fatalf("%q: parseHTTPDate %v, time.Parse reads it in no layout", s, got)
	})
}
