package procs

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

var placeholder = regexp.MustCompile(`@[A-Z0-9_]+@`)

// FillTemplate replaces every @KEY@ in src (the template called name, for
// errors) with vars[KEY] and writes the result to dst. A placeholder left
// unfilled is an error.
func FillTemplate(name string, src []byte, dst string, vars map[string]string) error {
	s := string(src)
	for k, v := range vars {
		s = strings.ReplaceAll(s, "@"+k+"@", v)
	}
	if left := placeholder.FindString(s); left != "" {
		return fmt.Errorf("%s: %s not filled", name, left)
	}
	return os.WriteFile(dst, []byte(s), 0o644)
}
