package authtest

import (
	"encoding/json"
	"testing"
)

// TestPageCutToTheByte pins page's cut: a page that comes out exactly
// maxBytes long holds all its rows, one byte less and it holds one row
// fewer, and the first row goes in even when it alone is over.
func TestPageCutToTheByte(t *testing.T) {
	h := NewHandler()
	src := rowSource{n: 5, row: func(i int) any { return "row" }}
	rows := func(page []byte) (n int, key string) {
		var v struct {
			Data []string
			Key  string `json:"pagination_key"`
		}
		if err := json.Unmarshal(page, &v); err != nil {
			t.Fatalf("page %q: %v", page, err)
		}
		return len(v.Data), v.Key
	}
	three := h.page(src, 0, 3, 1<<20, "scope") // three rows and a key: the size of such a page
	if n, key := rows(three); n != 3 || key == "" {
		t.Fatalf("maxRows 3: %d rows, key %q", n, key)
	}
	for _, c := range []struct{ maxBytes, rows int }{
		{len(three), 3},
		{len(three) - 1, 2},
		{1, 1},
		{1 << 20, 5},
	} {
		page := h.page(src, 0, 0, c.maxBytes, "scope")
		n, key := rows(page)
		if n != c.rows || (key == "") != (n == src.n) {
			t.Errorf("maxBytes %d: %d rows, key %q; want %d rows", c.maxBytes, n, key, c.rows)
		}
		if c.rows > 1 && len(page) > c.maxBytes {
			t.Errorf("maxBytes %d: the page is %d bytes", c.maxBytes, len(page))
		}
	}
}
