package authtest

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"time"
)

// The fake's V2 data: a handful of real issues with plausible master data
// and made-up prices, the same for the same query on any handler and any
// run (a function of the issue and the day, not of a random source).
// Business days are weekdays but 1-3 January and 31 December; Japan's other
// holidays are left out.

// dataQuery is what a V2 data request asks for, its dates within the
// plan's window.
type dataQuery struct {
	code           string    // "" for every issue
	date, from, to time.Time // zero when not asked
	first, last    time.Time // the days the plan has data for: its window, up to today
}

// rowSource is a query's rows, made one at a time so that a page makes
// only its own.
type rowSource struct {
	n   int
	row func(i int) any
}

// issueInfo is an issue's master data; its field names are V2's.
type issueInfo struct {
	Code, CoName, CoNameEn, S17, S17Nm, S33, S33Nm, ScaleCat, Mkt, MktNm, Mrgn, MrgnNm string
}

type listed struct {
	issueInfo
	base float64 // about where its price moves, in yen
}

// listing is every issue the fake knows, by code.
var listing = []listed{
	{issueInfo{"13010", "極洋", "KYOKUYO CO.,LTD.", "1", "食品", "0050", "水産・農林業", "TOPIX Small 1", "0111", "プライム", "2", "貸借"}, 4200},
	{issueInfo{"67580", "ソニーグループ", "SONY GROUP CORPORATION", "9", "電機・精密", "3650", "電気機器", "TOPIX Core30", "0111", "プライム", "2", "貸借"}, 3600},
	{issueInfo{"72030", "トヨタ自動車", "TOYOTA MOTOR CORPORATION", "6", "自動車・輸送機", "3700", "輸送用機器", "TOPIX Core30", "0111", "プライム", "2", "貸借"}, 2800},
	{issueInfo{"83060", "三菱ＵＦＪフィナンシャル・グループ", "Mitsubishi UFJ Financial Group,Inc.", "15", "銀行", "7050", "銀行業", "TOPIX Core30", "0111", "プライム", "2", "貸借"}, 1900},
	{issueInfo{"86970", "日本取引所グループ", "Japan Exchange Group,Inc.", "16", "金融（除く銀行）", "7200", "その他金融業", "TOPIX Large70", "0111", "プライム", "2", "貸借"}, 1650},
	{issueInfo{"99840", "ソフトバンクグループ", "SoftBank Group Corp.", "10", "情報通信・サービスその他", "5250", "情報・通信業", "TOPIX Core30", "0111", "プライム", "2", "貸借"}, 9500},
}

// The rows, their fields named and ordered as V2's.
type (
	masterRow struct {
		Date string
		issueInfo
	}
	dailyBar struct {
		Date, Code                    string
		O, H, L, C                    float64
		UL, LL                        string
		Vo, Va                        float64
		AdjFactor                     float64
		AdjO, AdjH, AdjL, AdjC, AdjVo float64
	}
	minuteBar struct {
		Date, Time, Code   string
		O, H, L, C, Vo, Va float64
	}
	morningBar struct {
		Date, Code               string
		MO, MH, ML, MC, MVo, MVa float64
	}
	calendarDay struct {
		Date, HolDiv string
	}
)

// minutesPerDay is a day's minute bars: 09:00-11:30 and 12:30-15:30.
const minutesPerDay = 151 + 181

