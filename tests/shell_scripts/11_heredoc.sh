# here-documents: expanded, quoted, tab-stripped
name=world
cat <<EOT
hello $name
sum: $((2 + 3))
EOT
cat <<'EOT'
literal $name $(not run)
EOT
	cat <<-EOT
	tabs stripped
	EOT
tr a-z A-Z <<EOT | cat
piped heredoc
EOT
