package auth

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Input limits. The contract states none; these keep a request small and
// match what mail systems accept (RFC 5321: a path is at most 254 octets).
const (
	MaxMailAddressBytes = 254
	MaxPasswordBytes    = 1024
)

// redacted stands in for a password whenever Credentials are formatted.
const redacted = "[REDACTED]"

// Credentials are what the auth_user endpoint takes: a mail address and a
// password. Formatting them with fmt or slog never shows the password.
type Credentials struct {
	MailAddress string
	Password    string
}

// NewCredentials trims white space around the mail address, keeps the password
// exactly as typed, and checks both (see Credentials.Validate).
func NewCredentials(mailAddress, password string) (Credentials, error) {
	c := Credentials{MailAddress: strings.TrimSpace(mailAddress), Password: password}
	return c, c.Validate()
}

// Validate reports the first problem with c as an *InputError, or nil. It does
// not trim: use NewCredentials for input as typed.
func (c Credentials) Validate() error {
	if err := checkMailAddress(c.MailAddress); err != nil {
		return err
	}
	switch {
	case c.Password == "":
		return &InputError{Field: FieldPassword, Reason: "is required"}
	case len(c.Password) > MaxPasswordBytes:
		return &InputError{Field: FieldPassword, Reason: "is longer than " + strconv.Itoa(MaxPasswordBytes) + " bytes"}
	case !utf8.ValidString(c.Password):
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

// String shows the mail address and hides the password.
func (c Credentials) String() string {
	return "{MailAddress:" + c.MailAddress + " Password:" + redacted + "}"
}

// GoString keeps %#v from printing the password.
func (c Credentials) GoString() string {
	return "auth.Credentials{MailAddress:" + strconv.Quote(c.MailAddress) + ", Password:\"" + redacted + "\"}"
}

// Format makes every verb (%v, %+v, %s, %q, %x …) go through String or GoString:
// without it %x or %q would print the fields raw.
func (c Credentials) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, c.GoString())
		return
	}
	fmt.Fprint(f, c.String())
}

// MarshalJSON hides the password, so that json.Marshal and slog's JSON
// handler cannot leak it (slog's text handler goes through Format). The
// request body is built by RequestBody, not by this method. Not importing
// log/slog for a LogValue method keeps the browser module smaller.
func (c Credentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{FieldMailAddress: c.MailAddress, FieldPassword: redacted})
}

// Field names as the contract spells them.
const (
	FieldMailAddress = "mailaddress"
	FieldPassword    = "password"
)

// InputError says which field is unusable and why. It never holds the value.
type InputError struct {
	Field  string // FieldMailAddress or FieldPassword
	Reason string // e.g. "is required"
}

func (e *InputError) Error() string { return e.Field + " " + e.Reason }

// Is makes errors.Is(err, ErrInvalidInput) true for every *InputError.
func (e *InputError) Is(target error) bool { return target == ErrInvalidInput }
