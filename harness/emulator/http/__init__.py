"""The emulator's HTTP side: the WSGI application, restJson1 routes and decoding, SigV4,
input validation, and the server it runs on."""
