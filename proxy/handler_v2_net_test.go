//go:build !js

package proxy_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth/authhttp"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
	"github.com/jquants-auth/jquants-auth/proxy"
)

// The native edge's V2 path in this package (e2e/ runs it with workerd
// too): a page streamed through, a head that comes too late, and no answer
// at all.

// flushRecorder records how much of the body had been written at each flush.
type flushRecorder struct {
	*httptest.ResponseRecorder
	flushedAt []int
}

func (f *flushRecorder) Flush() {
	f.flushedAt = append(f.flushedAt, f.Body.Len())
	f.ResponseRecorder.Flush()
}

func v2Get(t *testing.T, h http.Handler) (*flushRecorder, map[string]string) {
	t.Helper()
	req := httptest.NewRequest("GET", "/v2/equities/master?code=86970", nil)
	req.Header.Set("x-api-key", authtest.DemoKey)
	rec := &flushRecorder{ResponseRecorder: httptest.NewRecorder()}
	h.ServeHTTP(rec, req)
	var m map[string]string
	if rec.Code != http.StatusOK {
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &m), rec.Body.String())
	}
	return rec, m
}

func TestV2StreamedThrough(t *testing.T) {
	fake := authtest.NewServer()
	defer fake.Close()
	direct, err := http.NewRequest("GET", fake.URL+"/v2/equities/master?code=86970", nil)
	require.NoError(t, err)
	direct.Header.Set("x-api-key", authtest.DemoKey)
	resp, err := http.DefaultClient.Do(direct)
	require.NoError(t, err)
	want, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(want))

	logs := &syncBuffer{}
	h, err := proxy.New(proxy.Config{BaseURL: fake.URL, Log: logs}, authhttp.Transport{})
	require.NoError(t, err)
	rec, _ := v2Get(t, h)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, string(want), rec.Body.String())
	// The head is flushed before the body, and every piece as it is written.
	require.NotEmpty(t, rec.flushedAt)
	assert.Equal(t, 0, rec.flushedAt[0], "the head first")
	assert.Equal(t, len(want), rec.flushedAt[len(rec.flushedAt)-1], "the last piece flushed")
	line := strings.TrimSpace(logs.String())
	assert.True(t, strings.HasSuffix(line, " bytes="+strconv.Itoa(len(want))), line)
	assert.NotContains(t, line, "cut off")
}

func TestV2HeadTooLate(t *testing.T) {
	fake := authtest.NewServer()
	defer fake.Close()
	fake.SetFault(authtest.Fault{Delay: time.Hour})
	h, err := proxy.New(proxy.Config{BaseURL: fake.URL, UpstreamTimeout: 50 * time.Millisecond, Log: io.Discard}, authhttp.Transport{})
	require.NoError(t, err)
	rec, m := v2Get(t, h)
	assert.Equal(t, http.StatusGatewayTimeout, rec.Code)
	assert.Equal(t, "timeout", m["code"])
}

func TestV2NoAnswer(t *testing.T) {
	fake := authtest.NewServer()
	defer fake.Close()
	fake.SetFault(authtest.Fault{Drop: true})
	h, err := proxy.New(proxy.Config{BaseURL: fake.URL, Log: io.Discard}, authhttp.Transport{})
	require.NoError(t, err)
	rec, m := v2Get(t, h)
	assert.Equal(t, http.StatusBadGateway, rec.Code)
	assert.Equal(t, proxy.CodeUpstreamUnreachable, m["code"])
}
