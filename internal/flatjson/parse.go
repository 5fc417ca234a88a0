// Package flatjson reads and writes the JSON this project exchanges: flat
// objects whose interesting members are strings.
//
// It exists for the browser module's size: encoding/json brings reflect and
// costs about 290 KB gzip there, for bodies that only ever need "find these
// string members" and "write these string members". Decoding matches
// encoding/json (the tests use it as the oracle) but refuses what it
// tolerates: invalid UTF-8, duplicate keys.
package flatjson

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// Kind is the type of a JSON value.
type Kind uint8

// The kinds of JSON value.
const (
	Null Kind = iota + 1
	Bool
	Number
	String
	Object
	Array
)

var kindNames = [...]string{"invalid", "null", "boolean", "number", "string", "object", "array"}

// String is the JSON name of k: "null", "boolean", "number" and so on.
func (k Kind) String() string {
	if int(k) >= len(kindNames) {
		return kindNames[0]
	}
	return kindNames[k]
}

// Member is one member of the top-level object.
type Member struct {
	Key  string // unescaped
	Kind Kind
	Str  string // the unescaped value when Kind == String, else ""
	// Start and End are the value's byte offsets in the input: input[Start:End]
	// is its JSON text, so a nested value can be parsed on its own.
	Start, End int
}

// Problem says why input was refused. When input has several, the one
// listed first here is reported.
type Problem uint8

// The problems ParseObject reports.
const (
	BadUTF8   Problem = iota + 1 // the input is not valid UTF-8 (anywhere, strings included)
	BadSyntax                    // not JSON (empty, unterminated, bad escapes or numbers, control characters in strings, nested over 10000 deep)
	Trailing                     // a valid object followed by more than white space
	Duplicate                    // a key appears twice in the top-level object (compared after unescaping)
	NotObject                    // valid JSON, but the top-level value is not an object
	NotArray                     // valid JSON, but the top-level value is not an array (Elements)
)

var problemText = [...]string{"refused", "invalid UTF-8", "not valid JSON", "data after the value", "duplicate key", "not a JSON object", "not a JSON array"}

// Error is returned by ParseObject.
type Error struct {
	Problem Problem
	Offset  int    // byte offset where the problem was found
	Key     string // for Duplicate: the repeated key (callers decide whether to show it)
}

// Error says what and where but quotes no input, which may hold secrets.
func (e *Error) Error() string {
	p := int(e.Problem)
	if p >= len(problemText) {
		p = 0
	}
	return "flatjson: " + problemText[p] + " at byte " + strconv.Itoa(e.Offset)
}

// maxDepth is encoding/json's nesting limit, so that both accept the same.
const maxDepth = 10000

// ParseObject parses b as exactly one JSON object, with white space allowed
// around it, and returns its members in order; they do not alias b. Nested
// values are validated and skipped: their members only have a Kind. Errors
// are *Error.
func ParseObject(b []byte) ([]Member, error) {
	return parseObject(make([]Member, 0, 4), b, false) // room for a typical body
}

// ParseObjectInto is ParseObject, appending the members to dst, and with
// each Key and Str that has no escape in b a view of b's bytes rather than a
// copy: so a short object into room on the caller's stack allocates
// nothing. It suits a caller that is done with the members, and with every
// string made from them, before b changes; a caller that keeps one copies
// it.
func ParseObjectInto(dst []Member, b []byte) ([]Member, error) {
	return parseObject(dst, b, true)
}

func parseObject(dst []Member, b []byte, views bool) ([]Member, error) {
	if err := checkUTF8(b); err != nil {
		return nil, err
	}
	p := parser{b: b, views: views}
	p.space()
	start := p.i
	ms, ok := p.value(dst)
	if !ok {
		return nil, p.fail(BadSyntax)
	}
	switch p.space(); {
	case p.i < len(b) && b[start] == '{':
		return nil, p.fail(Trailing)
	case p.i < len(b):
		return nil, p.fail(BadSyntax)
	case b[start] != '{':
		return nil, &Error{Problem: NotObject, Offset: start}
	case p.dup != nil: // reported last, so that a syntax error wins
		return nil, p.dup
	}
	return ms, nil
}

