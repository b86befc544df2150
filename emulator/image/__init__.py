"""emulator/image."""
