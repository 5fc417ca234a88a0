package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"regexp"
	"sort"
	"strings"
)

// position is a line and column, as a coverage profile writes them.
type position struct{ line, col int }

// addUnmappedBlocks returns coverage profile lines (no statements, count 1)
// for the expressions that Go's cover tool leaves outside every block, when
// the profile shows that they were evaluated:
//   - the expressions of a switch's case clause, when the body of that clause
//     or of a later one ran, or the default's: getting there evaluated them;
//   - the values of package-level const and var declarations, in a package
//     some block of which ran: vars are set at init, and a constant is
//     compiled into every use.
//
// source reads a file by the name the profile gives it.
func addUnmappedBlocks(profile []byte, source func(name string) ([]byte, error)) ([]byte, error) {
	ran := map[string]map[position]bool{} // file → start of each block that ran
	dirRan := map[string]bool{}           // package directory → some block ran
	for i, line := range strings.Split(strings.TrimSpace(string(profile)), "\n") {
		if i == 0 {
			if !strings.HasPrefix(line, "mode: ") {
				return nil, fmt.Errorf("not a coverage profile: %q", line)
			}
			continue
		}
		colon := strings.LastIndexByte(line, ':')
		if colon < 0 {
			return nil, fmt.Errorf("bad profile line %q", line)
		}
		name := line[:colon]
		var start, end position
		var stmts, count int
		if _, err := fmt.Sscanf(line[colon+1:], "%d.%d,%d.%d %d %d", &start.line, &start.col, &end.line, &end.col, &stmts, &count); err != nil {
			return nil, fmt.Errorf("bad profile line %q: %v", line, err)
		}
		if ran[name] == nil {
			ran[name] = map[position]bool{}
		}
		if count > 0 {
			ran[name][start] = true
			dirRan[path.Dir(name)] = true
		}
	}

	names := make([]string, 0, len(ran))
	for name := range ran {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []byte
	for _, name := range names {
		src, err := source(name)
		if err != nil {
			return nil, err
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		add := func(e ast.Expr) {
			s, t := fset.Position(e.Pos()), fset.Position(e.End())
			out = fmt.Appendf(out, "%s:%d.%d,%d.%d 0 1\n", name, s.Line, s.Column, t.Line, t.Column)
		}
		bodyRan := func(c *ast.CaseClause) bool {
			p := fset.Position(c.Colon + 1)
			return ran[name][position{p.Line, p.Column}]
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sw, ok := n.(*ast.SwitchStmt)
			if !ok {
				return true
			}
			// Cases are tried in order and the default last, so a body
			// that ran means every case before it was evaluated.
			evaluated := false
			for _, s := range sw.Body.List {
				if c := s.(*ast.CaseClause); c.List == nil && bodyRan(c) {
					evaluated = true
				}
			}
			for i := len(sw.Body.List) - 1; i >= 0; i-- {
				c := sw.Body.List[i].(*ast.CaseClause)
				if c.List == nil {
					continue
				}
				evaluated = evaluated || bodyRan(c)
				if evaluated {
					for _, e := range c.List {
						add(e)
					}
				}
			}
			return true
		})
		if !dirRan[path.Dir(name)] {
			continue
		}
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && (g.Tok == token.CONST || g.Tok == token.VAR) {
				for _, s := range g.Specs {
					for _, e := range s.(*ast.ValueSpec).Values {
						add(e)
					}
				}
			}
		}
	}
	return out, nil
}

// dropFiles removes from profile the blocks of the files whose path in
// module matches exclude, so that gremlins counts their mutants as not
// covered and runs none of them.
func dropFiles(profile []byte, module string, exclude *regexp.Regexp) []byte {
	if exclude == nil {
		return profile
	}
	var out []byte
	for i, line := range bytes.SplitAfter(profile, []byte("\n")) {
		if colon := bytes.LastIndexByte(line, ':'); i > 0 && colon > 0 {
			name, _ := strings.CutPrefix(string(line[:colon]), module+"/")
			if exclude.MatchString(name) {
				continue
			}
		}
		out = append(out, line...)
	}
	return out
}
