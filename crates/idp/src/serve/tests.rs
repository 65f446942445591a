//! `idp serve` through its router, without a socket.
