package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/tether-sdk/tether/internal/wire"
)

// fail answers an error with its HTTP status and the protocol's JSON body.
func (h *Handler) fail(w http.ResponseWriter, code, message string, retry time.Duration) {
	h.failStatus(w, code, wire.StatusOf(code), message, retry)
}

// failStatus is fail with a status other than the code's usual one (503
// with internal for an overloaded or stopping server).
func (h *Handler) failStatus(w http.ResponseWriter, code string, status int, message string, retry time.Duration) {
	e := wire.Error{Code: code, Message: message, Status: status}
	if retry > 0 {
		e.Retry = retry.Milliseconds()
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter(retry)))
	}
	writeJSONError(w, e)
}

func (h *Handler) failVersion(w http.ResponseWriter) {
	h.failVersionMsg(w, "this server speaks Tether protocol version "+strconv.Itoa(wire.Version))
}

// failVersionMsg answers unsupported_version with the versions spoken.
func (h *Handler) failVersionMsg(w http.ResponseWriter, message string) {
	writeJSONError(w, wire.Error{Code: wire.CodeUnsupportedVersion, Status: 400, Message: message, Versions: []int{wire.Version}})
}

func writeJSONError(w http.ResponseWriter, e wire.Error) {
	body, _ := json.Marshal(e)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(e.Status)
	w.Write(body)
}

// writeFrames answers 200 with a JSON batch of frames.
func writeFrames(w http.ResponseWriter, frames []wire.Frame) error {
	body, err := wire.AppendJSONBatch(nil, frames)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, err = w.Write(body)
	return err
}

// retryAfter is retry in whole seconds, rounded up, at least 1.
func retryAfter(retry time.Duration) int {
	return int(max(1, (retry+time.Second-1)/time.Second))
}
