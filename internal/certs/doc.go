// Package certs builds a fresh, throw-away public key infrastructure for
// tests, demos and `tether serve --self-signed DIR`.
//
// A root is made with [NewCA]; it can issue leaves directly with
// [CA.Issue] or via intermediates made with [CA.NewIntermediate], so tests
// can build leaf <- intermediate <- root chains. Every key is ECDSA P-256.
// [WriteFiles] and [SelfSigned] put ca.pem, cert.pem and key.pem on disk for
// servers that read their identity from files.
//
// Nothing here is meant to protect real traffic: keys live in memory and on
// disk unencrypted, and the certificates exist only to make TLS verification
// succeed (or fail) on purpose.
package certs
