/* The finer review of issue 12 through diff/'s API: split, single lines,
 * edited hunks, redo, "all like this" and bulk picks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "diff_fixture.h"

static const char DEMO_OLD[] = "def area(w, h):\n    return w + h\n\n\n\n\n\ndef name(u):\n    return u.nmae\n";
static const char DEMO_NEW[] = "def area(w, h):\n    return w * h\n\n\n\n\n\ndef name(u):\n    return u.name\n";

/* The demo's two fixes, seven lines apart, arrive as one hunk; split, take one. */
static void test_split_takes_one_of_two_fixes(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "demo.py", DEMO_OLD);
    dfx_start(f);
    dfx_edit(f->shadow, "demo.py", DEMO_NEW);
    dfx_refresh(f);
    size_t fi;
    const lc_diff_file *df = dfx_find(f, "demo.py", &fi);
    assert_int_equal(df->nhunks, 1);
    size_t pieces = 0;
    lc_err err = {0};
    assert_int_equal(lc_diff_split(f->d, fi, 0, &pieces, &err), LC_OK);
    assert_int_equal(pieces, 2);
    df = lc_diff_file_at(f->d, fi);
    assert_int_equal(df->nhunks, 2);
    assert_string_equal(df->hunks[0].header, "@@ -1,5 +1,5 @@");
    assert_string_equal(df->hunks[1].header, "@@ -6,4 +6,4 @@");
    /* splitting a hunk with one run does nothing */
    assert_int_equal(lc_diff_split(f->d, fi, 1, &pieces, &err), LC_OK);
    assert_int_equal(pieces, 1);
    assert_int_equal(lc_diff_select(f->d, fi, 1, true, &err), LC_OK);
    assert_false(lc_diff_selected(f->d, fi, LC_DIFF_WHOLE));
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "demo.py",
                    "def area(w, h):\n    return w + h\n\n\n\n\n\ndef name(u):\n    return u.name\n");
    df = dfx_find(f, "demo.py", &fi);
    assert_int_equal(df->nhunks, 1);
    assert_int_equal(df->added, 1);
    assert_int_equal(lc_diff_select(f->d, fi, 0, true, &err), LC_OK);
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "demo.py", DEMO_NEW);
}

/* One line out of a hunk: the added line alone, then the removal alone. */
static void test_single_lines_are_applied(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "a.txt", "one\ntwo\nthree\n");
    dfx_start(f);
    dfx_edit(f->shadow, "a.txt", "one\nTWO\nextra\nthree\n");
    dfx_refresh(f);
    size_t fi;
    const lc_diff_file *df = dfx_find(f, "a.txt", &fi);
    assert_int_equal(df->nhunks, 1);
    const lc_diff_hunk *h = &df->hunks[0];
    size_t plus_extra = 0, ctx = 0;
    for (size_t i = 0; i < h->nlines; i++) {
        if (h->lines[i].origin == '+' && h->lines[i].len == 5 && !memcmp(h->lines[i].text, "extra", 5))
            plus_extra = i;
        if (h->lines[i].origin == ' ')
            ctx = i;
    }
    lc_err err = {0};
    assert_int_equal(lc_diff_select_line(f->d, fi, 0, ctx, true, &err), LC_EINVAL); /* context */
    assert_int_equal(lc_diff_select_line(f->d, fi, 0, plus_extra, true, &err), LC_OK);
    size_t changed = 0;
    assert_int_equal(lc_diff_hunk_selection(f->d, fi, 0, &changed), 1);
    assert_int_equal(changed, 3);
    assert_int_equal(lc_diff_file_selection(f->d, fi, &changed), 1);
    assert_int_equal(changed, 3);
    assert_false(lc_diff_selected(f->d, fi, 0));
    lc_buf patch = LC_BUF_INIT;
    lc_diff_export_patch(f->d, true, &patch);
    assert_non_null(strstr(patch.data, "@@ -1,3 +1,4 @@\n one\n two\n+extra\n three\n"));
    lc_buf_free(&patch);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "a.txt", "one\ntwo\nextra\nthree\n");
    /* what is left: two -> TWO */
    df = dfx_find(f, "a.txt", &fi);
    assert_int_equal(df->added, 1);
    assert_int_equal(df->removed, 1);
    for (size_t i = 0; i < df->hunks[0].nlines; i++)
        if (df->hunks[0].lines[i].origin == '-')
            assert_int_equal(lc_diff_select_line(f->d, fi, 0, i, true, &err), LC_OK);
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "a.txt", "one\nextra\nthree\n");
}

