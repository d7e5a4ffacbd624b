"""The asyncio edge: one socket (connection), the supervisor of sockets (session), and what they need."""
