#!/bin/sh
# With -Dstatic_libs (app/meson.build), every symbol of the libraries bertbench links from static archives
# resolves from them: a binary that still needed one of their shared libraries would carry two copies of
# it (for OpenBLAS, two thread servers) and pay that library's loading and relocations at start, the cost
# the static link exists to remove.
# Usage: test_static_libs.sh BERTBENCH [NAME...]   (the libraries linked statically: openblas, readline, ...)
bin=${1:?bertbench binary}
shift
needed=$(readelf -d "$bin") || { echo "FAIL: readelf -d $bin"; exit 1; }
fail=0
for name in "$@"; do
    if echo "$needed" | grep -q "NEEDED.*\[lib$name\.so"; then
        echo "FAIL: $bin links $name statically but still needs lib$name.so"
        fail=1
    fi
done
case " $* " in
*" openblas "*) nm "$bin" | grep -q ' T cblas_sgemm$' || { echo "FAIL: cblas_sgemm is not defined in $bin"; fail=1; } ;;
*) echo "$needed" | grep -q 'NEEDED.*libopenblas' || { echo "FAIL: $bin neither links OpenBLAS in nor needs it"; fail=1; } ;;
esac
[ $fail -eq 0 ] && echo "ok: linked statically: ${*:-nothing}"
exit $fail
