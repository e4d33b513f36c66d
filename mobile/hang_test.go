package mobile

import "net/http"

// httpHang answers nothing until release is closed (a server that accepted
// the connection and went silent).
func httpHang(release chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
}
