package wire_test

import (
	"errors"
	"fmt"

	"github.com/tether-sdk/tether/internal/wire"
)

// The hot path of a WebSocket sender: header and payload go into one message
// without copying the payload into a frame first.
func ExampleAppendDataHeader() {
	payload := []byte("hello world")
	msg := wire.AppendDataHeader(nil, wire.KindText, 12) // w.Write(hdr); w.Write(payload) on a real connection
	msg = append(msg, payload...)
	fmt.Printf("%q\n", msg)

	bin := append(wire.AppendDataHeader(nil, wire.KindBinary, 13), 0x00, 0xff, 0x10)
	fmt.Printf("% x\n", bin)
	// Output:
	// "m12 hello world"
	// 62 31 33 20 00 ff 10
}

func ExampleAppendWS() {
	frames := []wire.Frame{
		{Kind: wire.KindHello, Hello: &wire.Hello{V: 1}},
		{Kind: wire.KindAck, Seq: 12},
		{Kind: wire.KindClose, Close: &wire.Close{Code: wire.CloseNormal, Reason: "bye"}},
		{Kind: wire.KindSuperseded},
	}
	for _, f := range frames {
		binary, msg, err := wire.AppendWS(nil, &f)
		if err != nil {
			panic(err)
		}
		fmt.Println(binary, string(msg))
	}
	// Output:
	// false h{"v":1}
	// false a12
	// false c{"code":1000,"reason":"bye"}
	// false s
}

func ExampleParseWS() {
	f, err := wire.ParseWS(false, []byte("m12 hello world"), 1<<20)
	fmt.Println(f.Kind, f.Seq, string(f.Data), err)

	_, err = wire.ParseWS(false, []byte("m012 hello"), 1<<20)
	fmt.Println(errors.Is(err, wire.ErrMalformed), err)

	_, err = wire.ParseWS(true, []byte("b7 0123456789"), 8)
	fmt.Println(errors.Is(err, wire.ErrTooLarge), err)
	// Output:
	// text 12 hello world <nil>
	// true tether/wire: websocket: text data frame: seq: number has a leading zero
	// true tether/wire: websocket: binary data frame: payload of 10 bytes is over the limit of 8
}

func ExampleAppendJSON() {
	frames := []wire.Frame{
		{Kind: wire.KindText, Seq: 12, Data: []byte("hello world")},
		{Kind: wire.KindText, Seq: 3, Data: []byte("a\"b\\c\nd\x00é")},
		{Kind: wire.KindBinary, Seq: 13, Data: []byte{0x00, 0xff, 0x10}},
		{Kind: wire.KindPing, Seq: 12},
		{Kind: wire.KindError, Error: &wire.Error{Code: wire.CodeSessionNotFound, Message: "no such session", Status: 410}},
		{Kind: wire.KindSuperseded},
	}
	for _, f := range frames {
		out, err := wire.AppendJSON(nil, &f)
		if err != nil {
			panic(err)
		}
		fmt.Println(string(out))
	}
	// Output:
	// ["m",12,"hello world"]
	// ["m",3,"a\"b\\c\nd\u0000é"]
	// ["b",13,"AP8Q"]
	// ["p",12]
	// ["e",{"code":"session_not_found","message":"no such session","status":410}]
	// ["s"]
}

func ExampleParseJSONBatch() {
	body := []byte(`[["m",5,"hi"],["m",6,"there"],["a",4]]`)
	frames, err := wire.ParseJSONBatch(body, 1024, 1<<20)
	if err != nil {
		panic(err)
	}
	for _, f := range frames {
		fmt.Println(f.Kind, f.Seq, string(f.Data))
	}
	// Output:
	// text 5 hi
	// text 6 there
	// ack 4
}
