package kinds

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoKindSwitchesOutsideTheRegistry: what differs between kinds is
// declared here alone. No product file elsewhere spells a kind's name as a
// string, compares a record's kind with a kind constant, switches on one,
// or keys a table by one. The emulator (the AWS side), the frozen schema
// steps and their fixture generators, benchmarks and tests may.
func TestNoKindSwitchesOutsideTheRegistry(t *testing.T) {
	root := filepath.Join("..", "..")
	constants := kindConstants(t)
	names := map[string]bool{}
	for _, s := range All() {
		names[string(s.Kind)] = true
	}
	skip := []string{"archive/kinds/", "internal/emulator/", "internal/archivetest/", "migrations/", "bench/"}
	var isKindConst func(e ast.Expr) bool
	isKindConst = func(e ast.Expr) bool {
		if call, ok := e.(*ast.CallExpr); ok && len(call.Args) == 1 {
			return isKindConst(call.Args[0]) // string(kinds.DRSJob)
		}
		sel, ok := e.(*ast.SelectorExpr)
		if !ok {
			return false
		}
		pkg, ok := sel.X.(*ast.Ident)
		return ok && pkg.Name == "kinds" && constants[sel.Sel.Name]
	}
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && rel != "." || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		for _, p := range skip {
			if strings.HasPrefix(rel, p) {
				return nil
			}
		}
		files++
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		report := func(n ast.Node, what string) {
			t.Errorf("%s: %s: say it in the registry (package kinds) instead", fset.Position(n.Pos()), what)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.BasicLit:
				if x.Kind == token.STRING {
					if s, err := strconv.Unquote(x.Value); err == nil && names[s] {
						report(x, "the kind name "+x.Value)
					}
				}
			case *ast.BinaryExpr:
				if (x.Op == token.EQL || x.Op == token.NEQ) && (isKindConst(x.X) || isKindConst(x.Y)) {
					report(x, "a comparison with a kind")
				}
			case *ast.CaseClause:
				for _, e := range x.List {
					if isKindConst(e) {
						report(e, "a case of a kind")
					}
				}
			case *ast.KeyValueExpr:
				if isKindConst(x.Key) {
					report(x, "a table keyed by a kind")
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("only %d product files checked: the walk missed the module", files)
	}
}

// kindConstants returns the names of the Kind constants registry.go
// declares.
func kindConstants(t *testing.T) map[string]bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "registry.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "Kind" {
				for _, n := range vs.Names {
					out[n.Name] = true
				}
			}
		}
	}
	if len(out) != len(All()) {
		t.Fatalf("registry.go declares %d Kind constants, the registry holds %d kinds", len(out), len(All()))
	}
	return out
}
