//go:build !js

package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
)

// The V2 lines (issue 15): a J-Quants page of about 5 MB through each
// Worker, time to its last byte, and a small V2 GET (one row of
// equities/master), its latency; each Worker beside the other, in turns.
// The page goes twice: as the caller asks for it identity (the Worker's
// fetch takes it gzip from J-Quants, workerd undoes it and the Worker
// streams 5 MB), and with gzip, as browsers and Python's requests ask
// (J-Quants' gzip passes through untouched, some 0.55 MB).

// Budgets of the V2 lines, Go/JS, at most.
const (
	budgetV2SmallRatio = 1.10 // p50 latency of a small V2 GET
	budgetV2PageRatio  = 1.05 // time to the last byte of a 5 MB page
)

var (
	bigN   = flag.Int("n5mb", 8, "5 MB pages per Worker per round (time to last byte)")
	smallN = flag.Int("nv2", 150, "small V2 GETs per Worker per round (latency)")
)

// v2Target is one Worker's base URL and its V2 figures.
type v2Target struct {
	name              string
	base              string
	client            *http.Client
	big, gz, small    []time.Duration // this round's
	bigBytes, gzBytes int64
	// The best round's medians.
	bestBig, bestGz, bestSmall time.Duration
}

func newV2Target(name, base string) *v2Target {
	return &v2Target{name: name, base: base, client: newTarget(name, base).client}
}

// v2Keys are keys of their own on the fake, used in turn so that no key
// meets its plan's per-minute limit: the bench measures the Workers, not
// the fake's 429s.
type v2Keys struct {
	keys []string
	next int
}

func newV2Keys(fake *authtest.Server, plan auth.Plan, n int) *v2Keys {
	k := &v2Keys{}
	for range n {
		k.keys = append(k.keys, fake.NewKey(plan))
	}
	return k
}

func (k *v2Keys) take() string {
	key := k.keys[k.next%len(k.keys)]
	k.next++
	return key
}

// get makes one V2 GET of target, asking for the encoding enc, and reads
// its body to the end (not decoded), returning the time to the last byte
// and the bytes read. The Worker must answer 200 with JSON in enc.
func (tg *v2Target) get(ctx context.Context, target, key, enc string) (time.Duration, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, tg.base+target, nil)
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set(auth.HeaderAPIKey, key)
	req.Header.Set("Origin", benchOrigin)
	req.Header.Set("Accept-Encoding", enc)
	t0 := time.Now()
	resp, err := tg.client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	if err != nil {
		return 0, 0, err
	}
	got := cmp.Or(resp.Header.Get("Content-Encoding"), "identity")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || got != enc {
		return 0, 0, fmt.Errorf("%s: status %d, Content-Type %q, Content-Encoding %s (asked %s)", target, resp.StatusCode, resp.Header.Get("Content-Type"), got, enc)
	}
	return d, n, nil
}

// v2Round takes one round of both V2 figures, the Workers taking turns
// request by request (the order flipping every turn), and keeps each
// Worker's best median so far.
func v2Round(ctx context.Context, targets []*v2Target, round int, bigKeys, smallKeys *v2Keys) error {
	bigTarget := authtest.BigPageTarget(time.Now())
	const smallTarget = auth.V2Prefix + "/equities/master?code=86970"
	for _, tg := range targets {
		tg.big, tg.gz, tg.small = tg.big[:0], tg.gz[:0], tg.small[:0]
	}
	turns := func(n int, each func(tg *v2Target) error) error {
		for i := range n {
			turn := slices.Clone(targets)
			if (i+round)%2 == 1 {
				slices.Reverse(turn)
			}
			for _, tg := range turn {
				if err := each(tg); err != nil {
					return fmt.Errorf("%s: %w", tg.name, err)
				}
			}
		}
		return nil
	}
	if err := turns(*smallN, func(tg *v2Target) error {
		d, _, err := tg.get(ctx, smallTarget, smallKeys.take(), "identity")
		tg.small = append(tg.small, d)
		return err
	}); err != nil {
		return err
	}
	if err := turns(*bigN, func(tg *v2Target) error {
		d, n, err := tg.get(ctx, bigTarget, bigKeys.take(), "identity")
		if err == nil && n < 4_000_000 {
			err = fmt.Errorf("the 5 MB page came with %d bytes", n)
		}
		tg.big, tg.bigBytes = append(tg.big, d), n
		if err != nil {
			return err
		}
		d, n, err = tg.get(ctx, bigTarget, bigKeys.take(), "gzip")
		tg.gz, tg.gzBytes = append(tg.gz, d), n
		return err
	}); err != nil {
		return err
	}
	for _, tg := range targets {
		big, gz, small := median(tg.big), median(tg.gz), median(tg.small)
		fmt.Fprintf(os.Stderr, "bench:   %-13s V2 small p50 %s  5 MB page p50 %s, gzip %s\n", tg.name, ms(small), ms(big), ms(gz))
		if round == 1 {
			tg.bestBig, tg.bestGz, tg.bestSmall = big, gz, small
		}
		tg.bestBig, tg.bestGz, tg.bestSmall = min(tg.bestBig, big), min(tg.bestGz, gz), min(tg.bestSmall, small)
	}
	return nil
}

func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return quantile(d, 0.5)
}

// v2Rows puts the V2 figures in the table.
func v2Rows(t *table, goT, jsT *v2Target) {
	t.section(fmt.Sprintf("V2 through wrangler dev → fake J-Quants (best of %d rounds of the per-round median; per round %d small GETs and %d pages per Worker, the Workers taking turns)", *rounds, *smallN, *bigN))
	for _, tg := range []*v2Target{goT, jsT} {
		t.row("small V2 GET (equities/master, 1 row) p50, "+tg.name, ms(tg.bestSmall), "", "")
	}
	smallR := ratio(goT.bestSmall, jsT.bestSmall)
	t.check("small V2 GET p50, Go/JS", fmt.Sprintf("%.2f", smallR), fmt.Sprintf("≤ %.2f", budgetV2SmallRatio), smallR <= budgetV2SmallRatio)
	for _, tg := range []*v2Target{goT, jsT} {
		t.row(fmt.Sprintf("%.1f MB page, time to last byte p50, %s", float64(tg.bigBytes)/1e6, tg.name), ms(tg.bestBig), "", "")
	}
	bigR := ratio(goT.bestBig, jsT.bestBig)
	t.check("5 MB page, time to last byte, Go/JS", fmt.Sprintf("%.2f", bigR), fmt.Sprintf("≤ %.2f", budgetV2PageRatio), bigR <= budgetV2PageRatio)
	for _, tg := range []*v2Target{goT, jsT} {
		t.row(fmt.Sprintf("the same page gzip (%.2f MB passed through), p50, %s", float64(tg.gzBytes)/1e6, tg.name), ms(tg.bestGz), "", "")
	}
	t.row("the same page gzip, Go/JS", fmt.Sprintf("%.2f", ratio(goT.bestGz, jsT.bestGz)), "", "")
}
