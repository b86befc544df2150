# creating, listing and removing a small tree
cd "$TMPDIR"
mkdir -p tree/a/b tree/c
echo 1 > tree/a/one; echo 2 > tree/a/b/two; echo 3 > tree/c/three
find tree -type f | sort
find tree -type f | sort | xargs cat
ls tree | sort
cat tree/a/one tree/c/three | wc -l
rm -r tree
[ -e tree ] || echo removed
