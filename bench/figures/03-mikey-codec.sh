#!/usr/bin/env bash
# Figure 3: MIKEY codec build+serialise against GStreamer's gstmikey
# (bench/bench_gst_codec.c). Without libgstsdp the program is not built and
# the figure is reported as not run.
set -euo pipefail
if [ ! -x "$BENCH_BIN/mbms-bench-gst-codec" ]; then
	echo '{"kind":"figure","id":3,"title":"MIKEY codec build+serialise vs GStreamer gstmikey","status":"not run","reason":"gstreamer-sdp-1.0 (libgstreamer-plugins-base1.0-dev) not available","target_op":">=","target":3}'
	exit 0
fi
exec $BENCH_PIN "$BENCH_BIN/mbms-bench-gst-codec"
