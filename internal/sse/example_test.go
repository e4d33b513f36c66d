package sse_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tether-sdk/tether/internal/sse"
)

func ExampleReader() {
	stream := "retry: 3000\n\n: keep-alive\nid: 41\nevent: update\ndata: {\"n\":1}\n\ndata: line 1\r\ndata: line 2\r\n\r\nid: 42\ndata: cut o"
	r := sse.NewReader(strings.NewReader(stream), &sse.Options{
		OnComment: func(string) { fmt.Println("(alive)") },
	})
	for {
		ev, err := r.Next()
		if err != nil {
			// Reconnect after r.Retry(), sending r.LastEventID().
			retry, _ := r.Retry()
			fmt.Println(err == io.ErrUnexpectedEOF, retry, r.LastEventID())
			return
		}
		fmt.Printf("%s %s %q\n", ev.ID, ev.Type, ev.Data)
	}
	// Output:
	// (alive)
	// 41 update "{\"n\":1}"
	// 41 message "line 1\nline 2"
	// true 3s 41
}

func ExampleWriteEvent() {
	_ = sse.WriteEvent(os.Stdout, sse.Event{ID: "7", Type: "update", Data: "a\nb"})
	os.Stdout.Write(sse.AppendComment(nil, "keep-alive"))
	err := sse.WriteEvent(os.Stdout, sse.Event{Data: "a\r\nb"})
	fmt.Println(errors.Is(err, sse.ErrInvalid), err)
	// Output:
	// id: 7
	// event: update
	// data: a
	// data: b
	//
	// : keep-alive
	// true tether/sse: write data: contains a carriage return
}
