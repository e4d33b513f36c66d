// Command rewrite moves the client core's browser-build files from fmt to
// internal/xfmt (see its package doc), then type-checks the js build and
// fails on every xfmt call whose operands xfmt cannot format as fmt does.
// It is idempotent: run it again after code written with fmt was merged.
//
//	go run ./internal/xfmt/rewrite            # the core packages (below)
//	go run ./internal/xfmt/rewrite -check     # only check, write nothing
//	go run ./internal/xfmt/rewrite DIR...     # other package directories
//
// Run it from the module root. A file is rewritten when it is part of the
// GOOS=js GOARCH=wasm build and is not a test; native-only files keep fmt.
// Calls it cannot move (a %T verb, a flag or width, a fmt name other than
// Errorf, Sprintf, Sprint and Fprintf) are listed and make it exit 1: fix
// them by hand (say what was expected instead of %T; convert a named
// integer type to int for %d).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/build"
	"go/format"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

const xfmtPath = "github.com/tether-sdk/tether/internal/xfmt"

// corePkgs are the packages of the browser build.
var corePkgs = []string{"client", "transport", "fallback", "internal/link", "internal/seq", "internal/wire",
	"internal/sse", "internal/jsutil", "wasm"}

var moved = map[string]bool{"Errorf": true, "Sprintf": true, "Sprint": true, "Fprintf": true}

var problems []string

func problem(fset *token.FileSet, pos token.Pos, msg string) {
	problems = append(problems, fset.Position(pos).String()+": "+msg)
}

func main() {
	check := flag.Bool("check", false, "only check; write nothing")
	flag.Parse()
	dirs := flag.Args()
	if len(dirs) == 0 {
		dirs = corePkgs
	}
	ctx := build.Default
	ctx.GOOS, ctx.GOARCH, ctx.CgoEnabled = "js", "wasm", false
	fset := token.NewFileSet()
	changed := 0
	for _, dir := range dirs {
		files, err := jsFiles(&ctx, dir)
		if err != nil {
			fatal(err)
		}
		for _, path := range files {
			src, err := os.ReadFile(path)
			if err != nil {
				fatal(err)
			}
			out, err := rewrite(fset, path, src)
			if err != nil {
				fatal(err)
			}
			if !bytes.Equal(out, src) {
				changed++
				if *check {
					problems = append(problems, path+": still uses fmt (run go run ./internal/xfmt/rewrite)")
				} else if err := os.WriteFile(path, out, 0o644); err != nil {
					fatal(err)
				}
			}
		}
	}
	if !*check {
		fmt.Printf("rewrite: %d file(s) moved to xfmt\n", changed)
	}
	imp := exportImporter(dirs)
	for _, dir := range dirs {
		typeCheck(&ctx, imp, dir)
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, p)
		}
		fmt.Fprintf(os.Stderr, "rewrite: %d problem(s): fix them by hand (see the doc comment of internal/xfmt/rewrite)\n", len(problems))
		os.Exit(1)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "rewrite:", err)
	os.Exit(2)
}

// jsFiles lists dir's non-test Go files of the js/wasm build.
func jsFiles(ctx *build.Context, dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		if ok, err := ctx.MatchFile(dir, name); err != nil {
			return nil, err
		} else if ok {
			out = append(out, filepath.Join(dir, name))
		}
	}
	return out, nil
}

