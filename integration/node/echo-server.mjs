// A foreign WebSocket server for Tether's integration suite: Node's `ws`
// package over TLS, with permessage-deflate, echoing every message with its
// type (text or binary). It does not speak Tether: the client talks to it in
// raw mode.
//
//   node echo-server.mjs PORT CERT.pem KEY.pem
//
// It prints "listening PORT" once it accepts connections. The text message
// "__stats__" is answered with JSON about the connection instead of an echo:
// the negotiated extensions and the bytes read from the socket (to prove
// that compression was really used).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { WebSocketServer } from 'ws';

const [port, certFile, keyFile] = process.argv.slice(2);
if (!port || !certFile || !keyFile) {
  console.error('usage: node echo-server.mjs PORT CERT KEY');
  process.exit(2);
}

const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) });
const wss = new WebSocketServer({ server, perMessageDeflate: true });

wss.on('connection', (ws, req) => {
  const offered = req.headers['sec-websocket-extensions'] || '';
  let wireBytes = 0; // raw WebSocket bytes read from this connection (after TLS, before inflate)
  let payloadBytes = 0; // message bytes after inflate
  ws._socket.on('data', (chunk) => { wireBytes += chunk.length; });
  ws.on('message', (data, isBinary) => {
    if (!isBinary && data.toString() === '__stats__') {
      ws.send(JSON.stringify({ offered, extensions: ws.extensions, wireBytes, payloadBytes }));
      return;
    }
    payloadBytes += data.length;
    ws.send(data, { binary: isBinary });
  });
  ws.on('error', () => {});
});

server.listen(Number(port), '127.0.0.1', () => {
  console.log(`listening ${port}`);
});

const stop = () => {
  for (const c of wss.clients) c.terminate();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 500).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
