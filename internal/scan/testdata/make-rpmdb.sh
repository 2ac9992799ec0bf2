#!/bin/sh
# Regenerates testdata/rpm/var/lib/rpm/rpmdb.sqlite: four empty packages
# (one noarch, one with an epoch, two versions of one package side by
# side) recorded in an SQLite rpm database. Needs rpm and rpmbuild
# (Debian package "rpm"); the tests only read the result.
set -eu
out=$(cd "$(dirname "$0")" && pwd)/rpm/var/lib/rpm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mk() { # name version release epoch arch
	spec=$work/$1-$2-$3.spec
	{
		echo "Name: $1"
		echo "Version: $2"
		echo "Release: $3"
		[ -n "$4" ] && echo "Epoch: $4"
		echo "Summary: Fixture package $1"
		echo "License: MIT"
		echo "Vendor: Example Org"
		[ "$5" = noarch ] && echo "BuildArch: noarch"
		printf '%%description\nA package for tests.\n%%files\n'
	} >"$spec"
	rpmbuild -bb --quiet --define "_topdir $work/top" --target "$5" "$spec"
}
mk fixture-base 1.0 1 "" noarch
mk fixture-tools 3.4 5.el9 2 x86_64
mk fixture-kernel 5.14.0 427.el9 "" x86_64
mk fixture-kernel 5.14.0 503.el9 "" x86_64
db=$work/db
mkdir -p "$db"
rpm --dbpath "$db" --define '_db_backend sqlite' --initdb
rpm --dbpath "$db" --define '_db_backend sqlite' -i --justdb --nodeps --ignorearch --ignoreos \
	$(find "$work/top/RPMS" -name '*.rpm' | sort)
mkdir -p "$out"
cp "$db/rpmdb.sqlite" "$out/rpmdb.sqlite"
rpm --dbpath "$db" -qa --qf '%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH}\n' | sort
