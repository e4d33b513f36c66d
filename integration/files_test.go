//go:build integration

package integration

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tether-sdk/tether/internal/procs"
)

// fillTemplate fills conf/NAME (procs.FillTemplate) into dst.
func fillTemplate(name, dst string, vars map[string]string) error {
	src, err := os.ReadFile(filepath.Join("conf", name))
	if err != nil {
		return err
	}
	return procs.FillTemplate("conf/"+name, src, dst, vars)
}

// countLines counts the lines of s that contain all of subs.
func countLines(s string, subs ...string) int {
	n := 0
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
next:
	for sc.Scan() {
		for _, sub := range subs {
			if !strings.Contains(sc.Text(), sub) {
				continue next
			}
		}
		n++
	}
	return n
}

// readFileString reads a file, "" when it cannot.
func readFileString(path string) string {
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Sprintf("(%v)", err)
	}
	return string(b)
}