// rowsFor returns the rows of a documented endpoint for q, or partial when
// J-Quants would answer 210. Endpoints without data of their own answer no
// rows.
func rowsFor(path string, q dataQuery, now time.Time) (src rowSource, partial bool) {
	switch path {
	case "/equities/master":
		is, day := q.issues(), q.date
		if day.IsZero() {
			day = lastBusinessDay(q.last)
		}
		return rowSource{len(is), func(i int) any {
			return masterRow{Date: day.Format(time.DateOnly), issueInfo: is[i].issueInfo}
		}}, false
	case "/equities/bars/daily":
		is, days := q.issues(), q.tradingDays()
		return rowSource{len(is) * len(days), func(i int) any {
			return is[i/len(days)].dailyBar(days[i%len(days)])
		}}, false
	case "/equities/bars/minute":
		is, days := q.issues(), q.tradingDays()
		return rowSource{len(is) * len(days) * minutesPerDay, func(i int) any {
			bar := i / minutesPerDay
			return is[bar/len(days)].minuteBar(days[bar%len(days)], i%minutesPerDay)
		}}, false
	case "/equities/bars/daily/am":
		day, ok := morningDay(now)
		is := q.issues()
		if !ok || len(is) == 0 {
			return rowSource{}, true
		}
		return rowSource{len(is), func(i int) any { return is[i].morningBar(day) }}, false
	case "/markets/calendar":
		from, to := q.first, q.last
		if !q.from.IsZero() {
			from = q.from
		}
		if !q.to.IsZero() {
			to = q.to // the calendar knows days to come
		}
		if !q.date.IsZero() {
			from, to = q.date, q.date
		}
		n := max(0, int(to.Sub(from)/(24*time.Hour))+1)
		return rowSource{n, func(i int) any {
			d := from.AddDate(0, 0, i)
			div := "0"
			if businessDay(d) {
				div = "1"
			}
			return calendarDay{d.Format(time.DateOnly), div}
		}}, false
	}
	return rowSource{}, false
}

// normalCode reads a 4-character code as its common stock's 5-character one.
func normalCode(c string) string {
	if len(c) == 4 {
		return c + "0"
	}
	return c
}

// issues is the listed issues the query asks for.
func (q dataQuery) issues() []listed {
	if q.code == "" {
		return listing
	}
	for i := range listing {
		if listing[i].Code == q.code {
			return listing[i : i+1]
		}
	}
	return nil
}

// tradingDays is the business days the query asks for that have data.
func (q dataQuery) tradingDays() []time.Time {
	from, to := q.first, q.last
	if !q.from.IsZero() && q.from.After(from) {
		from = q.from
	}
	if !q.to.IsZero() && q.to.Before(to) {
		to = q.to
	}
	if !q.date.IsZero() {
		from, to = q.date, q.date
		if q.date.Before(q.first) || q.date.After(q.last) {
			return nil
		}
	}
	var days []time.Time
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		if businessDay(d) {
			days = append(days, d)
		}
	}
	return days
}

func businessDay(d time.Time) bool {
	switch {
	case d.Weekday() == time.Saturday || d.Weekday() == time.Sunday:
		return false
	case d.Month() == time.January && d.Day() <= 3, d.Month() == time.December && d.Day() == 31:
		return false
	}
	return true
}

func lastBusinessDay(d time.Time) time.Time {
	for !businessDay(d) {
		d = d.AddDate(0, 0, -1)
	}
	return d
}

// morningDay is the day whose morning-session bars can be had at now: they
// come out at noon and go at 06:00 the next day (Japan's time).
func morningDay(now time.Time) (time.Time, bool) {
	day := civil(now)
	switch h := now.In(jst).Hour(); {
	case h >= 12:
	case h < 6:
		day = day.AddDate(0, 0, -1)
	default:
		return time.Time{}, false
	}
	return day, businessDay(day)
}

// unit is a number in [0, 1) fixed by the issue, the day and salt.
func unit(code string, day, salt int) float64 {
	h := fnv.New64a()
	h.Write([]byte(code))
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(day))
	binary.BigEndian.PutUint64(b[8:], uint64(salt))
	h.Write(b[:])
	return float64(h.Sum64()>>11) / (1 << 53)
}