// Elements parses b as exactly one JSON array, with white space allowed
// around it, and returns each element's JSON text (aliasing b), validated.
// Errors are *Error, as ParseObject's (NotArray for another valid value).
func Elements(b []byte) ([][]byte, error) {
	if err := checkUTF8(b); err != nil {
		return nil, err
	}
	p := parser{b: b, flat: true}
	p.space()
	start := p.i
	if !p.eat('[') {
		if _, ok := p.value(nil); ok {
			if p.space(); p.i == len(b) {
				return nil, &Error{Problem: NotArray, Offset: start}
			}
		}
		return nil, p.fail(BadSyntax)
	}
	var out [][]byte
	p.space()
	for closed := p.eat(']'); !closed; {
		p.space()
		at := p.i
		if _, ok := p.value(nil); !ok {
			return nil, p.fail(BadSyntax)
		}
		out = append(out, b[at:p.i])
		if p.space(); !p.eat(',') {
			if closed = p.eat(']'); !closed {
				return nil, p.fail(BadSyntax)
			}
		}
	}
	if p.space(); p.i < len(b) {
		return nil, p.fail(Trailing)
	}
	return out, nil
}

func checkUTF8(b []byte) error {
	if utf8.Valid(b) { // a word at a time while ASCII
		return nil
	}
	// There is an invalid byte, which DecodeRune meets before the end.
	for i := 0; ; {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return &Error{Problem: BadUTF8, Offset: i}
		}
		i += n
	}
}

// parser is a cursor over input already known to be valid UTF-8. On failure
// i is left where the problem was found. The members found so far are not
// kept here but passed along and returned: appending through p would move
// them to the heap.
type parser struct {
	b     []byte
	i     int
	open  containers      // those open at i
	keys  map[string]bool // the keys of the members, once there are many
	dup   *Error          // the first repeated key
	flat  bool            // record no members (Elements)
	views bool            // strings view b's bytes (ParseObjectInto)
}

func (p *parser) fail(pr Problem) error { return &Error{Problem: pr, Offset: p.i} }

// value parses one value, appending the top-level object's members to ms.
// Open containers live in p.open, not on the call stack, so deep input
// cannot exhaust it. Values directly inside the top-level object fill in the
// member that key added.
func (p *parser) value(ms []Member) ([]Member, bool) {
	for {
		// A value starts here.
		if p.space(); p.i >= len(p.b) {
			return ms, false
		}
		c, ok := p.b[p.i], true
		member := !p.flat && p.open.inTopObject()
		if member {
			ms[len(ms)-1].Kind = kinds[c]
			ms[len(ms)-1].Start = p.i
		}
		switch c {
		case '{', '[':
			if p.open.depth >= maxDepth {
				return ms, false
			}
			p.i++
			if p.space(); p.eat(c + 2) { // '}' is '{'+2, ']' is '['+2
				break
			}
			p.open.push(c)
			if c == '[' {
				continue
			}
			if ms, ok = p.key(ms); ok {
				continue
			}
			return ms, false
		case '"':
			var s []byte
			if s, ok = p.str(); member {
				ms[len(ms)-1].Str = p.string(s)
			}
		case 't', 'f', 'n':
			ok = p.literal()
		default:
			ok = p.number()
		}
		if !ok {
			return ms, false
		}
		// The value is complete: close containers until one has another element.
		for {
			if p.open.depth == 0 {
				return ms, true
			}
			if !p.flat && p.open.inTopObject() && ms[len(ms)-1].End == 0 {
				ms[len(ms)-1].End = p.i // a member's value ends here
			}
			top := p.open.top()
			if p.space(); p.eat(top + 2) {
				p.open.pop()
				continue
			}
			if !p.eat(',') {
				return ms, false
			}
			if top == '{' {
				if ms, ok = p.key(ms); !ok {
					return ms, false
				}
			}
			break
		}
	}
}

// containers is a stack of open containers, '{' or '['. The first 64 are
// bits of a word, so that usual input allocates nothing for them.
type containers struct {
	depth  int
	arrays uint64 // bit d: the container at depth d (< 64) is '['
	deeper []byte // deeper[d-64]: the container at depth d >= 64
}

func (c *containers) push(open byte) {
	if c.depth < 64 {
		c.arrays &^= 1 << c.depth
		if open == '[' {
			c.arrays |= 1 << c.depth
		}
	} else {
		c.deeper = append(c.deeper[:c.depth-64], open)
	}
	c.depth++
}

func (c *containers) pop() { c.depth-- }

// top is the innermost open container; there must be one.
func (c *containers) top() byte {
	if c.depth > 64 {
		return c.deeper[c.depth-65]
	}
	if c.arrays>>(c.depth-1)&1 == 1 {
		return '['
	}
	return '{'
}