static size_t hunk_with(const lc_diff_file *df, const char *text)
{
    for (size_t h = 0; h < df->nhunks; h++)
        for (size_t i = 0; i < df->hunks[h].nlines; i++)
            if (df->hunks[h].lines[i].origin != ' ' && df->hunks[h].lines[i].len == strlen(text) &&
                !memcmp(df->hunks[h].lines[i].text, text, strlen(text)))
                return h;
    fail_msg("no hunk changes %s", text);
    return 0;
}

/* A codemod: the same change in many files, at different lines, plus others. */
static void test_all_like_this_selects_the_same_change_everywhere(void **state)
{
    fx *f = *state;
    lc_buf a = LC_BUF_INIT, b = LC_BUF_INIT;
    for (int k = 0; k < 6; k++) {
        lc_buf_reset(&a);
        lc_buf_reset(&b);
        for (int i = 0; i < 30 + k * 3; i++) {
            lc_buf_printf(&a, "line %d of %d\n", i, k);
            lc_buf_printf(&b, "line %d of %d\n", i, k);
            if (i == 5 + k) {
                lc_buf_puts(&a, "import old_api\n");
                lc_buf_puts(&b, "import new_api\n");
            }
            if (i == 25) {
                lc_buf_puts(&a, "x = 1\n");
                lc_buf_printf(&b, "x = %d\n", k);
            }
        }
        char rel[32];
        snprintf(rel, sizeof rel, "%s/m%d.py", k % 2 ? "src" : "lib", k);
        dfx_wrb(f->orig, rel, a.data, a.len, 0644);
    }
    dfx_start(f);
    for (int k = 0; k < 6; k++) {
        lc_buf_reset(&a);
        for (int i = 0; i < 30 + k * 3; i++) {
            lc_buf_printf(&a, "line %d of %d\n", i, k);
            if (i == 5 + k)
                lc_buf_puts(&a, "import new_api\n");
            if (i == 25)
                lc_buf_printf(&a, "x = %d\n", k);
        }
        char rel[32];
        snprintf(rel, sizeof rel, "%s/m%d.py", k % 2 ? "src" : "lib", k);
        dfx_editb(f->shadow, rel, a.data, a.len);
    }
    dfx_refresh(f);
    size_t fi;
    const lc_diff_file *df = dfx_find(f, "lib/m0.py", &fi);
    assert_int_equal(df->nhunks, 2);
    size_t h = hunk_with(df, "import new_api");
    assert_int_equal(lc_diff_select_like(f->d, fi, h, true), 6);
    for (size_t i = 0; i < lc_diff_count(f->d); i++) {
        const lc_diff_file *g = lc_diff_file_at(f->d, i);
        if (g->nhunks < 2)
            continue;
        char other[16];
        snprintf(other, sizeof other, "x = %c", g->path[5]); /* "lib/mK.py": x = K */
        assert_true(lc_diff_selected(f->d, i, hunk_with(g, "import new_api")));
        assert_false(lc_diff_selected(f->d, i, hunk_with(g, other)));
    }
    /* "x = 1" -> "x = 0" exists once only */
    h = hunk_with(df, "x = 0");
    assert_int_equal(lc_diff_select_like(f->d, fi, h, true), 1);
    assert_int_equal(lc_diff_select_like(f->d, fi, hunk_with(df, "import new_api"), false), 6);
    assert_true(lc_diff_selected(f->d, fi, h));
    assert_false(lc_diff_selected(f->d, fi, hunk_with(df, "import new_api")));
    lc_buf_free(&a);
    lc_buf_free(&b);
}

