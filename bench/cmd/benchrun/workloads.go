package main

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/tls"
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/bench/internal/comp"
	"github.com/tether-sdk/tether/bench/internal/rig"
	"github.com/tether-sdk/tether/bench/internal/srv"
	"github.com/tether-sdk/tether/client"
)

func commonFlags(fs *flag.FlagSet) (base, certs *string) {
	return fs.String("base", "", "benchserver base URL (https://127.0.0.1:PORT)"),
		fs.String("certs", "", "directory with ca.pem")
}

func wsURL(base, path string) string { return "wss://" + strings.TrimPrefix(base, "https://") + path }

// dialOn dials path on the server at base (https://...) over o.Transport
// (a wss:// URL for "websocket") and exits unless the connection is on it.
func dialOn(base, path string, o rig.DialOptions) rig.Conn {
	url := base + path
	if o.Transport == "websocket" {
		url = wsURL(base, path)
	}
	c, err := rig.Dial(context.Background(), url, o)
	if err != nil {
		log.Fatalf("dial %s: %v", o.Lib, err)
	}
	if got := c.Transport(); got != o.Transport {
		log.Fatalf("%s: connected over %s, not %s", o.Lib, got, o.Transport)
	}
	return c
}

// cpuProfile starts a CPU profile written to path (none when path is "");
// stop ends it.
func cpuProfile(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	pprof.StartCPUProfile(f)
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// serverStats asks the benchserver at base for its process stats.
func serverStats(hc *http.Client, base string, gc bool) rig.ProcStats {
	u := base + srv.Stats
	if gc {
		u += "?gc=1"
	}
	var s rig.ProcStats
	resp, err := hc.Get(u)
	if err != nil {
		log.Fatalf("stats: %v", err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		log.Fatalf("stats: %v", err)
	}
	return s
}

func statsClient(certs string) *http.Client {
	pool, err := rig.Pool(certs)
	if err != nil {
		log.Fatal(err)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// EchoResult is one echo run.
type EchoResult struct {
	Lib, Transport, Mode string
	Text                 bool
	Msgs                 int
	Secs                 float64
	Rate                 float64 // messages per second (round trips for ping-pong)
	P50us, P99us         float64
	ClientCPU, ServerCPU float64 // seconds during the measured phase
	ClientWrites         float64 // write system calls per message, client
	ServerWrites         float64 // write system calls per message, server
	RedisCmdsPerMsg      float64 // with -redis: Redis commands processed per echoed message
	Round                int     // set by the orchestrator: which interleaved round
}

func runEcho(args []string) {
	fs := flag.NewFlagSet("echo", flag.ExitOnError)
	base, certs := commonFlags(fs)
	lib := fs.String("lib", rig.LibTether, "library")
	tr := fs.String("transport", "websocket", "Tether transport")
	mode := fs.String("mode", "pipelined", "pipelined or pingpong")
	dur := fs.Duration("dur", time.Second, "measured duration")
	warm := fs.Duration("warm", 300*time.Millisecond, "warm-up duration")
	window := fs.Int("window", 128, "messages in flight when pipelined")
	size := fs.Int("size", rig.MsgSize, "message size")
	text := fs.Bool("text", false, "text messages (binary otherwise)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the measured phase to `FILE`")
	redisAddr := fs.String("redis", "", "count the commands of the Redis at `ADDR` during the measured phase")
	fs.Parse(args)
	pool, err := rig.Pool(*certs)
	if err != nil {
		log.Fatal(err)
	}
	echo, _, _ := srv.Paths(*lib)
	c := dialOn(*base, echo, rig.DialOptions{Lib: *lib, Transport: *tr, Pool: pool, Text: *text})
	defer c.Close()
	payload := rig.Payload(*size)
	hc := statsClient(*certs)
	run := func(d time.Duration, lats []time.Duration) (int, time.Duration, []time.Duration) {
		if *mode == "pingpong" {
			return pingPong(c, payload, d, lats)
		}
		return pipelined(c, payload, *window, d, lats)
	}
	run(*warm, nil)
	var cmds0 int64
	if *redisAddr != "" {
		cmds0 = comp.InfoInt(*redisAddr, "stats", "total_commands_processed")
	}
	s0, ss0 := rig.Self(false), serverStats(hc, *base, false)
	stopProfile := cpuProfile(*cpuprofile)
	n, el, lats := run(*dur, make([]time.Duration, 0, 1<<20))
	stopProfile()
	var cmds1 int64
	if *redisAddr != "" {
		cmds1 = comp.InfoInt(*redisAddr, "stats", "total_commands_processed")
	}
	s1, ss1 := rig.Self(false), serverStats(hc, *base, false)
	slices.Sort(lats)
	r := EchoResult{
		Lib: *lib, Transport: *tr, Mode: *mode, Text: *text, Msgs: n, Secs: el.Seconds(), Rate: float64(n) / el.Seconds(),
		P50us:        float64(rig.Percentile(lats, 50)) / 1e3,
		P99us:        float64(rig.Percentile(lats, 99)) / 1e3,
		ClientCPU:    (s1.CPU() - s0.CPU()).Seconds(),
		ServerCPU:    (ss1.CPU() - ss0.CPU()).Seconds(),
		ClientWrites: float64(s1.SysCW-s0.SysCW) / float64(n),
		ServerWrites: float64(ss1.SysCW-ss0.SysCW-1) / float64(n), // one write is the /stats answer
	}
	if *redisAddr != "" && cmds0 >= 0 && cmds1 >= 0 {
		r.RedisCmdsPerMsg = float64(cmds1-cmds0-1) / float64(n) // one is the first INFO
	}
	rig.WriteJSON(r)
}

// pipelined keeps window messages in flight for d, then waits for the last
// echo. A short message marks the end.
func pipelined(c rig.Conn, payload []byte, window int, d time.Duration, lats []time.Duration) (int, time.Duration, []time.Duration) {
	tokens := make(chan struct{}, window)
	ts := make([]time.Time, window)
	var stop atomic.Bool
	errc := make(chan error, 1)
	start := time.Now()
	go func() {
		for i := 0; !stop.Load(); i++ {
			tokens <- struct{}{}
			ts[i%window] = time.Now()
			if err := c.Send(payload); err != nil {
				errc <- err
				return
			}
		}
		errc <- c.Send([]byte{'x'})
	}()
	t := time.AfterFunc(d, func() { stop.Store(true) })
	defer t.Stop()
	n := 0
	for {
		m, err := c.Recv()
		if err != nil {
			log.Fatalf("recv: %v", err)
		}
		if len(m) == 1 {
			break
		}
		if lats != nil {
			lats = append(lats, time.Since(ts[n%window]))
		}
		n++
		<-tokens
	}
	if err := <-errc; err != nil {
		log.Fatalf("send: %v", err)
	}
	return n, time.Since(start), lats
}

// pingPong sends one message at a time and waits for its echo, for d.
func pingPong(c rig.Conn, payload []byte, d time.Duration, lats []time.Duration) (int, time.Duration, []time.Duration) {
	start := time.Now()
	end := start.Add(d)
	n := 0
	for ; ; n++ {
		t0 := time.Now()
		if !t0.Before(end) {
			break
		}
		if err := c.Send(payload); err != nil {
			log.Fatalf("send: %v", err)
		}
		if _, err := c.Recv(); err != nil {
			log.Fatalf("recv: %v", err)
		}
		if lats != nil {
			lats = append(lats, time.Since(t0))
		}
	}
	return n, time.Since(start), lats
}

// PushResult is one server-to-client throughput run.
type PushResult struct {
	Lib, Transport, Path string
	Size                 int
	Text                 bool
	Msgs                 int
	Secs                 float64
	Rate                 float64 // messages per second
	MBps                 float64 // payload MB (1e6 bytes) per second
	ClientCPU, ServerCPU float64 // seconds
	CipherSuite, TLS     string
	Round                int // set by the orchestrator: which interleaved round
}

func runPush(args []string) {
	fs := flag.NewFlagSet("push", flag.ExitOnError)
	base, certs := commonFlags(fs)
	lib := fs.String("lib", rig.LibTether, "library")
	tr := fs.String("transport", "websocket", "Tether transport")
	dur := fs.Duration("dur", time.Second, "how long the server pushes")
	size := fs.Int("size", rig.MsgSize, "message size")
	text := fs.Bool("text", false, "text messages (binary otherwise)")
	path := fs.String("path", "", "push endpoint (default: the library's)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the measured phase to `FILE`")
	fs.Parse(args)
	pool, err := rig.Pool(*certs)
	if err != nil {
		log.Fatal(err)
	}
	_, push, _ := srv.Paths(*lib)
	if *path != "" {
		push = *path
	}
	c := dialOn(*base, push, rig.DialOptions{Lib: *lib, Transport: *tr, Pool: pool})
	defer c.Close()
	hc := statsClient(*certs)
	drain := func() (int, int) {
		n, bytes := 0, 0
		for {
			m, err := c.Recv()
			if err != nil {
				log.Fatalf("recv: %v", err)
			}
			if rig.IsEnd(m) {
				return n, bytes
			}
			n++
			bytes += len(m)
		}
	}
	if err := c.Send(rig.PushFor(*dur/5, *size, *text)); err != nil { // warm-up
		log.Fatal(err)
	}
	drain()
	s0, ss0 := rig.Self(false), serverStats(hc, *base, false)
	stopProfile := cpuProfile(*cpuprofile)
	start := time.Now()
	if err := c.Send(rig.PushFor(*dur, *size, *text)); err != nil {
		log.Fatal(err)
	}
	n, bytes := drain()
	el := time.Since(start)
	stopProfile()
	s1, ss1 := rig.Self(false), serverStats(hc, *base, false)
	r := PushResult{
		Lib: *lib, Transport: *tr, Path: push, Size: *size, Text: *text, Msgs: n, Secs: el.Seconds(),
		Rate: float64(n) / el.Seconds(), MBps: float64(bytes) / 1e6 / el.Seconds(),
		ClientCPU: (s1.CPU() - s0.CPU()).Seconds(), ServerCPU: (ss1.CPU() - ss0.CPU()).Seconds(),
	}
	if st := c.TLS(); st != nil {
		r.CipherSuite, r.TLS = tls.CipherSuiteName(st.CipherSuite), tls.VersionName(st.Version)
	}
	rig.WriteJSON(r)
}

// MemResult is the idle memory of n client connections in this process.
type MemResult struct {
	Lib                    string
	Conns                  int
	RSSPerConn             float64 // bytes
	HeapPerConn            float64 // heap in use, bytes
	StackPerConn           float64 // goroutine stacks, bytes
	GoroutinesPerConn      float64
	ServerRSSPerConn       float64
	ServerHeapPerConn      float64
	ServerGoroutinesPerCon float64
	DialSecs               float64
	FileLimit              uint64
	RedisBytesPerConn      float64 // with -redis: used_memory of that Redis per idle session
}

func runMem(args []string) {
	fs := flag.NewFlagSet("mem", flag.ExitOnError)
	base, certs := commonFlags(fs)
	lib := fs.String("lib", rig.LibTether, "tether or gorilla")
	n := fs.Int("n", 5000, "connections")
	memprofile := fs.String("memprofile", "", "write a heap profile of the idle connections to `FILE`")
	redisAddr := fs.String("redis", "", "also measure the used_memory of the Redis at `ADDR` per idle session")
	fs.Parse(args)
	var redis0 int64
	if *redisAddr != "" {
		redis0 = comp.InfoInt(*redisAddr, "memory", "used_memory")
	}
	if *memprofile != "" {
		runtime.MemProfileRate = 1
	}
	limit := rig.RaiseFileLimit()
	pool, err := rig.Pool(*certs)
	if err != nil {
		log.Fatal(err)
	}
	hc := statsClient(*certs)
	echo, _, _ := srv.Paths(*lib)
	url := wsURL(*base, echo)
	ss0 := serverStats(hc, *base, true)
	hc.CloseIdleConnections()
	s0 := rig.Self(true)
	opts := rig.TetherOptions(pool) // shared: Dial copies it
	conns := make([]any, *n)
	var next atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= *n {
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				switch *lib {
				case rig.LibTether:
					c, err := client.Dial(ctx, url, opts)
					if err != nil {
						log.Fatalf("conn %d: %v", i, err)
					}
					conns[i] = c
				case rig.LibGorilla:
					// A plain gorilla client as an application holds it:
					// default buffers and one goroutine reading.
					d := websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: pool}}
					c, _, err := d.DialContext(ctx, url, nil)
					if err != nil {
						log.Fatalf("conn %d: %v", i, err)
					}
					go func() {
						for {
							if _, _, err := c.ReadMessage(); err != nil {
								return
							}
						}
					}()
					conns[i] = c
				default:
					log.Fatalf("mem: unsupported library %q", *lib)
				}
				cancel()
			}
		}()
	}
	wg.Wait()
	dial := time.Since(t0)
	time.Sleep(2 * time.Second) // idle
	s1 := rig.Self(true)
	ss1 := serverStats(hc, *base, true)
	if *memprofile != "" {
		f, err := os.Create(*memprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.WriteHeapProfile(f)
		f.Close()
	}
	f := float64(*n)
	var redisPer float64
	if *redisAddr != "" {
		redisPer = float64(comp.InfoInt(*redisAddr, "memory", "used_memory")-redis0) / f
	}
	rig.WriteJSON(MemResult{
		RedisBytesPerConn: redisPer,
		Lib:               *lib, Conns: *n,
		RSSPerConn:             float64(s1.RSS-s0.RSS) / f,
		HeapPerConn:            float64(s1.HeapInuse-s0.HeapInuse) / f,
		StackPerConn:           float64(s1.StackInuse-s0.StackInuse) / f,
		GoroutinesPerConn:      float64(s1.Goroutines-s0.Goroutines) / f,
		ServerRSSPerConn:       float64(ss1.RSS-ss0.RSS) / f,
		ServerHeapPerConn:      float64(ss1.HeapInuse+ss1.StackInuse-ss0.HeapInuse-ss0.StackInuse) / f,
		ServerGoroutinesPerCon: float64(ss1.Goroutines-ss0.Goroutines) / f,
		DialSecs:               dial.Seconds(),
		FileLimit:              limit,
	})
	// Close cleanly so the server drops the sessions at once.
	next.Store(0)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= *n {
					return
				}
				switch c := conns[i].(type) {
				case *client.Client:
					c.Close(context.Background())
				case *websocket.Conn:
					c.Close()
				}
			}
		}()
	}
	wg.Wait()
}

