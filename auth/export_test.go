package auth

// Internals exposed to the external tests.
var (
	Backoff = backoff
	Jitter  = jitter
)
