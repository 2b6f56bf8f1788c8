// The seed report's hook, reduced: the socket is created once, before a room is chosen, and
// kept "stable" across renders, so it reconnects the room-less URL forever.
import { WebSocket as ReconnectingWebSocket } from "partysocket";

export function useStableSocket(state) {
  if (state.socket) return state.socket;
  const room = state.room ? `?room_id=${state.room}` : "";
  const url = `${location.origin.replace(/^http/, "ws")}/__ws/websocket${room}`;
  state.socket = new ReconnectingWebSocket(url, undefined, {
    minReconnectionDelay: 300,
    maxReconnectionDelay: 300,
    maxRetries: 3,
  });
  return state.socket;
}