// rewrite replaces fmt.Errorf/Sprintf/Sprint/Fprintf with xfmt's in src and
// fixes the imports; it returns src unchanged when there is nothing to do.
func rewrite(fset *token.FileSet, path string, src []byte) ([]byte, error) {
	f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	fmtName := ""
	for _, imp := range f.Imports {
		if imp.Path.Value == `"fmt"` {
			fmtName = "fmt"
			if imp.Name != nil {
				fmtName = imp.Name.Name
			}
		}
	}
	if fmtName == "" || fmtName == "_" {
		return src, nil
	}
	var offsets []int // of each fmt identifier to rename
	kept := false     // a fmt use that stays
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok || id.Name != fmtName || id.Obj != nil {
			return true
		}
		if !moved[sel.Sel.Name] {
			kept = true
			problem(fset, sel.Pos(), "fmt."+sel.Sel.Name+" has no xfmt counterpart")
			return true
		}
		offsets = append(offsets, fset.Position(id.Pos()).Offset)
		return true
	})
	if len(offsets) == 0 {
		return src, nil
	}
	var b bytes.Buffer
	last := 0
	for _, off := range offsets {
		b.Write(src[last:off])
		b.WriteString("xfmt")
		last = off + len(fmtName)
	}
	b.Write(src[last:])
	out := b.Bytes()
	if !kept {
		out = bytes.Replace(out, []byte("\t\"fmt\"\n"), nil, 1)
		out = bytes.Replace(out, []byte("import \"fmt\"\n"), []byte("import \""+xfmtPath+"\"\n"), 1)
	}
	if !bytes.Contains(out, []byte(`"`+xfmtPath+`"`)) {
		out = addImport(out)
	}
	return format.Source(out)
}

// addImport adds xfmt to the file's import block: in the group of the
// module's own imports if there is one, else as a group of its own.
func addImport(src []byte) []byte {
	line := []byte("\t\"" + xfmtPath + "\"\n")
	start := bytes.Index(src, []byte("\nimport ("))
	if start < 0 { // no block: add one after the package clause
		i := bytes.Index(src, []byte("\npackage "))
		if !bytes.HasPrefix(src, []byte("package ")) && i >= 0 {
			i++
		} else {
			i = 0
		}
		j := i + bytes.IndexByte(src[i:], '\n') + 1
		return append(append(append([]byte{}, src[:j]...), "\nimport \""+xfmtPath+"\"\n"...), src[j:]...)
	}
	end := start + bytes.Index(src[start:], []byte("\n)"))
	block := src[start:end]
	if k := bytes.Index(block, []byte("\t\"github.com/tether-sdk/tether/")); k >= 0 {
		at := start + k
		return append(append(append([]byte{}, src[:at]...), line...), src[at:]...)
	}
	at := end + 1
	return append(append(append([]byte{}, src[:at]...), append([]byte("\n"), line...)...), src[at:]...)
}

// typeCheck checks every xfmt call of dir's js build: the verbs are those
// xfmt knows, without flags, and each operand is of a type xfmt formats as
// fmt does.
func typeCheck(ctx *build.Context, imp types.Importer, dir string) {
	files, err := jsFiles(ctx, dir)
	if err != nil {
		fatal(err)
	}
	fset := token.NewFileSet()
	var parsed []*ast.File
	for _, path := range files {
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			fatal(err)
		}
		parsed = append(parsed, f)
	}
	conf := types.Config{Importer: imp, Error: func(error) {}}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{}}
	if _, err := conf.Check(dir, fset, parsed, info); err != nil {
		fatal(fmt.Errorf("type-checking %s for js/wasm: %w", dir, err))
	}
	errorType := types.Universe.Lookup("error").Type().Underlying().(*types.Interface)
	stringer := types.NewInterfaceType([]*types.Func{types.NewFunc(token.NoPos, nil, "String",
		types.NewSignatureType(nil, nil, nil, nil, types.NewTuple(types.NewVar(token.NoPos, nil, "", types.Typ[types.String])), false))}, nil).Complete()
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			args, isSprint := printfArgs(info, call)
			if args == nil {
				return true
			}
			if isSprint {
				for _, a := range args {
					checkOperand(fset, info, a, 'v', errorType, stringer)
				}
				return true
			}
			if call.Ellipsis.IsValid() {
				return true // args... forwarded: checked where they are built
			}
			tv := info.Types[args[0]]
			if tv.Value == nil {
				problem(fset, call.Pos(), "the format is not a constant")
				return true
			}
			format := constantString(tv.Value.ExactString())
			verbs, bad := verbsOf(format)
			if bad != "" {
				problem(fset, call.Pos(), bad)
				return true
			}
			if len(verbs) != len(args)-1 {
				problem(fset, call.Pos(), strconv.Itoa(len(verbs))+" verbs for "+strconv.Itoa(len(args)-1)+" operands")
				return true
			}
			for i, v := range verbs {
				checkOperand(fset, info, args[i+1], v, errorType, stringer)
			}
			return true
		})
	}
}

