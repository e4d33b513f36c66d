package comp

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"

	"github.com/tether-sdk/tether/internal/procs"
)

// Proxy is a running forward (CONNECT) proxy and its URL
// (http://127.0.0.1:PORT).
type Proxy struct {
	*Proc
	URL string
}

// StartTinyproxy starts an open tinyproxy in dir.
func StartTinyproxy(dir, cpu string) (*Proxy, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "tinyproxy.conf")
	p, port, err := procs.OnFreePort("tinyproxy", func(port int) (*Proc, error) {
		if err := fill("tinyproxy.conf.tmpl", conf, map[string]string{"PORT": strconv.Itoa(port), "DIR": dir}); err != nil {
			return nil, err
		}
		return start("tinyproxy", cpu, dir, "tinyproxy", "-d", "-c", conf)
	})
	if err != nil {
		return nil, err
	}
	return &Proxy{Proc: p, URL: fmt.Sprintf("http://127.0.0.1:%d", port)}, nil
}

// StartSquid starts an open squid in dir (about 3 s to start and to stop).
func StartSquid(dir, cpu string) (*Proxy, error) {
	run := filepath.Join(dir, "run")
	if err := os.MkdirAll(run, 0o755); err != nil {
		return nil, err
	}
	// squid drops to the user proxy when started as root: let it reach its
	// folders.
	os.Chmod(dir, 0o755)
	for d := filepath.Dir(dir); d != "/" && d != "."; d = filepath.Dir(d) {
		if st, err := os.Stat(d); err == nil && st.Mode().Perm()&0o001 == 0 {
			os.Chmod(d, st.Mode().Perm()|0o011)
		}
	}
	if os.Geteuid() == 0 {
		if u, err := user.Lookup("proxy"); err == nil {
			uid, _ := strconv.Atoi(u.Uid)
			gid, _ := strconv.Atoi(u.Gid)
			if err := os.Chown(run, uid, gid); err != nil {
				return nil, err
			}
		}
	}
	// Its own hosts file: it never asks a DNS server.
	if err := os.WriteFile(filepath.Join(dir, "hosts"), []byte("127.0.0.1 localhost\n"), 0o644); err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "squid.conf")
	p, port, err := procs.OnFreePort("squid", func(port int) (*Proc, error) {
		if err := fill("squid.conf.tmpl", conf, map[string]string{"PORT": strconv.Itoa(port), "RUN": run, "DIR": dir}); err != nil {
			return nil, err
		}
		return start("squid", cpu, dir, "squid", "-N", "-f", conf)
	})
	if err != nil {
		return nil, err
	}
	return &Proxy{Proc: p, URL: fmt.Sprintf("http://127.0.0.1:%d", port)}, nil
}
