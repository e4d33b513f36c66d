// Socket.IO 4.x side of Tether's benchmarks: an HTTPS Socket.IO server with
// the same behaviours as bench/cmd/benchserver.
//
//   node server.js --certs DIR
//
// prints https://127.0.0.1:PORT on one line and serves:
//   "echo" (payload, ack)  acknowledges with the payload (echo with acks)
//   "push" ({ms, size})    emits "m" with size-byte strings for ms milliseconds,
//                          waiting for the transport to drain (backpressure),
//                          then "end" with the count
// It exits when its standard input closes.
"use strict";
const fs = require("fs");
const path = require("path");
const https = require("https");
const { Server } = require("socket.io");

const args = process.argv.slice(2);
const certs = args[args.indexOf("--certs") + 1];
const httpsServer = https.createServer({
  key: fs.readFileSync(path.join(certs, "key.pem")),
  cert: fs.readFileSync(path.join(certs, "cert.pem")),
});
const io = new Server(httpsServer, { serveClient: false });
const payloads = new Map();
function payload(size) {
  if (!payloads.has(size)) {
    let s = "";
    const abc = "0123456789abcdefghijklmnopqrstuvwxyz";
    for (let i = 0; i < size; i++) s += abc[i % 36];
    payloads.set(size, s);
  }
  return payloads.get(size);
}
const tick = () => new Promise((r) => setImmediate(r));

io.on("connection", (socket) => {
  socket.on("echo", (data, ack) => ack(data));
  socket.on("push", async ({ ms, size }) => {
    const p = payload(size);
    const end = Date.now() + ms;
    const conn = socket.conn; // engine.io socket
    let n = 0;
    while (Date.now() < end && socket.connected) {
      // Backpressure: never queue more than ~1 MiB ahead of the transport.
      if (conn.writeBuffer.length >= 1024) {
        await new Promise((r) => conn.once("drain", r));
        continue;
      }
      socket.emit("m", p);
      n++;
      if (n % 64 === 0) await tick();
    }
    socket.emit("end", n);
  });
});

httpsServer.listen(0, "127.0.0.1", () => {
  console.log(`https://127.0.0.1:${httpsServer.address().port}`);
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
