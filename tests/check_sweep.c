/* Unit tests for the sweep file (sim/sweep_spec.c: point order, zip, mapping values, labels,
 * errors with positions) and the task lines of the MPI driver (sim/sweep_exec.c: escaping
 * round trip). No simulation runs here; tests/sweep_tests.sh runs whole sweeps. */
#include "sweep.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Writes TEXT to a temporary sweep file; its path in PATH (caller unlinks). */
static void write_sweep(char *path, size_t n, const char *text)
{
    snprintf(path, n, "/tmp/check_sweep.XXXXXX");
    int fd = mkstemp(path);
    ck_assert_msg(fd >= 0, "mkstemp failed");
    ck_assert_msg(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "short write");
    close(fd);
}

static sweep_t *load_text(const char *text, char *path, size_t n, diag_t *err)
{
    write_sweep(path, n, text);
    return sweep_load(path, "/tmp/unused.sweep", err);
}

START_TEST(grid_points_vary_last_axis_fastest)
{
    char path[64];
    diag_t err = {{0}};
    sweep_t *s = load_text("base: b.yaml\n"
                           "set:\n  workload.iterations: 2\n"
                           "grid:\n  a.x: [1, 2, 3]\n  b.y: [u, v]\n",
                           path, sizeof path, &err);
    ck_assert_msg(s != NULL, "load failed: %s", err.msg);
    ck_assert_msg(s->npoints == 6, "got %zu points, want 6", s->npoints);
    static const char *const want[6][2] = {{"1", "u"}, {"1", "v"}, {"2", "u"}, {"2", "v"}, {"3", "u"}, {"3", "v"}};
    for (size_t i = 0; i < COUNT_OF(want); i++) {
        const sweep_point *p = &s->points[i];
        ck_assert_msg(p->nsets == 3, "point %zu: %zu sets, want 3 (fixed first)", i, p->nsets);
        ck_assert_str_eq(p->sets[0].key, "workload.iterations");
        ck_assert_msg(strcmp(p->sets[1].value, want[i][0]) == 0 && strcmp(p->sets[2].value, want[i][1]) == 0,
                      "point %zu: got a.x=%s b.y=%s, want %s %s", i, p->sets[1].value, p->sets[2].value, want[i][0],
                      want[i][1]);
        ck_assert_msg(p->sets[1].line == 5, "point %zu: a.x value on line %d, want 5", i, p->sets[1].line);
    }
    ck_assert_str_eq(s->points[3].label, "a.x=2, b.y=v");
    ck_assert_str_eq(s->points[3].trace, "points/0003.h5");
    ck_assert_msg(s->nparams == 2, "got %zu swept paths, want 2", s->nparams);
    sweep_free(s);
    unlink(path);
}
END_TEST

START_TEST(zip_advances_together_and_mappings_flatten)
{
    char path[64];
    diag_t err = {{0}};
    sweep_t *s = load_text("base: b.yaml\n"
                           "zip:\n"
                           "  hw: [{p: 1 W, q: 2 s}, {p: 3 W, q: 4 s}]\n"
                           "  n: [10, 20]\n"
                           "grid:\n  m: [x, y, z]\n",
                           path, sizeof path, &err);
    ck_assert_msg(s != NULL, "load failed: %s", err.msg);
    ck_assert_msg(s->npoints == 6, "got %zu points, want 2 x 3 = 6", s->npoints);
    /* zip is written first: it varies slowest. */
    const sweep_point *p = &s->points[4];
    ck_assert_str_eq(p->label, "hw.p=3 W, hw.q=4 s, n=20, m=y");
    ck_assert_msg(s->nparams == 4, "got %zu swept paths, want hw.p hw.q n m", s->nparams);
    ck_assert_str_eq(s->params[0], "hw.p");
    ck_assert_str_eq(p->ptext[1], "4 s");
    sweep_free(s);
    unlink(path);
}
END_TEST

typedef struct bad_case {
    const char *text;
    const char *want; /* the message after "FILE:" */
} bad_case;

