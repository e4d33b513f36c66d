//go:build integration

// The cgo resolver (getaddrinfo) reads a numeric host such as "127.1" as
// 127.0.0.1 without asking any DNS server, as the proxies do; the pure Go
// resolver would refuse it. The proxy tests use that name as a target that
// is loopback for every program but not for the proxy environment's rules
// (which never proxy loopback), so that HTTPS_PROXY and NO_PROXY can be
// tested end to end without a DNS server or an /etc/hosts entry.
//
//go:debug netdns=cgo

// Package integration is Tether's hostile-network suite with real
// components: nginx, tinyproxy, squid and Node's ws, driving the real client
// against server/ as the backend. Run it with
//
//	go test -tags integration -race ./integration/...
//
// (or `make integration`); TestMain installs what is missing through
// setup.sh, starts the shared components on free loopback ports from the
// templates in conf/, stops them afterwards, and writes RESULTS.md after a
// full run.
package integration

import (
	"crypto/x509"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tether-sdk/tether/internal/certs"
	"github.com/tether-sdk/tether/internal/procs"
	"github.com/tether-sdk/tether/transport"
)

// Proxy credentials (conf/squid.passwd holds the same, hashed).
const (
	proxyUser = "tether"
	proxyPass = "s3cret"
)

// suite is what TestMain prepares for every test.
var suite struct {
	dir string // the run's temp folder

	ca      *certs.CA
	caPool  *x509.CertPool
	backend *certs.Leaf // Go backends: 127.0.0.1, localhost, 127.1
	nginx   *certs.Leaf // nginx's own certificate
	proxy   *certs.Leaf // squid's https_port
	node    *certs.Leaf // the Node ws server

	nginxCert, nginxKey string
	nodeCert, nodeKey   string

	tinyOpen, tinyAuth         *procs.Proc
	tinyOpenAddr, tinyAuthAddr string
	squid                      *procs.Proc
	squidDir                   string
	squidOpenAddr              string
	squidAuthAddr              string
	squidTLSAddr               string
}

