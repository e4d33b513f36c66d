// Package rig holds what the benchmark harness, the benchmark server and the
// testing.B benchmarks share: throw-away TLS certificates, the client side
// of each library under test behind one interface, the push/echo/sink
// protocol of the benchmark server, statistics and process accounting.
package rig

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tether-sdk/tether/internal/certs"
)

// MsgSize is the message size of the rows: 1 KiB.
const MsgSize = 1024

// Payload returns a read-only payload of n bytes (printable ASCII, so it is
// valid as text too).
func Payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = "0123456789abcdefghijklmnopqrstuvwxyz"[i%36]
	}
	return b
}

// Certs writes a fresh CA and a certificate for 127.0.0.1/localhost into dir
// (ca.pem, cert.pem, key.pem) unless they are already there.
func Certs(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, certs.KeyFile)); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	_, _, err := certs.SelfSigned(dir)
	return err
}

// ServerTLS loads the server certificate from dir.
func ServerTLS(dir string) (*tls.Config, error) {
	c, err := tls.LoadX509KeyPair(filepath.Join(dir, certs.CertFile), filepath.Join(dir, certs.KeyFile))
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{c}, NextProtos: []string{"http/1.1"}}, nil
}

// CAFile is the CA certificate's file in dir.
func CAFile(dir string) string { return filepath.Join(dir, certs.CAFile) }

// Pool returns a pool with the CA of dir.
func Pool(dir string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(CAFile(dir))
	if err != nil {
		return nil, err
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pem) {
		return nil, errors.New("rig: no certificate in " + CAFile(dir))
	}
	return p, nil
}

// Push requests: "n:<count>:<size>:<kind>" sends count messages of size
// bytes, "d:<millis>:<size>:<kind>" sends for that long; kind is b (binary)
// or t (text). Servers answer every request with the data messages and
// then End.
const End = "end"

func kindOf(text bool) string {
	if text {
		return "t"
	}
	return "b"
}

// PushCount is the request for n binary messages of size bytes.
func PushCount(n, size int) []byte { return []byte(fmt.Sprintf("n:%d:%d:b", n, size)) }

// PushFor is the request for messages of size bytes during d.
func PushFor(d time.Duration, size int, text bool) []byte {
	return []byte(fmt.Sprintf("d:%d:%d:%s", d.Milliseconds(), size, kindOf(text)))
}

// PushRequest is a parsed push request.
type PushRequest struct {
	Count int           // messages; 0 with For
	For   time.Duration // duration; 0 with Count
	Size  int
	Text  bool
}

// ParsePush parses a push request.
func ParsePush(b []byte) (PushRequest, error) {
	bad := fmt.Errorf("rig: bad push request %q", b)
	parts := strings.Split(string(b), ":")
	if len(parts) != 4 || (parts[3] != "t" && parts[3] != "b") {
		return PushRequest{}, bad
	}
	v, err1 := strconv.Atoi(parts[1])
	size, err2 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || v < 0 || size < 8 || size > 16<<20 {
		return PushRequest{}, bad
	}
	r := PushRequest{Size: size, Text: parts[3] == "t"}
	switch parts[0] {
	case "n":
		r.Count = v
	case "d":
		r.For = time.Duration(v) * time.Millisecond
	default:
		return PushRequest{}, bad
	}
	return r, nil
}

// Pusher runs a push request with send, checking the clock every 64
// messages. It returns the number of data messages sent (End not counted).
func Pusher(req PushRequest, payload []byte, send func([]byte) error) (int, error) {
	p := payload[:req.Size]
	n := 0
	if req.For > 0 {
		end := time.Now().Add(req.For)
		for {
			if n%64 == 0 && time.Now().After(end) {
				break
			}
			if err := send(p); err != nil {
				return n, err
			}
			n++
		}
	} else {
		for ; n < req.Count; n++ {
			if err := send(p); err != nil {
				return n, err
			}
		}
	}
	return n, send([]byte(End))
}

// IsEnd reports whether a received message is the End marker.
func IsEnd(b []byte) bool { return len(b) == len(End) && string(b) == End }

// CertFile and KeyFile are the server certificate and key files in dir.
func CertFile(dir string) string { return filepath.Join(dir, certs.CertFile) }

// KeyFile is the server key file in dir; see CertFile.
func KeyFile(dir string) string { return filepath.Join(dir, certs.KeyFile) }