// dayNumber counts days from 2000-01-01.
func dayNumber(d time.Time) int {
	return int(d.Sub(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
}

// tick rounds a price to the Tokyo Stock Exchange's tick for it.
func tick(p float64) float64 {
	step := 1.0
	switch {
	case p > 5000: // to 30,000; no issue of the fake's gets there
		step = 10
	case p > 3000:
		step = 5
	}
	return math.Max(step, math.Round(p/step)*step)
}

func round100(v float64) float64 { return math.Max(100, math.Round(v/100)*100) }

// closeOn is the issue's close, before rounding, on day number day: two
// waves and some noise around its base price.
func (is listed) closeOn(day int) float64 {
	phase := 2 * math.Pi * unit(is.Code, 0, 1)
	t := float64(day)
	wave := 1 + 0.25*math.Sin(2*math.Pi*t/400+phase) + 0.08*math.Sin(2*math.Pi*t/47+2*phase)
	return is.base * wave * (1 + 0.02*(unit(is.Code, day, 2)-0.5))
}

// ohlcv is one day's prices and volume.
type ohlcv struct{ o, h, l, c, vo float64 }

func (is listed) day(d time.Time) ohlcv {
	day := dayNumber(d)
	c := is.closeOn(day)
	o := is.closeOn(day-1) * (1 + 0.01*(unit(is.Code, day, 3)-0.5))
	h := math.Max(o, c) * (1 + 0.015*unit(is.Code, day, 4))
	l := math.Min(o, c) * (1 - 0.015*unit(is.Code, day, 5))
	b := ohlcv{o: tick(o), h: tick(h), l: tick(l), c: tick(c)}
	b.h = max(b.h, b.o, b.c)
	b.l = min(b.l, b.o, b.c)
	b.vo = round100(2e9 / is.base * (0.3 + 1.4*unit(is.Code, day, 6)))
	return b
}

func (is listed) dailyBar(d time.Time) dailyBar {
	b := is.day(d)
	return dailyBar{
		Date: d.Format(time.DateOnly), Code: is.Code,
		O: b.o, H: b.h, L: b.l, C: b.c, UL: "0", LL: "0",
		Vo: b.vo, Va: math.Round(b.vo * (b.o + b.h + b.l + b.c) / 4),
		AdjFactor: 1, AdjO: b.o, AdjH: b.h, AdjL: b.l, AdjC: b.c, AdjVo: b.vo,
	}
}

// priceAt is the price m minutes into day b's trading: from the open to the
// close with a swing, within the day's low and high.
func (is listed) priceAt(b ohlcv, day, m int) float64 {
	f := float64(m) / minutesPerDay
	swing := (b.h - b.l) * 0.4 * math.Sin(3*math.Pi*f+2*math.Pi*unit(is.Code, day, 7))
	return math.Min(b.h, math.Max(b.l, b.o+(b.c-b.o)*f+swing))
}

func (is listed) minuteBar(d time.Time, m int) minuteBar {
	b, day := is.day(d), dayNumber(d)
	o, c := tick(is.priceAt(b, day, m)), tick(is.priceAt(b, day, m+1))
	h := math.Min(b.h, tick(math.Max(o, c)*(1+0.002*unit(is.Code, day*1000+m, 8))))
	l := math.Max(b.l, tick(math.Min(o, c)*(1-0.002*unit(is.Code, day*1000+m, 9))))
	vo := round100(b.vo / minutesPerDay * (0.2 + 1.6*unit(is.Code, day*1000+m, 10)))
	clock := 9*60 + m
	if m >= 151 {
		clock = 12*60 + 30 + m - 151
	}
	return minuteBar{
		Date: d.Format(time.DateOnly), Time: time.Date(2000, 1, 1, clock/60, clock%60, 0, 0, time.UTC).Format("15:04"),
		Code: is.Code, O: o, H: max(h, o, c), L: min(l, o, c), C: c, Vo: vo, Va: math.Round(vo * c),
	}
}

func (is listed) morningBar(d time.Time) morningBar {
	b, day := is.day(d), dayNumber(d)
	mo, mc := b.o, tick(is.priceAt(b, day, 151))
	mh := tick(math.Max(mo, mc) + (b.h-math.Max(mo, mc))*unit(is.Code, day, 11))
	ml := tick(math.Min(mo, mc) - (math.Min(mo, mc)-b.l)*unit(is.Code, day, 12))
	vo := round100(b.vo * 0.45)
	return morningBar{
		Date: d.Format(time.DateOnly), Code: is.Code,
		MO: mo, MH: max(mh, mo, mc), ML: min(ml, mo, mc), MC: mc, MVo: vo, MVa: math.Round(vo * (mo + mc) / 2),
	}
}
