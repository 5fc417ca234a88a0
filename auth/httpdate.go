package auth

import (
	"strings"
	"time"
)

// The names HTTP dates use (RFC 9110 §5.6.7), in time.Weekday and
// time.Month order.
var (
	shortDayNames = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	longDayNames  = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	monthNames    = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
)

// httpDateForms are the three forms of an HTTP date: IMF-fixdate
// "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850's "Sunday, 06-Nov-94 08:49:37 GMT"
// and asctime's "Sun Nov  6 08:49:37 1994", in strftime's terms: %a a short
// day name, %A a long one, %b a month, %d a two-digit day, %e a day of two
// digits or a space and one, %Y a four-digit year, %y a two-digit one, %H
// %M %S the time of day in two digits each; any other byte stands for
// itself.
var httpDateForms = [...]string{"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"}

// parseHTTPDate reads an HTTP date in any of its three forms, as UTC. A
// two-digit year is 19xx from 69 up, else 20xx, as time.Parse reads "06".
// It is strict where time.Parse is lenient: names in their case, one space
// where the form has one, two-digit hours, no fraction of a second. It
// replaces time.Parse, which made the Worker's upload 28 KB (gzip) larger.
func parseHTTPDate(s string) (time.Time, bool) {
	for _, form := range httpDateForms {
		if t, ok := parseDateForm(form, s); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseDateForm reads s in one of httpDateForms.
func parseDateForm(form, s string) (time.Time, bool) {
	var year, month, day, hour, min, sec int
	num := func(n int) (int, bool) {
		if len(s) < n {
			return 0, false
		}
		v := 0
		for i := range n {
			if s[i] < '0' || s[i] > '9' {
				return 0, false
			}
			v = v*10 + int(s[i]-'0')
		}
		s = s[n:]
		return v, true
	}
	name := func(names []string) (int, bool) {
		for i, n := range names {
			if strings.HasPrefix(s, n) {
				s = s[len(n):]
				return i, true
			}
		}
		return 0, false
	}
	for i := 0; i < len(form); i++ {
		ok := true
		f := form[i]
		if f == '%' {
			i++
			f = form[i]
		} else {
			f = 0 // a byte that stands for itself
		}
		switch f {
		case 'a':
			_, ok = name(shortDayNames)
		case 'A':
			_, ok = name(longDayNames)
		case 'b':
			month, ok = name(monthNames)
		case 'd':
			day, ok = num(2)
		case 'e':
			if strings.HasPrefix(s, " ") {
				s = s[1:]
				day, ok = num(1)
			} else {
				day, ok = num(2)
			}
		case 'Y':
			year, ok = num(4)
		case 'y':
			if year, ok = num(2); year >= 69 {
				year += 1900
			} else {
				year += 2000
			}
		case 'H':
			hour, ok = num(2)
		case 'M':
			min, ok = num(2)
		case 'S':
			sec, ok = num(2)
		default:
			if ok = s != "" && s[0] == form[i]; ok {
				s = s[1:]
			}
		}
		if !ok {
			return time.Time{}, false
		}
	}
	// No leap second, as time.Parse; the day must be in the month.
	daysIn := 31 - (0x528>>month)&1 // 30 days hath September, April, June and November
	if month == 1 {
		daysIn = 28
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			daysIn = 29
		}
	}
	if s != "" || day < 1 || day > daysIn || hour > 23 || min > 59 || sec > 59 {
		return time.Time{}, false
	}
	// time.Unix and days from the civil date (Howard Hinnant's algorithm),
	// not time.Date, which would link time zones in.
	y, m := year, month+1
	if m <= 2 {
		y--
	}
	era := (y - 399*(y>>63&1)) / 400 // floored: year 0 makes y -1
	yoe := y - era*400
	doy := (153*((m+9)%12)+2)/5 + day - 1
	days := era*146097 + yoe*365 + yoe/4 - yoe/100 + doy - 719468
	return time.Unix(int64(days)*86400+int64(hour*3600+min*60+sec), 0).UTC(), true
}
