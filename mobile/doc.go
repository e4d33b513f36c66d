// Package mobile is Tether's API for iOS and Android apps, bound with
// golang.org/x/mobile (gomobile bind -target=android gives an .aar,
// -target=ios an .xcframework; see README.md). It wraps package client in
// shapes gobind binds without skipping anything: a Config with setters
// (durations in milliseconds, payloads as []byte), a Handler interface the
// app implements, lists as Count()/At(i), errors as last results (a Java
// exception, an NSError).
//
//	cfg := mobile.NewConfig()
//	cfg.AddPin("", "sha256/...")
//	c, err := mobile.NewClient("wss://feed.example.com/live", cfg, handler)
//	err = c.Connect()          // blocks: off the UI thread (or c.Start())
//	err = c.SendText("hello")  // queues and returns
//	c.Pause()                  // app in the background: session kept
//	c.Resume()                 // back: resumes, nothing lost
//	c.NetworkChanged()         // connectivity callback: reconnect now
//	c.Close()                  // returns at once; StateClosed follows
//
// # Threads and blocking
//
// Every call may be made from any thread. Connect, Flush and WaitClosed
// block (the network, the server's acknowledgement, the close); every other
// call returns as soon as its work is queued, so it is safe on the UI
// thread. Callbacks reach the Handler in order, from one goroutine locked to
// one thread, one at a time and never re-entered.
//
// # Panics
//
// A panic that crossed into Java or Swift would kill the app: every
// exported call recovers one and returns it as an error, and every callback
// is made under recover, a panic becoming an OnError of ClassPanic.
//
// # Lifecycle
//
// Pause when the app goes to the background: the connection closes and the
// session stays on the server for its ttl (120 s by default), keeping the
// messages it sends meanwhile; Resume gets them all, in order, none twice.
// NetworkChanged from the connectivity callback: the connection of the old
// network is dropped and the client reconnects now with the backoff reset.
// Close ends the session.
//
// # Network settings from the app
//
// Mobile platforms do not give apps HTTPS_PROXY: the proxy comes from
// Config.SetProxyURL (no proxy by default), CAs from AddCAPEM, pins from
// AddPin, headers from AddHeader, the transports from SetTransports.
package mobile
