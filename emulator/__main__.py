"""`python -m emulator` is the same as the `elfemu` command."""

from emulator.cli import main

raise SystemExit(main())
