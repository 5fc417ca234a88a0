package jsfetch

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestNewError(t *testing.T) {
	for _, tc := range []struct {
		name, message     string
		wantName, wantMsg string
		wantText          string
	}{
		{"TypeError", "Failed to fetch", "TypeError", "Failed to fetch", "jsfetch: fetch failed: TypeError: Failed to fetch"},
		{"", "", "Error", "", "jsfetch: fetch failed: Error"},
		{"TypeError", "fetch failed for https://x.example/?password=pw", "TypeError", "", "jsfetch: fetch failed: TypeError"},
		{"TypeError", "bad mail a@b.example", "TypeError", "", "jsfetch: fetch failed: TypeError"},
		{"Evil\nName", "line\none\x7f ", "Error", "lineone", "jsfetch: fetch failed: Error: lineone"},
		{"TypeError", strings.Repeat("é", 100), "TypeError", strings.Repeat("é", 80), ""},
	} {
		e := NewError(tc.name, tc.message, nil)
		if e.Name != tc.wantName || e.Message != tc.wantMsg {
			t.Errorf("NewError(%q, %q) = %q %q, want %q %q", tc.name, tc.message, e.Name, e.Message, tc.wantName, tc.wantMsg)
		}
		if tc.wantText != "" && e.Error() != tc.wantText {
			t.Errorf("Error() = %q, want %q", e.Error(), tc.wantText)
		}
		if errors.Unwrap(e) != nil {
			t.Errorf("Unwrap = %v", errors.Unwrap(e))
		}
	}
	e := NewError("TimeoutError", "", context.DeadlineExceeded)
	if !errors.Is(e, context.DeadlineExceeded) {
		t.Error("a TimeoutError does not match context.DeadlineExceeded")
	}
}

func TestTransportOutsideJS(t *testing.T) {
	if isJS {
		t.Skip("js/wasm has fetch")
	}
	_, err := New().Post(context.Background(), "https://x.example", nil)
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Post: %v, want errors.ErrUnsupported", err)
	}
}
