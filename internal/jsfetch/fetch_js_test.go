//go:build js && wasm

package jsfetch

import (
	"context"
	"errors"
	"strings"
	"sync"
	"syscall/js"
	"testing"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/internal/jsfetch/fetchtest"
)

const testURL = "https://proxy.example/v1/token/auth_user"

var testBody = []byte(`{"mailaddress":"a@example.com","password":"pw"}`)

func TestPostSendsASizedJSONBody(t *testing.T) {
	fake := fetchtest.Install(t, `return new Response('{"refreshToken":"tok"}', {status: 200, headers: {"Content-Type": "application/json"}})`)
	ans, err := New().Post(context.Background(), testURL, testBody)
	if err != nil {
		t.Fatal(err)
	}
	if ans.StatusCode != 200 || string(ans.Body) != `{"refreshToken":"tok"}` || ans.Header.Get("Content-Type") != "application/json" {
		t.Errorf("answer = %d %v %q", ans.StatusCode, ans.Header, ans.Body)
	}
	calls := fake.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d fetch calls, want 1", len(calls))
	}
	c := calls[0]
	if c.URL != testURL || c.Method != "POST" {
		t.Errorf("fetch(%q, {method: %q})", c.URL, c.Method)
	}
	if c.BodyType != "Uint8Array" || c.Body != string(testBody) {
		t.Errorf("body is a %s %q, want a Uint8Array of the JSON", c.BodyType, c.Body)
	}
	if got := c.Init.Get("body").Get("byteLength").Int(); got != len(testBody) {
		t.Errorf("body has %d bytes, want %d", got, len(testBody))
	}
	if c.Header["Content-Type"] != "application/json" || c.Header["Accept"] != "application/json" || len(c.Header) != 2 {
		t.Errorf("headers = %v", c.Header)
	}
	for k, want := range map[string]string{"credentials": "omit", "cache": "no-store", "redirect": "error", "referrerPolicy": "no-referrer"} {
		if got := c.Init.Get(k); got.Type() != js.TypeString || got.String() != want {
			t.Errorf("init.%s = %v, want %q", k, got, want)
		}
	}
	if !c.Init.Get("signal").InstanceOf(js.Global().Get("AbortSignal")) {
		t.Errorf("init.signal = %v, want an AbortSignal", c.Init.Get("signal"))
	}
}

func TestPostUsesTheFetcher(t *testing.T) {
	fake, calls := fetchtest.New(`return new Response("{}", {status: 200})`)
	obj := js.Global().Get("Object").New()
	obj.Set("fetch", fake)
	if _, err := (Transport{Fetcher: obj}).Post(context.Background(), testURL, testBody); err != nil {
		t.Fatal(err)
	}
	got := fetchtest.Wrap(calls).Calls()
	if len(got) != 1 || !got[0].This.Equal(obj) {
		t.Fatalf("fetch was not called on the Fetcher: %d calls", len(got))
	}
}

func TestPostReadsStatusHeadersAndBody(t *testing.T) {
	fetchtest.Install(t, `return new Response('{"message":"slow down","code":"rate_limited"}',
		{status: 429, headers: {"Retry-After": "7", "Content-Type": "application/json", "X-Two": "a"}})`)
	ans, err := New().Post(context.Background(), testURL, testBody)
	if err != nil {
		t.Fatal(err)
	}
	if ans.StatusCode != 429 || ans.Header["Retry-After"][0] != "7" || ans.Header["X-Two"][0] != "a" {
		t.Errorf("answer = %d %v", ans.StatusCode, ans.Header)
	}
	if string(ans.Body) != `{"message":"slow down","code":"rate_limited"}` {
		t.Errorf("body = %q", ans.Body)
	}
	// And through the client, the Retry-After survives.
	_, err = (&auth.Client{Transport: New(), BaseURL: "https://proxy.example"}).AuthUser(context.Background(), auth.Credentials{MailAddress: "a@example.com", Password: "pw"})
	var ae *auth.Error
	if !errors.As(err, &ae) || ae.RetryAfter != 7*time.Second || auth.Code(err) != auth.CodeRateLimited {
		t.Errorf("AuthUser: %v", err)
	}
}

