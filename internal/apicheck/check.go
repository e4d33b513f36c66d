package apicheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Leak is an exported identifier whose signature shows a type a module
// outside cannot use (or should not depend on).
type Leak struct {
	Pos   string // file:line
	Ident string // the exported identifier, e.g. "Dialer.DialWebSocket"
	Type  string // the offending reference, e.g. "websocket.Conn"
	Path  string // its package's import path
}

func (l Leak) String() string {
	return fmt.Sprintf("%s: %s shows %s (%s)", l.Pos, l.Ident, l.Type, l.Path)
}

// Forbidden reports whether types of the package at importPath may not
// appear in the exported API of module's packages: the module's internal
// packages and every third-party package (standard library paths have no
// dot in their first element).
func Forbidden(module, importPath string) bool {
	if importPath == module || strings.HasPrefix(importPath, module+"/") {
		rest := "/" + strings.TrimPrefix(importPath, module) + "/"
		return strings.Contains(rest, "/internal/")
	}
	first, _, _ := strings.Cut(importPath, "/")
	return strings.Contains(first, ".")
}

// CheckDir checks the non-test Go files of one package directory (all
// build tags). main packages export nothing to import and are skipped.
// moduleDir is the module's root: an untyped constant's value that names a
// forbidden package's constant is a leak only when that constant is typed
// (a basic-typed constant such as a transport name is plain data), which is
// looked up in the module's source there.
func CheckDir(module, moduleDir, dir string) ([]Leak, error) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var leaks []Leak
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		if f.Name.Name == "main" {
			return nil, nil
		}
		leaks = append(leaks, checkFile(fset, module, moduleDir, f)...)
	}
	sort.Slice(leaks, func(i, j int) bool { return leaks[i].Pos < leaks[j].Pos })
	return leaks, nil
}

func checkFile(fset *token.FileSet, module, moduleDir string, f *ast.File) []Leak {
	bad := map[string]string{} // local import name -> path, for forbidden imports
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if !Forbidden(module, p) {
			continue
		}
		local := p[strings.LastIndex(p, "/")+1:]
		if imp.Name != nil {
			local = imp.Name.Name
		}
		if local == "_" || local == "." {
			continue
		}
		bad[local] = p
	}
	if len(bad) == 0 {
		return nil
	}
	var leaks []Leak
	scan := func(ident string, n ast.Node) {
		if n == nil {
			return
		}
		ast.Inspect(n, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if x, ok := sel.X.(*ast.Ident); ok {
					if p, ok := bad[x.Name]; ok {
						leaks = append(leaks, Leak{Pos: position(fset, sel), Ident: ident, Type: x.Name + "." + sel.Sel.Name, Path: p})
					}
				}
			}
			return true
		})
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() {
				continue
			}
			ident := d.Name.Name
			if d.Recv != nil {
				recv := receiverName(d.Recv.List[0].Type)
				if !ast.IsExported(recv) {
					continue
				}
				ident = recv + "." + ident
			}
			scan(ident, d.Type)
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if s.Name.IsExported() {
						if s.TypeParams != nil {
							scan(s.Name.Name, s.TypeParams)
						}
						scanType(s.Name.Name, s.Type, scan)
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if !n.IsExported() {
							continue
						}
						scan(n.Name, s.Type)
						if s.Type != nil {
							continue
						}
						for _, v := range s.Values {
							if d.Tok == token.CONST && untypedConst(module, moduleDir, bad, v) {
								continue
							}
							scan(n.Name, v) // an inferred type: its expression is the best clue
						}
					}
				}
			}
		}
	}
	return leaks
}

// scanType checks a type definition: only the exported fields of a struct
// and the exported (or embedded) methods of an interface are API.
func scanType(name string, t ast.Expr, scan func(string, ast.Node)) {
	switch t := t.(type) {
	case *ast.StructType:
		for _, f := range t.Fields.List {
			if len(f.Names) == 0 { // embedded: its exported members are promoted
				scan(name, f.Type)
				continue
			}
			for _, n := range f.Names {
				if n.IsExported() {
					scan(name+"."+n.Name, f.Type)
				}
			}
		}
	case *ast.InterfaceType:
		for _, m := range t.Methods.List {
			if len(m.Names) == 0 {
				scan(name, m.Type)
				continue
			}
			for _, n := range m.Names {
				if n.IsExported() {
					scan(name+"."+n.Name, m.Type)
				}
			}
		}
	default:
		scan(name, t)
	}
}

func receiverName(t ast.Expr) string {
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
		case *ast.IndexExpr:
			t = x.X
		case *ast.IndexListExpr:
			t = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

func position(fset *token.FileSet, n ast.Node) string {
	p := fset.Position(n.Pos())
	return fmt.Sprintf("%s:%d", filepath.Base(p.Filename), p.Line)
}

// untypedConst reports whether v is pkg.Name, a constant declared without a
// type (nor an implicit one from its const block) in the module's package.
func untypedConst(module, moduleDir string, bad map[string]string, v ast.Expr) bool {
	sel, ok := v.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	x, ok := sel.X.(*ast.Ident)
	if !ok {
		return false
	}
	path, ok := bad[x.Name]
	if !ok || !strings.HasPrefix(path, module+"/") {
		return false
	}
	dir := filepath.Join(moduleDir, filepath.FromSlash(strings.TrimPrefix(path, module+"/")))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.SkipObjectResolution)
		if err != nil {
			return false
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			var typ ast.Expr // a spec without type or values repeats the previous one's
			for _, sp := range g.Specs {
				vs := sp.(*ast.ValueSpec)
				if vs.Type != nil || len(vs.Values) > 0 {
					typ = vs.Type
				}
				for _, n := range vs.Names {
					if n.Name == sel.Sel.Name {
						return typ == nil
					}
				}
			}
		}
	}
	return false
}
