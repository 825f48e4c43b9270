#!/usr/bin/env bash
# Fetch the map page's third-party assets from the npm registry into src/ecowatch/web/static/vendor
# and rewrite static/PROVENANCE.md's table of files and checksums.
#
# For maintainers only: CI and the tests never run this (the assets are committed, and ecowatch
# loads nothing from the internet at run time).  Needs npm, python3 and sha256sum.  Re-running it
# with the same versions reproduces the committed files byte for byte.
#
#   bash scripts/vendor_web_assets.sh
set -euo pipefail

ECHARTS_VERSION=6.1.0        # Apache ECharts: the chart library (dist/echarts.min.js)
ECHARTS_MAP_VERSION=4.9.0    # the last ECharts release that shipped boundary GeoJSON (map/json)
FONT_VERSION=5.3.0           # @fontsource/noto-sans-sc: Noto Sans SC, weight 400, woff2 slices
SWAGGER_UI_VERSION=5.35.0    # swagger-ui-dist: the interactive API documentation at /api/v1/docs

root=$(cd "$(dirname "$0")/.." && pwd)
static="$root/src/ecowatch/web/static"
vendor="$static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

unpack() {  # unpack <package@version> <folder>: npm pack into $work and untar
    local spec=$1 folder=$2
    (cd "$work" && npm pack --silent "$spec" >"$folder.name")
    mkdir -p "$work/$folder"
    tar xzf "$work/$(cat "$work/$folder.name")" -C "$work/$folder"
}

unpack "echarts@$ECHARTS_VERSION" echarts
unpack "echarts@$ECHARTS_MAP_VERSION" echarts4
unpack "@fontsource/noto-sans-sc@$FONT_VERSION" font
unpack "swagger-ui-dist@$SWAGGER_UI_VERSION" swagger

rm -rf "$vendor"
mkdir -p "$vendor/echarts" "$vendor/echarts-map" "$vendor/noto-sans-sc/files" "$vendor/swagger-ui"

cp "$work/echarts/package/dist/echarts.min.js" "$work/echarts/package/LICENSE" \
   "$work/echarts/package/NOTICE" "$vendor/echarts/"

# Province outlines of China and district outlines of Beijing, unchanged (ECharts' compressed
# "UTF8Encoding" GeoJSON, which echarts.registerMap still decodes).
cp "$work/echarts4/package/map/json/china.json" "$vendor/echarts-map/china.json"
cp "$work/echarts4/package/map/json/province/beijing.json" "$vendor/echarts-map/beijing.json"
cp "$work/echarts4/package/LICENSE" "$work/echarts4/package/NOTICE" "$vendor/echarts-map/"

# Weight 400 only (bold is synthesised) and woff2 only (every browser ecowatch supports reads it):
# the CSS keeps fontsource's unicode-range slices, so a page downloads just the slices its text uses.
cp "$work/font/package/LICENSE" "$vendor/noto-sans-sc/LICENSE"
sed -E "s#, url\(\./files/[^)]*\.woff\) format\('woff'\)##" "$work/font/package/400.css" \
    >"$vendor/noto-sans-sc/noto-sans-sc-400.css"
# Only the slices the CSS names (the package also has the whole set in one 1.1 MB file).
grep -o "files/noto-sans-sc-[a-z0-9-]*-400-normal\.woff2" "$vendor/noto-sans-sc/noto-sans-sc-400.css" \
    | while read -r file; do cp "$work/font/package/$file" "$vendor/noto-sans-sc/files/"; done
if grep -q "format('woff')" "$vendor/noto-sans-sc/noto-sans-sc-400.css"; then
    echo "vendor_web_assets: the woff fallbacks were not removed from 400.css" >&2
    exit 1
fi

# The bundle (with its third-party licence list) and the stylesheet; no source maps, no standalone
# preset (its top bar loads specs from any URL), no sample initializer (ecowatch has its own).
cp "$work/swagger/package/swagger-ui-bundle.js" "$work/swagger/package/swagger-ui-bundle.js.LICENSE.txt" \
   "$work/swagger/package/swagger-ui.css" "$work/swagger/package/LICENSE" "$work/swagger/package/NOTICE" \
   "$vendor/swagger-ui/"
# The bundle's last line points at a source map that is not vendored: drop it (browsers would ask).
sed -i '/^\/\/# sourceMappingURL=/d' "$vendor/swagger-ui/swagger-ui-bundle.js"
sed -i 's#/\*\# sourceMappingURL=[^*]*\*/##' "$vendor/swagger-ui/swagger-ui.css"

# The checksum table of PROVENANCE.md, between its two marker lines.
table="$work/table.md"
{
    echo "| file | sha256 |"
    echo "| --- | --- |"
    (cd "$static" && find vendor -type f | LC_ALL=C sort | while read -r file; do
        echo "| \`$file\` | \`$(sha256sum "$file" | cut -d' ' -f1)\` |"
    done)
} >"$table"
python3 - "$static/PROVENANCE.md" "$table" <<'PY'
import pathlib, sys
provenance, table = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]).read_text()
begin, end = "<!-- checksums: begin -->", "<!-- checksums: end -->"
text = provenance.read_text()
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
provenance.write_text(f"{head}{begin}\n{table}{end}{tail}")
PY
du -sh "$vendor"
