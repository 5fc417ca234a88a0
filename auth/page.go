package auth

import (
	"strings"
	"time"

	"github.com/jquants-auth/jquants-auth/internal/flatjson"
)

// PageAnswer is what the core needs of a V2 answer to decide on it: its
// status, its Retry-After, and either the page's pagination_key or the
// error's message. Never the data: an edge that streams the body (the
// proxy) or parses it itself (the browser module, with JSON.parse) hands
// over just these.
type PageAnswer struct {
	Status     int
	RetryAfter string // the Retry-After header; J-Quants sends none
	// PaginationKey is a 200 page's top-level pagination_key: "" on the
	// last page.
	PaginationKey string
	// Message is an error answer's "message", "" when it has none.
	Message string
	// Malformed marks a 200 whose body is not a JSON object with a "data"
	// array, or whose pagination_key is not a string.
	Malformed bool
}

// ReadPage sums up an answer read whole. It finds pagination_key among the
// body's top-level members, so one inside "data" cannot fool it, and skips
// the data without decoding it.
func ReadPage(a Answer) PageAnswer {
	pa := PageAnswer{Status: a.StatusCode, RetryAfter: a.Header.Get("Retry-After")}
	if a.StatusCode != 200 {
		pa.Message = ErrorMessage(a.Body)
		return pa
	}
	members, err := flatjson.ParseObject(a.Body)
	data, hasData := flatjson.Lookup(members, "data")
	key, hasKey := flatjson.Lookup(members, FieldPaginationKey)
	switch {
	case err != nil || !hasData || data.Kind != flatjson.Array:
		pa.Malformed = true
	case hasKey && key.Kind != flatjson.String:
		pa.Malformed = true
	default:
		pa.PaginationKey = key.Str
	}
	return pa
}

// Err decides on a V2 answer: nil for a page (200 well formed, or 210: an
// empty page), else an *Error:
//
//   - 403: ErrKeyRequired, ErrKeyInvalid, ErrNotOnPlan or ErrNoSuchEndpoint by
//     J-Quants' documented message; ErrForbidden for another.
//   - 400: ErrOutsidePlanDates with From and To (To "" when the window has
//     no end) for "Your subscription covers the following dates: …", else
//     ErrInvalidInput.
//   - 429: ErrRateLimited, RetryAfter at least RateLimitWait (a longer
//     Retry-After is taken; J-Quants sends none).
//   - 5xx: ErrUpstreamFailure. 200 not a page: ErrUnexpectedAnswer. Any
//     other status: ErrUnexpectedStatus.
func (pa PageAnswer) Err(now time.Time) error {
	switch {
	case pa.Status == StatusPartial:
		return nil
	case pa.Status == 200 && !pa.Malformed:
		return nil
	}
	e := &Error{StatusCode: pa.Status, Message: flatjson.Truncate(pa.Message, MaxMessageBytes), kind: ErrUnexpectedStatus}
	switch {
	case pa.Status == 200:
		e.kind, e.Message = ErrUnexpectedAnswer, "the answer is not a page: want a JSON object with a data array"
	case pa.Status == 403:
		e.kind = forbiddenKind(pa.Message)
	case pa.Status == 400:
		e.kind = ErrInvalidInput
		if from, to, ok := planWindow(pa.Message); ok {
			e.kind, e.From, e.To = ErrOutsidePlanDates, from, to
		}
	case pa.Status == 429:
		e.kind = ErrRateLimited
		e.RetryAfter = max(RateLimitWait, ParseRetryAfter(pa.RetryAfter, now))
	case 500 <= pa.Status && pa.Status <= 599:
		e.kind = ErrUpstreamFailure
		e.RetryAfter = ParseRetryAfter(pa.RetryAfter, now)
	}
	return e
}

// forbiddenKind maps a 403's message to its kind.
func forbiddenKind(msg string) error {
	for _, m := range [...]struct {
		prefix string
		kind   error
	}{
		{MessageKeyRequired, ErrKeyRequired},
		{MessageKeyInvalid, ErrKeyInvalid},
		{MessageNotOnPlan, ErrNotOnPlan},
		{MessageNoSuchEndpoint, ErrNoSuchEndpoint},
	} {
		if strings.HasPrefix(msg, m.prefix) {
			return m.kind
		}
	}
	return ErrForbidden
}

// planWindow reads "Your subscription covers the following dates:
// 2024-03-21 ~ 2026-03-21 …", or "2021-06-15 ~ . …" (no end: to is "").
func planWindow(msg string) (from, to string, ok bool) {
	rest, ok := strings.CutPrefix(msg, MessageSubscriptionPre)
	if !ok {
		return "", "", false
	}
	from, rest, ok = strings.Cut(strings.TrimSpace(rest), "~")
	if from = strings.TrimSpace(from); !ok || !isDate(from) {
		return "", "", false
	}
	if rest = strings.TrimSpace(rest); len(rest) >= 10 && isDate(rest[:10]) {
		return from, rest[:10], true
	}
	if rest == "" || rest[0] == '.' {
		return from, "", true
	}
	return "", "", false
}

// isDate reports whether s is YYYY-MM-DD in digits.
func isDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	return isDigits(s[:4]) && isDigits(s[5:7]) && isDigits(s[8:])
}

// Listing is the equities/master row of one issue, as the key check fetches
// it (J-Quants' field names).
type Listing struct {
	Date, Code       string
	CoName, CoNameEn string // the company's name in Japanese and English
	S17, S17Nm       string // the 17-sector code and name
	S33, S33Nm       string // the 33-sector code and name
	ScaleCat         string
	Mkt, MktNm       string // the market segment's code and name
	Mrgn, MrgnNm     string // the margin code and name
}

// NewKeyCheck is the key check: GET /v2/equities/master?code=86970, one row
// (JPX Group's own listing), open to every plan.
func NewKeyCheck(baseURL string, key APIKey) (V2Request, error) {
	return NewV2Request(baseURL, key, KeyCheckPath, KeyCheckQuery)
}

// DecodeKeyCheck decides on the key check's answer: the key works, with the
// row it fetched, or the error (see PageAnswer.Err).
func DecodeKeyCheck(a Answer, now time.Time) (Listing, error) {
	if err := ReadPage(a).Err(now); err != nil {
		return Listing{}, err
	}
	unexpected := &Error{StatusCode: a.StatusCode, kind: ErrUnexpectedAnswer, Message: "the key check's page has no listing"}
	members, _ := flatjson.ParseObject(a.Body) // a 210 has no body to parse
	data, _ := flatjson.Lookup(members, "data")
	if data.Kind != flatjson.Array {
		return Listing{}, unexpected
	}
	rows, _ := flatjson.Elements(a.Body[data.Start:data.End])
	if len(rows) == 0 {
		return Listing{}, unexpected
	}
	row, err := flatjson.ParseObject(rows[0])
	if err != nil {
		return Listing{}, unexpected
	}
	get := func(name string) string { m, _ := flatjson.Lookup(row, name); return m.Str }
	l := Listing{
		Date: get("Date"), Code: get("Code"), CoName: get("CoName"), CoNameEn: get("CoNameEn"),
		S17: get("S17"), S17Nm: get("S17Nm"), S33: get("S33"), S33Nm: get("S33Nm"), ScaleCat: get("ScaleCat"),
		Mkt: get("Mkt"), MktNm: get("MktNm"), Mrgn: get("Mrgn"), MrgnNm: get("MrgnNm"),
	}
	if l.Code == "" {
		return Listing{}, unexpected
	}
	return l, nil
}