func TestMain(m *testing.M) {
	flag.Parse()
	start := time.Now()
	code, ran, err := run(m)
	if err != nil {
		fmt.Fprintf(os.Stderr, "integration: %v\n", err)
		code = 1
	}
	full := flag.Lookup("test.run").Value.String() == "" && flag.Lookup("test.skip").Value.String() == ""
	if ran && full {
		if err := writeResults("RESULTS.md", time.Since(start), code == 0); err != nil {
			fmt.Fprintf(os.Stderr, "integration: writing RESULTS.md: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// run prepares the suite, runs the tests (ran) and stops everything it
// started, also when a step fails.
func run(m *testing.M) (code int, ran bool, err error) {
	if err := ensureInstalled(); err != nil {
		return 1, false, err
	}
	dir, err := os.MkdirTemp("", "tether-integration-")
	if err != nil {
		return 1, false, err
	}
	suite.dir = dir
	defer os.RemoveAll(dir)
	// squid drops to its own user when started as root: let it reach its
	// folder.
	if err := os.Chmod(dir, 0o755); err != nil {
		return 1, false, err
	}
	if err := makePKI(); err != nil {
		return 1, false, fmt.Errorf("certificates: %w", err)
	}
	defer stopShared()
	if err := startTinyproxies(); err != nil {
		return 1, false, err
	}
	if err := startSquid(); err != nil {
		return 1, false, err
	}
	return m.Run(), true, nil
}

// ensureInstalled runs setup.sh when a component is missing; a component
// still missing afterwards fails the run (never a skip).
func ensureInstalled() error {
	missing := func() []string {
		var out []string
		for _, b := range []string{"nginx", "tinyproxy", "squid", "redis-server", "node"} {
			if _, err := procs.LookBin(b); err != nil {
				out = append(out, b)
			}
		}
		if _, err := os.Stat("/usr/lib/squid/basic_ncsa_auth"); err != nil {
			out = append(out, "basic_ncsa_auth")
		}
		if _, err := os.Stat("node/node_modules/ws/package.json"); err != nil {
			out = append(out, "ws (npm)")
		}
		return out
	}
	if len(missing()) == 0 {
		return nil
	}
	cmd := exec.Command("bash", "setup.sh")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("setup.sh failed (%v); missing: %s", err, strings.Join(missing(), ", "))
	}
	if m := missing(); len(m) > 0 {
		return fmt.Errorf("still missing after setup.sh: %s", strings.Join(m, ", "))
	}
	return nil
}

func makePKI() error {
	var err error
	if suite.ca, err = certs.NewCA("tether integration CA"); err != nil {
		return err
	}
	suite.caPool = suite.ca.Pool()
	for _, l := range []struct {
		dst   **certs.Leaf
		hosts []string
	}{
		{&suite.backend, []string{"127.0.0.1", "localhost", "127.1"}},
		{&suite.nginx, []string{"127.0.0.1", "localhost"}},
		{&suite.proxy, []string{"127.0.0.1", "localhost"}},
		{&suite.node, []string{"127.0.0.1", "localhost"}},
	} {
		if *l.dst, err = suite.ca.Issue(l.hosts...); err != nil {
			return err
		}
	}
	pki := filepath.Join(suite.dir, "pki")
	if err := os.MkdirAll(pki, 0o755); err != nil {
		return err
	}
	write := func(name string, data []byte) (string, error) {
		p := filepath.Join(pki, name)
		// Throwaway keys, readable by the components' users.
		return p, os.WriteFile(p, data, 0o644)
	}
	files := []struct {
		dst  *string
		name string
		data []byte
	}{
		{&suite.nginxCert, "nginx.crt", suite.nginx.CertPEM()},
		{&suite.nginxKey, "nginx.key", suite.nginx.KeyPEM()},
		{&suite.nodeCert, "node.crt", suite.node.CertPEM()},
		{&suite.nodeKey, "node.key", suite.node.KeyPEM()},
	}
	for _, f := range files {
		if *f.dst, err = write(f.name, f.data); err != nil {
			return err
		}
	}
	if _, err := write("ca.crt", suite.ca.CertPEM()); err != nil {
		return err
	}
	if _, err := write("proxy.crt", suite.proxy.CertPEM()); err != nil {
		return err
	}
	_, err = write("proxy.key", suite.proxy.KeyPEM())
	return err
}

func startTinyproxies() error {
	for _, tp := range []struct {
		name string
		auth string
		p    **procs.Proc
		addr *string
	}{
		{"tinyproxy", "", &suite.tinyOpen, &suite.tinyOpenAddr},
		{"tinyproxy-auth", "BasicAuth " + proxyUser + " " + proxyPass, &suite.tinyAuth, &suite.tinyAuthAddr},
	} {
		dir := filepath.Join(suite.dir, tp.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		p, port, err := procs.OnFreePort(tp.name, func(port int) (*procs.Proc, error) {
			conf := filepath.Join(dir, "tinyproxy.conf")
			if err := fillTemplate("tinyproxy.conf.tmpl", conf, map[string]string{
				"PORT": strconv.Itoa(port), "DIR": dir, "AUTH": tp.auth,
			}); err != nil {
				return nil, err
			}
			return procs.Start(tp.name, dir, "tinyproxy", "-d", "-c", conf)
		})
		if err != nil {
			return err
		}
		*tp.p, *tp.addr = p, fmt.Sprintf("127.0.0.1:%d", port)
	}
	return nil
}

func startSquid() error {
	dir := filepath.Join(suite.dir, "squid")
	run := filepath.Join(dir, "run")
	if err := os.MkdirAll(run, 0o755); err != nil {
		return err
	}
	passwd, err := os.ReadFile(filepath.Join("conf", "squid.passwd"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "passwd"), passwd, 0o644); err != nil {
		return err
	}
	// squid's own hosts file: it never needs a DNS server.
	if err := os.WriteFile(filepath.Join(dir, "hosts"), []byte("127.0.0.1 localhost tether-target.test\n"), 0o644); err != nil {
		return err
	}
	if os.Geteuid() == 0 {
		// As root squid switches to the user proxy, which must write here.
		if u, err := user.Lookup("proxy"); err == nil {
			uid, _ := strconv.Atoi(u.Uid)
			gid, _ := strconv.Atoi(u.Gid)
			if err := os.Chown(run, uid, gid); err != nil {
				return err
			}
		}
	}
	suite.squidDir = dir
	var last error
	for try := 0; try < 3; try++ {
		var ports [3]int
		for i := range ports {
			if ports[i], err = procs.FreePort(); err != nil {
				return err
			}
		}
		conf := filepath.Join(dir, "squid.conf")
		if err := fillTemplate("squid.conf.tmpl", conf, map[string]string{
			"OPEN_PORT": strconv.Itoa(ports[0]), "AUTH_PORT": strconv.Itoa(ports[1]), "TLS_PORT": strconv.Itoa(ports[2]),
			"CERT": filepath.Join(suite.dir, "pki", "proxy.crt"), "KEY": filepath.Join(suite.dir, "pki", "proxy.key"),
			"RUN": run, "DIR": dir, "NCSA": "/usr/lib/squid/basic_ncsa_auth",
		}); err != nil {
			return err
		}
		p, err := procs.Start("squid", dir, "squid", "-N", "-f", conf)
		if err != nil {
			return err
		}
		addrs := make([]string, 3)
		ok := true
		for i, port := range ports {
			addrs[i] = fmt.Sprintf("127.0.0.1:%d", port)
			if err := p.WaitPort(addrs[i], 30*time.Second); err != nil {
				last = fmt.Errorf("%w\ncache.log:\n%s", err, readFileString(filepath.Join(run, "cache.log")))
				ok = false
				break
			}
		}
		if ok {
			suite.squid = p
			suite.squidOpenAddr, suite.squidAuthAddr, suite.squidTLSAddr = addrs[0], addrs[1], addrs[2]
			return nil
		}
		p.Stop(5 * time.Second)
	}
	return fmt.Errorf("squid: %w", last)
}

// stopShared stops the shared components, squid last (it takes longest).
func stopShared() {
	suite.tinyOpen.Stop(5 * time.Second)
	suite.tinyAuth.Stop(5 * time.Second)
	suite.squid.Stop(10 * time.Second)
}

// pin returns a leaf's SPKI pin.
func pin(l *certs.Leaf) string { return transport.SPKIPin(l.Cert) }
