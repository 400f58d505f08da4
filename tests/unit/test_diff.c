/* diff/: change detection, hunks, apply with three-way protection, lost and
 * damaged bases, symlinks, large and odd files (revert and undo are in
 * test_diff_undo.c, safety in test_diff_safety.c). Each
 * case builds an original directory, copies it with `cp -a` (modes, mtimes
 * and symlinks kept, as exec/'s shadow copy does), lets "the agent" change the
 * shadow, and checks what the user would see and get. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "diff/diff.h"
#include "diff_fixture.h"
#include "exec/exec.h"

/* Writes a file (parents made), dated in the past so a later write always moves its mtime. */

/* A write that happens "now", as the agent's or the user's would. */

/* Snapshot, shadow copy (cp -a), open. */

static const char *TEN = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n";

/* ---- detection ---------------------------------------------------------------- */

static void test_detects_each_kind_of_change(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "mod.txt", "a\nb\nc\n");
    dfx_wr(f->orig, "gone.txt", "bye\n");
    dfx_wr(f->orig, "same.txt", "same\n");
    dfx_wr(f->orig, "touched.txt", "touched\n");
    dfx_wr(f->orig, "run.sh", "echo hi\n");
    dfx_wr(f->orig, "kind.txt", "target\n");
    dfx_wrb(f->orig, "img.bin", "\x89PNG\0\1\2", 7, 0644);
    dfx_wr(f->orig, ".git/config", "[core]\n");
    dfx_start(f);
    dfx_edit(f->shadow, "mod.txt", "a\nB\nc\n");
    char *p = dfx_P(f->shadow, "gone.txt");
    unlink(p);
    free(p);
    dfx_edit(f->shadow, "new.txt", "fresh\n");
    dfx_edit(f->shadow, "touched.txt", "touched\n"); /* same bytes, new mtime: not a change */
    p = dfx_P(f->shadow, "run.sh");
    chmod(p, 0755);
    free(p);
    p = dfx_P(f->shadow, "kind.txt");
    unlink(p);
    assert_int_equal(symlink("mod.txt", p), 0);
    free(p);
    dfx_editb(f->shadow, "img.bin", "\x89PNG\0\1\3", 7);
    dfx_edit(f->shadow, ".git/config", "[core]\nbare = true\n");
    dfx_refresh(f);

    assert_int_equal(lc_diff_count(f->d), 6);
    const lc_diff_file *x = dfx_find(f, "mod.txt", NULL);
    assert_int_equal(x->status, LC_DIFF_MODIFIED);
    assert_int_equal(x->added, 1);
    assert_int_equal(x->removed, 1);
    assert_false(x->whole_only);
    assert_int_equal(dfx_find(f, "gone.txt", NULL)->status, LC_DIFF_DELETED);
    assert_int_equal(dfx_find(f, "new.txt", NULL)->status, LC_DIFF_ADDED);
    x = dfx_find(f, "run.sh", NULL);
    assert_int_equal(x->status, LC_DIFF_MODIFIED);
    assert_int_equal(x->old_mode, 0644);
    assert_int_equal(x->new_mode, 0755);
    assert_int_equal(x->nhunks, 0);
    assert_true(x->whole_only);
    x = dfx_find(f, "kind.txt", NULL);
    assert_int_equal(x->status, LC_DIFF_TYPECHANGE);
    assert_true(x->symlink);
    x = dfx_find(f, "img.bin", NULL);
    assert_true(x->binary);
    assert_int_equal(x->nhunks, 0);
    assert_null(dfx_find(f, "same.txt", NULL));
    assert_null(dfx_find(f, "touched.txt", NULL));
    assert_null(dfx_find(f, ".git/config", NULL));

    lc_buf sum = LC_BUF_INIT;
    lc_diff_summary(f->d, &sum);
    assert_non_null(strstr(sum.data, "M  mod.txt  +1 -1"));
    assert_non_null(strstr(sum.data, "mode 644 -> 755"));
    assert_non_null(strstr(sum.data, "6 files changed"));
    lc_buf_free(&sum);
}

