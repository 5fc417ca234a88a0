package auth

import (
	"strconv"
	"strings"
)

// MaxAPIKeyBytes bounds an API key. J-Quants documents no format, so any
// visible ASCII up to this length is taken.
const MaxAPIKeyBytes = 256

// FieldAPIKey names the key in an *InputError.
const FieldAPIKey = "api key"

// APIKey is a V2 API key. Like Credentials' password, the value sits behind
// an unexported pointer: no fmt verb, slog handler or json.Marshal shows it (slog's
// handlers print it through String and MarshalJSON; a LogValue would link
// log/slog, and with it fmt and reflect, into the browser module).
type APIKey struct {
	v *string
}

// NewAPIKey trims white space around s and checks it (see CheckAPIKey).
func NewAPIKey(s string) (APIKey, error) {
	s = strings.TrimSpace(s)
	if err := CheckAPIKey(s); err != nil {
		return APIKey{}, err
	}
	return APIKey{v: &s}, nil
}

// CheckAPIKey reports whether s can be an API key: 1 to MaxAPIKeyBytes of
// visible ASCII, so it is safe in a header. The error never quotes s.
func CheckAPIKey(s string) error {
	bad := func(reason string) error { return &InputError{Field: FieldAPIKey, Reason: reason} }
	switch {
	case s == "":
		return bad("is required")
	case len(s) > MaxAPIKeyBytes:
		return bad("is longer than " + strconv.Itoa(MaxAPIKeyBytes) + " bytes")
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return bad("must be visible ASCII characters only")
		}
	}
	return nil
}

// Value is the key, for the x-api-key header and nothing else.
func (k APIKey) Value() string {
	if k.v == nil {
		return ""
	}
	return *k.v
}

// IsZero reports whether k holds no key.
func (k APIKey) IsZero() bool { return k.v == nil }

// String hides the key.
func (k APIKey) String() string { return redacted }

// GoString keeps %#v from printing the pointer.
func (k APIKey) GoString() string { return "auth.APIKey{" + redacted + "}" }

// MarshalJSON keeps json.Marshal from printing the key.
func (k APIKey) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