// AESResult is the machine's AES-GCM limit on one core.
type AESResult struct {
	Cipher         string
	RecordBytes    int
	SealGBps       float64 // 1e9 bytes per second
	OpenGBps       float64
	FloorCPUsPerGB float64 // seconds of CPU per GB moved: one seal plus one open
}

func runAES(args []string) {
	fs := flag.NewFlagSet("aes", flag.ExitOnError)
	dur := fs.Duration("dur", time.Second, "duration of each measurement")
	fs.Parse(args)
	key := make([]byte, 16)
	block, err := aes.NewCipher(key)
	if err != nil {
		log.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		log.Fatal(err)
	}
	const rec = 16 << 10 // a full TLS record
	pt := make([]byte, rec)
	nonce := make([]byte, gcm.NonceSize())
	out := make([]byte, 0, rec+gcm.Overhead())
	sealed := gcm.Seal(nil, nonce, pt, nil)
	measure := func(f func()) float64 {
		f() // warm
		n := 0
		s0 := rig.Self(false)
		t0 := time.Now()
		for time.Since(t0) < *dur {
			for i := 0; i < 64; i++ {
				f()
			}
			n += 64
		}
		cpu := (rig.Self(false).CPU() - s0.CPU()).Seconds()
		if cpu <= 0 {
			cpu = time.Since(t0).Seconds()
		}
		return float64(n*rec) / cpu / 1e9
	}
	seal := measure(func() { out = gcm.Seal(out[:0], nonce, pt, nil) })
	open := measure(func() {
		if _, err := gcm.Open(out[:0], nonce, sealed, nil); err != nil {
			log.Fatal(err)
		}
	})
	rig.WriteJSON(AESResult{
		Cipher: "AES-128-GCM (crypto/cipher)", RecordBytes: rec, SealGBps: seal, OpenGBps: open,
		FloorCPUsPerGB: 1/seal + 1/open,
	})
}
