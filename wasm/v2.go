//go:build js && wasm

// The V2 half of the boundary: paged GETs with an API key, driven by
// auth.Fetch. Go holds each fetch (its key included) from fetchBegin until it
// is done or fetchEnd drops it, and one auth.Pacer per plan for the module's
// life, so that a key check and the fetch after it keep to one pace. JS
// sends each request, parses pages with JSON.parse and waits; Go decides
// from the status, Retry-After and the page's pagination_key, on the clock
// JS passes (epoch milliseconds).
//
//	fetchBegin(kind, apiKey, baseURL, path, query, plan)
//	  → { handle: number } | { error: ErrorObject }   code "invalid_input"
//
// kind is "check" (the key check: GET /v2/equities/master?code=86970; path
// and query are ignored) or "get". path is as J-Quants documents it
// ("/equities/bars/daily"); query undefined, null or a plain object of
// string, number or boolean values; plan "free" (also for undefined, null or
// ""), "light", "standard" or "premium", in any case.
//
//	fetchNext(handle, nowMs)
//	  → { url: string, apiKey: string }  send it now (x-api-key: apiKey)
//	  | { waitMs: number }               wait, then ask again
//	  | { done: true }
//
//	fetchReceive(handle, status, retryAfter, paginationKey, message, code, malformed, fault, nowMs, firstRow)
//	  → { page: boolean, done: boolean, waitMs: number, error?: ErrorObject }
//
// status is the HTTP status (0 for none) and retryAfter the Retry-After
// header or null; for a 200, paginationKey is the page's pagination_key (a
// string, or null when absent), malformed is true when JSON.parse failed or
// the page is not an object with a data array or its pagination_key is not
// a string, and firstRow is data[0] (null for none); for an error answer,
// message and code are its members (strings, or null). fault is "" for an
// answer, else "network", "timeout", "canceled" or "too_large" (a body over
// auth.MaxPageBytes). page: hand the page's rows on (a 210 is an empty
// page); for a "check", data[0] is then the listing (J-Quants' fields:
// Date, Code, CoName, CoNameEn, …, Mkt, MktNm). error with done false is a
// failure that earned a retry after waitMs (a 429: at least 60 s), except
// in a "check": its 429 is the error at once, with retryAfter, and the
// plan's pace holds every later request until then.
//
//	fetchEnd(handle)  drops the fetch (after an abort, or a JS failure)
//
// ErrorObject (see main.go) adds, for code "outside_plan_dates", from and
// to: the plan's window ("2024-03-21"; to is null when it has no end).
package main

import (
	"context"
	"errors"
	"syscall/js"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
)

// v2Fetch is one fetch between fetchBegin and its end.
type v2Fetch struct {
	handle int
	f      *auth.Fetch
	check  bool
}

var (
	// fetches are the fetches under way (a few at most). Handles count up
	// and are never reused, so a late fetchEnd cannot end another fetch.
	fetches    []*v2Fetch
	lastHandle int
	// pacers are the plans' paces, made on first use and kept: J-Quants
	// counts requests per key, and a page has one key at a time.
	pacers [auth.PlanPremium + 1]*auth.Pacer

	jsArray = js.Global().Get("Array")
)

func pacerFor(p auth.Plan) *auth.Pacer {
	if pacers[p] == nil {
		pacers[p] = auth.NewPacer(p.PerMinute())
	}
	return pacers[p]
}

