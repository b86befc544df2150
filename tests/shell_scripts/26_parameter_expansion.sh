# parameter expansion
path=/usr/local/lib/file.tar.gz
echo "${path##*/} ${path#*/} ${path%/*} ${path%%.*}"
echo "${#path}"
unset u; echo "${u:-default} ${u-dash} [${u:+alt}]"
v=set; echo "${v:+alt} ${v:-default}"
: ${w:=assigned}; echo "$w"
set -- one two three; echo "$# $1 $3 $*"
shift; echo "$# $@"