func TestPostNoBody(t *testing.T) {
	fetchtest.Install(t, `return new Response(null, {status: 204})`)
	ans, err := New().Post(context.Background(), testURL, testBody)
	if err != nil || ans.StatusCode != 204 || len(ans.Body) != 0 {
		t.Errorf("Post = %d %q, %v", ans.StatusCode, ans.Body, err)
	}
}

func TestPostWithoutStreams(t *testing.T) {
	fetchtest.Install(t, `return {status: 200, type: "basic", headers: new Headers({"content-type": "application/json"}),
		arrayBuffer: async () => new TextEncoder().encode('{"refreshToken":"x"}').buffer}`)
	ans, err := New().Post(context.Background(), testURL, testBody)
	if err != nil || string(ans.Body) != `{"refreshToken":"x"}` || ans.Header.Get("content-type") != "application/json" {
		t.Errorf("Post = %d %v %q, %v", ans.StatusCode, ans.Header, ans.Body, err)
	}
}

func TestPostBodyLimit(t *testing.T) {
	max := auth.MaxAnswerBytes
	t.Run("exactly the limit", func(t *testing.T) {
		fetchtest.Install(t, `return new Response("x".repeat(`+itoa(max)+`), {status: 200})`)
		ans, err := New().Post(context.Background(), testURL, testBody)
		if err != nil || len(ans.Body) != max {
			t.Errorf("Post: %d bytes, %v", len(ans.Body), err)
		}
	})
	t.Run("Content-Length over the limit", func(t *testing.T) {
		fake := fetchtest.Install(t, `return new Response("{}", {status: 200, headers: {"Content-Length": "`+itoa(max+1)+`"}})`)
		ans, err := New().Post(context.Background(), testURL, testBody)
		if !errors.Is(err, auth.ErrAnswerTooLarge) || ans.StatusCode != 200 || ans.Header.Get("Content-Length") == "" || ans.Body != nil {
			t.Errorf("Post = %d %v %q, %v; want status and headers with ErrAnswerTooLarge", ans.StatusCode, ans.Header, ans.Body, err)
		}
		if !fake.Calls()[0].Init.Get("signal").Get("aborted").Bool() {
			t.Error("the fetch was not aborted")
		}
	})
	t.Run("stream over the limit", func(t *testing.T) {
		// 16 KiB chunks without a Content-Length; the stream counts its pulls.
		fake := fetchtest.Install(t, `
			call.pulls = 0;
			const stream = new ReadableStream({
				pull(c) { call.pulls++; c.enqueue(new Uint8Array(16384).fill(120)); if (call.pulls > 100) c.close(); },
			}, {highWaterMark: 0});
			return new Response(stream, {status: 500});`)
		ans, err := New().Post(context.Background(), testURL, testBody)
		if !errors.Is(err, auth.ErrAnswerTooLarge) || ans.StatusCode != 500 {
			t.Errorf("Post = %d, %v; want 500 with ErrAnswerTooLarge", ans.StatusCode, err)
		}
		if !fake.Calls()[0].Init.Get("signal").Get("aborted").Bool() {
			t.Error("the fetch was not aborted")
		}
	})
	t.Run("stream over the limit, through the client", func(t *testing.T) {
		fetchtest.Install(t, `return new Response(new Uint8Array(`+itoa(max+1)+`), {status: 200})`)
		_, err := (&auth.Client{Transport: New(), BaseURL: "https://proxy.example", MaxRetries: -1}).AuthUser(context.Background(), auth.Credentials{MailAddress: "a@example.com", Password: "pw"})
		var ae *auth.Error
		if !errors.As(err, &ae) || ae.StatusCode != 200 || !errors.Is(err, auth.ErrUnexpectedAnswer) {
			t.Errorf("AuthUser: %v", err)
		}
	})
}

func TestPostStopsReadingAnOversizedStream(t *testing.T) {
	fake := fetchtest.Install(t, `
		call.pulls = 0;
		call.canceled = false;
		const stream = new ReadableStream({
			pull(c) { call.pulls++; c.enqueue(new Uint8Array(16384)); },
			cancel() { call.canceled = true; },
		}, {highWaterMark: 0});
		return new Response(stream, {status: 200});`)
	_, err := New().Post(context.Background(), testURL, testBody)
	if !errors.Is(err, auth.ErrAnswerTooLarge) {
		t.Fatalf("Post: %v", err)
	}
	// 4 chunks fit, the 5th is one too many; a stream may pull one ahead.
	if pulls := fake.Record(0).Get("pulls").Int(); pulls > 6 {
		t.Errorf("the stream was pulled %d times for a 64 KiB limit", pulls)
	}
	time.Sleep(10 * time.Millisecond) // let the abort reach the stream
	if !fake.Record(0).Get("canceled").Bool() {
		t.Error("the stream was not canceled")
	}
}

