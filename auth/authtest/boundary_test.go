package authtest_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
)

// AddKey takes 8 to 256 bytes of '!' to '~': each end is in, one past it
// out. (make mutate showed the ends unpinned.)
func TestAddKeyAtItsLimits(t *testing.T) {
	h := authtest.NewHandler()
	for _, good := range []string{"k!~kkkkk", strings.Repeat("k", 8), strings.Repeat("~", 256), "!!!!!!!!"} {
		assert.NotPanics(t, func() { h.AddKey(good, auth.PlanFree) }, "%q", good)
	}
	for _, bad := range []string{strings.Repeat("k", 7), strings.Repeat("k", 257), " kkkkkkk", "kkkkkkk ", "kkkkkkk\x7f", "kkkkkkk\x1f"} {
		assert.Panics(t, func() { h.AddKey(bad, auth.PlanFree) }, "%q", bad)
	}
}