static void test_bulk_picks_by_pattern_and_status(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "src/a.c", "a\n");
    dfx_wr(f->orig, "src/sub/b.c", "b\n");
    dfx_wr(f->orig, "docs/c.md", "c\n");
    dfx_wr(f->orig, "gone.c", "g\n");
    dfx_start(f);
    dfx_edit(f->shadow, "src/a.c", "A\n");
    dfx_edit(f->shadow, "src/sub/b.c", "B\n");
    dfx_edit(f->shadow, "docs/c.md", "C\n");
    dfx_edit(f->shadow, "new.c", "n\n");
    char *g = dfx_P(f->shadow, "gone.c");
    unlink(g);
    free(g);
    dfx_refresh(f);
    assert_int_equal(lc_diff_count(f->d), 5);
    lc_diff_filter c = {"*.c", NULL};
    assert_int_equal(lc_diff_select_bulk(f->d, &c, LC_DIFF_BULK_ALL), 4);
    size_t i;
    dfx_find(f, "docs/c.md", &i);
    assert_false(lc_diff_selected(f->d, i, LC_DIFF_WHOLE));
    dfx_find(f, "src/sub/b.c", &i);
    assert_true(lc_diff_selected(f->d, i, LC_DIFF_WHOLE));
    lc_diff_filter src = {"src/*", "M"};
    assert_int_equal(lc_diff_select_bulk(f->d, &src, LC_DIFF_BULK_NONE), 2);
    assert_false(lc_diff_selected(f->d, i, LC_DIFF_WHOLE));
    dfx_find(f, "new.c", &i);
    assert_true(lc_diff_selected(f->d, i, LC_DIFF_WHOLE));
    size_t items = 0;
    assert_int_equal(lc_diff_file_selection(f->d, i, &items), 1);
    assert_int_equal(items, 1);
    lc_diff_filter added = {"", "AD"};
    assert_int_equal(lc_diff_select_bulk(f->d, &added, LC_DIFF_BULK_INVERT), 2);
    assert_false(lc_diff_selected(f->d, i, LC_DIFF_WHOLE));
    assert_int_equal(lc_diff_select_bulk(f->d, NULL, LC_DIFF_BULK_INVERT), 5);
    assert_true(lc_diff_selected(f->d, i, LC_DIFF_WHOLE));
    dfx_find(f, "docs/c.md", &i);
    assert_true(lc_diff_selected(f->d, i, LC_DIFF_WHOLE));
    lc_diff_filter none = {"*.rs", NULL};
    assert_int_equal(lc_diff_select_bulk(f->d, &none, LC_DIFF_BULK_ALL), 0);
    /* apply a whole filtered set */
    lc_diff_select_all(f->d, false);
    assert_int_equal(lc_diff_select_bulk(f->d, &c, LC_DIFF_BULK_ALL), 4);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    assert_int_equal(rep.n, 4);
    lc_diff_report_free(&rep);
    assert_int_equal(lc_diff_count(f->d), 1);
    assert_string_equal(lc_diff_file_at(f->d, 0)->path, "docs/c.md");
}