/* With exec/'s real shadow copy, an untouched tree shows no change at all (its
 * mtimes match the snapshot, so nothing is read), and one edit shows as one. */
static void test_real_shadow_copy_shows_no_false_changes(void **state)
{
    fx *f = *state;
    for (int i = 0; i < 50; i++) {
        char rel[32];
        snprintf(rel, sizeof rel, "d%d/f%d.txt", i % 5, i);
        dfx_wr(f->orig, rel, "content\n");
    }
    dfx_wrb(f->orig, "run.sh", "#!/bin/sh\n", 10, 0755);
    char *p = dfx_P(f->orig, "link");
    assert_int_equal(symlink("d0/f0.txt", p), 0);
    free(p);
    lc_err err = {0};
    assert_int_equal(lc_diff_snapshot(f->orig, f->state, &err), LC_OK);
    lc_shadow_report rep = LC_SHADOW_REPORT_INIT;
    assert_int_equal(lc_shadow_copy(f->orig, f->shadow, (uid_t)-1, getgid(), &rep, &err), LC_OK);
    lc_shadow_report_free(&rep);
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, NULL, &f->d, &err), LC_OK);
    /* The user edits an original the agent did not touch: the shadow's copy still has the
     * snapshot's metadata, so it is not even read, and nothing shows (or could be applied). */
    dfx_edit(f->orig, "d1/f1.txt", "the user's edit\n");
    dfx_refresh(f);
    assert_int_equal(lc_diff_count(f->d), 0);
    dfx_edit(f->shadow, "d3/f8.txt", "changed\n");
    dfx_refresh(f);
    assert_int_equal(lc_diff_count(f->d), 1);
    assert_string_equal(lc_diff_file_at(f->d, 0)->path, "d3/f8.txt");
}

/* What approval's verify compares: one "path<TAB>id" line per changed file;
 * an edit that keeps the line counts still changes its file's id. */
static void test_content_ids_see_an_edit_with_the_same_counts(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "a.txt", "one\n");
    dfx_wr(f->orig, "b.txt", "two\n");
    dfx_start(f);
    assert_null(lc_diff_content_ids(f->d));
    assert_null(lc_diff_content_ids(NULL));
    dfx_edit(f->shadow, "a.txt", "ONE\n");
    dfx_edit(f->shadow, "b.txt", "TWO\n");
    dfx_refresh(f);
    char *ids = lc_diff_content_ids(f->d);
    assert_non_null(ids);
    assert_int_equal(strlen(ids), 2 * (strlen("a.txt\t") + 40 + 1));
    assert_non_null(strstr(ids, "a.txt\t"));
    assert_non_null(strstr(ids, "\nb.txt\t"));
    dfx_edit(f->shadow, "a.txt", "OnE\n"); /* +1 -1 as before */
    dfx_refresh(f);
    char *again = lc_diff_content_ids(f->d);
    assert_string_not_equal(ids, again);
    assert_memory_equal(strstr(ids, "\nb.txt"), strstr(again, "\nb.txt"), strlen(strstr(ids, "\nb.txt")));
    free(ids);
    free(again);
}

/* A refresh reuses what it computed for files that did not move; a second
 * edit in place, same size, mtime put back, still shows (ctime moved). */
static void test_refresh_sees_a_second_edit_of_the_same_size(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "a.txt", "aaa\n");
    dfx_start(f);
    dfx_edit(f->shadow, "a.txt", "AAA\n");
    dfx_refresh(f);
    assert_memory_equal(dfx_find(f, "a.txt", NULL)->hunks[0].lines[1].text, "AAA", 3);
    dfx_refresh(f); /* nothing moved: the same answer */
    assert_memory_equal(dfx_find(f, "a.txt", NULL)->hunks[0].lines[1].text, "AAA", 3);
    char *p = dfx_P(f->shadow, "a.txt");
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    usleep(20000);
    int fd = open(p, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "BBB\n", 4), 4);
    close(fd);
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
    free(p);
    dfx_refresh(f);
    assert_memory_equal(dfx_find(f, "a.txt", NULL)->hunks[0].lines[1].text, "BBB", 3);
}

