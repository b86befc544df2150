"""`elfemu step --tui`: the stepper full-screen, with the guest's state in panes, live.

The lectures' idea is that a program is a state machine whose only exits are system calls;
this front shows that machine (registers, code, stack, memory, maps) beside its exits (the
system calls, printed as the tracer prints them) and its output, while the person steps
forwards and backwards. It is a skin over the existing stepper: the command line hands every
line to `Stepper.execute` (emulator/debug/stepper/main.py, its command dict is the only
parser), and the panes are drawn from the debugger's state after each command completes,
never per instruction, so `si 100000` costs one redraw.

Library: textual (https://textual.textualize.io), rather than prompt_toolkit. Both are well
kept and run over ssh on any xterm-like terminal; textual gives a CSS layout that adapts from
80x24 upwards without hand-computed splits, reads the keyboard in a thread of its own (so ^C
reaches a running `c`), and has Pilot, which drives the app headless in tests and exports the
screen (tests/test_tui.py); prompt_toolkit would have meant hand-made layouts and a pty for
every test. textual is imported only under --tui (`elfemu run` and `elfemu step` do not pay its
~0.3-1 s of imports: `python -X importtime` shows none of it on their path).

Modules: syslog.py keeps the system calls the guest made (a tracer-shaped listener on the
Process), session.py is the stepper with the TUI's own few commands and the guest's terminal,
panes.py formats each pane as plain text, app.py is the textual application.
"""
