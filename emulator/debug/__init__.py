"""emulator/debug."""
