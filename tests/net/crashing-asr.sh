#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# crashing-asr.sh: a casescribe-asr that crashes on its first chunk, once.
# The first "serve" it is asked for says it is ready, reads a little of its
# first chunk and dies of SIGSEGV; every other call runs the real helper
# ($CRASHING_ASR_REAL). $CRASHING_ASR_MARK records that it crashed.
if [ "$1" = serve ] && mkdir "$CRASHING_ASR_MARK" 2> /dev/null; then
    echo '{"ready":1,"engine":"pocketsphinx","version":"test"}'
    head -c 64 > /dev/null
    kill -SEGV $$
fi
exec "$CRASHING_ASR_REAL" "$@"
