"""elfemu: run, trace and step x86-64 Linux ELF programs on an emulated CPU."""
