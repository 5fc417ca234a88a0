package proxy

import "time"

// PrepareNew, FinishNew and InternalNew write into a new Answer and Call
// each time, as the native handler does, and give them back in the shape
// tests read best.
func PrepareNew(p *Core, r *Request) (Answer, *Call) {
	var a Answer
	call := new(Call)
	if p.Prepare(r, &a, call) {
		return Answer{}, call
	}
	return a, nil
}

func FinishNew(p *Core, call *Call, up Upstream, now time.Time) Answer {
	var a Answer
	p.Finish(&a, call, up, now)
	return a
}

func InternalNew(r *Request, v any, now time.Time) Answer {
	var a Answer
	Internal(&a, r, v, now)
	return a
}
