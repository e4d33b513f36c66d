package wire

// Protocol identifiers.
const (
	// Version is the protocol version this package implements: the "v" of
	// a hello and a welcome, and the value of the tether_v query parameter.
	Version = 1

	// Subprotocol is the WebSocket subprotocol (Sec-WebSocket-Protocol) of
	// this version. A server that does not select it does not speak Tether.
	Subprotocol = "tether.v1"
)

// MaxSafeInt is the largest integer the JSON encoding carries (2^53-1, the
// largest integer a JavaScript number holds exactly). Any larger number in
// JSON, including inside hello, welcome, close and error objects on a
// WebSocket, is malformed.
const MaxSafeInt = 1<<53 - 1

// Query parameters and headers of the HTTP requests (all on the one URL).
// Application query parameters are kept as they are; Tether's own start with
// "tether".
const (
	ParamMode    = "tether"     // request kind: ModeSSE, ModePollOpen, ModePoll or ModeSend
	ParamVersion = "tether_v"   // protocol version, "1"
	ParamSID     = "tether_sid" // session id; absent on sse and poll-open means a new session
	ParamAck     = "tether_ack" // the client's recv: highest seq received in order
	ParamKey     = "tether_key" // resume secret, only where a header cannot be set
	// ParamHold is on a poll the longest the client asks the server to hold
	// it, in milliseconds: the server holds it up to the smaller of this
	// and its own poll (the welcome's); absent: the server's poll.
	ParamHold = "tether_hold"
	// ParamAttempt is a client-chosen id of one new-session attach (128
	// random bits, base64url), by which the client can cancel the attempt
	// if it gives up on it before its welcome (ModeCancel).
	ParamAttempt = "tether_attempt"

	HeaderKey         = "Tether-Key"    // resume secret (preferred over ParamKey)
	HeaderLastEventID = "Last-Event-ID" // sent by a reconnecting EventSource; read like ParamAck
)

// Values of [ParamMode].
const (
	ModeSSE      = "sse"       // attach, then a server-to-client event stream
	ModePollOpen = "poll-open" // attach for long-polling; answered at once with the welcome
	ModePoll     = "poll"      // one long-poll
	ModeSend     = "send"      // POST of client-to-server frames
	ModeCancel   = "cancel"    // POST: end the session a new-session attempt (ParamAttempt) created, if still unclaimed
)

// Transport names, as listed in [Welcome.Transports].
const (
	TransportWebSocket = "websocket"
	TransportSSE       = "sse"
	TransportPoll      = "longpoll"
)

// Close codes. A close frame's code and the WebSocket close code that
// follows it follow WebSocket (RFC 6455); 4000-4999 are free for
// applications. After an error frame a WebSocket closes with
// CloseErrorBase + the error's HTTP status (4410 for session_not_found).
const (
	CloseNormal     = 1000 // normal end of the session
	CloseGoingAway  = 1001 // endpoint going away (shutdown, page unload)
	CloseProtocol   = 1002 // WebSocket only: protocol violation such as a seq gap; the client resumes
	ClosePolicy     = 1008 // policy violation
	CloseTooBig     = 1009 // message too big
	CloseInternal   = 1011 // internal error
	CloseSuperseded = 4409 // WebSocket only: another transport attached to the session
	CloseErrorBase  = 4000 // WebSocket only: an error frame's code is CloseErrorBase + Error.Status

	MinCloseCode = 1000 // smallest code a close frame may carry
	MaxCloseCode = 4999 // largest code a close frame may carry
)
