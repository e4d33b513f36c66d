package comp

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every template is filled completely by the variables its starter passes.
func TestTemplatesFill(t *testing.T) {
	dir := t.TempDir()
	for name, vars := range map[string]map[string]string{
		"nginx-net.conf.tmpl":     {"TETHER": "127.0.0.1:1", "SIO": "127.0.0.1:2", "CERT": "c", "KEY": "k", "PORT": "3", "PREFIX": dir},
		"nginx-cluster.conf.tmpl": {"SERVERS": "server 127.0.0.1:1;", "CERT": "c", "KEY": "k", "PORT": "3", "PREFIX": dir},
		"squid.conf.tmpl":         {"PORT": "3", "RUN": dir, "DIR": dir},
		"tinyproxy.conf.tmpl":     {"PORT": "3", "DIR": dir},
	} {
		dst := filepath.Join(dir, name)
		if err := fill(name, dst, vars); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		b, err := os.ReadFile(dst)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "3") {
			t.Errorf("%s: PORT not written:\n%s", name, b)
		}
	}
	if err := fill("tinyproxy.conf.tmpl", filepath.Join(dir, "x"), map[string]string{"PORT": "3"}); err == nil {
		t.Error("a template with @DIR@ left unfilled was accepted")
	}
}

// Info reads a RESP bulk string answer to INFO.
func TestInfo(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		for i := 0; i < 5; i++ { // *2, $4, INFO, $6, memory
			r.ReadString('\n')
		}
		body := "# Memory\r\nused_memory:123456\r\nused_memory_human:120.56K\r\n"
		fmt.Fprintf(c, "$%d\r\n%s\r\n", len(body), body)
	}()
	if got := InfoInt(ln.Addr().String(), "memory", "used_memory"); got != 123456 {
		t.Fatalf("used_memory = %d, want 123456", got)
	}
}
