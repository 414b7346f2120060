"""gateway/native/fmt.h, the digit loops the native paths use in place of snprintf: the same
bytes as snprintf's "%lld", "%llu", "%llu.%0*llu" and "%08llX" over edge and random values,
checked by a small C program built against the header (gcc, as loadfix.c is)."""
import os
import random
import shutil
import subprocess

import pytest

HEADER_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "gateway", "native")

PROGRAM = r"""
#include <stdio.h>
#include <stdlib.h>
#include "fmt.h"

static int same(const char *what, const char *want, int wn, const char *got, int gn) {
    if (wn == gn && memcmp(want, got, wn) == 0) return 1;
    printf("%s: want %.*s got %.*s\n", what, wn, want, gn, got);
    return 0;
}

int main(void) {
    char line[128], want[96], got[96];
    int bad = 0, n = 0;
    while (fgets(line, sizeof line, stdin)) {
        unsigned long long u = strtoull(line, NULL, 10), f = u % 1000000007ULL;
        long long s = (long long)u;
        for (int places = 0; places <= 9; places++) {
            unsigned long long p = 1;
            for (int k = 0; k < places; k++) p *= 10;
            int wn = snprintf(want, sizeof want, "%llu.%0*llu", u, places, f % p);
            bad += !same("fixed", want, wn, got, fmt_fixed(got, u, f % p, places));
        }
        bad += !same("i64", want, snprintf(want, sizeof want, "%lld", s), got, fmt_i64(got, s));
        bad += !same("u64", want, snprintf(want, sizeof want, "%llu", u), got, fmt_u64(got, u));
        bad += !same("hex08", want, snprintf(want, sizeof want, "%08llX", u), got, fmt_hex08(got, u));
        n++;
    }
    printf("checked %d bad %d\n", n, bad);
    return bad != 0;
}
"""


@pytest.mark.skipif(shutil.which("gcc") is None, reason="no gcc")
def test_fmt_writes_snprintf_s_bytes(tmp_path):
    src, exe = tmp_path / "fmt_check.c", tmp_path / "fmt_check"
    src.write_text(PROGRAM)
    subprocess.run(["gcc", "-O2", "-Wall", "-Werror", "-I", HEADER_DIR, "-o", str(exe), str(src)], check=True)
    rng = random.Random(3)
    values = [0, 1, 9, 10, 99, 100, 15, 16, 255, 256, 0xFFFFFFFF, 1 << 32, 10 ** 18, 10 ** 19 - 1, 10 ** 19,
              (1 << 63) - 1, 1 << 63, (1 << 64) - 1, (1 << 64) - 2]
    values += [rng.randrange(1 << rng.randrange(1, 65)) for _ in range(3000)]
    out = subprocess.run([str(exe)], input="".join(f"{v}\n" for v in values), capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-2000:]
    assert out.stdout.strip().endswith(f"checked {len(values)} bad 0")