func TestPostRejectionIsASafeError(t *testing.T) {
	for _, tc := range []struct {
		name, script   string
		wantName, want string
	}{
		{"CORS refused", `throw new TypeError("Failed to fetch")`, "TypeError", "Failed to fetch"},
		{"message with a URL", `throw new TypeError("fetch failed: https://proxy.example/v1/token/auth_user?password=pw")`, "TypeError", ""},
		{"a string", `throw "boom"`, "Error", "boom"},
		{"undefined", `return Promise.reject()`, "Error", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fetchtest.Install(t, tc.script)
			_, err := New().Post(context.Background(), testURL, testBody)
			var fe *Error
			if !errors.As(err, &fe) || fe.Name != tc.wantName || fe.Message != tc.want {
				t.Fatalf("Post: %#v, want a jsfetch.Error %s %q", err, tc.wantName, tc.want)
			}
			if s := err.Error(); strings.Contains(s, "password") || strings.Contains(s, "proxy.example") {
				t.Errorf("error text %q names the URL", s)
			}
			// Through the client it is a network error.
			_, err = (&auth.Client{Transport: New(), BaseURL: "https://proxy.example", MaxRetries: -1}).AuthUser(context.Background(), auth.Credentials{MailAddress: "a@example.com", Password: "pw"})
			if !errors.As(err, new(*auth.NetworkError)) || auth.Code(err) != auth.CodeNetwork {
				t.Errorf("AuthUser: %v (code %q), want a network error", err, auth.Code(err))
			}
		})
	}
}

func TestPostWhenFetchThrowsOrIsMissing(t *testing.T) {
	global := js.Global()
	old := global.Get("fetch")
	defer global.Set("fetch", old)

	global.Set("fetch", fetchtest.Func("", `throw new RangeError("bad init")`))
	_, err := New().Post(context.Background(), testURL, testBody)
	var fe *Error
	if !errors.As(err, &fe) || fe.Name != "RangeError" || fe.Message != "bad init" {
		t.Errorf("fetch throws: %#v", err)
	}

	global.Delete("fetch")
	if _, err = New().Post(context.Background(), testURL, testBody); !errors.As(err, &fe) {
		t.Errorf("no fetch: %#v", err)
	}
}

func TestPostCancel(t *testing.T) {
	fake := fetchtest.Install(t, `return new Promise((resolve, reject) => {
		init.signal.addEventListener("abort", () => reject(init.signal.reason));
	})`)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err := New().Post(ctx, testURL, testBody)
	if err != context.Canceled {
		t.Errorf("Post: %v, want context.Canceled", err)
	}
	if !fake.Calls()[0].Init.Get("signal").Get("aborted").Bool() {
		t.Error("the fetch's signal was not aborted")
	}
}

func TestPostAbortsTheBodyOnCancel(t *testing.T) {
	// Headers arrive, then the body stalls until aborted.
	fake := fetchtest.Install(t, `
		const stream = new ReadableStream({start(c) { c.enqueue(new Uint8Array([123])); }});
		return new Response(stream, {status: 200});`)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err := New().Post(ctx, testURL, testBody)
	if err != context.Canceled || !fake.Calls()[0].Init.Get("signal").Get("aborted").Bool() {
		t.Errorf("Post: %v, want context.Canceled and an aborted signal", err)
	}
}

// stuckCtx has a deadline but its Done channel never closes, like a context
// in a runtime that does not wake Go's timers.
type stuckCtx struct {
	context.Context
	deadline time.Time
}

func (c stuckCtx) Deadline() (time.Time, bool) { return c.deadline, true }

