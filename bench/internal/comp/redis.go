package comp

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/tether-sdk/tether/internal/procs"
)

// Redis is a running redis-server (no persistence) and its address.
type Redis struct {
	*Proc
	Addr string
}

// URL is the redis:// URL of database 0.
func (r *Redis) URL() string { return "redis://" + r.Addr + "/0" }

// StartRedis starts redis-server on a free loopback port.
func StartRedis(dir, cpu string) (*Redis, error) {
	p, port, err := procs.OnFreePort("redis-server", func(port int) (*Proc, error) {
		return start("redis-server", cpu, dir, "redis-server", "--bind", "127.0.0.1", "--port", strconv.Itoa(port),
			"--save", "", "--appendonly", "no", "--daemonize", "no")
	})
	if err != nil {
		return nil, err
	}
	return &Redis{Proc: p, Addr: fmt.Sprintf("127.0.0.1:%d", port)}, nil
}

// Info returns the fields of INFO section of the Redis at addr, asked in
// RESP on a connection of its own.
func Info(addr, section string) (map[string]string, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintf(c, "*2\r\n$4\r\nINFO\r\n$%d\r\n%s\r\n", len(section), section); err != nil {
		return nil, err
	}
	r := bufio.NewReader(c)
	head, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(head, "$") {
		return nil, fmt.Errorf("redis INFO %s: %q", section, strings.TrimSpace(head))
	}
	n, err := strconv.Atoi(strings.TrimSpace(head[1:]))
	if err != nil {
		return nil, fmt.Errorf("redis INFO %s: %q", section, head)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, l := range strings.Split(string(body), "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			out[k] = v
		}
	}
	return out, nil
}

// InfoInt reads one integer field of INFO section (-1 when it cannot).
func InfoInt(addr, section, field string) int64 {
	m, err := Info(addr, section)
	if err != nil {
		return -1
	}
	v, err := strconv.ParseInt(m[field], 10, 64)
	if err != nil {
		return -1
	}
	return v
}
