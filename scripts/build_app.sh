#!/usr/bin/env bash
# Builds the one-folder app (dist/sdstudio/) from build.spec, then runs the frozen
# app's self-test: it opens the bundled example photo, runs a repair, a style preset
# and an enhance on the CPU without a display, and checks the results.
#
#   scripts/build_app.sh                 # build + self-test
#   scripts/build_app.sh --skip-build    # self-test the existing dist/sdstudio/
#   scripts/build_app.sh --no-self-test  # build only
#   scripts/build_app.sh --skip-build --no-self-test --screenshot docs/screenshots/frozen-app.png
#       # opens the frozen app with the example photo under Xvfb and saves the screen
#       # (Debian: xvfb x11-utils bc imagemagick libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1)
#
# Uses .venv (scripts/setup.sh makes it) and installs PyInstaller into it if missing.
# Which torch wheel is installed decides the variant (CPU-only or CUDA); see
# docs/packaging.md.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-.venv/bin/python}
APP_DIR=dist/sdstudio
build=1
self_test=1
screenshot=""
while [ $# -gt 0 ]; do
    case "$1" in
        --skip-build) build=0 ;;
        --no-self-test) self_test=0 ;;
        --screenshot) screenshot="${2:?--screenshot needs a file name}"; shift ;;
        -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
    shift
done

if [ "$build" = 1 ]; then
    if ! "$PYTHON" -m PyInstaller --version >/dev/null 2>&1; then
        echo "Installing PyInstaller (the project's 'build' extra) into $PYTHON's venv"
        "$PYTHON" -m pip install -q -e ".[build]"
    fi
    "$PYTHON" - <<'PY'
import torch
variant = f"CUDA {torch.version.cuda}" if torch.version.cuda else "CPU-only"
print(f"Building with torch {torch.__version__} ({variant} wheel)")
PY
    started=$(date +%s)
    "$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
        --distpath dist --workpath build build.spec
    elapsed=$(($(date +%s) - started))
    # Files keep their mode when copied in; a model saved through mkstemp is 0600, which
    # other accounts could not read in a system-wide install (/opt).
    chmod -R a+rX "$APP_DIR"
    size=$(du -sh "$APP_DIR" | cut -f1)
    echo "Built $APP_DIR in ${elapsed} s; folder size ${size}"
fi

if [ "$self_test" = 1 ]; then
    if [ ! -x "$APP_DIR/sdstudio" ]; then
        echo "No build at $APP_DIR; run without --skip-build first." >&2
        exit 1
    fi
    # A throwaway user folder: the self-test must not depend on (or touch) anyone's
    # own models and settings.
    data_dir=$(mktemp -d)
    trap 'rm -rf "$data_dir"' EXIT
    started=$(date +%s)
    QT_QPA_PLATFORM=offscreen SDSTUDIO_DATA_DIR="$data_dir" \
        timeout 900 "$APP_DIR/sdstudio" --self-test
    echo "Frozen self-test passed in $(($(date +%s) - started)) s"
    rm -rf "$data_dir"
fi

if [ -n "$screenshot" ]; then
    for tool in Xvfb import xwininfo bc; do
        command -v "$tool" >/dev/null || { echo "$tool is missing (see --help)" >&2; exit 1; }
    done
    display=":${SCREENSHOT_DISPLAY:-87}"
    shot_data=$(mktemp -d)
    Xvfb "$display" -screen 0 1440x900x24 -nolisten tcp >/dev/null 2>&1 &
    xvfb_pid=$!
    trap 'kill "${app_pid:-}" "$xvfb_pid" 2>/dev/null || true; rm -rf "$shot_data"' EXIT
    sleep 2
    DISPLAY="$display" QT_QPA_PLATFORM=xcb SDSTUDIO_DATA_DIR="$shot_data" \
        "$APP_DIR/sdstudio" "$(pwd)/resources/example/example.jpg" &
    app_pid=$!
    started=$(date +%s.%N)
    window=""
    for _ in $(seq 1 300); do
        # The main window is the one with SD Studio's WM_CLASS (not Qt's helper windows).
        window=$(DISPLAY="$display" xwininfo -root -tree 2>/dev/null |
            awk '/\("sdstudio" "SD Studio"\)/ {print $1}' || true)
        [ -n "$window" ] && break
        sleep 0.1
    done
    if [ -z "$window" ]; then
        echo "The frozen app's window did not appear" >&2
        kill "$app_pid" "$xvfb_pid" 2>/dev/null || true
        exit 1
    fi
    printf 'Window mapped %.1f s after start\n' "$(echo "$(date +%s.%N) - $started" | bc)"
    # Let the canvas load and paint the photo before the shot.
    sleep "${SCREENSHOT_WAIT_S:-5}"
    mkdir -p "$(dirname "$screenshot")"
    DISPLAY="$display" import -window "$window" "$screenshot"
    kill "$app_pid" "$xvfb_pid" 2>/dev/null || true
    wait "$app_pid" "$xvfb_pid" 2>/dev/null || true
    rm -rf "$shot_data"
    echo "Screenshot of the frozen app: $screenshot"
fi
