import { useStableSocket } from "./useStableSocket.js";

const state = { room: null, socket: null };
window.seen = [];
const socket = useStableSocket(state);
for (const what of ["open", "error", "close"]) {
  socket.addEventListener(what, () => window.seen.push(what));
}
state.room = "chosen-later"; // picked after the socket exists: the stable socket never hears it
