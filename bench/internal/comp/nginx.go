package comp

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tether-sdk/tether/internal/procs"
)

// Nginx is a running nginx and its base URL (https://127.0.0.1:PORT).
type Nginx struct {
	*Proc
	Base string
}

// StartNginxNet starts nginx-net.conf.tmpl in front of the Tether server
// at tether and the Socket.IO server at sio (host:port, both HTTPS), with
// the certificate and key files given.
func StartNginxNet(dir, cpu, cert, key, tether, sio string) (*Nginx, error) {
	return startNginx(dir, cpu, "nginx-net.conf.tmpl", map[string]string{
		"TETHER": tether, "SIO": sio, "CERT": cert, "KEY": key,
	})
}

// StartNginxCluster starts a round-robin balancer (no stickiness) in front
// of the HTTPS nodes (host:port).
func StartNginxCluster(dir, cpu, cert, key string, nodes []string) (*Nginx, error) {
	var s strings.Builder
	for _, n := range nodes {
		fmt.Fprintf(&s, "        server %s max_fails=0;\n", n)
	}
	return startNginx(dir, cpu, "nginx-cluster.conf.tmpl", map[string]string{
		"SERVERS": s.String(), "CERT": cert, "KEY": key,
	})
}

func startNginx(dir, cpu, tmpl string, vars map[string]string) (*Nginx, error) {
	// nginx creates only the last folder of a temp path.
	for _, d := range []string{"tmp", "logs"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	conf := filepath.Join(dir, "nginx.conf")
	p, port, err := procs.OnFreePort("nginx", func(port int) (*Proc, error) {
		vars["PORT"] = strconv.Itoa(port)
		vars["PREFIX"] = dir
		if err := fill(tmpl, conf, vars); err != nil {
			return nil, err
		}
		return start("nginx", cpu, dir, "nginx", "-p", dir, "-c", conf)
	})
	if err != nil {
		return nil, err
	}
	return &Nginx{Proc: p, Base: fmt.Sprintf("https://127.0.0.1:%d", port)}, nil
}
