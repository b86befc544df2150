"""syscalls/decode."""
