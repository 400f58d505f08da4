/* session.c's one apply: every selected hunk gets the record of what
 * happened to it (a conflict is never logged as applied), undo is recorded
 * too. (A log that cannot record refuses the apply: tests/ui/test_ui_diff.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diff_fixture.h"
#include "session.h"

static const char TEN[] = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n";

/* The events of the log at path of the given kind, in order. */
static int count_kind(const char *path, const char *kind, const char *file, const char *detail)
{
    cJSON *evs = NULL;
    lc_err err = {0};
    assert_int_equal(lc_log_read(path, &evs, &err), LC_OK);
    int n = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, evs)
    {
        const char *k = lc_json_str(ev, "kind");
        if (k && !strcmp(k, kind) && (!file || !strcmp(lc_json_str(ev, "path"), file)) &&
            (!detail || (lc_json_str(ev, "detail") && !strcmp(lc_json_str(ev, "detail"), detail))))
            n++;
    }
    cJSON_Delete(evs);
    return n;
}

static void open_session(fx *f, lc_session *s, char **logpath)
{
    lc_err err = {0};
    *logpath = dfx_P(f->root, "session.jsonl");
    memset(s, 0, sizeof *s);
    s->diff = f->d;
    assert_int_equal(lc_log_open(*logpath, &s->log, &err), LC_OK);
}

static void test_apply_records_each_outcome(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "a.txt", TEN);
    dfx_wr(f->orig, "b.txt", "b\n");
    dfx_wr(f->orig, "c.txt", TEN);
    dfx_start(f);
    dfx_edit(f->shadow, "c.txt", "ONE\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\nTWENTY\n");
    dfx_edit(f->shadow, "a.txt", "1\n2\nAGENT\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n");
    dfx_edit(f->shadow, "b.txt", "B\n");
    dfx_refresh(f);
    dfx_edit(f->orig, "a.txt", "1\n2\nMINE\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n");
    lc_diff_select_all(f->d, true);
    lc_session s;
    char *logpath;
    open_session(f, &s, &logpath);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    size_t n = 0, ok = 0;
    assert_int_equal(lc_session_apply(&s, &rep, &n, &ok, &err), LC_ECONFLICT);
    assert_int_equal(n, 4); /* hunks: a 1, b 1, c 2 */
    assert_int_equal(ok, 3);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "b.txt", "B\n");
    /* b.txt is in the project: applied. a.txt is not: recorded as such. */
    assert_int_equal(count_kind(logpath, "hunk_applied", "b.txt", "applied"), 1);
    assert_int_equal(count_kind(logpath, "hunk_applied", "a.txt", NULL), 0);
    assert_int_equal(count_kind(logpath, "hunk_not_applied", "a.txt", "conflict"), 1);
    /* A file chosen whole is one record for the file. */
    assert_int_equal(count_kind(logpath, "hunk_applied", "c.txt", "applied"), 1);

    /* Undo is recorded per restored file. */
    assert_int_equal(lc_session_undo(&s, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "b.txt", "b\n");
    assert_int_equal(count_kind(logpath, "hunk_undone", "b.txt", "undo"), 1);
    assert_int_equal(count_kind(logpath, "hunk_undone", "c.txt", "undo"), 1);

    /* Nothing selected: nothing tried, nothing recorded. */
    lc_diff_select_all(f->d, false);
    assert_int_equal(lc_session_apply(&s, &rep, &n, &ok, &err), LC_OK);
    assert_int_equal(n, 0);
    assert_int_equal(rep.n, 0);
    lc_log_close(s.log);
    free(logpath);
}

int main(void)
{
    lc_err err = {0};
    if (lc_diff_global_init(&err) != LC_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_apply_records_each_outcome, dfx_setup, dfx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
