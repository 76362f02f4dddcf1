#!/usr/bin/env bash
# Makes this folder's screenshots (for docs/console.md) from those a ConsoleBrowserTest run saved
# in proxy/target/console-screenshots: the top of each page, 816 pixels wide, in 64 colours.
# Needs ImageMagick and pngquant (apt-get install imagemagick pngquant).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
from="$here/../../proxy/target/console-screenshots"
convert=/usr/bin/convert # the real ImageMagick, not a stand-in earlier on the PATH
for pair in sign-in:sign-in audit-trail:audit audit-entry:entry page-verify:verify \
    page-key-access:key-access page-credentials:credentials credential-rotate:rotate \
    page-agents:agents page-usage:usage page-routing:routing; do
  source="$from/${pair%%:*}.png"
  target="$here/${pair##*:}.png"
  "$convert" "$source" -crop 1360x720+0+0 +repage -resize 816x -strip "$target"
  pngquant --force --quality=55-85 --speed 1 --output "$target" 64 "$target"
done
ls -l "$here"/*.png