// inTopObject reports whether the only open container is the top-level object.
func (c *containers) inTopObject() bool { return c.depth == 1 && c.arrays&1 == 0 }

// kinds gives a value's Kind from its first byte.
var kinds = [256]Kind{'{': Object, '[': Array, '"': String, 't': Bool, 'f': Bool, 'n': Null, '-': Number,
	'0': Number, '1': Number, '2': Number, '3': Number, '4': Number, '5': Number, '6': Number, '7': Number, '8': Number, '9': Number}

// key parses `"name":` in an object; in the top-level one it appends a
// member to ms.
func (p *parser) key(ms []Member) ([]Member, bool) {
	p.space()
	at := p.i
	k, ok := p.str()
	if !ok {
		return ms, false
	}
	if !p.flat && p.open.depth == 1 {
		key := p.string(k)
		if p.dup == nil && p.seen(ms, key) {
			p.dup = &Error{Problem: Duplicate, Offset: at, Key: key}
		}
		ms = append(ms, Member{Key: key})
	}
	p.space()
	return ms, p.eat(':')
}

// string makes a member's string of str's result: a copy, or for
// ParseObjectInto a view of those bytes (b's own, or a new slice for a
// string with escapes).
func (p *parser) string(s []byte) string {
	if p.views {
		return unsafe.String(unsafe.SliceData(s), len(s))
	}
	return string(s)
}

// seen reports whether one of ms is named k. A scan suits real bodies; past
// 16 members a map keeps hostile input from costing quadratic time.
func (p *parser) seen(ms []Member, k string) bool {
	if len(ms) < 16 {
		_, found := Lookup(ms, k)
		return found
	}
	if p.keys == nil {
		p.keys = make(map[string]bool, len(ms))
		for _, m := range ms {
			p.keys[m.Key] = true
		}
	}
	found := p.keys[k]
	p.keys[k] = true
	return found
}

func (p *parser) space() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

// eat consumes c if it is next.
func (p *parser) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *parser) literal() bool {
	for _, w := range [...]string{"true", "false", "null"} {
		if len(p.b)-p.i >= len(w) && string(p.b[p.i:p.i+len(w)]) == w {
			p.i += len(w)
			return true
		}
	}
	return false
}

// number accepts RFC 8259's -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *parser) number() bool {
	p.eat('-')
	if !p.eat('0') && !p.digits() || p.eat('.') && !p.digits() {
		return false
	}
	if p.eat('e') || p.eat('E') {
		if !p.eat('+') {
			p.eat('-')
		}
		return p.digits()
	}
	return true
}

// digits consumes one or more decimal digits.
func (p *parser) digits() bool {
	start := p.i
	for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}

// unescaped maps the letter of each short escape to the byte it stands for.
var unescaped = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// str parses the string at p.i and returns it unescaped. Without escapes
// that is a slice of the input, so callers copy what they keep. Surrogates
// follow encoding/json: a valid pair is one rune; anything else is U+FFFD,
// leaving the next escape to be read on its own.
func (p *parser) str() ([]byte, bool) {
	if !p.eat('"') {
		return nil, false
	}
	start := p.i
	var out []byte // the string so far, once there is an escape
	for ; p.i < len(p.b); p.i++ {
		switch c := p.b[p.i]; {
		case c == '"':
			p.i++
			if out == nil {
				return p.b[start : p.i-1], true
			}
			return append(out, p.b[start:p.i-1]...), true
		case c < 0x20:
			return nil, false
		case c == '\\':
			out = append(out, p.b[start:p.i]...)
			if r := p.u4(p.i); r >= 0 {
				if p.i += 5; utf16.IsSurrogate(r) {
					if r = utf16.DecodeRune(r, p.u4(p.i+1)); r != utf8.RuneError {
						p.i += 6
					}
				}
				out = utf8.AppendRune(out, r)
			} else if p.i+1 < len(p.b) && unescaped[p.b[p.i+1]] != 0 {
				p.i++
				out = append(out, unescaped[p.b[p.i]])
			} else {
				return nil, false
			}
			start = p.i + 1
		}
	}
	return nil, false
}

// u4 reads the escape \uXXXX at b[i:], or returns -1.
func (p *parser) u4(i int) rune {
	if i+6 > len(p.b) || p.b[i] != '\\' || p.b[i+1] != 'u' {
		return -1
	}
	n, err := strconv.ParseUint(string(p.b[i+2:i+6]), 16, 32)
	if err != nil {
		return -1
	}
	return rune(n)
}
