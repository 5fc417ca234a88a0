package authtest

import (
	"bytes"
	"compress/gzip"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
)

// KeyPrefix starts every API key the fake makes (the demo keys, NewKey), so
// that a scan for leaks can spot one: KeyPrefix and hex digits.
const KeyPrefix = "fake-api-key-"

// The demo keys every Handler starts with, one per plan. DemoKey is on the
// Free plan, the page's default.
const (
	DemoKey         = KeyPrefix + "7f7c6a21b87f24ac7ed4e53fdcd5265dfb1f7486"
	DemoKeyLight    = KeyPrefix + "e7e974dc96be545ba46f60257165a246533420ac"
	DemoKeyStandard = KeyPrefix + "46d98f3eb3098bd5caa364d80b9769e99adb8c7b"
	DemoKeyPremium  = KeyPrefix + "bf04ddd0813140a1932cf80834644653180be5c9"
)

// DemoKeyFor returns the demo key on plan p ("" for a plan that is none of
// the four).
func DemoKeyFor(p auth.Plan) string {
	switch p {
	case auth.PlanFree:
		return DemoKey
	case auth.PlanLight:
		return DemoKeyLight
	case auth.PlanStandard:
		return DemoKeyStandard
	case auth.PlanPremium:
		return DemoKeyPremium
	}
	return ""
}

// plansHint ends J-Quants' plan and date-window messages, as users have
// reported them.
const plansHint = " If you want more data, please check other plans:https://jpx-jquants.com/#dataset"

// The V2 messages the fake sends in full. J-Quants documents only how the
// first two begin (auth.MessageNotOnPlan, auth.MessageNoSuchEndpoint); the
// rest of MessageNotOnPlan is as users report it, the rest of
// MessageNoSuchEndpoint after "Please check the URL, HTTP me" is a guess.
// The others are not documented at all: the fake's choices.
const (
	MessageNotOnPlan      = auth.MessageNotOnPlan + plansHint
	MessageNoSuchEndpoint = auth.MessageNoSuchEndpoint + " Please check the URL, HTTP method and query parameters."
	// MessageTooManyRequests is the 429's body message: what an AWS API
	// Gateway usage plan answers; J-Quants documents no body.
	MessageTooManyRequests = "Too Many Requests"
	// MessagePaginationKeyInvalid answers a pagination_key this handler did
	// not give for this query (400).
	MessagePaginationKeyInvalid = "The pagination_key is invalid."
	// MessageInvalidDate answers a date, from or to that is no date (400).
	MessageInvalidDate = "The parameters date, from and to take a date as YYYYMMDD or YYYY-MM-DD."
)

// PageBytes is the most bytes a V2 page holds, as J-Quants splits them
// ("about 5,000,000 bytes"); BigPageTarget asks for such a page.
const PageBytes = 5_000_000

// jst is Japan's time, by which J-Quants' days and windows turn.
var jst = time.FixedZone("JST", 9*60*60)

// PlanWindow is the dates plan p may ask for on the day of now (in Japan):
// Free from 2 years before "12 weeks ago" to 12 weeks ago, as J-Quants
// documents; Light 5 years, Standard 10 years and Premium 20 years back to
// no upper bound (to is the zero Time), as users have reported the messages
// of the paid plans ("2021-09-01 ~ ."). The paid plans' spans are the fake's
// choice.
func PlanWindow(p auth.Plan, now time.Time) (from, to time.Time) {
	today := civil(now)
	switch p {
	case auth.PlanLight:
		return today.AddDate(-5, 0, 0), time.Time{}
	case auth.PlanStandard:
		return today.AddDate(-10, 0, 0), time.Time{}
	case auth.PlanPremium:
		return today.AddDate(-20, 0, 0), time.Time{}
	}
	to = today.AddDate(0, 0, -7*12)
	return to.AddDate(-2, 0, 0), to
}

// SubscriptionMessage is the 400 message for a date outside plan p's
// window on the day of now, as J-Quants words it:
// "Your subscription covers the following dates: 2024-03-21 ~ 2026-03-21. If …"
// (no upper date on the paid plans: "2021-09-01 ~ . If …").
func SubscriptionMessage(p auth.Plan, now time.Time) string {
	from, to := PlanWindow(p, now)
	end := ""
	if !to.IsZero() {
		end = to.Format(time.DateOnly)
	}
	return auth.MessageSubscriptionPre + from.Format(time.DateOnly) + " ~ " + end + "." + plansHint
}

// BigPageTarget is a request path and query (to append to the server's URL,
// with DemoKeyStandard or better) whose first page is about PageBytes:
// a year of one issue's minute bars, up to the day of now.
func BigPageTarget(now time.Time) string {
	today := civil(now)
	return auth.V2Prefix + "/equities/bars/minute?code=86970&from=" +
		today.AddDate(-1, 0, 0).Format(time.DateOnly) + "&to=" + today.Format(time.DateOnly)
}

