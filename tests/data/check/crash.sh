#!/bin/sh
# A validator that dies of a signal after writing to stderr.
echo "segfault imminent" >&2
kill -SEGV $$