func fetchBegin(args []js.Value) js.Value {
	check := false
	switch k := arg(args, 0).String(); k {
	case "check":
		check = true
	case "get":
	default:
		panic("unknown kind")
	}
	k := arg(args, 1)
	if k.Type() != js.TypeString {
		return inputError("The API key must be a string.")
	}
	key, err := auth.NewAPIKey(k.String())
	if err != nil {
		return inputError(inputMessage(err))
	}
	base, msg := baseURL(arg(args, 2))
	if msg != "" {
		return inputError(msg)
	}
	path, query := auth.KeyCheckPath, auth.KeyCheckQuery
	if !check {
		p := arg(args, 3)
		if p.Type() != js.TypeString {
			return inputError("The path must be a string, as J-Quants documents it: \"/equities/bars/daily\".")
		}
		path = p.String()
		if query, msg = queryOf(arg(args, 4)); msg != "" {
			return inputError(msg)
		}
	}
	plan := auth.PlanFree
	switch p := arg(args, 5); p.Type() {
	case js.TypeUndefined, js.TypeNull:
	case js.TypeString:
		var ok bool
		if plan, ok = auth.ParsePlan(p.String()); !ok && p.String() != "" {
			return inputError("The plan must be \"free\", \"light\", \"standard\" or \"premium\".")
		}
	default:
		return inputError("The plan must be a string.")
	}
	f, err := auth.NewFetch(base, key, path, query, pacerFor(plan), auth.Retry{})
	if err != nil {
		return inputError(inputMessage(err))
	}
	lastHandle++
	fetches = append(fetches, &v2Fetch{handle: lastHandle, f: f, check: check})
	o := jsObject.New()
	o.Set("handle", lastHandle)
	return o
}

// queryOf encodes a plain object's entries as a query (see auth.Query), or
// says what is wrong with it.
func queryOf(q js.Value) (query, msg string) {
	switch {
	case q.Type() == js.TypeUndefined || q.Type() == js.TypeNull:
		return "", ""
	case q.Type() != js.TypeObject || jsArray.Call("isArray", q).Bool():
		return "", "The query must be a plain object, such as { code: \"86970\" }."
	}
	entries := jsObject.Call("entries", q)
	kv := make([]string, 0, 2*entries.Length())
	for i := 0; i < entries.Length(); i++ {
		name, v := entries.Index(i).Index(0).String(), entries.Index(i).Index(1)
		var value string
		switch v.Type() {
		case js.TypeString:
			value = v.String()
		case js.TypeNumber, js.TypeBoolean:
			value = js.Global().Call("String", v).String()
		default:
			return "", "The query's values must be strings or numbers."
		}
		kv = append(kv, name, value)
	}
	return auth.Query(kv...), ""
}

// fetchOf is the fetch a handle names; nil once it ended.
func fetchOf(handle js.Value) *v2Fetch {
	h := handle.Int()
	for _, vf := range fetches {
		if vf.handle == h {
			return vf
		}
	}
	return nil
}

// end forgets the fetch a handle names, the key with it.
func end(handle js.Value) {
	h := handle.Int()
	for i, vf := range fetches {
		if vf.handle == h {
			last := len(fetches) - 1
			fetches[i], fetches[last] = fetches[last], nil
			fetches = fetches[:last]
			return
		}
	}
}

func fetchNext(args []js.Value) js.Value {
	vf := fetchOf(arg(args, 0))
	o := jsObject.New()
	if vf == nil {
		o.Set("done", true)
		return o
	}
	req, wait, ok := vf.f.Next(timeOf(arg(args, 1)))
	switch {
	case !ok:
		o.Set("done", true)
	case wait > 0:
		o.Set("waitMs", ceilMs(wait))
	default:
		o.Set("url", req.URL)
		o.Set("apiKey", req.Key.Value())
	}
	return o
}