// AddKey adds or replaces a V2 API key on plan. The key must be 8 to 256
// visible ASCII characters: it is a test's bug otherwise, and AddKey panics.
func (h *Handler) AddKey(key string, plan auth.Plan) {
	if len(key) < 8 || len(key) > 256 || strings.IndexFunc(key, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		panic("authtest: AddKey: a key is 8 to 256 visible ASCII characters")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.keys[key] = plan
	h.everKeys[key] = true
}

// NewKey adds a new random key (KeyPrefix and 48 hex digits) on plan and
// returns it: a person of their own, for tests of isolation.
func (h *Handler) NewKey(plan auth.Plan) string {
	key := newToken(KeyPrefix)
	h.AddKey(key, plan)
	return key
}

// RemoveKey forgets key, as J-Quants forgets a deleted or re-issued one: it
// is then answered 403 auth.MessageKeyInvalid (and still kept out of what is
// recorded).
func (h *Handler) RemoveKey(key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.keys, key)
}

// SetPageRows makes V2 pages hold at most n rows (and, as ever, at most
// PageBytes); n <= 0 restores the default, PageBytes alone. Reset keeps it.
func (h *Handler) SetPageRows(n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pageRows = max(n, 0)
}

func isV2(path string) bool {
	return path == auth.V2Prefix || strings.HasPrefix(path, auth.V2Prefix+"/")
}

