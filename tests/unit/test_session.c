/* session.c's one apply: every selected hunk gets the record of what
 * happened to it (a conflict is never logged as applied), undo is recorded
 * too. (A log that cannot record refuses the apply: tests/ui/test_ui_diff.c.)
 * A start on a directory finishes the apply a crash cut short in a dead
 * session of it, and leaves a live one alone. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

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

/* Whether a note contains text. */
static bool noted(const lc_strv *notes, const char *text)
{
    for (size_t i = 0; i < notes->n; i++)
        if (strstr(notes->v[i], text))
            return true;
    return false;
}

static bool temp_left(const char *dir)
{
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_proc_run((const char *const[]){"ls", "-A", dir, NULL}, NULL, 0, 5000, 4096, &res, &err),
                     LC_OK);
    bool found = strstr(lc_buf_cstr(&res.out), ".lc-apply-") != NULL;
    lc_proc_result_free(&res);
    return found;
}

/* Session "state" (under f->root, the sessions directory) was killed in an
 * apply (dfx_crash_in_apply), its log without records and ending in a cut
 * line. */
static void crash_in_apply(fx *f, char *logpath, size_t cap)
{
    dfx_crash_in_apply(f);
    lc_err err = {0};
    lc_diff_free(f->d); /* the process is gone */
    f->d = NULL;
    dfx_assert_file(f->orig, "a.txt", "A\n");
    dfx_assert_file(f->orig, "c.txt", "c\n");
    assert_true(temp_left(f->orig));
    assert_true(lc_diff_pending(f->state));
    char real[PATH_MAX];
    assert_non_null(realpath(f->orig, real));
    snprintf(logpath, cap, "%s/session.jsonl", f->state);
    lc_buf lb = LC_BUF_INIT;
    lc_buf_printf(&lb, "{\"v\":1,\"ts\":\"2026-12-04T14:00:00Z\",\"kind\":\"header\",\"step\":0,\"dir\":\"%s\"}\n"
                       "{\"v\":1,\"ts\":\"2026-12-04T14:00:01Z\",\"kind\":\"mod",
                  real);
    assert_int_equal(lc_file_write_atomic(logpath, lb.data, lb.len, 0600, &err), LC_OK);
    lc_buf_free(&lb);
}

static void test_a_start_finishes_a_dead_sessions_cut_apply(void **state)
{
    fx *f = *state;
    char logpath[PATH_MAX + 32], real[PATH_MAX];
    crash_in_apply(f, logpath, sizeof logpath);
    assert_non_null(realpath(f->orig, real));

    /* While its process lives (it holds its log's lock) the session is left alone. */
    int held = open(logpath, O_RDONLY | O_CLOEXEC);
    assert_true(held >= 0);
    assert_int_equal(flock(held, LOCK_EX | LOCK_NB), 0);
    lc_strv notes = LC_STRV_INIT;
    lc_session_finish_cut_applies(f->root, real, "another", &notes);
    assert_true(noted(&notes, "session state of this directory is in the middle of an apply in another "
                              "litecode-tui that is running now; left to it"));
    assert_true(lc_diff_pending(f->state));
    assert_true(temp_left(f->orig));
    assert_int_equal(count_kind(logpath, "hunk_applied", NULL, NULL), 0);
    lc_strv_free(&notes);
    /* A session of another directory is none of this start's business. */
    lc_session_finish_cut_applies(f->root, f->shadow, "another", &notes);
    assert_int_equal(notes.n, 0);
    close(held);

    /* Its process gone: finished, cleaned, recorded in its own (repaired) log, told. */
    lc_session_finish_cut_applies(f->root, real, "another", &notes);
    for (size_t i = 0; i < notes.n; i++)
        fprintf(stderr, "note: %s\n", notes.v[i]);
    assert_true(noted(&notes, "session state was killed while applying changes to this directory; its apply is "
                              "finished now: 2 files had been written: a.txt, b.txt (kept, and recorded in that "
                              "session's log); 2 not written (still to review in that session); to review the "
                              "rest, or undo what was written: litecode-tui --resume "));
    assert_true(noted(&notes, "1 leftover temporary file (.lc-apply-*) removed from the project"));
    assert_true(noted(&notes, "ended in a line cut while it was written"));
    lc_strv_free(&notes);
    assert_false(temp_left(f->orig));
    assert_false(lc_diff_pending(f->state));
    dfx_assert_file(f->orig, "a.txt", "A\n");
    dfx_assert_file(f->orig, "b.txt", "B\n");
    dfx_assert_file(f->orig, "c.txt", "c\n");
    assert_int_equal(count_kind(logpath, "log_repaired", NULL, NULL), 1);
    assert_int_equal(count_kind(logpath, "hunk_applied", "a.txt", "written before an interrupted apply"), 1);
    assert_int_equal(count_kind(logpath, "hunk_applied", "b.txt", "written before an interrupted apply"), 1);
    assert_int_equal(count_kind(logpath, "hunk_applied", NULL, NULL), 2);

    /* Told once: a later start finds nothing. */
    lc_session_finish_cut_applies(f->root, real, "another", &notes);
    assert_int_equal(notes.n, 0);

    /* In that session, what was written is undoable, and c and d are still to apply. */
    lc_err err = {0};
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, NULL, &f->d, &err), LC_OK);
    assert_int_equal(lc_diff_recovered(f->d, NULL)->n, 0);
    dfx_refresh(f);
    assert_int_equal(lc_diff_count(f->d), 2);
    assert_int_equal(lc_diff_undo_depth(f->d), 1);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_OK);
    assert_int_equal(rep.n, 2);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "a.txt", "a\n");
}

typedef struct racer {
    const char *root, *dir;
    lc_strv notes;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    lc_session_finish_cut_applies(r->root, r->dir, "another", &r->notes);
    return NULL;
}

/* Two starts at once on the directory: one finishes the dead session's apply,
 * the other waits for it and finds nothing left; the records are written once. */
static void test_two_starts_finish_it_once(void **state)
{
    fx *f = *state;
    char logpath[PATH_MAX + 32], real[PATH_MAX];
    crash_in_apply(f, logpath, sizeof logpath);
    assert_non_null(realpath(f->orig, real));
    racer r[2] = {{f->root, real, LC_STRV_INIT}, {f->root, real, LC_STRV_INIT}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    const char *told = "its apply is finished now: 2 files had been written: a.txt, b.txt";
    assert_true(noted(&r[0].notes, told) != noted(&r[1].notes, told));
    assert_false(noted(&r[0].notes, "left to it") || noted(&r[1].notes, "left to it"));
    assert_int_equal(count_kind(logpath, "hunk_applied", NULL, NULL), 2);
    assert_int_equal(count_kind(logpath, "log_repaired", NULL, NULL), 1);
    assert_false(temp_left(f->orig));
    lc_strv_free(&r[0].notes);
    lc_strv_free(&r[1].notes);
}

int main(void)
{
    lc_err err = {0};
    if (lc_diff_global_init(&err) != LC_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_apply_records_each_outcome, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_a_start_finishes_a_dead_sessions_cut_apply, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_two_starts_finish_it_once, dfx_setup, dfx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