func TestPostTimesOutWithoutGoTimers(t *testing.T) {
	fake := fetchtest.Install(t, `return new Promise((resolve, reject) => {
		init.signal.addEventListener("abort", () => reject(init.signal.reason));
	})`)
	ctx := stuckCtx{context.Background(), time.Now().Add(50 * time.Millisecond)}
	start := time.Now()
	_, err := New().Post(ctx, testURL, testBody)
	var fe *Error
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &fe) || fe.Name != "TimeoutError" {
		t.Errorf("Post: %#v, want a TimeoutError matching context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Post took %v", d)
	}
	if !fake.Calls()[0].Init.Get("signal").Get("aborted").Bool() {
		t.Error("the signal was not aborted")
	}
}

func TestPostDoesNotFetchWhenTheContextHasEnded(t *testing.T) {
	fake := fetchtest.Install(t, `return new Response("{}")`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := New().Post(ctx, testURL, testBody); err != context.Canceled {
		t.Errorf("canceled: %v", err)
	}
	past := stuckCtx{context.Background(), time.Now().Add(-time.Second)}
	if _, err := New().Post(past, testURL, testBody); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("past deadline: %v", err)
	}
	if fake.Count() != 0 {
		t.Errorf("fetch was called %d times", fake.Count())
	}
}

func TestPostWithAFarDeadline(t *testing.T) {
	fetchtest.Install(t, `return new Response("{}")`)
	ctx, cancel := context.WithTimeout(context.Background(), 100*24*time.Hour)
	defer cancel()
	if _, err := New().Post(ctx, testURL, testBody); err != nil {
		t.Errorf("Post: %v", err)
	}
}

// TestPostInAWorkerdLikeRuntime replaces Request with one that refuses what
// workerd refuses: redirect "error", and credentials.
func TestPostInAWorkerdLikeRuntime(t *testing.T) {
	global := js.Global()
	oldRequest := global.Get("Request")
	global.Set("Request", fetchtest.Func("Request", `
		return class extends Request {
			constructor(url, init) {
				if (init && init.redirect === "error") throw new TypeError("Invalid redirect value");
				if (init && "credentials" in init) throw new Error("The 'credentials' field on 'RequestInitializerDict' is not implemented.");
				super(url, init);
			}
		};`).Invoke(oldRequest))
	resetOptions()
	t.Cleanup(func() {
		global.Set("Request", oldRequest)
		resetOptions()
	})

	fake := fetchtest.Install(t, `return new Response(null, {status: 302, headers: {Location: "https://elsewhere.example/"}})`)

	ans, err := New().Post(context.Background(), testURL, testBody)
	if err != nil || ans.StatusCode != 302 {
		t.Errorf("3xx under redirect manual: %d, %v; want the 302 as an answer", ans.StatusCode, err)
	}
	init := fake.Calls()[0].Init
	if init.Get("redirect").String() != "manual" || !init.Get("credentials").IsUndefined() || init.Get("cache").String() != "no-store" {
		t.Errorf("init: redirect %v, credentials %v, cache %v", init.Get("redirect"), init.Get("credentials"), init.Get("cache"))
	}
}

func TestPostOpaqueRedirect(t *testing.T) {
	fetchtest.Install(t, `return {type: "opaqueredirect", status: 0, headers: new Headers(), body: null}`)
	_, err := New().Post(context.Background(), testURL, testBody)
	var fe *Error
	if !errors.As(err, &fe) || fe.Name != "TypeError" || !strings.Contains(fe.Message, "redirect") {
		t.Errorf("opaque redirect: %#v", err)
	}
}

func TestConcurrentPosts(t *testing.T) {
	fake := fetchtest.Install(t, `await new Promise(r => setTimeout(r, 5));
		return new Response(new TextDecoder().decode(init.body), {status: 200})`)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			body := []byte(`{"n":` + itoa(i) + `}`)
			ans, err := New().Post(context.Background(), testURL, body)
			if err == nil && string(ans.Body) != string(body) {
				err = errors.New("got " + string(ans.Body) + " for " + string(body))
			}
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if fake.Count() != 20 {
		t.Errorf("%d calls", fake.Count())
	}
}

