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
// string values (jquants-auth.mjs writes numbers and booleans as String
// does: Go would format them otherwise); plan "free" (also for undefined,
// null or ""), "light", "standard" or "premium", in any case.
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
// a string, and firstRow is data[0] (null for none; Go looks only for its
// Code, a string); for an error answer, message and code are its members
// (strings, or null). fault is "" for an answer, else "network",
// "timeout", "canceled" or "too_large" (a body over auth.MaxPageBytes). page: hand the page's rows on (a 210 is an empty
// page); for a "check", data[0] is then the listing (J-Quants' fields:
// Date, Code, CoName, CoNameEn, …, Mkt, MktNm). error with done false is a
// failure that earned a retry after waitMs (a 429: at least 60 s), except
// in a "check": its 429 is the error at once, with retryAfter, and the
// plan's pace holds every later request until then.
//
//	fetchEnd(handle) → {}   drops the fetch (after an abort, or a JS failure)
//
// ErrorObject (see main.go) adds, for code "outside_plan_dates", from and
// to: the plan's window ("2024-03-21"; to is null when it has no end).
package main

import (
	"context"
	"errors"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/internal/errtree"
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
)

func pacerFor(p auth.Plan) *auth.Pacer {
	if pacers[p] == nil {
		pacers[p] = auth.NewPacer(p.PerMinute())
	}
	return pacers[p]
}

func fetchBegin(args []value) []byte {
	check := false
	switch k := arg(args, 0).str(); k {
	case "check":
		check = true
	case "get":
	default:
		panic("unknown kind")
	}
	k := arg(args, 1)
	if k.tag != tagString {
		return inputError("The API key must be a string.")
	}
	key, err := auth.NewAPIKey(k.str())
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
		if p.tag != tagString {
			return inputError("The path must be a string, as J-Quants documents it: \"/equities/bars/daily\".")
		}
		path = p.str()
		if query, msg = queryOf(arg(args, 4)); msg != "" {
			return inputError(msg)
		}
	}
	plan := auth.PlanFree
	switch p := arg(args, 5); p.tag {
	case tagNone:
	case tagString:
		var ok bool
		if plan, ok = auth.ParsePlan(p.str()); !ok && p.str() != "" {
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
	return (&object{}).num("handle", int64(lastHandle)).end()
}

// queryOf encodes a plain object's entries as a query (see auth.Query), or
// says what is wrong with it.
func queryOf(q value) (query, msg string) {
	switch q.tag {
	case tagNone:
		return "", ""
	case tagObject:
	default:
		return "", "The query must be a plain object, such as { code: \"86970\" }."
	}
	entries := q.entries()
	kv := make([]string, 0, len(entries))
	for i := 0; i+1 < len(entries); i += 2 {
		if entries[i+1].tag != tagString {
			return "", "The query's values must be strings or numbers."
		}
		kv = append(kv, entries[i].str(), entries[i+1].str())
	}
	return auth.Query(kv...), ""
}

// fetchOf is the fetch a handle names; nil once it ended.
func fetchOf(handle value) *v2Fetch {
	h := handle.int()
	for _, vf := range fetches {
		if vf.handle == h {
			return vf
		}
	}
	return nil
}

// end forgets the fetch a handle names, the key with it.
func end(handle value) {
	h := handle.int()
	for i, vf := range fetches {
		if vf.handle == h {
			last := len(fetches) - 1
			fetches[i], fetches[last] = fetches[last], nil
			fetches = fetches[:last]
			return
		}
	}
}

func fetchNext(args []value) []byte {
	vf := fetchOf(arg(args, 0))
	o := &object{}
	if vf == nil {
		return o.bool("done", true).end()
	}
	req, wait, ok := vf.f.Next(timeOf(arg(args, 1)))
	switch {
	case !ok:
		o.bool("done", true)
	case wait > 0:
		o.num("waitMs", ceilMs(wait))
	default:
		o.str("url", req.URL).str("apiKey", req.Key.Value())
	}
	return o.end()
}

func fetchReceive(args []value) []byte {
	vf := fetchOf(arg(args, 0))
	if vf == nil {
		panic("no fetch with this handle")
	}
	pa := auth.PageAnswer{Status: arg(args, 1).int()}
	if v := arg(args, 2); v.tag == tagString {
		pa.RetryAfter = v.str()
	}
	if v := arg(args, 3); v.tag == tagString {
		pa.PaginationKey = v.str()
	}
	if v := arg(args, 4); v.tag == tagString {
		pa.Message = v.str()
	}
	code := ""
	if v := arg(args, 5); v.tag == tagString && isProxyCode(v.str()) {
		code = v.str()
	}
	pa.Malformed = arg(args, 6).isTrue()
	fault := arg(args, 7).str()
	now := timeOf(arg(args, 8))
	if fault == "too_large" {
		end(arg(args, 0))
		e := errorMembers(pa.Status, auth.CodeUpstreamError, sentence(auth.ErrPageTooLarge.Error()), 0)
		return (&object{}).bool("page", false).bool("done", true).num("waitMs", 0).raw("error", e.end()).end()
	}
	step := vf.f.Receive(pa, faultError(fault), now)
	switch {
	case vf.check && step.Page && !isListing(arg(args, 9)):
		step = auth.FetchStep{Done: true, Err: errNoListing}
	case vf.check && step.Page:
		step.Done = true // the listing is all a check asks for
	case vf.check && errtree.Is(step.Err, auth.ErrRateLimited):
		step.Done = true // the person is told to wait; Receive held the pace
	}
	if step.Done {
		end(arg(args, 0))
	}
	o := (&object{}).bool("page", step.Page).bool("done", step.Done).num("waitMs", ceilMs(step.Wait))
	if step.Err != nil {
		o.raw("error", v2Error(step.Err, code).end())
	}
	return o.end()
}

// errNoListing ends a key check whose page holds no listing.
var errNoListing = errors.New("the key check's page has no listing")

// isListing reports whether row is an object with a Code, as an
// equities/master row has.
func isListing(row value) bool {
	if row.tag != tagObject {
		return false
	}
	entries := row.entries()
	for i := 0; i+1 < len(entries); i += 2 {
		if entries[i].str() == "Code" {
			c := entries[i+1]
			return c.tag == tagString && len(c.bytes) > 0
		}
	}
	return false
}

func fetchEnd(args []value) []byte {
	end(arg(args, 0))
	return []byte("{}")
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
func v2Error(err error, code string) *object {
	e, isErr := errtree.As[*auth.Error](err)
	switch {
	case err == errNoListing:
		return errorMembers(200, auth.CodeUpstreamError, sentence(err.Error()), 0)
	case !isErr:
		c := auth.Code(err)
		return errorMembers(0, c, describeV2(c), 0)
	}
	if code == "" {
		code = auth.Code(err)
	}
	msg := e.Message
	if msg == "" {
		msg = describeV2(code)
	}
	o := errorMembers(e.StatusCode, code, sentence(msg), e.RetryAfter)
	if errtree.Is(err, auth.ErrOutsidePlanDates) {
		o.str("from", e.From)
		if e.To == "" {
			o.raw("to", []byte("null"))
		} else {
			o.str("to", e.To)
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
func timeOf(v value) time.Time {
	return time.UnixMilli(int64(v.num()))
}
