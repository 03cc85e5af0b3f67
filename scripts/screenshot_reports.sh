#!/bin/sh
# Screenshots of the HTML report of three real projects, to look at the architecture picture
# by eye (issue 14). Not run by CI: it downloads two sdists and needs Chromium
# (Debian: apt-get install -y chromium).
#   scripts/screenshot_reports.sh [OUT]     (OUT defaults to /tmp/pics)
# Writes OUT/{rich,pydantic,django}.html and .png, plus django-contrib.png (a drill-down
# opened through its link) and rich-graph.svg (the standalone picture).
set -eu
OUT=${1:-/tmp/pics}
HERE=$(cd "$(dirname "$0")/.." && pwd)
AV=${ARCHVERIFY:-$HERE/.venv/bin/archverify}
PIP=${PIP:-$HERE/.venv/bin/pip}
DJANGO=${DJANGO:-$HOME/.cache/archverify-bench/src/django-5.2.19}
mkdir -p "$OUT"

shot() {  # shot URL PNG [WIDTH,HEIGHT]
    profile=$(mktemp -d)
    chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run \
        --user-data-dir="$profile" --screenshot="$2" --window-size="${3:-1600,1200}" "$1" \
        >/dev/null 2>&1
    rm -rf "$profile"
}

report() {  # report PROJECT_DIR NAME
    (cd "$1" && "$AV" run . --steps compile,contracts,cycles --format "html=$OUT/$2.html") || true
    shot "file://$OUT/$2.html" "$OUT/$2.png" 1600,2400
}

"$PIP" download --no-deps --no-binary :all: rich==13.9.4 pydantic==2.9.2 -d "$OUT" >/dev/null
for name in rich-13.9.4 pydantic-2.9.2; do
    rm -rf "${OUT:?}/$name"
    tar xzf "$OUT/$name.tar.gz" -C "$OUT"
    (cd "$OUT/$name" && "$AV" init >/dev/null)
done
report "$OUT/rich-13.9.4" rich
(cd "$OUT/rich-13.9.4" && "$AV" graph . --output "$OUT/rich-graph.svg")
report "$OUT/pydantic-2.9.2" pydantic

# Django with the bench's own archverify.toml; copied, so the bench's tree stays as it is.
rm -rf "$OUT/django"
cp -r "$DJANGO" "$OUT/django"
report "$OUT/django" django
shot "file://$OUT/django.html#pkg-django-contrib" "$OUT/django-contrib.png" 1600,1400
ls -l "$OUT"/*.png
