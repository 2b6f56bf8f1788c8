// The app's real client: partysocket's ReconnectingWebSocket (as hooks/useDatabase.tsx uses it),
// with its default reconnection options. Prints one JSON line per event for the Python test.
// Usage: node partysocket_client.mjs <ws url> <seconds to run>
import { WebSocket as ReconnectingWebSocket } from "partysocket";
import WS from "ws";

const [url, seconds = "30"] = process.argv.slice(2);
const emit = (event) => process.stdout.write(JSON.stringify(event) + "\n");
const socket = new ReconnectingWebSocket(url, undefined, { WebSocket: WS });

socket.addEventListener("open", () => {
  emit({ event: "open", retryCount: socket.retryCount });
  socket.send(JSON.stringify({ action: "subscribe", table: "tasks" }));
  socket.send(JSON.stringify({ action: "rpc", method: "getSchema" }));
  socket.send(JSON.stringify({ action: "ping" }));
});
socket.addEventListener("message", (e) => emit({ event: "message", data: JSON.parse(e.data) }));
socket.addEventListener("close", (e) => emit({ event: "close", code: e.code, reason: e.reason }));
socket.addEventListener("error", (e) => emit({ event: "error", message: String(e.message ?? "") }));

process.stdin.on("data", (chunk) => {
  for (const line of chunk.toString().split("\n").filter(Boolean)) socket.send(line);
});
setTimeout(() => { socket.close(); process.exit(0); }, Number(seconds) * 1000);
