"""syscalls/handlers."""
