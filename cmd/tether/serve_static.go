package main

import (
	"net/http"
	"os"
	"strings"
)

// staticFiles serves the files under dir for `tether serve --static`: GET
// and HEAD only, no directory listings (a directory serves its index.html
// or is 404), types from the extension (.wasm is application/wasm, which
// WebAssembly.instantiateStreaming requires), and revalidated on every load
// so that a rebuilt bundle is picked up.
func staticFiles(dir string) (http.Handler, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, usagef("--static %s: %v", dir, err)
	}
	if !st.IsDir() {
		return nil, usagef("--static %s: not a directory", dir)
	}
	root := http.Dir(dir)
	files := http.FileServer(root)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if isDir(root, r.URL.Path) && !exists(root, strings.TrimSuffix(r.URL.Path, "/")+"/index.html") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	}), nil
}

func isDir(root http.Dir, name string) bool {
	f, err := root.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	return err == nil && st.IsDir()
}

func exists(root http.Dir, name string) bool {
	f, err := root.Open(name)
	if err != nil {
		return false
	}
	f.Close()
	return true
}
