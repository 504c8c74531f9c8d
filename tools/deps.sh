#!/bin/sh
# Makes sure the build dependencies are present: asks pkg-config for each library and,
# when any is missing, installs the Debian packages with apt-get (as root or through sudo).
# Prints what it does; exits non-zero only when it cannot install.
set -eu
PKGS="libsimgrid-dev libgsl-dev libyaml-dev libhdf5-dev hdf5-tools check pkg-config"
# Sweeps under MPI (oastwin-mpi, tests with mpirun) and the Python analysis module and its tests.
PKGS="$PKGS libopenmpi-dev openmpi-bin python3-h5py python3-numpy python3-matplotlib"
# Chromium (large) is installed only on demand: `sh tools/deps.sh chromium`, called by the test
# that renders the HTML report.
if [ "${1:-}" = chromium ]; then
  PKGS="chromium"
  command -v chromium >/dev/null 2>&1 && exit 0
fi
missing=""
if [ "$PKGS" = chromium ]; then missing=" chromium"
elif ! command -v pkg-config >/dev/null 2>&1; then
  missing="pkg-config"
else
  for m in simgrid gsl yaml-0.1 hdf5 check ompi-c; do
    pkg-config --exists "$m" || missing="$missing $m"
  done
fi
if [ "$PKGS" != chromium ]; then
  command -v h5dump >/dev/null 2>&1 || missing="$missing h5dump"
  command -v mpirun >/dev/null 2>&1 || missing="$missing mpirun"
  /usr/bin/python3 -c 'import h5py, numpy, matplotlib' >/dev/null 2>&1 || missing="$missing python3-h5py/numpy/matplotlib"
fi
[ -z "$missing" ] && exit 0
echo "deps: missing:$missing; installing Debian packages: $PKGS" >&2
if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "deps: error: not root and no sudo; install as root: apt-get install $PKGS" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >&2
$SUDO apt-get install -y -q --no-install-recommends $PKGS >&2
echo "deps: installed" >&2
