# command not found (127) and not executable (126)
cd "$TMPDIR"
no_such_command_xyz 2>/dev/null; echo "not found: $?"
printf 'echo hi\n' > notexec; chmod -x notexec
./notexec 2>/dev/null; echo "not executable: $?"
printf 'garbage\0\1\2' > badbin; chmod +x badbin
rm -f notexec badbin
/nonexistent/dir/prog 2>/dev/null; echo "missing path: $?"
