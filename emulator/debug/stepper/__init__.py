"""emulator/debug/stepper."""