static void test_edited_hunk_lands_edited_in_both_trees(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "e.py", "a = 1\nb = 2\nc = 3\n\n\n\n\n\n\n\nz = 0\n");
    dfx_start(f);
    dfx_edit(f->shadow, "e.py", "a = 1\nb = 20\nc = 3\n\n\n\n\n\n\n\nz = 9\n");
    dfx_refresh(f);
    size_t fi;
    assert_int_equal(dfx_find(f, "e.py", &fi)->nhunks, 2);
    lc_buf text = LC_BUF_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_hunk_text(f->d, fi, 0, &text, &err), LC_OK);
    assert_non_null(strstr(text.data, "\n@@ -1,5 +1,5 @@\n a = 1\n-b = 2\n+b = 20\n c = 3\n \n \n"));
    /* the user's version: b = 21 and one more line (the editor stripped the blank context lines) */
    const char *edit = "# comment\n@@ -1,5 +1,5 @@\n a = 1\n-b = 2\n+b = 21\n+b2 = 22\n c = 3\n\n\n";
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_buf note = LC_BUF_INIT;
    assert_int_equal(lc_diff_apply_edited(f->d, fi, 0, edit, strlen(edit), &rep, &note, &err), LC_OK);
    assert_int_equal(rep.n, 1);
    assert_int_equal(rep.v[0].outcome, LC_DIFF_APPLIED);
    assert_non_null(strstr(rep.v[0].message, "with your edits"));
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "e.py", "a = 1\nb = 21\nb2 = 22\nc = 3\n\n\n\n\n\n\n\nz = 0\n");
    dfx_assert_file(f->shadow, "e.py", "a = 1\nb = 21\nb2 = 22\nc = 3\n\n\n\n\n\n\n\nz = 9\n");
    assert_non_null(strstr(note.data, "with edits"));
    assert_non_null(strstr(note.data, "-b = 20\n+b = 21\n+b2 = 22\n"));
    lc_buf_free(&note);
    /* the review has the agent's other hunk only */
    const lc_diff_file *df = dfx_find(f, "e.py", &fi);
    assert_int_equal(df->nhunks, 1);
    assert_int_equal(df->added, 1);
    /* undo brings the original back */
    assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "e.py", "a = 1\nb = 2\nc = 3\n\n\n\n\n\n\n\nz = 0\n");
    lc_buf_free(&text);
}

static void test_bad_edits_apply_nothing(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "e.py", "a = 1\nb = 2\nc = 3\n");
    dfx_start(f);
    dfx_edit(f->shadow, "e.py", "a = 1\nb = 20\nc = 3\n");
    dfx_refresh(f);
    size_t fi;
    dfx_find(f, "e.py", &fi);
    const char *bad[] = {
        " a = 1\n-b = 2\n+b = 21\n c = 33\n", /* context changed */
        " a = 1\n+b = 21\n c = 3\n",          /* a removed line deleted */
        " a = 1\n-b = 2\n*b = 21\n c = 3\n",  /* not a patch line */
        "# only comments\n",                  /* empty */
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        lc_diff_report rep = LC_DIFF_REPORT_INIT;
        lc_err err = {0};
        assert_int_equal(lc_diff_apply_edited(f->d, fi, 0, bad[k], strlen(bad[k]), &rep, NULL, &err), LC_EINVAL);
        assert_true(strlen(err.msg) > 10);
        assert_int_equal(rep.n, 0);
        lc_diff_report_free(&rep);
        dfx_assert_file(f->orig, "e.py", "a = 1\nb = 2\nc = 3\n");
        dfx_assert_file(f->shadow, "e.py", "a = 1\nb = 20\nc = 3\n");
    }
    /* keeping the removed line (turned into context) applies only the addition */
    const char *keep = " a = 1\n b = 2\n+b = 20\n c = 3\n";
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_apply_edited(f->d, fi, 0, keep, strlen(keep), &rep, NULL, &err), LC_OK);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "e.py", "a = 1\nb = 2\nb = 20\nc = 3\n");
    dfx_assert_file(f->shadow, "e.py", "a = 1\nb = 2\nb = 20\nc = 3\n");
    assert_int_equal(lc_diff_count(f->d), 0);
}

