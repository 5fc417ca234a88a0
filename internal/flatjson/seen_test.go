package flatjson

import (
	"strconv"
	"testing"
)

// seen scans the members up to 16 and keeps a map past that, so that many
// keys cannot cost quadratic time; both ways give the same answers.
func TestSeenMapPast16Members(t *testing.T) {
	for _, n := range []int{0, 1, 15, 16, 17, 40} {
		p := &parser{}
		var ms []Member
		for i := range n {
			ms = append(ms, Member{Key: "k" + strconv.Itoa(i)})
		}
		if n > 0 && !p.seen(ms, "k0") {
			t.Errorf("%d members: k0 not seen", n)
		}
		if p.seen(ms, "new") {
			t.Errorf("%d members: new seen before it was added", n)
		}
		if hasMap := p.keys != nil; hasMap != (n >= 16) {
			t.Errorf("%d members: map made = %v, want %v", n, hasMap, n >= 16)
		}
	}
}