func TestCanonicalKey(t *testing.T) {
	for in, want := range map[string]string{"retry-after": "Retry-After", "CONTENT-TYPE": "Content-Type", "x": "X", "": "", "a--b": "A--B"} {
		if got := canonicalKey(in); got != want {
			t.Errorf("canonicalKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func resetOptions() {
	optionsOnce = sync.Once{}
	options = nil
}

func itoa(n int) string {
	return js.Global().Get("String").Invoke(n).String()
}

// TestPostWithNodeFetch sends real requests with Node's fetch to a Node
// server: the body goes with a Content-Length, never chunked.
func TestPostWithNodeFetch(t *testing.T) {
	base, seen := fetchtest.NodeServer(t, `
		switch (req.url) {
		case "/ok":
			res.writeHead(200, {"Content-Type": "application/json"});
			res.end('{"refreshToken":"node"}');
			break;
		case "/big":
			res.writeHead(200, {"Content-Type": "application/json"}); // chunked, no length
			for (let i = 0; i < 10; i++) res.write("x".repeat(16384));
			res.end();
			break;
		case "/redirect":
			res.writeHead(307, {Location: "/ok"});
			res.end();
			break;
		}`)
	ans, err := New().Post(context.Background(), base+"/ok", testBody)
	if err != nil || ans.StatusCode != 200 || string(ans.Body) != `{"refreshToken":"node"}` {
		t.Fatalf("Post = %d %q, %v", ans.StatusCode, ans.Body, err)
	}
	req := seen.Index(0)
	h := req.Get("headers")
	if req.Get("method").String() != "POST" || req.Get("body").String() != string(testBody) {
		t.Errorf("server saw %s %q", req.Get("method"), req.Get("body"))
	}
	if h.Get("content-length").String() != itoa(len(testBody)) || !h.Get("transfer-encoding").IsUndefined() {
		t.Errorf("Content-Length %v, Transfer-Encoding %v; want a sized body", h.Get("content-length"), h.Get("transfer-encoding"))
	}
	if h.Get("content-type").String() != "application/json" || h.Get("accept").String() != "application/json" || !h.Get("cookie").IsUndefined() {
		t.Errorf("headers: %v %v %v", h.Get("content-type"), h.Get("accept"), h.Get("cookie"))
	}

	if _, err := New().Post(context.Background(), base+"/big", testBody); !errors.Is(err, auth.ErrAnswerTooLarge) {
		t.Errorf("160 KiB chunked answer: %v, want ErrAnswerTooLarge", err)
	}

	_, err = New().Post(context.Background(), base+"/redirect", testBody)
	var fe *Error
	if !errors.As(err, &fe) || fe.Name != "TypeError" {
		t.Errorf("307: %#v, want a TypeError (redirect \"error\")", err)
	}
	if n := seen.Length(); n != 3 {
		t.Errorf("the server saw %d requests, want 3 (the redirect not followed)", n)
	}
}

func TestPostConnectionRefused(t *testing.T) {
	if js.Global().Get("require").Type() != js.TypeFunction {
		t.Skip("not under Node")
	}
	// Nothing listens on the discard port of loopback here; Node's fetch
	// refuses port 9 anyway ("bad port"): either way, no HTTP answer.
	_, err := New().Post(context.Background(), "http://127.0.0.1:9/v1/token/auth_user?secret=1", testBody)
	var fe *Error
	if !errors.As(err, &fe) || fe.Name != "TypeError" || strings.Contains(err.Error(), "secret") {
		t.Errorf("Post: %#v, want a TypeError without the URL", err)
	}
}

// TestPostTimesOutWithoutAbortSignalAny covers runtimes without
// AbortSignal.any, where the timeout signal aborts the controller.
func TestPostTimesOutWithoutAbortSignalAny(t *testing.T) {
	as := js.Global().Get("AbortSignal")
	anyFn := as.Get("any")
	as.Delete("any")
	defer as.Set("any", anyFn)
	if as.Get("any").Type() == js.TypeFunction {
		t.Skip("cannot remove AbortSignal.any (inherited)")
	}
	fake := fetchtest.Install(t, `return new Promise((resolve, reject) => {
		init.signal.addEventListener("abort", () => reject(init.signal.reason));
	})`)
	ctx := stuckCtx{context.Background(), time.Now().Add(50 * time.Millisecond)}
	_, err := New().Post(ctx, testURL, testBody)
	var fe *Error
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &fe) || fe.Name != "TimeoutError" {
		t.Errorf("Post: %#v, want a TimeoutError matching context.DeadlineExceeded", err)
	}
	if !fake.Calls()[0].Init.Get("signal").Get("aborted").Bool() {
		t.Error("the signal was not aborted")
	}
}
