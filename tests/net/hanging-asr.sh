#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# hanging-asr.sh: a casescribe-asr whose decoders hang. "decode" runs the
# real helper ($HANGING_ASR_REAL); "serve" says it is ready, then reads
# and never answers, like an engine stuck in a loop.
if [ "$1" = serve ]; then
    echo '{"ready":1,"engine":"pocketsphinx","version":"test"}'
    exec cat > /dev/null
fi
exec "$HANGING_ASR_REAL" "$@"
