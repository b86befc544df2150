# a named pipe between two processes
cd "$TMPDIR"
mkfifo myfifo
(echo "through the fifo" > myfifo) &
cat myfifo
wait
rm -f myfifo