/* CRLF lines and a last line without newline go through the editor's text byte for byte. */
static void test_edited_hunk_keeps_crlf_and_missing_newline(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "w.txt", "a\r\nb\r\n");
    dfx_wr(f->orig, "n.txt", "a\nb");
    dfx_start(f);
    dfx_edit(f->shadow, "w.txt", "a\r\nB\r\n");
    dfx_edit(f->shadow, "n.txt", "a\nB");
    dfx_refresh(f);
    size_t fi;
    lc_err err = {0};
    lc_buf text = LC_BUF_INIT;
    dfx_find(f, "n.txt", &fi);
    assert_int_equal(lc_diff_hunk_text(f->d, fi, 0, &text, &err), LC_OK);
    assert_non_null(strstr(text.data, "\n-b\n\\ No newline at end of file\n+B\n\\ No newline at end of file\n"));
    const char *e1 = " a\n-b\n\\ No newline at end of file\n+C\n\\ No newline at end of file\n";
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    assert_int_equal(lc_diff_apply_edited(f->d, fi, 0, e1, strlen(e1), &rep, NULL, &err), LC_OK);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "n.txt", "a\nC");
    dfx_assert_file(f->shadow, "n.txt", "a\nC");
    dfx_find(f, "w.txt", &fi);
    const char *e2 = "@@ -1,2 +1,2 @@\r\n a\r\n-b\r\n+B2\r\n";
    assert_int_equal(lc_diff_apply_edited(f->d, fi, 0, e2, strlen(e2), &rep, NULL, &err), LC_OK);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "w.txt", "a\r\nB2\r\n");
    dfx_assert_file(f->shadow, "w.txt", "a\r\nB2\r\n");
    assert_int_equal(lc_diff_count(f->d), 0);
    lc_buf_free(&text);
}

/* The agent changed the file after the review: the original gets the user's
 * version, the shadow is not overwritten, and the caller is told. */
static void test_edited_hunk_never_overwrites_a_newer_shadow(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "e.py", "a = 1\nb = 2\n");
    dfx_start(f);
    dfx_edit(f->shadow, "e.py", "a = 1\nb = 20\n");
    dfx_refresh(f);
    size_t fi;
    dfx_find(f, "e.py", &fi);
    dfx_edit(f->shadow, "e.py", "a = 1\nb = 20\nagent = 'again'\n");
    const char *edit = " a = 1\n-b = 2\n+b = 21\n";
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_apply_edited(f->d, fi, 0, edit, strlen(edit), &rep, NULL, &err), LC_ECONFLICT);
    assert_non_null(strstr(err.msg, "shadow"));
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "e.py", "a = 1\nb = 21\n");
    dfx_assert_file(f->shadow, "e.py", "a = 1\nb = 20\nagent = 'again'\n");
}

static void test_redo_after_undo(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "r.txt", "1\n");
    dfx_wr(f->orig, "s.txt", "2\n");
    dfx_start(f);
    dfx_edit(f->shadow, "r.txt", "one\n");
    dfx_edit(f->shadow, "s.txt", "two\n");
    dfx_edit(f->shadow, "new/t.txt", "three\n");
    dfx_refresh(f);
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_redo(f->d, &rep, &err), LC_ESTATE);
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    assert_int_equal(lc_diff_redo_depth(f->d), 1);
    assert_null(dfx_rd(f->orig, "new/t.txt"));
    /* the redo survives a restart */
    lc_diff_free(f->d);
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, NULL, &f->d, &err), LC_OK);
    assert_int_equal(lc_diff_redo_depth(f->d), 1);
    assert_int_equal(lc_diff_redo(f->d, &rep, &err), LC_OK);
    assert_int_equal(rep.n, 3);
    assert_int_equal(dfx_outcome(&rep, "new/t.txt")->outcome, LC_DIFF_APPLIED);
    lc_diff_report_free(&rep);
    assert_int_equal(lc_diff_logged(f->d, &err), LC_OK);
    dfx_assert_file(f->orig, "r.txt", "one\n");
    dfx_assert_file(f->orig, "new/t.txt", "three\n");
    assert_int_equal(lc_diff_count(f->d), 0);
    assert_int_equal(lc_diff_redo_depth(f->d), 0);
    assert_int_equal(lc_diff_undo_depth(f->d), 1);
    /* undo again; the user edits a file; redo refuses and changes nothing */
    assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    dfx_edit(f->orig, "s.txt", "mine\n");
    assert_int_equal(lc_diff_redo(f->d, &rep, &err), LC_ECONFLICT);
    assert_non_null(strstr(err.msg, "s.txt"));
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "r.txt", "1\n");
    assert_int_equal(lc_diff_redo_depth(f->d), 1);
    /* a new apply forgets the redo */
    dfx_edit(f->orig, "s.txt", "2\n");
    dfx_refresh(f);
    dfx_sel(f, "r.txt", LC_DIFF_WHOLE);
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    assert_int_equal(lc_diff_redo_depth(f->d), 0);
}

