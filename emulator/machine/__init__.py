"""emulator/machine."""
