//! HTTP: the paying client, the facilitator client and server, the tower layer.
