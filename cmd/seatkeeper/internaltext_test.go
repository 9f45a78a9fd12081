package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// internalRef is text that points at the team's own notes (the design
// document's sections, issue numbers) rather than at anything a user has.
// A public standard's section (RFC 7644 §3.4.2) is fine.
var internalRef = regexp.MustCompile(`DESIGN|(?:^|[^0-9] )§|^§|\bissue \d+`)

// TestNoInternalTextShown: what a user reads — page templates, the
// OpenAPI document's descriptions, and every string literal of the code
// (messages, help texts, page text) — never cites the design document or
// an issue. Comments may.
func TestNoInternalTextShown(t *testing.T) {
	root := filepath.Join(repoRoot, "internal")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		switch ext := filepath.Ext(path); {
		case ext == ".html" || ext == ".json" || ext == ".js":
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for i, line := range strings.Split(string(data), "\n") {
				if internalRef.MatchString(line) {
					t.Errorf("%s:%d shows internal text to users: %s", path, i+1, strings.TrimSpace(line))
				}
			}
		case ext == ".go" && !strings.HasSuffix(path, "_test.go"):
			checkGoStrings(t, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	checkGoStrings(t, "main.go")
}

// checkGoStrings reports string literals of a Go file citing internal notes.
func checkGoStrings(t *testing.T, path string) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Errorf("parse %s: %v", path, err)
		return
	}
	ast.Inspect(f, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			for _, line := range strings.Split(lit.Value, "\n") {
				if internalRef.MatchString(line) && !strings.Contains(line, "RFC") {
					t.Errorf("%s: a string shows internal text to users: %s", fset.Position(lit.Pos()), strings.TrimSpace(line))
				}
			}
		}
		return true
	})
}
