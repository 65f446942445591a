//! The admin API and page through the router, without a socket.
