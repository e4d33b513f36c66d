package comp

import (
	"embed"

	"github.com/tether-sdk/tether/internal/procs"
)

//go:embed conf/*.tmpl
var confFS embed.FS

// fill fills the embedded conf/NAME (procs.FillTemplate) into dst.
func fill(name, dst string, vars map[string]string) error {
	src, err := confFS.ReadFile("conf/" + name)
	if err != nil {
		return err
	}
	return procs.FillTemplate("conf/"+name, src, dst, vars)
}
