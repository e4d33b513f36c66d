//go:build !js

package client

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// mustRules is every rule of PROTOCOL.md addressed to the client, section
// by section, with the test that checks the Go client against it. The
// tests named here run against the scripted fake server of
// fakeserver_test.go (real sockets: must_wire_test.go) or against fake
// links in a testing/synctest bubble where time matters
// (must_timing_test.go), never against package server; a few are in
// package fallback (its fake HTTP server) or elsewhere in this package.
// "n/a" marks a rule the Go client has no part in, with the reason.
// TestMustTableNamesRealTests checks that every named test exists.
var mustRules = []struct{ section, rule, test string }{
	{"2", "offer the subprotocol tether.v1", "TestMustOfferSubprotocolAndHelloFirst"},
	{"2", "a server that does not select tether.v1 is not Tether: report it (no fallback)", "TestMustRefuseServerWithoutSubprotocol"},
	{"2", "ignore unknown fields of JSON objects", "TestMustIgnoreUnknownFields"},
	{"2, 5", "an unknown frame kind (a frame not allowed there) is malformed", "TestMustTreatUnknownKindAsMalformed"},
	{"3", "SSE attach SHOULD send Accept: text/event-stream", "TestMustSSERequests"},
	{"3", "tether_v=1 on every HTTP request; the application's query kept", "TestMustSSERequests"},
	{"3, 15", "the key on every request of a session, in Tether-Key, never tether_key (no EventSource)", "TestMustSSERequests"},
	{"3, 9.2", "tether_ack on poll carries the client's recv", "TestMustPollCarriesRecv"},
	{"4.1", "sid and key: opaque, 1-128 base64url characters, checked in the welcome", "TestWelcomeChecked (fallback)"},
	{"4.3", "receiver rule: drop seq <= recv (still ack), deliver recv + 1", "TestMustDropDuplicatesAndAck"},
	{"4.3", "a gap: close that WebSocket with 1002, resume", "TestMustGapClosesWith1002AndResumes"},
	{"4.4", "ack soon after data", "TestMustDropDuplicatesAndAck"},
	{"4.4", "ignore a stale ack", "TestMustEndOnAckNeverSent"},
	{"4.4", "an ack above the last seq sent ends the session (no resume)", "TestMustEndOnAckNeverSent"},
	{"4.5, 7.1", "the hello first, at once; no data before the welcome", "TestMustOfferSubprotocolAndHelloFirst"},
	{"4.5, 7.2", "resume with sid, key, ack = recv; resend every frame above the welcome's ack, in order", "TestMustResumeResendsAboveWelcomeAck"},
	{"4.6", "ignore s on a connection the client is replacing itself", "TestMustProbeSequence"},
	{"4.6", "s on the active connection: resume at once", "TestMustSupersededResumesAtOnce"},
	{"4.7, 13", "session_not_found: start a new session, report the unacked messages, do not send them on it", "TestMustSessionNotFoundStartsNewSession"},
	{"5.2", "never send a payload over max: fail the send at once", "TestMustRefuseOverMaxAndInvalidText"},
	{"5.2, 13", "use only the welcome's transports; never again one answered transport_disabled (new session: afresh)", "TestMustUseOnlyOfferedTransports"},
	{"5.2, 13", "transport_disabled holds for the session's life, reset by a new session's welcome", "TestMustTransportDisabledSticks"},
	{"6", "frames parsed strictly (numbers, UTF-8, base64, element counts)", "n/a: internal/wire's tests (TestParseWSMalformed, TestParseJSONMalformed)"},
	{"6.2", "text data is valid UTF-8", "TestMustRefuseOverMaxAndInvalidText"},
	{"7.3", "bare close codes: 1001, 1002, 1011, others resume; 1009 as message_too_large, 4400 as bad_request end", "TestMustActOnBareCloseCodes"},
	{"7.3", "send a close frame on close, echo the server's", "TestMustAnswerFinalCloseAndEchoCloseFrame"},
	{"8.1", "no SSE welcome within 3 s of the request: long-polling at once; the slow timer does not cut the window", "TestMustSSEFirstEventWindow"},
	{"8.1", "a buffering proxy moves SSE to long-polling (real stream)", "TestSSEBufferingProxy (fallback)"},
	{"8.4", "EventSource: close() on s, c, e; Last-Event-ID; poll-open after a failed attach", "n/a: the Go client has no EventSource"},
	{"9.2", "poll again right after every answer, with the current recv", "TestMustPollCarriesRecv"},
	{"9.4", "one send in flight; a failed send kills the link, the resume resends above the welcome's ack", "TestSendFailureKillsLink (fallback)"},
	{"9.4", "split bodies over 1024 frames or the size bound", "TestSendSplits (fallback)"},
	{"9.6", "a cut poll answer: poll again with the same ack", "TestPollCuts (fallback)"},
	{"10", "probe: hello with probe, sid, key, recv; p, then u with recv; then the unacked frames on the WebSocket", "TestMustProbeSequence"},
	{"10", "a probe not complete in 10 s is abandoned, the fallback stays", "TestMustProbeCompletionBound"},
	{"10, 14", "probe schedule: 30 s doubling to 5 min, each wait in [step/2, step]", "TestMustProbeSchedule"},
	{"10", "no probe when the welcome leaves websocket out, or after transport_disabled", "TestMustUseOnlyOfferedTransports"},
	{"11", "answer p with q carrying the client's recv", "TestMustAnswerPing"},
	{"11", "an answer overdue beyond the round-trip bound: resume on a fresh connection of the same transport", "TestPathSilentInFlightMovesSession"},
	{"11", "a slow path answering within the bound is left alone", "TestPathSlowButAliveNotProbed"},
	{"11", "MAY ping an idle connection (Options.Heartbeat); none by default", "TestPathSilentIdleHeartbeat"},
	{"11", "SSE: timeout ms without a byte is a dead connection", "TestSSELiveness (fallback)"},
	{"11", "long-polling: no answer within poll + timeout is a dead connection", "TestPollNoAnswer (fallback)"},
	{"12", "a final c is answered with the client's ack and own c, no data after it", "TestMustAnswerFinalClose"},
	{"12", "a c with 1001, 1011, 1012, 1013: no answer, resume", "TestMustAnswerFinalClose"},
	{"12", "the data frames before a c are delivered", "TestMustAnswerFinalClose"},
	{"12", "data frames unacked when the session ends are reported as not delivered", "TestMustAnswerFinalClose"},
	{"12", "client close: c after the queue, wait for the answer, close frame", "TestMustCloseHandshake"},
	{"13", "bad_request and message_too_large end the session, no retry", "TestMustActOnErrorFrames"},
	{"13", "unsupported_version and other 4xx: stop and report", "TestMustRefuseServerWithoutSubprotocol"},
	{"13", "unauthorized: stop, unless the application refreshes the credentials", "TestRefreshCredentialsRetries"},
	{"13", "forbidden_origin: stop and report", "TestForbiddenOriginIsAPublicServerError"},
	{"13", "429/503: wait Retry-After / retry, then try again; the negotiation does not move to another transport", "TestMustWaitRetryOn503"},
	{"13", "connecting: an unanswered WebSocket is raced by the next transport after a short delay (Go: 250 ms)", "TestRaceBlackholedWebSocket"},
	{"10, 13", "connecting: a fallback that won over an unanswered WebSocket probes WebSocket at once", "TestRaceLostWebSocketProbedAtOnce"},
	{"8.1, 13", "connecting: SSE whose first event is held back is raced by long-polling after the short delay", "TestRaceBlackholedWebSocketHeldBackSSE"},
	{"8.1, 13", "connecting: SSE that lost the race to long-polling and then delivers its first event takes the session over", "TestMustSSEFirstEventWindow"},
	{"13", "the first attach: 429 with retry is waited out", "TestFirstConnectHonoursRetryAfter"},
	{"13", "the first attach: a cut is retried with backoff, bounded", "TestMustFirstConnectCutRetries"},
	{"13", "the first attach: a cut upgrade, SSE stream and poll-open answer on real sockets", "TestMustFirstConnectCutOnTheWire"},
	{"13, 14", "reconnect backoff 0.5 s doubling to 30 s, full jitter; restarts after a healthy connection", "TestMustBackoffUntilHealthy"},
	{"14", "accept poll answers up to 1024 frames / 6 x max + 64 KiB, no more", "TestPollAnswerBoundedByOwnMax (fallback)"},
	{"15", "never log the key (WebSocket and SSE, through a resume)", "TestMustNeverLogKey"},
}

// TestMustTableNamesRealTests fails when a test named in mustRules does not
// exist (renamed or removed), so the table stays true.
func TestMustTableNamesRealTests(t *testing.T) {
	var src strings.Builder
	for _, dir := range []string{".", "../fallback"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src.Write(b)
		}
	}
	all := src.String()
	name := regexp.MustCompile(`^(Test\w+)`)
	for _, r := range mustRules {
		m := name.FindStringSubmatch(r.test)
		if m == nil {
			if !strings.HasPrefix(r.test, "n/a") {
				t.Errorf("section %s %q: %q names no test", r.section, r.rule, r.test)
			}
			continue
		}
		if !strings.Contains(all, "func "+m[1]+"(") {
			t.Errorf("section %s %q: no test %s", r.section, r.rule, m[1])
		}
	}
}