static void test_hunk_model_line_numbers_crlf_and_eof(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "a.txt", TEN);
    dfx_wr(f->orig, "crlf.txt", "one\r\ntwo\r\nthree\r\n");
    dfx_wr(f->orig, "noeol.txt", "x\ny");
    dfx_start(f);
    dfx_edit(f->shadow, "a.txt", "1\n2\nTWO-B\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n20\n");
    dfx_edit(f->shadow, "crlf.txt", "one\r\nTWO\r\nthree\r\n");
    dfx_edit(f->shadow, "noeol.txt", "x\nz");
    dfx_refresh(f);

    const lc_diff_file *a = dfx_find(f, "a.txt", NULL);
    assert_int_equal(a->nhunks, 2);
    const lc_diff_hunk *h = &a->hunks[0];
    assert_string_equal(h->header, "@@ -1,5 +1,6 @@");
    assert_int_equal(h->nlines, 6);
    assert_int_equal(h->lines[2].origin, '+');
    assert_int_equal(h->lines[2].old_lineno, -1);
    assert_int_equal(h->lines[2].new_lineno, 3);
    assert_memory_equal(h->lines[2].text, "TWO-B", 5);
    assert_int_equal(h->lines[2].len, 5);
    h = &a->hunks[1];
    assert_int_equal(h->old_start, 16);
    assert_int_equal(h->new_start, 17);
    assert_int_equal(h->lines[3].origin, '-');
    assert_int_equal(h->lines[3].old_lineno, 19);
    assert_int_equal(h->lines[3].new_lineno, -1);

    const lc_diff_file *c = dfx_find(f, "crlf.txt", NULL);
    assert_int_equal(c->nhunks, 1);
    assert_int_equal(c->hunks[0].lines[1].origin, '-');
    assert_int_equal(c->hunks[0].lines[1].len, 4);
    assert_memory_equal(c->hunks[0].lines[1].text, "two\r", 4);

    const lc_diff_file *n = dfx_find(f, "noeol.txt", NULL);
    const lc_diff_hunk *nh = &n->hunks[0];
    assert_int_equal(nh->nlines, 3);
    assert_int_equal(nh->lines[1].origin, '-');
    assert_true(nh->lines[1].no_newline);
    assert_true(nh->lines[2].no_newline);
    assert_false(nh->lines[0].no_newline);
}

/* ---- apply ------------------------------------------------------------------- */

static void test_apply_all_gives_the_shadow_bytes_and_modes(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "a.txt", TEN);
    dfx_wr(f->orig, "gone.txt", "bye\n");
    dfx_wrb(f->orig, "run.sh", "echo hi\n", 8, 0755);
    dfx_wrb(f->orig, "img.bin", "\0\1\2", 3, 0600);
    dfx_start(f);
    dfx_edit(f->shadow, "a.txt", "1\n2\n3\r\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20");
    dfx_edit(f->shadow, "run.sh", "echo bye\n");
    dfx_editb(f->shadow, "img.bin", "\0\1\3\4", 4);
    dfx_edit(f->shadow, "deep/new/empty.txt", "");
    char *p = dfx_P(f->shadow, "gone.txt");
    unlink(p);
    free(p);
    dfx_refresh(f);
    assert_int_equal(lc_diff_count(f->d), 5);
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    assert_int_equal(rep.n, 5);
    for (size_t i = 0; i < rep.n; i++)
        assert_int_equal(rep.v[i].outcome, LC_DIFF_APPLIED);
    dfx_assert_file(f->orig, "a.txt", "1\n2\n3\r\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20");
    dfx_assert_file(f->orig, "run.sh", "echo bye\n");
    assert_int_equal(dfx_mode_of(f->orig, "run.sh"), 0755);
    assert_int_equal(dfx_mode_of(f->orig, "img.bin"), 0600);
    dfx_assert_file(f->orig, "deep/new/empty.txt", "");
    dfx_assert_file(f->orig, "gone.txt", NULL);
    char *bin = dfx_P(f->orig, "img.bin");
    lc_buf b = LC_BUF_INIT;
    assert_int_equal(lc_file_read(bin, 100, &b, &err), LC_OK);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, "\0\1\3\4", 4);
    lc_buf_free(&b);
    free(bin);
    assert_int_equal(lc_diff_count(f->d), 0); /* everything applied left the review */
    assert_int_equal(lc_diff_undo_depth(f->d), 1);
    lc_diff_report_free(&rep);
}

