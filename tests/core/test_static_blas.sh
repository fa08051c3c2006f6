#!/bin/sh
# With -Dstatic_openblas (app/meson.build), every BLAS symbol of bertbench resolves from libopenblas.a: a
# binary that still needs libopenblas.so would carry two OpenBLAS copies (two thread servers) and pay the
# shared library's relocations at start, the cost the static link exists to remove.
# Usage: test_static_blas.sh BERTBENCH static|shared
bin=${1:?bertbench binary}
mode=${2:?static or shared}
needed=$(readelf -d "$bin") || { echo "FAIL: readelf -d $bin"; exit 1; }
case $mode in
static)
    if echo "$needed" | grep -q 'NEEDED.*libopenblas'; then
        echo "FAIL: $bin links OpenBLAS statically but still needs the shared library:"
        echo "$needed" | grep NEEDED
        exit 1
    fi
    nm "$bin" | grep -q ' T cblas_sgemm$' || { echo "FAIL: cblas_sgemm is not defined in $bin"; exit 1; } ;;
shared)
    echo "$needed" | grep -q 'NEEDED.*libopenblas' || { echo "FAIL: $bin does not need libopenblas.so"; exit 1; } ;;
*) echo "usage: $0 BERTBENCH static|shared"; exit 2 ;;
esac
echo "ok: OpenBLAS linked $mode"
