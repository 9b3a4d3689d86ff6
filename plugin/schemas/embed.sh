#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# embed.sh NAME FILE: prints a C file defining `const unsigned char NAME[]`
# (the bytes of FILE) and `const unsigned int NAME_len`, so that the schema
# the library validates with is the one shipped, with no file to find at run time.
set -eu
name=$1
file=$2
echo "/* Generated from $(basename "$file") by embed.sh: do not edit. */"
echo "extern const unsigned char ${name}[];"
echo "extern const unsigned int ${name}_len;"
echo "const unsigned char ${name}[] = {"
od -An -v -tx1 "$file" | sed -e 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g' -e 's/^/ /'
echo "};"
echo "const unsigned int ${name}_len = sizeof(${name});"
