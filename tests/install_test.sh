#!/bin/sh
# install_test.sh BUILD_DIR: `cmake --install` into a temporary prefix, then
# use what was installed: the binary (version, a run, the plot scripts next
# to it), `pkg-config --cflags --libs infercost` compiling and running a
# program against the C API, the man page and the bash completion.
set -eu
build=$1
prefix=$(mktemp -d /tmp/ic_install_XXXXXX)
trap 'rm -rf "$prefix"' EXIT
fail() { echo "install_test: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >/dev/null
bin="$prefix/bin/infercost"
[ -x "$bin" ] || fail "no $bin"
"$bin" --version | grep -q '^infercost 0\.1\.0$' || fail "installed binary: wrong --version"
"$bin" run tests/data/tiny_scenario.ini -q -o "$prefix/out" || fail "installed binary cannot run"
head -1 "$prefix/out/ledger.csv" | grep -qx 'group,item,kwh_per_day,usd_per_day' || fail "ledger.csv header"
for f in terminal.gp labels.gp cost_vs_x.gp pareto.gp timeseries.gp ledger.gp validation.gp; do
  [ -f "$prefix/share/infercost/plots/$f" ] || fail "plot script $f not installed"
done
if command -v gnuplot >/dev/null 2>&1; then
  # The source tree is out of reach: the installed scripts must be the ones found.
  (cd "$prefix" && env -u IC_PLOTS_DIR "$bin" plot ledger out/ledger.csv -o out/ledger.png >/dev/null) ||
    fail "installed binary cannot plot with the installed scripts"
  [ -s "$prefix/out/ledger.png" ] || fail "no ledger.png"
fi
man="$prefix/share/man/man1/infercost.1"
[ -f "$man" ] || fail "no man page"
grep -q '^\.SH EXIT STATUS' "$man" || fail "man page without EXIT STATUS"
comp="$prefix/share/bash-completion/completions/infercost"
[ -f "$comp" ] || fail "no bash completion"
if command -v bash >/dev/null 2>&1; then
  got=$(bash -c ". '$comp'; COMP_WORDS=(infercost sea); COMP_CWORD=1; _infercost; echo \"\${COMPREPLY[*]}\"")
  [ "$got" = "search" ] || fail "completion of 'sea' gave '$got'"
fi
[ -f "$prefix/include/infercost/api.h" ] || fail "no api.h"
ls "$prefix"/lib*/libinfercost.so* >/dev/null 2>&1 || ls "$prefix"/lib/*/libinfercost.so* >/dev/null 2>&1 ||
  fail "no libinfercost.so"
command -v pkg-config >/dev/null 2>&1 || { echo "pkg-config missing: skipped"; exit 77; }
pcdir=$(dirname "$(find "$prefix" -name infercost.pc | head -1)")
flags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs infercost) || fail "pkg-config --cflags --libs infercost"
echo "pkg-config: $flags"
case $flags in *"-I$prefix/"*"-L$prefix/"*"-linfercost"*) ;; *) fail "pkg-config flags do not point into $prefix" ;; esac
cat > "$prefix/use_api.c" <<'C'
#include <stdio.h>
#include <infercost/api.h>
int main(void) {
  const char *bad[] = {"serving.max_batch=0"};
  char *text = ic_api_run_json(NULL, bad, 1, NULL);
  printf("api %d %s %s", ic_api_version(), text ? "ran" : "refused", ic_api_last_error());
  ic_api_free(text);
  return text == NULL ? 0 : 1;
}
C
cc -o "$prefix/use_api" "$prefix/use_api.c" $(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs infercost) ||
  fail "cannot build against the installed library"
libdir=$(PKG_CONFIG_PATH="$pcdir" pkg-config --variable=libdir infercost)
out=$(LD_LIBRARY_PATH="$libdir" "$prefix/use_api") || fail "program against the API failed: $out"
echo "$out" | grep -q '^api 1 refused -s #1: serving.max_batch: value 0 is out of range' || fail "API answer: $out"
echo "install_test: ok ($prefix)"
