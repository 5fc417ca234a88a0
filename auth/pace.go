package auth

import "time"

// PaceWindow is the span a rate limit counts over: a minute, plus a second
// of margin, because J-Quants counts arrivals and a request can arrive
// later than the one sent after it.
const PaceWindow = time.Minute + time.Second

// Pacer keeps requests under a rate: at most PerMinute in any PaceWindow. It
// has no clock of its own: the caller asks Wait and reports Sent with the
// time. Not safe for concurrent use.
type Pacer struct {
	perMinute int
	sent      []time.Time // the last perMinute sends, a ring starting at head
	head      int
	until     time.Time // no request before this (after a 429)
}

// NewPacer paces at perMinute requests a minute (at least 1).
func NewPacer(perMinute int) *Pacer {
	return &Pacer{perMinute: max(perMinute, 1)}
}

// PerMinute is the rate p keeps to.
func (p *Pacer) PerMinute() int { return p.perMinute }

// Wait is how long to wait from now before the next request; 0: send it.
func (p *Pacer) Wait(now time.Time) time.Duration {
	d := p.until.Sub(now)
	if len(p.sent) == p.perMinute {
		d = max(d, p.sent[p.head].Add(PaceWindow).Sub(now))
	}
	return max(d, 0)
}

// Sent records a request sent at now.
func (p *Pacer) Sent(now time.Time) {
	if len(p.sent) < p.perMinute {
		p.sent = append(p.sent, now)
		return
	}
	p.sent[p.head] = now
	p.head = (p.head + 1) % p.perMinute
}

// Hold keeps every request back until t (a 429's wait).
func (p *Pacer) Hold(t time.Time) {
	if t.After(p.until) {
		p.until = t
	}
}