/* Redo takes back the latest undo first, also after a redo made a new entry. */
static void test_redo_follows_the_order_of_undos(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "a.txt", "a\n");
    dfx_wr(f->orig, "b.txt", "b\n");
    dfx_start(f);
    dfx_edit(f->shadow, "a.txt", "A\n");
    dfx_edit(f->shadow, "b.txt", "B\n");
    dfx_refresh(f);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    dfx_sel(f, "a.txt", LC_DIFF_WHOLE); /* apply 1: a */
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    dfx_sel(f, "b.txt", LC_DIFF_WHOLE); /* apply 2: b */
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    for (int i = 0; i < 2; i++) { /* undo b, then a */
        assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_OK);
        lc_diff_report_free(&rep);
    }
    dfx_assert_file(f->orig, "a.txt", "a\n");
    dfx_assert_file(f->orig, "b.txt", "b\n");
    lc_diff_free(f->d);
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, NULL, &f->d, &err), LC_OK);
    assert_int_equal(lc_diff_redo(f->d, &rep, &err), LC_OK); /* a comes back first */
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "a.txt", "A\n");
    dfx_assert_file(f->orig, "b.txt", "b\n");
    assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_OK); /* undo the redo of a */
    lc_diff_report_free(&rep);
    lc_diff_free(f->d); /* the order survives a restart */
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, NULL, &f->d, &err), LC_OK);
    assert_int_equal(lc_diff_redo_depth(f->d), 2);
    assert_int_equal(lc_diff_redo(f->d, &rep, &err), LC_OK); /* a again: the latest undo */
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "a.txt", "A\n");
    dfx_assert_file(f->orig, "b.txt", "b\n");
    assert_int_equal(lc_diff_redo(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "b.txt", "B\n");
}

/* The user's before-bytes of an apply are fsynced once, in journal/NNNNNN.before; the object
 * store is not. An object a crash lost or damaged is taken from there by undo. */
static void test_undo_survives_a_lost_object(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "u.txt", "the user's original text\n");
    dfx_start(f);
    dfx_edit(f->shadow, "u.txt", "the agent's text\n");
    dfx_refresh(f);
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    char *j = dfx_P(f->state, "diff/journal/000000.before");
    struct stat st;
    assert_int_equal(stat(j, &st), 0);
    free(j);
    /* damage every object holding the original (same size, other bytes), and remove the rest */
    char *objs = dfx_P(f->state, "diff/objects");
    lc_proc_result res = LC_PROC_RESULT_INIT;
    assert_int_equal(lc_proc_run((const char *const[]){"ls", objs, NULL}, NULL, 0, 5000, 4096, &res, &err), LC_OK);
    for (char *name = strtok(res.out.data, "\n"); name; name = strtok(NULL, "\n"))
        dfx_wr(objs, name, "THE USER'S ORIGINAL TEXT\n");
    lc_proc_result_free(&res);
    free(objs);
    lc_diff_free(f->d);
    f->d = NULL;
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, NULL, &f->d, &err), LC_OK);
    if (lc_diff_undo(f->d, &rep, &err) != LC_OK)
        fail_msg("undo: %s", err.msg);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "u.txt", "the user's original text\n");
    char *j2 = dfx_P(f->state, "diff/journal/000000.before");
    assert_int_not_equal(stat(j2, &st), 0); /* gone with its entry */
    free(j2);
}