static const bad_case bad_cases[] = {
    {"base: b.yaml\ngird:\n  a: [1]\n", "2:1: error: unknown key 'gird' in a sweep file (did you mean 'grid'?)"},
    {"grid:\n  a: [1]\n", "1:1: error: missing required key 'base'"},
    {"base: b.yaml\ngrid:\n  a: []\n", "3:6: error: 'grid.a' must be a non-empty list of values, not an empty list"},
    {"base: b.yaml\ngrid:\n  a: 3\n", "3:6: error: 'grid.a' must be a non-empty list of values, not a scalar"},
    {"base: b.yaml\nzip:\n  a: [1, 2]\n  b: [1]\n", "4:6: error: 'zip.b' has 1 values but 'zip.a' has 2"},
    {"base: b.yaml\ngrid:\n  a: [1]\nzip:\n  a: [2]\n", "5:6: error: 'a' is swept twice"},
    {"base: b.yaml\ngrid:\n  a..b: [1]\n", "3:3: error: 'a..b' is not a scenario key path"},
    {"base: b.yaml\nsweep_version: 2\ngrid:\n  a: [1]\n", "2:16: error: unsupported sweep_version '2'"},
    {"base: b.yaml\n", "1:1: error: a sweep needs 'grid' or 'zip'"},
};

START_TEST(bad_sweep_files_fail_at_their_position)
{
    const bad_case *c = &bad_cases[_i];
    char path[64];
    diag_t err = {{0}};
    sweep_t *s = load_text(c->text, path, sizeof path, &err);
    ck_assert_msg(s == NULL, "case %d loaded but should fail with '%s'", _i, c->want);
    char want[512];
    snprintf(want, sizeof want, "%s:%s", path, c->want);
    ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "case %d:\n got:  %s\n want: %s...", _i, err.msg, want);
    unlink(path);
}
END_TEST

START_TEST(task_lines_round_trip_any_argument)
{
    char a0[] = "/bin/oastwin", a1[] = "run", a2[] = "a b.yaml", a3[] = "--set", a4[] = "name=tab\there",
         a5[] = "x=back\\slash\nnl", a6[] = "", logp[] = "out dir/points/0007.log";
    char *argv[] = {a0, a1, a2, a3, a4, a3, a5, a6, NULL};
    sweep_task t = {7, argv, logp};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    sweep_task_print(&t, f);
    fclose(f);
    ck_assert_msg(strchr(buf, '\n') == buf + len - 1, "a task line must be one line: '%s'", buf);
    sweep_task back;
    ck_assert_msg(sweep_task_parse(buf, &back) == 0, "cannot parse '%s'", buf);
    ck_assert_msg(back.id == 7, "id %zu, want 7", back.id);
    ck_assert_str_eq(back.log, t.log);
    size_t n = 0;
    for (; back.argv[n]; n++)
        ck_assert_msg(n < 8 && strcmp(back.argv[n], argv[n]) == 0, "argument %zu: got '%s', want '%s'", n,
                      back.argv[n], n < 8 ? argv[n] : "(end)");
    ck_assert_msg(n == 8, "got %zu arguments, want 8", n);
    free(back.argv);
    free(buf);
    ck_assert_msg(sweep_task_parse("TASK\tx\tlog\targ\n", &back) != 0, "a bad id must not parse");
    ck_assert_msg(sweep_task_parse("TASK\t3\tlog-only\n", &back) != 0, "a task without a command must not parse");
}
END_TEST

static Suite *sweep_suite(void)
{
    Suite *s = suite_create("sweep");
    TCase *tc = tcase_create("spec");
    tcase_add_test(tc, grid_points_vary_last_axis_fastest);
    tcase_add_test(tc, zip_advances_together_and_mappings_flatten);
    tcase_add_loop_test(tc, bad_sweep_files_fail_at_their_position, 0, (int)COUNT_OF(bad_cases));
    suite_add_tcase(s, tc);
    TCase *tt = tcase_create("tasks");
    tcase_add_test(tt, task_lines_round_trip_any_argument);
    suite_add_tcase(s, tt);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sweep_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