func fetchReceive(args []js.Value) js.Value {
	vf := fetchOf(arg(args, 0))
	if vf == nil {
		panic("no fetch with this handle")
	}
	pa := auth.PageAnswer{Status: arg(args, 1).Int()}
	if v := arg(args, 2); v.Type() == js.TypeString {
		pa.RetryAfter = v.String()
	}
	if v := arg(args, 3); v.Type() == js.TypeString {
		pa.PaginationKey = v.String()
	}
	if v := arg(args, 4); v.Type() == js.TypeString {
		pa.Message = v.String()
	}
	code := ""
	if v := arg(args, 5); v.Type() == js.TypeString && isProxyCode(v.String()) {
		code = v.String()
	}
	pa.Malformed = arg(args, 6).Truthy()
	fault := arg(args, 7).String()
	now := timeOf(arg(args, 8))
	o := jsObject.New()
	o.Set("page", false)
	o.Set("done", true)
	o.Set("waitMs", 0)
	if fault == "too_large" {
		end(arg(args, 0))
		o.Set("error", errorObject(pa.Status, auth.CodeUpstreamError, sentence(auth.ErrPageTooLarge.Error()), 0).Get("error"))
		return o
	}
	step := vf.f.Receive(pa, faultError(fault), now)
	var e *auth.Error
	switch {
	case vf.check && step.Page && !isListing(arg(args, 9)):
		step = auth.FetchStep{Done: true, Err: errNoListing}
	case vf.check && step.Page:
		step.Done = true // the listing is all a check asks for
	case vf.check && errors.As(step.Err, &e) && e.Is(auth.ErrRateLimited):
		step.Done = true // the person is told to wait; Receive held the pace
	}
	if step.Done {
		end(arg(args, 0))
	}
	o.Set("page", step.Page)
	o.Set("done", step.Done)
	o.Set("waitMs", ceilMs(step.Wait))
	if step.Err != nil {
		o.Set("error", v2Error(step.Err, code).Get("error"))
	}
	return o
}

// errNoListing ends a key check whose page holds no listing.
var errNoListing = errors.New("the key check's page has no listing")

// isListing reports whether row is an object with a Code, as an
// equities/master row has.
func isListing(row js.Value) bool {
	if row.Type() != js.TypeObject {
		return false
	}
	c := row.Get("Code")
	return c.Type() == js.TypeString && c.String() != ""
}

func fetchEnd(args []js.Value) js.Value {
	end(arg(args, 0))
	return js.Undefined()
}

// faultError is the transport's failure that fault names, nil for "".
func faultError(fault string) error {
	switch fault {
	case "":
		return nil
	case "timeout":
		return context.DeadlineExceeded
	case "canceled":
		return context.Canceled
	}
	return errNoAnswer
}

// v2Error is the ErrorObject for a V2 failure. code, when the proxy sent
// one of its own (upstream_unreachable, say), wins over auth's, as for V1.
func v2Error(err error, code string) js.Value {
	var e *auth.Error
	switch {
	case err == errNoListing:
		return errorObject(200, auth.CodeUpstreamError, sentence(err.Error()), 0)
	case !errors.As(err, &e):
		c := auth.Code(err)
		return errorObject(0, c, describeV2(c), 0)
	}
	if code == "" {
		code = auth.Code(err)
	}
	msg := e.Message
	if msg == "" {
		msg = describeV2(code)
	}
	o := errorObject(e.StatusCode, code, sentence(msg), e.RetryAfter)
	if errors.Is(err, auth.ErrOutsidePlanDates) {
		o.Get("error").Set("from", e.From)
		if e.To == "" {
			o.Get("error").Set("to", js.Null())
		} else {
			o.Get("error").Set("to", e.To)
		}
	}
	return o
}

// describeV2 is the sentence for a V2 code when J-Quants sent no message.
func describeV2(code string) string {
	switch code {
	case auth.CodeKeyRequired:
		return "The API key is required."
	case auth.CodeKeyInvalid:
		return "The API key is invalid or has expired."
	case auth.CodeNotOnPlan:
		return "This API is not available on your plan."
	case auth.CodeNoSuchEndpoint:
		return "The requested endpoint does not exist."
	case auth.CodeOutsidePlanDates:
		return "The dates are outside those your plan covers."
	case auth.CodeInvalidInput:
		return "J-Quants did not accept the request's parameters."
	case auth.CodeRateLimited:
		return "Too many requests; wait a minute and try again."
	}
	return describe(auth.AuthUser, code)
}

// ceilMs is d in whole milliseconds, rounded up: a wait JS cuts short would
// find the next request still held.
func ceilMs(d time.Duration) int64 {
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// timeOf reads epoch milliseconds.
func timeOf(v js.Value) time.Time {
	return time.UnixMilli(int64(v.Float()))
}