static void test_partial_apply_keeps_the_rest_with_new_line_numbers(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "a.txt", TEN);
    dfx_start(f);
    dfx_edit(f->shadow, "a.txt", "1\n2\nnew-a\nnew-b\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\nX\n18\n19\n20\n");
    dfx_refresh(f);
    const lc_diff_file *a = dfx_find(f, "a.txt", NULL);
    assert_int_equal(a->nhunks, 2);
    assert_int_equal(a->hunks[1].old_start, 14);
    assert_int_equal(a->hunks[1].new_start, 16);
    dfx_sel(f, "a.txt", 1); /* the second hunk only */
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "a.txt", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\nX\n18\n19\n20\n");
    a = dfx_find(f, "a.txt", NULL);
    assert_non_null(a);
    assert_int_equal(a->nhunks, 1);
    assert_int_equal(a->hunks[0].old_start, 1);
    assert_int_equal(a->added, 2);
    assert_int_equal(a->removed, 0);
    /* Now the first one; the line numbers above were right, so the result is the shadow. */
    dfx_sel(f, "a.txt", 0);
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    char *want = dfx_rd(f->shadow, "a.txt");
    dfx_assert_file(f->orig, "a.txt", want);
    free(want);
    assert_int_equal(lc_diff_count(f->d), 0);
}

static void test_user_edit_elsewhere_is_merged(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "a.txt", TEN);
    dfx_start(f);
    dfx_edit(f->shadow, "a.txt", "1\n2\nAGENT\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n");
    dfx_refresh(f);
    dfx_edit(f->orig, "a.txt", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\nUSER\n19\n20\n");
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    assert_int_equal(dfx_outcome(&rep, "a.txt")->outcome, LC_DIFF_MERGED);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "a.txt",
                "1\n2\nAGENT\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\nUSER\n19\n20\n");
}

static void test_conflict_leaves_the_users_file_untouched(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "a.txt", TEN);
    dfx_wr(f->orig, "b.txt", "b\n");
    dfx_start(f);
    dfx_edit(f->shadow, "a.txt", "1\n2\nAGENT\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n");
    dfx_edit(f->shadow, "b.txt", "B\n");
    dfx_refresh(f);
    const char *mine = "1\n2\nMINE\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n";
    dfx_edit(f->orig, "a.txt", mine);
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_ECONFLICT);
    const lc_diff_result *r = dfx_outcome(&rep, "a.txt");
    assert_int_equal(r->outcome, LC_DIFF_CONFLICT);
    assert_non_null(strstr(r->message, "nothing was written"));
    assert_int_equal(dfx_outcome(&rep, "b.txt")->outcome, LC_DIFF_APPLIED); /* the others still go */
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "a.txt", mine);
    dfx_assert_file(f->orig, "b.txt", "B\n");
    assert_non_null(dfx_find(f, "a.txt", NULL)); /* still in the review */
}

static void test_edit_before_base_was_kept_is_refused(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "a.txt", "one\ntwo\n");
    dfx_start(f);
    dfx_edit(f->orig, "a.txt", "one\ntwo\nuser's line\n"); /* before any refresh saw the agent's edit */
    dfx_edit(f->shadow, "a.txt", "ONE\ntwo\n");
    dfx_refresh(f);
    const lc_diff_file *a = dfx_find(f, "a.txt", NULL);
    assert_non_null(a);
    assert_true(a->base_lost);
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_ECONFLICT);
    assert_int_equal(dfx_outcome(&rep, "a.txt")->outcome, LC_DIFF_CONFLICT);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "a.txt", "one\ntwo\nuser's line\n");
}