// exportImporter imports the js/wasm build's packages from the compiler's
// export data, which `go list -export` builds (or finds in the build cache).
func exportImporter(dirs []string) types.Importer {
	args := []string{"list", "-export", "-deps", "-f", "{{.ImportPath}} {{.Export}}"}
	for _, d := range dirs {
		args = append(args, "./"+filepath.ToSlash(d))
	}
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		fatal(fmt.Errorf("go list -export: %w", err))
	}
	exports := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if path, file, ok := strings.Cut(line, " "); ok && file != "" {
			exports[path] = file
		}
	}
	return importer.ForCompiler(token.NewFileSet(), "gc", func(path string) (io.ReadCloser, error) {
		file, ok := exports[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(file)
	})
}

// printfArgs returns the format and operands of a call to xfmt or to a
// printf-like function of the package (its last parameters are `format
// string, args ...any`), or the operands of xfmt.Sprint (isSprint); nil
// for other calls.
func printfArgs(info *types.Info, call *ast.CallExpr) (args []ast.Expr, isSprint bool) {
	var fn *types.Func
	switch f := call.Fun.(type) {
	case *ast.Ident:
		fn, _ = info.Uses[f].(*types.Func)
	case *ast.SelectorExpr:
		fn, _ = info.Uses[f.Sel].(*types.Func)
	}
	if fn == nil || fn.Pkg() == nil {
		return nil, false
	}
	if fn.Pkg().Path() == xfmtPath {
		switch fn.Name() {
		case "Sprint":
			return call.Args, true
		case "Fprintf":
			return call.Args[1:], false
		}
		return call.Args, false
	}
	sig := fn.Type().(*types.Signature)
	n := sig.Params().Len()
	if !sig.Variadic() || n < 2 || sig.Params().At(n-2).Name() != "format" || len(call.Args) < n-1 {
		return nil, false
	}
	return call.Args[n-2:], false
}

func constantString(exact string) string {
	s, err := strconv.Unquote(exact)
	if err != nil {
		return exact
	}
	return s
}

// verbsOf lists the operand verbs of format, or says why xfmt cannot do it.
func verbsOf(format string) ([]byte, string) {
	var vs []byte
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		if i+1 == len(format) {
			return nil, "the format ends in a lone %"
		}
		c := format[i+1]
		i++
		switch c {
		case '%':
		case 'v', 's', 'd', 'q', 'w':
			vs = append(vs, c)
		case 'T':
			return nil, "%T needs reflect: name the expected type instead"
		default:
			return nil, "%" + string(c) + ": xfmt has no flags, widths or other verbs"
		}
	}
	return vs, ""
}

// checkOperand reports an operand xfmt would not format as fmt does.
func checkOperand(fset *token.FileSet, info *types.Info, arg ast.Expr, verb byte, errorType, stringer *types.Interface) {
	t := info.Types[arg].Type
	if t == nil {
		return
	}
	if b, ok := t.(*types.Basic); ok && b.Kind() == types.UntypedNil {
		return
	}
	if types.IsInterface(t) && verb != 'w' {
		return // only its dynamic type tells (e.g. a logger's values): xfmt prints what it cannot format as such
	}
	basic, isBasic := types.Unalias(t).(*types.Basic) // a predeclared type, not a named one
	isInt := isBasic && basic.Info()&types.IsInteger != 0
	isBytes := types.Identical(t, types.NewSlice(types.Typ[types.Byte]))
	isText := types.Implements(t, errorType) || types.Implements(t, stringer) ||
		(isBasic && basic.Info()&types.IsString != 0) || isBytes
	ok := false
	switch verb {
	case 'd':
		ok = isInt || isBytes
	case 'w':
		ok = types.Implements(t, errorType)
	case 'v':
		ok = isText || isInt || (isBasic && basic.Info()&types.IsBoolean != 0)
	case 's', 'q':
		ok = isText
	}
	if !ok {
		problem(fset, arg.Pos(), "%"+string(verb)+" of "+t.String()+": xfmt formats it differently from fmt "+
			"(convert a named integer to int, a named string to string)")
	}
}
