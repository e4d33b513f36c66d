package comp

import (
	"embed"
	"fmt"
	"os"
	"regexp"
	"strings"
)

//go:embed conf/*.tmpl
var confFS embed.FS

var placeholder = regexp.MustCompile(`@[A-Z0-9_]+@`)

// fill reads conf/NAME, replaces every @KEY@ with vars[KEY] and writes the
// result to dst. A placeholder left unfilled is an error.
func fill(name, dst string, vars map[string]string) error {
	src, err := confFS.ReadFile("conf/" + name)
	if err != nil {
		return err
	}
	s := string(src)
	for k, v := range vars {
		s = strings.ReplaceAll(s, "@"+k+"@", v)
	}
	if left := placeholder.FindString(s); left != "" {
		return fmt.Errorf("conf/%s: %s not filled", name, left)
	}
	return os.WriteFile(dst, []byte(s), 0o644)
}
