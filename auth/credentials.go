package auth

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jquants-auth/jquants-auth/internal/flatjson"
)

// Input limits. The contract states none; these keep a request small and
// match what mail systems accept (RFC 5321: a path is at most 254 octets).
const (
	MaxMailAddressBytes = 254
	MaxPasswordBytes    = 1024
	// MaxRefreshTokenBytes bounds a refresh token sent to auth_refresh.
	// J-Quants' tokens are about 1,800 bytes; the proxy's 4 KiB body limit
	// must still hold one.
	MaxRefreshTokenBytes = 3072
)

// redacted stands in for a secret whenever a value is formatted.
const redacted = "[REDACTED]"

// Credentials are what the auth_user endpoint takes: a mail address and a
// password. The password sits behind a pointer in an unexported field: fmt
// prints a nested pointer as an address under every verb, so no format
// string or logger can show it.
type Credentials struct {
	MailAddress string
	password    *string
}

// NewCredentials trims white space around the mail address, keeps the password
// exactly as typed, and checks both (see Credentials.Validate).
func NewCredentials(mailAddress, password string) (Credentials, error) {
	c := Credentials{MailAddress: strings.TrimSpace(mailAddress), password: &password}
	return c, c.Validate()
}

// Password is the password as given to NewCredentials.
func (c Credentials) Password() string {
	if c.password == nil {
		return ""
	}
	return *c.password
}

// Validate reports the first problem with c as an *InputError, or nil.
func (c Credentials) Validate() error { return validate(c.MailAddress, c.Password()) }

// AppendAuthUserBody checks a mail address (white space around it trimmed)
// and a password as NewCredentials does, and appends auth_user's body for
// them to dst, as Credentials.RequestBody makes it. It is the proxy's way:
// it keeps no Credentials, so the password goes nowhere but dst and the
// call allocates nothing when dst has room.
func AppendAuthUserBody(dst []byte, mailAddress, password string) ([]byte, error) {
	mailAddress = strings.TrimSpace(mailAddress)
	if err := validate(mailAddress, password); err != nil {
		return dst, err
	}
	return flatjson.AppendObject(dst, FieldMailAddress, mailAddress, FieldPassword, password), nil
}

func validate(mailAddress, p string) error {
	if err := checkMailAddress(mailAddress); err != nil {
		return err
	}
	switch {
	case p == "":
		return &InputError{Field: FieldPassword, Reason: "is required"}
	case len(p) > MaxPasswordBytes:
		return &InputError{Field: FieldPassword, Reason: "is longer than " + strconv.Itoa(MaxPasswordBytes) + " bytes"}
	case !utf8.ValidString(p):
		return &InputError{Field: FieldPassword, Reason: "is not valid UTF-8"}
	}
	return nil
}

func checkMailAddress(s string) error {
	bad := func(reason string) error { return &InputError{Field: FieldMailAddress, Reason: reason} }
	switch {
	case s == "":
		return bad("is required")
	case len(s) > MaxMailAddressBytes:
		return bad("is longer than " + strconv.Itoa(MaxMailAddressBytes) + " bytes")
	case !utf8.ValidString(s):
		return bad("is not valid UTF-8")
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return bad("must not contain white space or control characters")
	}
	local, domain, ok := strings.Cut(s, "@")
	switch {
	case !ok || strings.Contains(domain, "@"):
		return bad("must contain exactly one @")
	case local == "":
		return bad("needs a name before the @")
	case domain == "":
		return bad("needs a domain after the @")
	}
	return nil
}

// CheckRefreshToken reports whether s can be a refresh token: 1 to
// MaxRefreshTokenBytes of visible ASCII (J-Quants' tokens are base64url
// with dots), so it is safe in a query string once escaped.
func CheckRefreshToken(s string) error {
	bad := func(reason string) error { return &InputError{Field: FieldRefreshToken, Reason: reason} }
	switch {
	case s == "":
		return bad("is required")
	case len(s) > MaxRefreshTokenBytes:
		return bad("is longer than " + strconv.Itoa(MaxRefreshTokenBytes) + " bytes")
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return bad("must be visible ASCII characters only")
		}
	}
	return nil
}

// String shows the mail address and hides the password.
func (c Credentials) String() string {
	return "{MailAddress:" + c.MailAddress + " Password:" + redacted + "}"
}

// GoString keeps %#v from printing the password's address.
func (c Credentials) GoString() string {
	return "auth.Credentials{MailAddress:" + strconv.Quote(c.MailAddress) + ", Password:\"" + redacted + "\"}"
}

// RequestBody is the exact JSON body auth_user takes:
// {"mailaddress":"…","password":"…"}.
func (c Credentials) RequestBody() []byte {
	b := make([]byte, 0, 32+len(c.MailAddress)+len(c.Password()))
	return flatjson.AppendObject(b, FieldMailAddress, c.MailAddress, FieldPassword, c.Password())
}

// Field names as the contract spells them.
const (
	FieldMailAddress  = "mailaddress"
	FieldPassword     = "password"
	FieldRefreshToken = "refreshtoken" // auth_refresh's query parameter
)

// InputError says which field is unusable and why. It never holds the value.
type InputError struct {
	Field  string // FieldMailAddress, FieldPassword or FieldRefreshToken
	Reason string // e.g. "is required"
}

func (e *InputError) Error() string { return e.Field + " " + e.Reason }

// Is makes errors.Is(err, ErrInvalidInput) true for every *InputError.
func (e *InputError) Is(target error) bool { return target == ErrInvalidInput }
