/* Check suite "fuzz_regressions": replays every seed and every crash the fuzzers ever found
 * (fuzz/corpus/<target>/, fuzz/regressions/<target>/) through the same entry points as the
 * fuzzers, so a fixed crash stays fixed. Under `make SAN=... check` this also catches memory
 * errors on those inputs. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_entry.h"

typedef int (*entry_fn)(const uint8_t *, size_t);

static const struct {
    const char *name;
    entry_fn fn;
} TARGETS[] = {
    {"units", fuzz_one_units},
    {"scenario", fuzz_one_scenario},
    {"reqtrace_azure", fuzz_one_reqtrace_azure},
    {"reqtrace_mooncake", fuzz_one_reqtrace_mooncake},
    {"reqtrace_vidur", fuzz_one_reqtrace_vidur},
    {"oplist", fuzz_one_oplist},
};

static int replay_dir(const char *dir, entry_fn fn)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%.4000s/%.255s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        static uint8_t buf[1 << 20];
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        ck_assert_int_eq(fn(buf, len), 0);
        n++;
    }
    closedir(d);
    return n;
}

START_TEST(test_corpus_and_regressions_replay_cleanly)
{
    const char *root = getenv("OASTWIN_ROOT");
    char dir[4096];
    int n = 0;
    for (const char *kind = "corpus"; kind; kind = strcmp(kind, "corpus") ? NULL : "regressions") {
        snprintf(dir, sizeof dir, "%s/fuzz/%s/%s", root ? root : ".", kind, TARGETS[_i].name);
        n += replay_dir(dir, TARGETS[_i].fn);
    }
    ck_assert_msg(n > 0, "no inputs found for fuzz target %s (OASTWIN_ROOT=%s)", TARGETS[_i].name,
                  root ? root : "(unset)");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fuzz_regressions");
    TCase *tc = tcase_create("replay");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_corpus_and_regressions_replay_cleanly, 0,
                        (int)(sizeof TARGETS / sizeof TARGETS[0]));
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
