"""emulator/task."""