/* ---- selection counts ------------------------------------------------------------ */

/* The counts the review draws ("[~]", "3 of 5") against a recount of the
 * lines, and lc_diff_selected against both. */
static void assert_counts(fx *f)
{
    for (size_t i = 0; i < lc_diff_count(f->d); i++) {
        const lc_diff_file *df = lc_diff_file_at(f->d, i);
        size_t fn = 0, fc = 0, full = 0;
        for (size_t h = 0; h < df->nhunks; h++) {
            size_t n = 0, c = 0, got_c = 0;
            for (size_t l = 0; l < df->hunks[h].nlines; l++)
                if (df->hunks[h].lines[l].origin != ' ') {
                    c++;
                    n += lc_diff_line_selected(f->d, i, h, l);
                }
            size_t got = lc_diff_hunk_selection(f->d, i, h, &got_c);
            if (got != n || got_c != c)
                fail_msg("%s hunk %zu: counted %zu of %zu selected, recount %zu of %zu", df->path, h, got, got_c,
                         n, c);
            if (!df->whole_only)
                assert_int_equal(lc_diff_selected(f->d, i, h), c > 0 && n == c);
            fn += n;
            fc += c;
            full += c > 0 && n == c;
        }
        size_t got_c = 0, got = lc_diff_file_selection(f->d, i, &got_c);
        if (df->whole_only) {
            assert_int_equal(got_c, 1);
            assert_int_equal(got, lc_diff_selected(f->d, i, LC_DIFF_WHOLE));
        } else {
            if (got != fn || got_c != fc)
                fail_msg("%s: counted %zu of %zu selected, recount %zu of %zu", df->path, got, got_c, fn, fc);
            assert_int_equal(lc_diff_selected(f->d, i, LC_DIFF_WHOLE), df->nhunks > 0 && full == df->nhunks);
        }
    }
}

static unsigned long rnd_next(unsigned long *s)
{
    *s = *s * 6364136223846793005ul + 1442695040888963407ul;
    return *s >> 33;
}

/* Every way of writing a selection, in random order (fixed seeds): the
 * counts kept for the review always equal a recount. */
