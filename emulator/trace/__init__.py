"""emulator/trace."""