/* A saved base damaged on disk (a crash before it was flushed) is never
 * trusted: it is taken again from the original if that is still as the
 * snapshot saw it, otherwise the file counts as lost. */
static void test_damaged_saved_base_is_retaken_or_lost(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "a.txt", "one\ntwo\n");
    dfx_wr(f->orig, "b.txt", "uno\ndos\n"); /* not a.txt's bytes: a's base cannot repair b's */
    dfx_start(f);
    dfx_edit(f->shadow, "a.txt", "ONE\ntwo\n");
    dfx_edit(f->shadow, "b.txt", "UNO\ndos\n");
    dfx_refresh(f);
    assert_false(dfx_find(f, "a.txt", NULL)->base_lost);
    dfx_edit(f->orig, "b.txt", "uno\ndos\nmine\n");
    char *objs = dfx_P(f->state, "diff/objects");
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_proc_run((const char *const[]){"ls", objs, NULL}, NULL, 0, 5000, 4096, &res, &err),
                     LC_OK);
    for (char *name = strtok(res.out.data, "\n"); name; name = strtok(NULL, "\n"))
        dfx_wr(objs, name, "garbage\n");
    lc_proc_result_free(&res);
    free(objs);
    lc_diff_free(f->d); /* as after a crash: a new process opens the state */
    f->d = NULL;
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, NULL, &f->d, &err), LC_OK);
    dfx_refresh(f);
    assert_false(dfx_find(f, "a.txt", NULL)->base_lost);
    assert_int_equal(dfx_find(f, "a.txt", NULL)->removed, 1);
    assert_true(dfx_find(f, "b.txt", NULL)->base_lost);
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_ECONFLICT);
    assert_int_equal(dfx_outcome(&rep, "a.txt")->outcome, LC_DIFF_APPLIED);
    assert_int_equal(dfx_outcome(&rep, "b.txt")->outcome, LC_DIFF_CONFLICT);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "a.txt", "ONE\ntwo\n");
    dfx_assert_file(f->orig, "b.txt", "uno\ndos\nmine\n");
}

static void test_added_file_the_user_also_created_conflicts(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "keep.txt", "k\n");
    dfx_start(f);
    dfx_edit(f->shadow, "new.txt", "agent\n");
    dfx_refresh(f);
    dfx_edit(f->orig, "new.txt", "user\n");
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_ECONFLICT);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "new.txt", "user\n");
}

/* ---- odd files ---------------------------------------------------------------------- */