static void test_selection_counts_match_a_recount(void **state)
{
    fx *f = *state;
    lc_buf a = LC_BUF_INIT, b = LC_BUF_INIT;
    for (int k = 0; k < 5; k++) {
        lc_buf_reset(&a);
        for (int i = 0; i < 80; i++)
            lc_buf_printf(&a, "line %d of file %d\n", i, k);
        char rel[32];
        snprintf(rel, sizeof rel, "f%d.txt", k);
        dfx_wrb(f->orig, rel, a.data, a.len, 0644);
    }
    dfx_wr(f->orig, "gone.txt", "bye\n");
    dfx_start(f);
    unsigned long seed = 12;
    for (int k = 0; k < 5; k++) {
        lc_buf_reset(&b);
        for (int i = 0; i < 80; i++) {
            unsigned long r = rnd_next(&seed) % 14;
            if (r == 0)
                lc_buf_printf(&b, "line %d changed %d\n", i, k);
            else if (r == 1)
                lc_buf_puts(&b, "a shared change\n"); /* the same change in several files */
            else if (r != 2)
                lc_buf_printf(&b, "line %d of file %d\n", i, k);
            if (r == 3)
                lc_buf_printf(&b, "added after %d\n", i);
        }
        char rel[32];
        snprintf(rel, sizeof rel, "f%d.txt", k);
        dfx_editb(f->shadow, rel, b.data, b.len);
    }
    dfx_edit(f->shadow, "new.txt", "hello\n");
    char *gone = dfx_P(f->shadow, "gone.txt");
    unlink(gone);
    free(gone);
    dfx_refresh(f);
    assert_counts(f);
    lc_err err = {0};
    size_t splits = 0, lines = 0;
    for (int op = 0; op < 3000; op++) {
        size_t nf = lc_diff_count(f->d);
        size_t fi = rnd_next(&seed) % nf;
        const lc_diff_file *df = lc_diff_file_at(f->d, fi);
        size_t h = df->nhunks ? rnd_next(&seed) % df->nhunks : 0;
        bool on = rnd_next(&seed) % 3 != 0;
        lc_diff_filter flt = {rnd_next(&seed) % 2 ? "f[13]*" : NULL, rnd_next(&seed) % 4 ? NULL : "M"};
        switch (rnd_next(&seed) % 11) {
        case 0:
        case 1:
        case 2:
            if (df->nhunks && !df->whole_only && df->hunks[h].nlines) {
                size_t l = rnd_next(&seed) % df->hunks[h].nlines;
                int rc = lc_diff_select_line(f->d, fi, h, l, on, &err);
                assert_int_equal(rc, df->hunks[h].lines[l].origin == ' ' ? LC_EINVAL : LC_OK);
                lines += rc == LC_OK;
            }
            break;
        case 3:
            lc_diff_select(f->d, fi, df->nhunks ? h : LC_DIFF_WHOLE, on, &err);
            break;
        case 4:
            lc_diff_select(f->d, fi, LC_DIFF_WHOLE, on, &err);
            break;
        case 5: {
            size_t pieces = 1;
            if (!df->whole_only && lc_diff_split(f->d, fi, h, &pieces, &err) == LC_OK)
                splits += pieces > 1;
            break;
        }
        case 6:
            if (!df->whole_only && df->nhunks)
                lc_diff_select_like(f->d, fi, h, on);
            break;
        case 7:
            lc_diff_select_bulk(f->d, &flt, (lc_diff_bulk)(rnd_next(&seed) % 3));
            break;
        case 8:
            lc_diff_select_all(f->d, on);
            break;
        case 9: /* the agent did nothing: the kept files' selection is cleared */
            if (rnd_next(&seed) % 20 == 0)
                dfx_refresh(f);
            break;
        default:
            lc_diff_select_bulk(f->d, NULL, LC_DIFF_BULK_INVERT);
            break;
        }
        assert_counts(f);
    }
    assert_true(splits >= 5); /* the run reached what it is about (10 with this seed) */
    assert_true(lines > 100);
    /* apply, undo and redo make the diff again: counts from zero */
    lc_diff_select_all(f->d, false);
    assert_int_equal(lc_diff_select(f->d, 0, 0, true, &err), LC_OK);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    assert_counts(f);
    assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    assert_counts(f);
    lc_diff_select_bulk(f->d, NULL, LC_DIFF_BULK_INVERT);
    assert_counts(f);
    assert_int_equal(lc_diff_redo(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    assert_counts(f);
    lc_buf_free(&a);
    lc_buf_free(&b);
}

int main(void)
{
    lc_err err = {0};
    if (lc_diff_global_init(&err) != LC_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_split_takes_one_of_two_fixes, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_single_lines_are_applied, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_all_like_this_selects_the_same_change_everywhere, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_bulk_picks_by_pattern_and_status, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_edited_hunk_lands_edited_in_both_trees, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_bad_edits_apply_nothing, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_edited_hunk_keeps_crlf_and_missing_newline, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_edited_hunk_never_overwrites_a_newer_shadow, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_redo_after_undo, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_undo_survives_a_lost_object, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_redo_follows_the_order_of_undos, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_selection_counts_match_a_recount, dfx_setup, dfx_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lc_diff_global_shutdown();
    return rc;
}
