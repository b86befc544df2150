"""Linux's x86-64 ABI as numbers, written once for every layer (docs/ARCHITECTURE.md, layer 0).

syscall_numbers: name -> number, as syscall_64.tbl. constants: the flag and constant values that
more than one module needs (a handler and the xlat table that prints it, memory and the mmap
handler, the loader and the exec code). A value that only one module uses stays beside its one
user; the strace-ordered (value, name) tables that the tracer prints stay in syscalls/decode/xlat.py
and take their values from here where a handler shares them.
"""