static void test_large_non_utf8_and_empty_files(void **state)
{
    fx *f = *state;
    lc_buf big = LC_BUF_INIT;
    for (int i = 0; i < 2000; i++)
        lc_buf_printf(&big, "line %d\n", i);
    dfx_wrb(f->orig, "big.txt", big.data, big.len, 0644);
    dfx_wr(f->orig, "caf\xe9\n.txt", "latin1\n");
    dfx_wr(f->orig, "empty.txt", "");
    lc_err err = {0};
    assert_int_equal(lc_diff_snapshot(f->orig, f->state, &err), LC_OK);
    dfx_run((const char *const[]){"cp", "-a", f->orig, f->shadow, NULL});
    lc_diff_opts o = LC_DIFF_OPTS_INIT;
    o.max_diff_bytes = 1000;
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, &o, &f->d, &err), LC_OK);
    lc_buf_puts(&big, "one more\n");
    char *bp = dfx_P(f->shadow, "big.txt");
    assert_int_equal(lc_file_write_atomic(bp, big.data, big.len, 0644, &err), LC_OK);
    free(bp);
    dfx_edit(f->shadow, "caf\xe9\n.txt", "latin1!\n");
    dfx_edit(f->shadow, "empty.txt", "now\n");
    dfx_refresh(f);
    const lc_diff_file *b = dfx_find(f, "big.txt", NULL);
    assert_true(b->large);
    assert_true(b->whole_only);
    assert_int_equal(b->nhunks, 0);
    assert_int_equal(b->new_size, big.len);
    assert_int_equal(dfx_find(f, "caf\xe9\n.txt", NULL)->nhunks, 1);
    assert_int_equal(dfx_find(f, "empty.txt", NULL)->added, 1);
    lc_buf patch = LC_BUF_INIT;
    lc_diff_export_patch(f->d, false, &patch);
    assert_non_null(strstr(patch.data, "diff --git \"a/caf\\351\\n.txt\" \"b/caf\\351\\n.txt\""));
    /* A large file goes out as git's binary patch with its full index line (git applies it). */
    assert_non_null(strstr(patch.data, "diff --git a/big.txt b/big.txt\nindex "));
    assert_non_null(strstr(patch.data, "GIT binary patch\n"));
    assert_null(strstr(patch.data, "Binary files"));
    lc_buf_free(&patch);
    lc_buf sum = LC_BUF_INIT;
    lc_diff_summary(f->d, &sum);
    assert_non_null(strstr(sum.data, "M  caf"));
    assert_null(strstr(sum.data, "caf\xe9")); /* sanitized: no raw byte, no raw newline */
    assert_null(strstr(sum.data, ".txt\n.txt"));
    lc_buf_free(&sum);
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    char *got = dfx_rd(f->orig, "big.txt");
    assert_string_equal(got, big.data);
    free(got);
    dfx_assert_file(f->orig, "caf\xe9\n.txt", "latin1!\n");
    dfx_assert_file(f->orig, "empty.txt", "now\n");
    lc_buf_free(&big);
}

static void test_symlinks_inside_the_directory_are_applied(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "a.txt", "a\n");
    dfx_wr(f->orig, "b.txt", "b\n");
    dfx_wr(f->orig, "conf.txt", "plain\n");
    char *p = dfx_P(f->orig, "link");
    assert_int_equal(symlink("a.txt", p), 0);
    free(p);
    dfx_start(f);
    p = dfx_P(f->shadow, "link");
    unlink(p);
    assert_int_equal(symlink("b.txt", p), 0); /* retargeted */
    free(p);
    p = dfx_P(f->shadow, "conf.txt");
    unlink(p);
    assert_int_equal(symlink("./b.txt", p), 0); /* file -> link, stays inside */
    free(p);
    dfx_refresh(f);
    const lc_diff_file *l = dfx_find(f, "link", NULL);
    assert_int_equal(l->status, LC_DIFF_MODIFIED);
    assert_true(l->symlink);
    assert_true(l->whole_only);
    assert_int_equal(l->nhunks, 1);
    assert_memory_equal(l->hunks[0].lines[1].text, "b.txt", 5);
    assert_true(l->hunks[0].lines[1].no_newline);
    assert_int_equal(dfx_find(f, "conf.txt", NULL)->status, LC_DIFF_TYPECHANGE);
    lc_err err = {0};
    assert_int_equal(lc_diff_select(f->d, 99, 0, true, &err), LC_EINVAL);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_EINVAL); /* nothing selected */
    lc_diff_select_all(f->d, true);
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    char target[64] = "";
    p = dfx_P(f->orig, "link");
    assert_int_equal(readlink(p, target, sizeof target - 1), 5);
    assert_string_equal(target, "b.txt");
    free(p);
    p = dfx_P(f->orig, "conf.txt");
    memset(target, 0, sizeof target);
    assert_true(readlink(p, target, sizeof target - 1) > 0);
    assert_string_equal(target, "./b.txt");
    free(p);
    assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "conf.txt", "plain\n");
    assert_int_equal(dfx_mode_of(f->orig, "conf.txt"), 0644);
    p = dfx_P(f->orig, "link");
    memset(target, 0, sizeof target);
    assert_int_equal(readlink(p, target, sizeof target - 1), 5);
    assert_string_equal(target, "a.txt");
    free(p);
}

