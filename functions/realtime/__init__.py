"""Real-time push (#14): tickets, the WebSocket `$connect` authorizer and connections, and the stream notifier."""