// serveV2 answers a request under auth.V2Prefix.
func (h *Handler) serveV2(w http.ResponseWriter, r *http.Request) {
	status, body := h.answerV2(r)
	w.Header().Set("Content-Type", "application/json")
	if acceptsGzip(r.Header) {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(body)
		zw.Close()
		body = z.Bytes()
		w.Header().Set("Content-Encoding", "gzip")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// answerV2 makes the checks in the order J-Quants' answers suggest: the
// path and method (an undocumented one is refused whatever the key), the
// key, the key's rate (every request with a known key counts, whatever
// follows), the plan, the parameters and the plan's date window, then the
// page.
func (h *Handler) answerV2(r *http.Request) (status int, body []byte) {
	ep, ok := auth.LookupV2(strings.TrimPrefix(r.URL.EscapedPath(), auth.V2Prefix))
	if !ok || r.Method != http.MethodGet {
		return messageAnswer(http.StatusForbidden, MessageNoSuchEndpoint)
	}
	key := r.Header.Get(auth.HeaderAPIKey)
	if key == "" {
		return messageAnswer(http.StatusForbidden, auth.MessageKeyRequired)
	}
	h.mu.Lock()
	plan, known := h.keys[key]
	now := h.now()
	admitted := known && h.admit(key, ep, plan, now)
	pageRows := h.pageRows
	h.mu.Unlock()
	switch {
	case !known:
		return messageAnswer(http.StatusForbidden, auth.MessageKeyInvalid)
	case !admitted:
		return messageAnswer(http.StatusTooManyRequests, MessageTooManyRequests)
	case plan < ep.MinPlan:
		return messageAnswer(http.StatusForbidden, MessageNotOnPlan)
	}

	q := r.URL.Query()
	if needsCodeOrDate(ep.Path) && q.Get("code") == "" && q.Get("date") == "" {
		return messageAnswer(http.StatusBadRequest, auth.MessageMissingParams)
	}
	params := dataQuery{code: normalCode(q.Get("code"))}
	from, to := PlanWindow(plan, now)
	for _, d := range []struct {
		name string
		dst  *time.Time
	}{{"date", &params.date}, {"from", &params.from}, {"to", &params.to}} {
		v := q.Get(d.name)
		if v == "" {
			continue
		}
		t, ok := parseDate(v)
		if !ok {
			return messageAnswer(http.StatusBadRequest, MessageInvalidDate)
		}
		if t.Before(from) || !to.IsZero() && t.After(to) {
			return messageAnswer(http.StatusBadRequest, SubscriptionMessage(plan, now))
		}
		*d.dst = t
	}
	params.first, params.last = from, to
	if to.IsZero() {
		params.last = civil(now)
	}

	src, partial := rowsFor(ep.Path, params, now)
	if partial {
		return auth.StatusPartial, []byte(`{"data":[]}`)
	}
	unpaged := url.Values{}
	for k, v := range q {
		if k != auth.FieldPaginationKey {
			unpaged[k] = v
		}
	}
	scope := ep.Path + "?" + unpaged.Encode()
	offset := 0
	if pk := q.Get(auth.FieldPaginationKey); pk != "" {
		if offset, ok = h.openPageKey(pk, scope); !ok {
			return messageAnswer(http.StatusBadRequest, MessagePaginationKeyInvalid)
		}
	}
	return http.StatusOK, h.page(src, offset, pageRows, PageBytes, scope)
}

// needsCodeOrDate reports whether the endpoint at path answers 400
// auth.MessageMissingParams without a code or a date.
func needsCodeOrDate(path string) bool {
	return path == "/equities/bars/daily" || path == "/equities/bars/minute"
}

// admit counts a request by key to ep at now against the key's rate per
// minute and, for an endpoint with a rate of its own, against that too; it
// reports whether the request is within both. Refused requests do not
// count. h.mu is held.
func (h *Handler) admit(key string, ep auth.V2Endpoint, plan auth.Plan, now time.Time) bool {
	since := now.Add(-time.Minute)
	all := recent(h.hits[key], since)
	h.hits[key] = all
	if len(all) >= plan.PerMinute() {
		return false
	}
	if ep.PerMinute > 0 {
		pathKey := key + " " + ep.Path
		own := recent(h.hits[pathKey], since)
		if len(own) >= ep.PerMinute {
			h.hits[pathKey] = own
			return false
		}
		h.hits[pathKey] = append(own, now)
	}
	h.hits[key] = append(all, now)
	return true
}

// recent keeps the times after since.
func recent(ts []time.Time, since time.Time) []time.Time {
	kept := ts[:0]
	for _, t := range ts {
		if t.After(since) {
			kept = append(kept, t)
		}
	}
	return kept
}

// acceptsGzip reports whether the Accept-Encoding header takes gzip (and
// not with q=0).
func acceptsGzip(h http.Header) bool {
	for _, v := range h.Values("Accept-Encoding") {
		for _, part := range strings.Split(v, ",") {
			name, param, _ := strings.Cut(part, ";")
			if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
				continue
			}
			if qv, ok := strings.CutPrefix(strings.TrimSpace(param), "q="); ok {
				if f, err := strconv.ParseFloat(qv, 64); err == nil && f == 0 {
					continue
				}
			}
			return true
		}
	}
	return false
}

func messageAnswer(status int, msg string) (int, []byte) {
	b, _ := json.Marshal(map[string]string{"message": msg})
	return status, b
}

// pageKeyBytes is a pagination key's size before base64: the row offset
// (masked) and a truncated MAC.
const pageKeyBytes = 4 + 12

// page encodes rows offset… of src as {"data":[…]}, at most maxRows of them
// (if > 0) and at most maxBytes in all (the first row goes in whatever its
// size), with a pagination_key naming the next row if one is left.
func (h *Handler) page(src rowSource, offset, maxRows, maxBytes int, scope string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"data":[`)
	var enc bytes.Buffer
	e := json.NewEncoder(&enc)
	e.SetEscapeHTML(false)
	tail := len(`],"`+auth.FieldPaginationKey+`":""}`) + base64.RawURLEncoding.EncodedLen(pageKeyBytes)
	i, n := offset, 0
	for ; i < src.n && (maxRows == 0 || n < maxRows); i++ {
		enc.Reset()
		if err := e.Encode(src.row(i)); err != nil {
			panic("authtest: encoding a row: " + err.Error())
		}
		row := bytes.TrimSuffix(enc.Bytes(), []byte("\n"))
		if n > 0 {
			if b.Len()+1+len(row)+tail > maxBytes {
				break
			}
			b.WriteByte(',')
		}
		b.Write(row)
		n++
	}
	b.WriteByte(']')
	if i < src.n {
		b.WriteString(`,"` + auth.FieldPaginationKey + `":"` + h.pageKey(scope, i) + `"`)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// pageKey names row offset of the query scope: opaque, different on every
// page, valid only for the same query on this handler. The offset is masked
// by a MAC of the query and the whole signed, so that keys look random.
func (h *Handler) pageKey(scope string, offset int) string {
	var raw [pageKeyBytes]byte
	binary.BigEndian.PutUint32(raw[:4], uint32(offset))
	mask := h.mac(scope, -1)
	for i := range 4 {
		raw[i] ^= mask[i]
	}
	copy(raw[4:], h.mac(scope, offset))
	return base64.RawURLEncoding.EncodeToString(raw[:])
}

// openPageKey returns the row offset key names, if it is one of pageKey's
// for scope.
func (h *Handler) openPageKey(key, scope string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(key)
	if err != nil || len(raw) != pageKeyBytes {
		return 0, false
	}
	mask := h.mac(scope, -1)
	for i := range 4 {
		raw[i] ^= mask[i]
	}
	offset := int(binary.BigEndian.Uint32(raw[:4]))
	if !hmac.Equal(raw[4:], h.mac(scope, offset)) {
		return 0, false
	}
	return offset, true
}

// mac signs offset of the query scope (-1 for the mask), truncated.
func (h *Handler) mac(scope string, offset int) []byte {
	m := hmac.New(sha256.New, h.pageSecret)
	m.Write([]byte(scope))
	m.Write([]byte{0})
	m.Write([]byte(strconv.Itoa(offset)))
	return m.Sum(nil)[:pageKeyBytes-4]
}

// parseDate reads a date as J-Quants takes it: YYYYMMDD or YYYY-MM-DD.
func parseDate(s string) (time.Time, bool) {
	layout := "20060102"
	if len(s) == len(time.DateOnly) {
		layout = time.DateOnly
	}
	t, err := time.Parse(layout, s)
	return t, err == nil && len(s) == len(layout)
}

// civil is the day of t in Japan, at midnight UTC: days compare and step
// without time zones.
func civil(t time.Time) time.Time {
	y, m, d := t.In(jst).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