/* The agent replaced file x by a directory x/: the deletion goes first, the new file on the next apply. */
static void test_file_replaced_by_a_directory(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "x", "was a file\n");
    dfx_start(f);
    char *p = dfx_P(f->shadow, "x");
    unlink(p);
    free(p);
    dfx_edit(f->shadow, "x/a.txt", "now a dir\n");
    dfx_refresh(f);
    assert_int_equal(dfx_find(f, "x", NULL)->status, LC_DIFF_DELETED);
    assert_int_equal(dfx_find(f, "x/a.txt", NULL)->status, LC_DIFF_ADDED);
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_ESECURITY);
    assert_int_equal(dfx_outcome(&rep, "x")->outcome, LC_DIFF_APPLIED);
    assert_non_null(strstr(dfx_outcome(&rep, "x/a.txt")->message, "apply that deletion first"));
    lc_diff_report_free(&rep);
    assert_int_equal(lc_diff_count(f->d), 1);
    lc_diff_select_all(f->d, true);
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "x/a.txt", "now a dir\n");
    assert_int_equal(lc_diff_count(f->d), 0);
}

/* Large files are not kept in memory: apply reads the shadow again and refuses
 * if the agent changed it since the review; revert takes the saved base. */
static void test_large_file_is_read_again_when_applied(void **state)
{
    fx *f = *state;
    lc_buf big = LC_BUF_INIT;
    for (int i = 0; i < 500; i++)
        lc_buf_printf(&big, "row %d\n", i);
    dfx_wrb(f->orig, "big.csv", big.data, big.len, 0644);
    dfx_wrb(f->orig, "big2.csv", big.data, big.len, 0644);
    lc_err err = {0};
    assert_int_equal(lc_diff_snapshot(f->orig, f->state, &err), LC_OK);
    dfx_run((const char *const[]){"cp", "-a", f->orig, f->shadow, NULL});
    lc_diff_opts o = LC_DIFF_OPTS_INIT;
    o.max_diff_bytes = 100;
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, &o, &f->d, &err), LC_OK);
    lc_buf_puts(&big, "agent row\n");
    dfx_editb(f->shadow, "big.csv", big.data, big.len);
    dfx_editb(f->shadow, "big2.csv", big.data, big.len);
    dfx_refresh(f);
    assert_true(dfx_find(f, "big.csv", NULL)->large);
    dfx_editb(f->shadow, "big2.csv", "changed again\n", 14); /* after the review was made */
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_ECONFLICT);
    assert_int_equal(dfx_outcome(&rep, "big.csv")->outcome, LC_DIFF_APPLIED);
    assert_int_equal(dfx_outcome(&rep, "big2.csv")->outcome, LC_DIFF_CONFLICT);
    assert_non_null(strstr(dfx_outcome(&rep, "big2.csv")->message, "changed this file again"));
    lc_diff_report_free(&rep);
    char *got = dfx_rd(f->orig, "big.csv");
    assert_string_equal(got, big.data);
    free(got);
    big.len -= strlen("agent row\n");
    big.data[big.len] = '\0';
    got = dfx_rd(f->orig, "big2.csv");
    assert_string_equal(got, big.data); /* untouched */
    free(got);
    /* revert the (new) change of big2.csv in the shadow: back to the saved base */
    assert_int_equal(lc_diff_count(f->d), 1);
    lc_diff_select_all(f->d, true);
    assert_int_equal(lc_diff_revert(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    got = dfx_rd(f->shadow, "big2.csv");
    assert_string_equal(got, big.data);
    free(got);
    assert_int_equal(lc_diff_count(f->d), 0);
    lc_buf_free(&big);
}

static void test_state_of_a_non_git_directory_needs_no_repository(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "x.py", "print(1)\n");
    dfx_start(f);
    char *g = dfx_P(f->orig, ".git");
    assert_int_equal(access(g, F_OK), -1);
    free(g);
    dfx_edit(f->shadow, "x.py", "print(2)\n");
    dfx_edit(f->shadow, ".git/HEAD", "ref: refs/heads/evil\n"); /* never offered */
    dfx_refresh(f);
    assert_int_equal(lc_diff_count(f->d), 1);
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "x.py", "print(2)\n");
    g = dfx_P(f->orig, ".git");
    assert_int_equal(access(g, F_OK), -1);
    free(g);
}

