package client

import "github.com/tether-sdk/tether/internal/seq"

func seqOutbox() seq.Outbox     { return seq.Outbox{} }
func seqReceiver() seq.Receiver { return seq.Receiver{} }
