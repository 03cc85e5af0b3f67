#!/bin/sh
# Screenshots of the HTML report of seven real projects, to look at the architecture picture
# by eye (issue 14). Not run by CI: it downloads six sdists and needs Chromium
# (Debian: apt-get install -y chromium).
#   scripts/screenshot_reports.sh [OUT]     (OUT defaults to /tmp/pics)
# For httpx, rich, attrs, flask, werkzeug and pydantic: a fresh copy, `archverify init`, then
# `archverify run` writing OUT/NAME.txt (the text report), .json, .html and .png; Django runs
# with the bench's own archverify.toml. Also OUT/django-contrib.png (a drill-down opened
# through its link) and OUT/rich-graph.svg (the standalone picture).
# Environment:
#   STEPS   the steps of each run (default: the static ones, which need no dependencies)
#   SDISTS  a folder already holding the six NAME-VERSION.tar.gz (default: download them to OUT)
#   DEPS    a folder with deps-NAME/ folders put on PYTHONPATH (for the imports and tests steps)
set -eu
OUT=${1:-/tmp/pics}
HERE=$(cd "$(dirname "$0")/.." && pwd)
AV=${ARCHVERIFY:-$HERE/.venv/bin/archverify}
PIP=${PIP:-$HERE/.venv/bin/pip}
DJANGO=${DJANGO:-$HOME/.cache/archverify-bench/src/django-5.2.19}
STEPS=${STEPS:-compile,purity,contracts,boundaries,cycles}
SDISTS=${SDISTS:-$OUT}
DEPS=${DEPS:-}
PROJECTS="httpx-0.27.2 rich-13.9.4 attrs-24.2.0 flask-3.1.0 werkzeug-3.1.3 pydantic-2.9.2"
mkdir -p "$OUT"

shot() {  # shot URL PNG [WIDTH,HEIGHT]
    profile=$(mktemp -d)
    chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run \
        --user-data-dir="$profile" --screenshot="$2" --window-size="${3:-1600,1200}" "$1" \
        >/dev/null 2>&1
    rm -rf "$profile"
}

report() {  # report PROJECT_DIR NAME: the run's verdict goes to the terminal
    path=""
    if [ -n "$DEPS" ] && [ -d "$DEPS/deps-$2" ]; then path="$DEPS/deps-$2"; fi
    (cd "$1" && PYTHONPATH="$path" "$AV" run . --no-cache --steps "$STEPS" --format text \
        --format "html=$OUT/$2.html" --format "json=$OUT/$2.json" >"$OUT/$2.txt") || true
    shot "file://$OUT/$2.html" "$OUT/$2.png" 1600,2400
}

for project in $PROJECTS; do
    if [ ! -f "$SDISTS/$project.tar.gz" ]; then
        "$PIP" download --no-deps --no-binary :all: "$(echo "$project" | sed 's/-/==/')" \
            -d "$SDISTS" >/dev/null
    fi
    name=${project%%-*}
    rm -rf "${OUT:?}/$project"
    tar xzf "$SDISTS/$project.tar.gz" -C "$OUT"
    (cd "$OUT/$project" && "$AV" init >"$OUT/$name.init.txt")
    report "$OUT/$project" "$name"
done
(cd "$OUT/rich-13.9.4" && "$AV" graph . --output "$OUT/rich-graph.svg")

# Django with the bench's own archverify.toml; copied, so the bench's tree stays as it is.
rm -rf "$OUT/django"
cp -r "$DJANGO" "$OUT/django"
STEPS=compile,contracts,cycles report "$OUT/django" django
shot "file://$OUT/django.html#pkg-django-contrib" "$OUT/django-contrib.png" 1600,1400
ls -l "$OUT"/*.png