/* Item ids: a hunk keeps its id when only its position moves, loses it when
 * its lines change; a whole-file item's id follows either side's content. */
static void test_item_ids_follow_content(void **state)
{
    fx *f = *state;
    const char *twenty = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n";
    dfx_wr(f->orig, "a.txt", twenty);
    dfx_wr(f->orig, "b.bin", "b\n");
    dfx_start(f);
    dfx_edit(f->shadow, "a.txt", "1\nTWO\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\nEIGHTEEN\n19\n20\n");
    dfx_edit(f->shadow, "new.txt", "n\n");
    dfx_refresh(f);
    size_t ia, in;
    dfx_find(f, "a.txt", &ia);
    dfx_find(f, "new.txt", &in);
    char h0[41], h1[41], w[41], again[41];
    lc_diff_item_id(f->d, ia, 0, h0);
    lc_diff_item_id(f->d, ia, 1, h1);
    lc_diff_item_id(f->d, in, LC_DIFF_WHOLE, w);
    assert_int_equal(strlen(h0), 40);
    assert_string_not_equal(h0, h1);
    dfx_refresh(f); /* nothing moved: same ids */
    lc_diff_item_id(f->d, ia, 1, again);
    assert_string_equal(again, h1);
    /* the first hunk grows by a line: the second moves down but keeps its id */
    dfx_edit(f->shadow, "a.txt", "1\nTWO\nTWO AND A HALF\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\nEIGHTEEN\n19\n20\n");
    dfx_edit(f->shadow, "new.txt", "N\n");
    dfx_refresh(f);
    dfx_find(f, "a.txt", &ia);
    dfx_find(f, "new.txt", &in);
    assert_int_equal(lc_diff_file_at(f->d, ia)->hunks[1].new_start, 16);
    lc_diff_item_id(f->d, ia, 1, again);
    assert_string_equal(again, h1);
    lc_diff_item_id(f->d, ia, 0, again);
    assert_string_not_equal(again, h0);
    lc_diff_item_id(f->d, in, LC_DIFF_WHOLE, again);
    assert_string_not_equal(again, w);
    lc_diff_item_id(f->d, 99, 0, again);
    assert_string_equal(again, "");
}

int main(void)
{
    lc_err err = {0};
    if (lc_diff_global_init(&err) != LC_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_detects_each_kind_of_change, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_real_shadow_copy_shows_no_false_changes, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_content_ids_see_an_edit_with_the_same_counts, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_refresh_sees_a_second_edit_of_the_same_size, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_hunk_model_line_numbers_crlf_and_eof, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_apply_all_gives_the_shadow_bytes_and_modes, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_partial_apply_keeps_the_rest_with_new_line_numbers, dfx_setup,
                                        dfx_teardown),
        cmocka_unit_test_setup_teardown(test_user_edit_elsewhere_is_merged, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_conflict_leaves_the_users_file_untouched, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_edit_before_base_was_kept_is_refused, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_damaged_saved_base_is_retaken_or_lost, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_added_file_the_user_also_created_conflicts, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_large_non_utf8_and_empty_files, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_symlinks_inside_the_directory_are_applied, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_file_replaced_by_a_directory, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_large_file_is_read_again_when_applied, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_state_of_a_non_git_directory_needs_no_repository, dfx_setup,
                                        dfx_teardown),
        cmocka_unit_test_setup_teardown(test_item_ids_follow_content, dfx_setup, dfx_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lc_diff_global_shutdown();
    return rc;
}
