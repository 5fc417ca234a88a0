package auth

import (
	"strconv"
	"strings"
	"time"
)

// The J-Quants API V2 contract: an API key in the x-api-key header, GET
// data endpoints under /v2, pages joined by pagination_key, per-plan rate
// limits. The facts, with their sources, are in shared/jquants-v2.md.
const (
	// V2Prefix is the path every V2 endpoint sits under, after the base URL.
	V2Prefix = "/v2"
	// HeaderAPIKey carries the key; nothing else authenticates a V2 request.
	HeaderAPIKey = "x-api-key"
	// FieldPaginationKey is both the top-level member of a page that names
	// the next one and the query parameter that asks for it.
	FieldPaginationKey = "pagination_key"
	// MaxQueryBytes bounds a V2 request's raw query (the proxy's limit too).
	MaxQueryBytes = 2 << 10
	// MaxPageBytes bounds a page read whole (the Go client): J-Quants splits
	// pages at about 5,000,000 bytes.
	MaxPageBytes = 16 << 20
	// StatusPartial is J-Quants' 210: nothing can be had yet (an empty page).
	StatusPartial = 210
	// RateLimitWait is the least wait after a 429: J-Quants sends no
	// Retry-After and says to wait at least a minute.
	RateLimitWait = time.Minute
)

// The messages J-Quants documents, exactly (403s, and the 400 whose text
// names the plan's date window). Matching is by prefix: some end in more text.
const (
	MessageKeyRequired     = "The api key is required."
	MessageKeyInvalid      = "The incoming api key is invalid or expired."
	MessageNotOnPlan       = "This API is not available on your subscription."
	MessageNoSuchEndpoint  = "The requested endpoint does not exist."
	MessageMissingParams   = "This API requires at least 1 parameter as follows; date, code"
	MessageSubscriptionPre = "Your subscription covers the following dates: "
)

// Plan is a J-Quants subscription plan; it sets the request rate.
type Plan uint8

// The plans, cheapest first. The zero Plan is PlanFree.
const (
	PlanFree Plan = iota
	PlanLight
	PlanStandard
	PlanPremium
)

var planNames = [...]string{"free", "light", "standard", "premium"}

// planRates are requests per minute per key, by Plan.
var planRates = [...]int{5, 60, 120, 500}

// String is the plan's lower-case name, as ParsePlan reads it.
func (p Plan) String() string {
	if int(p) >= len(planNames) {
		return "plan(" + strconv.Itoa(int(p)) + ")"
	}
	return planNames[p]
}

// ParsePlan reads "free", "light", "standard" or "premium" (any case).
func ParsePlan(s string) (Plan, bool) {
	for i, n := range planNames {
		if strings.EqualFold(s, n) {
			return Plan(i), true
		}
	}
	return 0, false
}

// PerMinute is the plan's rate limit in requests per minute per key.
func (p Plan) PerMinute() int {
	if int(p) >= len(planRates) {
		return planRates[0]
	}
	return planRates[p]
}

// V2Endpoint is one documented V2 data endpoint.
type V2Endpoint struct {
	// Path is as J-Quants documents it, without V2Prefix: "/equities/master".
	Path string
	// MinPlan is the cheapest plan that may call it.
	MinPlan Plan
	// PerMinute, when not 0, caps the rate below the plan's on every plan.
	PerMinute int
}

// v2Endpoints is the one table of the documented endpoints (the official
// CLI's list and plan table), in the order the documentation gives them.
var v2Endpoints = [...]V2Endpoint{
	{Path: "/equities/master", MinPlan: PlanFree},
	{Path: "/equities/bars/daily", MinPlan: PlanFree},
	{Path: "/equities/bars/daily/am", MinPlan: PlanStandard},
	{Path: "/equities/bars/minute", MinPlan: PlanStandard},
	{Path: "/equities/earnings-calendar", MinPlan: PlanFree},
	{Path: "/equities/investor-types", MinPlan: PlanLight},
	{Path: "/fins/summary", MinPlan: PlanFree, PerMinute: 60},
	{Path: "/fins/details", MinPlan: PlanStandard, PerMinute: 60},
	{Path: "/fins/dividend", MinPlan: PlanStandard},
	{Path: "/markets/calendar", MinPlan: PlanFree},
	{Path: "/markets/breakdown", MinPlan: PlanStandard},
	{Path: "/markets/margin-interest", MinPlan: PlanStandard},
	{Path: "/markets/margin-alert", MinPlan: PlanStandard},
	{Path: "/markets/short-ratio", MinPlan: PlanStandard},
	{Path: "/markets/short-sale-report", MinPlan: PlanStandard},
	{Path: "/indices/bars/daily", MinPlan: PlanStandard},
	{Path: "/indices/bars/daily/topix", MinPlan: PlanLight},
	{Path: "/derivatives/bars/daily/futures", MinPlan: PlanStandard},
	{Path: "/derivatives/bars/daily/options", MinPlan: PlanStandard},
	{Path: "/derivatives/bars/daily/options/225", MinPlan: PlanStandard},
	{Path: "/bulk/list", MinPlan: PlanStandard},
	{Path: "/bulk/get", MinPlan: PlanStandard},
}

// V2Endpoints returns the documented endpoints (a copy).
func V2Endpoints() []V2Endpoint { return append([]V2Endpoint(nil), v2Endpoints[:]...) }

// LookupV2 finds the documented endpoint at path (without V2Prefix), exactly:
// no trailing slash, no escapes, no case folding.
func LookupV2(path string) (V2Endpoint, bool) {
	for _, e := range v2Endpoints {
		if e.Path == path {
			return e, true
		}
	}
	return V2Endpoint{}, false
}

// PerMinuteOn is the most requests a minute this endpoint takes on plan p.
func (e V2Endpoint) PerMinuteOn(p Plan) int {
	r := p.PerMinute()
	if e.PerMinute > 0 {
		return min(e.PerMinute, r)
	}
	return r
}

// The key check: JPX Group's own listing, one row, open to every plan.
const (
	KeyCheckPath  = "/equities/master"
	KeyCheckQuery = "code=86970"
)
