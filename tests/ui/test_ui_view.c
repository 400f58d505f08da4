/* The TUI's views headless, fed agent events through its observer: the
 * layout compared with the expected screen, resize (and the too-small
 * message), focus, zoom, resizable splits, help generated from the keymap,
 * key rebinding, themes and colour fallbacks, hostile bytes, wide
 * characters, syntax colours and a 100,000-line output. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ui/ui.h"

typedef struct v {
    lc_config cfg;
    lc_app *app;
    lc_observer obs;
    lc_buf screen;
} v;

static int setup(void **state)
{
    v *x = calloc(1, sizeof *x);
    lc_config_defaults(&x->cfg);
    free(x->cfg.model.name);
    x->cfg.model.name = lc_xstrdup("openai/gpt-4o");
    x->cfg.agent.max_steps = 20;
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    v *x = *state;
    lc_ui_free(x->app);
    lc_config_free(&x->cfg);
    lc_buf_free(&x->screen);
    free(x);
    unsetenv("NO_COLOR");
    return 0;
}

static lc_app *open_ui(v *x, int rows, int cols, const char *theme, int colors, lc_err *err)
{
    lc_ui_opts o = LC_UI_OPTS_INIT;
    o.cfg = &x->cfg;
    o.themes_dir = LC_SOURCE_DIR "/themes";
    o.theme = theme;
    o.virtual_term = true;
    o.rows = rows;
    o.cols = cols;
    o.colors = colors;
    o.approval_guard_ms = 0;
    x->app = lc_ui_new(&o, err);
    if (x->app)
        x->obs = lc_ui_observer(x->app);
    return x->app;
}

static void start(v *x, int rows, int cols)
{
    lc_err err = {0};
    if (!open_ui(x, rows, cols, NULL, 256, &err))
        fail_msg("lc_ui_new: %s", err.msg);
}

static void ev_text(v *x, lc_event_kind k, int step, const char *text, size_t len)
{
    lc_event ev = {.kind = k, .step = step, .max_steps = 20, .text = text, .len = len};
    x->obs.event(x->obs.ctx, &ev);
}

static void ev(v *x, lc_event_kind k, int step, const char *text)
{
    ev_text(x, k, step, text, text ? strlen(text) : 0);
}

static void out(v *x, lc_stream s, const char *text)
{
    lc_event e = {.kind = LC_EV_OUTPUT, .step = 1, .text = text, .len = strlen(text), .stream = s};
    x->obs.event(x->obs.ctx, &e);
}

static void action(v *x, int step, const char *code)
{
    lc_action a = {.kind = LC_ACTION_CODE, .step = step, .code = code};
    lc_event e = {.kind = LC_EV_ACTION, .step = step, .action = &a};
    x->obs.event(x->obs.ctx, &e);
}

static const char *screen(v *x)
{
    lc_ui_pump(x->app, 0);
    lc_buf_reset(&x->screen);
    lc_ui_dump_screen(x->app, &x->screen);
    return lc_buf_cstr(&x->screen);
}

static void keys(v *x, const char *k)
{
    lc_err err = {0};
    assert_int_equal(lc_ui_feed_keys(x->app, k, &err), LC_OK);
    lc_ui_pump(x->app, 0);
}

/* Row n of the screen (0-based) without its line end. */
static const char *row(v *x, int n, char *buf, size_t sz)
{
    const char *s = screen(x);
    for (int i = 0; i < n && s; i++) {
        s = strchr(s, '\n');
        if (s)
            s++;
    }
    const char *e = s ? strchr(s, '\n') : NULL;
    snprintf(buf, sz, "%.*s", s && e ? (int)(e - s) : 0, s ? s : "");
    return buf;
}

/* The position of text on the screen. */
static bool find(v *x, const char *text, int *r, int *c)
{
    const char *s = screen(x), *hit = strstr(s, text);
    if (!hit)
        return false;
    *r = 0;
    const char *line = s;
    for (const char *p = s; p < hit; p++)
        if (*p == '\n') {
            (*r)++;
            line = p + 1;
        }
    /* Columns: count code points (the screens compared here are ASCII before text). */
    *c = 0;
    for (const char *p = line; p < hit; p++)
        if (((unsigned char)*p & 0xC0) != 0x80)
            (*c)++;
    return true;
}

static const char *expected_80x24 =
    "> Conversation                             \xe2\x94\x82  Code step 1  lines 1-3 of 3\n"
    "Task: count the files                      \xe2\x94\x82  1 import os\n"
    "-- step 1 of 20 --                         \xe2\x94\x82  2 n = len(os.listdir('.'))  #\n"
    "I will count them.                         \xe2\x94\x82    files\n"
    "> step 1 proposes 3 lines of Python (Code  \xe2\x94\x82  3 print(n)\n"
    "pane)                                      \xe2\x94\x82\n"
    "  approved: running                        \xe2\x94\x82\n"
    "                                           \xe2\x94\x82\n"
    "                                           \xe2\x94\x82\n"
    "                                           \xe2\x94\x82\n"
    "                                           \xe2\x94\x82\n"
    "                                           \xe2\x94\x82  Output\n"
    "                                           \xe2\x94\x82== step 1 ==\n"
    "  Diffs                                    \xe2\x94\x82hello\n"
    "No diff review in this session.            \xe2\x94\x82oops\n"
    "                                           \xe2\x94\x82== step 1: ok in 0.25 s\n"
    "                                           \xe2\x94\x82\n"
    "                                           \xe2\x94\x82\n"
    "                                           \xe2\x94\x82\n"
    "                                           \xe2\x94\x82\n"
    "                                           \xe2\x94\x82\n"
    "                                           \xe2\x94\x82\n";

static void feed_step(v *x)
{
    ev(x, LC_EV_TASK, 0, "count the files");
    ev(x, LC_EV_STEP_BEGIN, 1, NULL);
    ev(x, LC_EV_TOKEN, 1, "I will ");
    ev(x, LC_EV_TOKEN, 1, "count them.");
    ev(x, LC_EV_MODEL_REPLY, 1, "I will count them.");
    action(x, 1, "import os\nn = len(os.listdir('.'))  # files\nprint(n)\n");
    lc_decision d = {.kind = LC_DECIDE_RUN};
    lc_event de = {.kind = LC_EV_DECISION, .step = 1, .decision = &d};
    x->obs.event(x->obs.ctx, &de);
    out(x, LC_STREAM_STDOUT, "hel");
    out(x, LC_STREAM_STDOUT, "lo\n");
    out(x, LC_STREAM_STDERR, "oops\n");
    lc_exec_result res = {.status = LC_STEP_OK, .duration_s = 0.25};
    lc_event re = {.kind = LC_EV_STEP_RESULT, .step = 1, .result = &res};
    x->obs.event(x->obs.ctx, &re);
}

static void test_layout_screen(void **state)
{
    v *x = *state;
    start(x, 24, 80);
    feed_step(x);
    const char *s = screen(x);
    /* Every row but the status bar and the hint line (which has a clock). */
    assert_true(strlen(s) > strlen(expected_80x24));
    if (strncmp(s, expected_80x24, strlen(expected_80x24)) != 0) {
        fprintf(stderr, "---- screen ----\n%s---- expected ----\n%s----\n", s, expected_80x24);
        fail_msg("the screen differs from the expected one");
    }
    char buf[256];
    row(x, 22, buf, sizeof buf);
    assert_non_null(strstr(buf, "step 1/20 | model thinking"));
    assert_non_null(strstr(buf, "openai/gpt-4o | code | tok 0/0 $0.000 |"));
    assert_string_equal(row(x, 23, buf, sizeof buf), "i/: message  Tab focus  z zoom  W grants  ?/F1 help");
    /* Tokens add up as replies report them; gpt-4o's list price gives the cost. */
    lc_event u = {.kind = LC_EV_USAGE, .step = 1, .prompt_tokens = 1500, .completion_tokens = 60};
    x->obs.event(x->obs.ctx, &u);
    x->obs.event(x->obs.ctx, &u);
    row(x, 22, buf, sizeof buf);
    assert_non_null(strstr(buf, "| tok 3000/120 $0.009 |")); /* 3000 * 2.50 + 120 * 10.00 per million */
    /* stderr has its own colour; the code has syntax colours. */
    int r, c;
    assert_true(find(x, "oops", &r, &c));
    assert_string_equal(lc_ui_role_at(x->app, r, c), "stderr");
    assert_true(find(x, "hello", &r, &c));
    assert_string_equal(lc_ui_role_at(x->app, r, c), "stdout");
    assert_true(find(x, "import os", &r, &c));
    assert_string_equal(lc_ui_role_at(x->app, r, c), "keyword");
    assert_string_equal(lc_ui_role_at(x->app, r, c - 2), "lineno");
    assert_true(find(x, "'.'", &r, &c));
    assert_string_equal(lc_ui_role_at(x->app, r, c), "string");
    assert_true(find(x, ")  #", &r, &c));
    assert_string_equal(lc_ui_role_at(x->app, r, c + 3), "comment");
    assert_true(find(x, "    files", &r, &c)); /* wrapped, still a comment */
    assert_string_equal(lc_ui_role_at(x->app, r, c + 4), "comment");
}

static void test_resize_and_too_small(void **state)
{
    v *x = *state;
    start(x, 24, 80);
    feed_step(x);
    lc_ui_resize(x->app, 20, 70);
    const char *s = screen(x);
    assert_non_null(strstr(s, "Terminal too small: 70x20."));
    assert_non_null(strstr(s, "needs at least 80x24"));
    assert_null(strstr(s, "Conversation"));
    /* Bigger again: the layout is recomputed for the new size. */
    lc_ui_resize(x->app, 40, 120);
    s = screen(x);
    assert_null(strstr(s, "too small"));
    int r, c;
    assert_true(find(x, "Code step 1", &r, &c));
    assert_int_equal(r, 0);
    assert_int_equal(c, 68); /* 55% of 119 columns, the separator, the focus mark, a space */
    assert_true(find(x, "Output", &r, &c));
    assert_int_equal(r, 19);
    char buf[256];
    row(x, 38, buf, sizeof buf);
    assert_non_null(strstr(buf, "step 1/20"));
}

static void test_focus_zoom_and_splits(void **state)
{
    v *x = *state;
    start(x, 24, 80);
    feed_step(x);
    int r, c;
    assert_true(find(x, "> Conversation", &r, &c));
    keys(x, "<Tab>");
    assert_true(find(x, "> Code", &r, &c));
    assert_false(find(x, "> Conversation", &r, &c));
    keys(x, "<Tab><Tab>");
    assert_true(find(x, "> Diffs", &r, &c));
    keys(x, "<S-Tab><S-Tab>");
    assert_true(find(x, "> Code", &r, &c));
    /* Zoom: the focused pane takes the screen, z again goes back. */
    keys(x, "z");
    const char *s = screen(x);
    assert_non_null(strstr(s, "> Code step 1"));
    assert_non_null(strstr(s, "[zoomed: z]"));
    assert_null(strstr(s, "Conversation"));
    assert_null(strstr(s, "Output"));
    keys(x, "z");
    assert_true(find(x, "Conversation", &r, &c));
    /* Splits: > grows the focused Code pane (its column moves left). */
    assert_true(find(x, "> Code", &r, &c));
    int before = c;
    keys(x, ">>");
    assert_true(find(x, "> Code", &r, &c));
    assert_true(c < before);
    keys(x, "<lt><lt><lt><lt>");
    assert_true(find(x, "> Code", &r, &c));
    assert_true(c > before);
    /* The stacked split: the Output pane's title row moves when Code grows. */
    assert_true(find(x, "  Output", &r, &c));
    int orow = r;
    keys(x, "<Tab>>>");
    assert_true(find(x, "> Output", &r, &c));
    assert_true(r < orow);
}

static void test_help_from_keymap_and_rebinding(void **state)
{
    v *x = *state;
    lc_strv_push(&x->cfg.ui.key_bindings, "zoom=Z");
    lc_strv_push(&x->cfg.ui.key_bindings, "help=<F2>");
    start(x, 36, 100);
    feed_step(x);
    keys(x, "z");
    assert_null(strstr(screen(x), "[zoomed"));
    keys(x, "Z");
    assert_non_null(strstr(screen(x), "[zoomed: z]") ? "" : strstr(screen(x), "[zoomed"));
    keys(x, "Z<F2>");
    const char *s = screen(x);
    assert_non_null(strstr(s, "Keys (? or Esc closes"));
    assert_non_null(strstr(s, "When a step waits for approval"));
    assert_non_null(strstr(s, "y/Enter"));
    assert_non_null(strstr(s, "Run the proposed step"));
    assert_non_null(strstr(s, "Z                Zoom the focused pane"));
    /* The help scrolls where it does not fit (j, End), and any other key closes it. */
    keys(x, "G");
    assert_non_null(strstr(screen(x), "The next line in the history"));
    keys(x, "g");
    assert_non_null(strstr(screen(x), "Everywhere"));
    keys(x, "<Esc>");
    assert_null(strstr(screen(x), "Keys (? or Esc"));
    /* The hint line follows the rebinding too. */
    assert_non_null(strstr(screen(x), "Z zoom  W grants  F2 help"));
}

static void test_bad_bindings_refused(void **state)
{
    v *x = *state;
    lc_err err = {0};
    lc_strv_push(&x->cfg.ui.key_bindings, "teleport=t");
    assert_null(open_ui(x, 24, 80, NULL, 256, &err));
    assert_non_null(strstr(err.msg, "no action \"teleport\""));
    lc_strv_clear(&x->cfg.ui.key_bindings);
    lc_strv_push(&x->cfg.ui.key_bindings, "zoom=<Nope>");
    assert_null(open_ui(x, 24, 80, NULL, 256, &err));
    assert_non_null(strstr(err.msg, "is not a key"));
    /* A question key must be one no pane uses (issue 17, item 5): n is the next hunk. */
    lc_strv_clear(&x->cfg.ui.key_bindings);
    lc_strv_push(&x->cfg.ui.key_bindings, "decline=n");
    assert_int_equal(lc_ui_keys_check(&x->cfg.ui.key_bindings, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "n is bound to decline (the step's question) and to search_next"));
    assert_null(open_ui(x, 24, 80, NULL, 256, &err));
    lc_strv_clear(&x->cfg.ui.key_bindings);
    lc_strv_push(&x->cfg.ui.key_bindings, "zoom=y");
    assert_int_equal(lc_ui_keys_check(&x->cfg.ui.key_bindings, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "y is bound to run"));
    lc_strv_clear(&x->cfg.ui.key_bindings);
    lc_strv_push(&x->cfg.ui.key_bindings, "help=<PasteBegin>");
    assert_int_equal(lc_ui_keys_check(&x->cfg.ui.key_bindings, &err), LC_EINVAL);
    /* The defaults pass. */
    lc_strv_clear(&x->cfg.ui.key_bindings);
    assert_int_equal(lc_ui_keys_check(&x->cfg.ui.key_bindings, &err), LC_OK);
}

static void test_user_guide_keys_match_keymap(void **state)
{
    (void)state;
    lc_buf want = LC_BUF_INIT, guide = LC_BUF_INIT;
    lc_err err = {0};
    lc_ui_keys_markdown(&want);
    assert_int_equal(lc_file_read(LC_SOURCE_DIR "/docs/user-guide.md", 1 << 20, &guide, &err), LC_OK);
    if (!strstr(lc_buf_cstr(&guide), lc_buf_cstr(&want)))
        fail_msg("docs/user-guide.md's Keys section is not what the keymap says; paste:\n%s", want.data);
    lc_buf_free(&want);
    lc_buf_free(&guide);
}

static void test_themes(void **state)
{
    v *x = *state;
    const char *names[] = {"dark", "light", "high-contrast", "solarized", "monochrome"};
    lc_err err = {0};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(lc_ui_theme_check(names[i], LC_SOURCE_DIR "/themes", &err), LC_OK);
    /* Each colour depth works and keeps the roles apart. */
    int depths[] = {256, 16, 8, 0};
    for (size_t i = 0; i < 4; i++) {
        if (!open_ui(x, 24, 80, "solarized", depths[i], &err))
            fail_msg("%s", err.msg);
        feed_step(x);
        int r, c;
        assert_true(find(x, "oops", &r, &c));
        if (depths[i] > 0)
            assert_string_equal(lc_ui_role_at(x->app, r, c), "stderr");
        else /* attributes only: stderr is still set apart from stdout */
            assert_string_not_equal(lc_ui_role_at(x->app, r, c), "normal");
        lc_ui_free(x->app);
        x->app = NULL;
    }
    /* NO_COLOR: attributes only, text the same. */
    setenv("NO_COLOR", "1", 1);
    assert_non_null(open_ui(x, 24, 80, "dark", 256, &err));
    feed_step(x);
    assert_non_null(strstr(screen(x), "oops"));
    lc_ui_free(x->app);
    x->app = NULL;
    unsetenv("NO_COLOR");
    /* A broken theme file: file, line and what to write instead. */
    char path[] = "/tmp/lc-theme-XXXXXX.yaml";
    int fd = mkstemps(path, 5);
    const char *bad = "name: broken\nroles:\n  stderr: {fg: purple}\n";
    assert_int_equal(write(fd, bad, strlen(bad)), (int)strlen(bad));
    close(fd);
    assert_null(open_ui(x, 24, 80, path, 256, &err));
    assert_non_null(strstr(err.msg, ":3:"));
    assert_non_null(strstr(err.msg, "colour"));
    assert_int_equal(lc_ui_theme_check("no-such-theme", LC_SOURCE_DIR "/themes", &err), LC_ENOTFOUND);
    assert_non_null(strstr(err.msg, "dark, light"));
    unlink(path);
}

static void test_hostile_bytes(void **state)
{
    v *x = *state;
    start(x, 30, 100);
    ev(x, LC_EV_TASK, 0, "task");
    ev(x, LC_EV_STEP_BEGIN, 1, NULL);
    /* The model tries to set the title, clear the screen and hide text. */
    ev(x, LC_EV_TOKEN, 1, "A\x1b]2;pwned\x07 B\x1b[2J C\xe2\x80\xae""D\x9b""E\n");
    out(x, LC_STREAM_STDOUT, "bell\x07 nul-less \x1b[31mred\x1b[0m\r\n");
    out(x, LC_STREAM_STDOUT, "bad utf8 \xff\xfe end\n");
    const char *s = screen(x);
    assert_non_null(strstr(s, "A^[]2;pwned^G B^[[2J C"));
    assert_non_null(strstr(s, "bell^G nul-less ^[[31mred^[[0m"));
    assert_non_null(strstr(s, "bad utf8 \\xff\\xfe end"));
    assert_null(strchr(s, '\x1b'));
    assert_null(strchr(s, '\x07'));
    /* A megabyte without a newline stays drawable and cut to the pane. */
    char *big = malloc(1 << 20);
    memset(big, 'x', 1 << 20);
    big[(1 << 20) - 1] = '\0';
    memcpy(big + (1 << 20) - 9, "THE-END", 7);
    int64_t t0 = lc_now_ms();
    out(x, LC_STREAM_STDOUT, big);
    free(big);
    s = screen(x);
    assert_non_null(strstr(s, "xxxxxxxx"));
    /* Cut into lines, and the end is shown: the right-hand panes' rows joined. */
    lc_buf right = LC_BUF_INIT;
    for (const char *p = s; *p;) {
        const char *e = strchr(p, '\n'), *bar = NULL;
        for (const char *q = p; q < e; q++)
            if (!strncmp(q, "\xe2\x94\x82", 3))
                bar = q + 3;
        if (bar)
            lc_buf_append(&right, bar, (size_t)(e - bar));
        p = e + 1;
    }
    if (!strstr(lc_buf_cstr(&right), "THE-ENDx")) {
        fprintf(stderr, "%s", s);
        fail_msg("the end of a long line is not shown");
    }
    lc_buf_free(&right);
    assert_true(lc_now_ms() - t0 < 5000);
}

static void test_wide_and_combining(void **state)
{
    v *x = *state;
    start(x, 24, 80);
    ev(x, LC_EV_TASK, 0, "t");
    /* Two wide ideographs, an e with a combining acute, then a marker. */
    out(x, LC_STREAM_STDOUT, "\xe6\xbc\xa2\xe5\xad\x97|e\xcc\x81|END\n");
    out(x, LC_STREAM_STDOUT, "abcd|e|END\n");
    int r1, c1, r2, c2;
    assert_true(find(x, "\xe6\xbc\xa2\xe5\xad\x97|", &r1, &c1));
    assert_true(find(x, "abcd|", &r2, &c2));
    /* Same start column, and the wide line's cells line up with the ASCII. */
    assert_int_equal(c1, c2);
    const char *s = screen(x);
    assert_non_null(strstr(s, "\xe6\xbc\xa2\xe5\xad\x97|e\xcc\x81|END"));
    /* The right border of the pane is where it is on the other rows. */
    char buf[512];
    row(x, r1, buf, sizeof buf);
    assert_non_null(strstr(buf, "\xe2\x94\x82"));
}

static void test_long_output_scrolls(void **state)
{
    v *x = *state;
    x->cfg.ui.scrollback = 200000;
    start(x, 24, 80);
    lc_buf b = LC_BUF_INIT;
    for (int i = 1; i <= 100000; i++)
        lc_buf_printf(&b, "line %d\n", i);
    out(x, LC_STREAM_STDOUT, b.data);
    lc_buf_free(&b);
    /* It follows the end as lines come. */
    assert_non_null(strstr(screen(x), "line 100000"));
    keys(x, "<Tab><Tab>"); /* focus Output */
    keys(x, "g");
    const char *s = screen(x);
    assert_non_null(strstr(s, "line 1\n"));
    assert_null(strstr(s, "line 100000"));
    if (!strstr(s, "(scrolled: G follows)"))
        fail_msg("no scroll mark:\n%s", s);
    keys(x, "<PgDn>");
    assert_non_null(strstr(screen(x), "line 11\n"));
    assert_null(strstr(screen(x), "line 1\n"));
    keys(x, "G");
    assert_non_null(strstr(screen(x), "line 100000"));
    /* New output while following shows at once. */
    out(x, LC_STREAM_STDOUT, "line 100001\n");
    assert_non_null(strstr(screen(x), "line 100001"));
}

/* The Output pane keeps ui.scrollback lines: older ones go, the first line
 * counts them, and a view scrolled back stays on the same text. */
static void test_output_scrollback_limit(void **state)
{
    v *x = *state;
    x->cfg.ui.scrollback = 1000;
    start(x, 24, 200);
    lc_buf b = LC_BUF_INIT;
    for (int i = 1; i <= 5000; i++)
        lc_buf_printf(&b, "line %d\n", i);
    out(x, LC_STREAM_STDOUT, b.data);
    lc_buf_reset(&b);
    assert_non_null(strstr(screen(x), "line 5000"));
    keys(x, "<Tab><Tab>g");
    const char *s = screen(x);
    if (!strstr(s, "[4000 earlier lines dropped: the last 1000 are kept, see ui.scrollback]"))
        fail_msg("no marker of the dropped lines:\n%s", s);
    assert_null(strstr(s, "line 1\n"));
    assert_non_null(strstr(s, "line 4001\n"));
    for (int i = 0; i < 500; i++)
        lc_buf_puts(&b, "<Down>");
    keys(x, b.data); /* scrolled back: line 4500 at the top */
    lc_buf_reset(&b);
    assert_non_null(strstr(screen(x), "line 4500\n"));
    assert_null(strstr(screen(x), "line 4499\n"));
    for (int i = 5001; i <= 5200; i++)
        lc_buf_printf(&b, "line %d\n", i);
    out(x, LC_STREAM_STDOUT, b.data);
    lc_buf_free(&b);
    s = screen(x);
    /* 200 more were dropped; the view did not jump to other text. */
    if (!strstr(s, "line 4500\n") || strstr(s, "line 4499\n") || strstr(s, "line 5200"))
        fail_msg("the scrolled view moved when old lines were dropped:\n%s", s);
    keys(x, "g");
    assert_non_null(strstr(screen(x), "[4200 earlier lines dropped"));
}

/* The last row of the screen without its line end. */
static const char *input_row(v *x, char *buf, size_t sz)
{
    return row(x, 23, buf, sz);
}

/* The input line edits as a shell's does: cursor keys, Home/End, C-a/C-e,
 * C-w, C-u, C-k, Del, history, and line breaks (Alt-Enter, or a backslash
 * before Enter) for a multi-line message. */
static void test_input_line_edits(void **state)
{
    v *x = *state;
    char b[256];
    start(x, 24, 100);
    keys(x, "iabc def<Left><Left><Left>X");
    assert_string_equal(input_row(x, b, sizeof b), "Message (Enter sends, Esc cancels): abc Xdef");
    keys(x, "<C-a>Y<C-e>Z");
    assert_string_equal(input_row(x, b, sizeof b), "Message (Enter sends, Esc cancels): Yabc XdefZ");
    keys(x, "<C-w>");
    assert_string_equal(input_row(x, b, sizeof b), "Message (Enter sends, Esc cancels): Yabc");
    keys(x, "<Home><Right><Right><Del>");
    assert_string_equal(input_row(x, b, sizeof b), "Message (Enter sends, Esc cancels): Yac");
    keys(x, "<C-k>");
    assert_string_equal(input_row(x, b, sizeof b), "Message (Enter sends, Esc cancels): Ya");
    keys(x, "<End>bc<Left><C-u>");
    assert_string_equal(input_row(x, b, sizeof b), "Message (Enter sends, Esc cancels): c");
    keys(x, "<Home>Q");
    assert_string_equal(input_row(x, b, sizeof b), "Message (Enter sends, Esc cancels): Qc");
    /* Line breaks: Alt-Enter, and a backslash just before Enter; Enter sends. */
    keys(x, "<C-u><C-k>one<M-Enter>two\\<Enter>three");
    assert_string_equal(input_row(x, b, sizeof b), "Message (Enter sends, Esc cancels): one\u23cetwo\u23cethree");
    keys(x, "<Enter>");
    assert_non_null(strstr(screen(x), "the agent is not running: the message was not sent"));
    /* History: Up brings the message back, whole. */
    keys(x, "i<Up>");
    assert_string_equal(input_row(x, b, sizeof b), "Message (Enter sends, Esc cancels): one\u23cetwo\u23cethree");
    /* A long line scrolls to keep the cursor in view at both ends. */
    keys(x, "<C-u>");
    lc_buf t = LC_BUF_INIT;
    lc_buf_puts(&t, "START");
    for (int i = 0; i < 40; i++)
        lc_buf_puts(&t, " word");
    lc_buf_puts(&t, " END");
    keys(x, t.data);
    input_row(x, b, sizeof b);
    assert_non_null(strstr(b, "END"));
    assert_null(strstr(b, "START"));
    lc_buf_reset(&t);
    for (int i = 0; i < 300; i++)
        lc_buf_puts(&t, "<Left>");
    keys(x, t.data);
    input_row(x, b, sizeof b);
    assert_non_null(strstr(b, "START"));
    assert_null(strstr(b, "END"));
    lc_buf_free(&t);
}

/* '/' searches the focused pane, n and N find again (round the end), the
 * matches are highlighted, and a miss says so. */
static void test_search_in_pane(void **state)
{
    v *x = *state;
    start(x, 24, 100);
    lc_buf b = LC_BUF_INIT;
    for (int i = 1; i <= 3000; i++)
        lc_buf_printf(&b, i % 1000 == 0 ? "line %d NEEDLE here\n" : "line %d\n", i);
    out(x, LC_STREAM_STDOUT, b.data);
    lc_buf_free(&b);
    keys(x, "<Tab><Tab>/needle<Enter>"); /* lower case: case ignored */
    char r0[256];
    int rr, cc;
    assert_true(find(x, "line 1000 NEEDLE here", &rr, &cc));
    assert_string_equal(lc_ui_role_at(x->app, rr, cc + (int)strlen("line 1000 ")), "match");
    assert_string_equal(lc_ui_role_at(x->app, rr, cc), "stdout");
    assert_non_null(strstr(screen(x), "(scrolled: G follows)"));
    keys(x, "n");
    assert_true(find(x, "line 2000 NEEDLE", &rr, &cc));
    assert_false(find(x, "line 1000 NEEDLE", &rr, &cc));
    keys(x, "nn"); /* 3000, then round the end to 1000 */
    assert_true(find(x, "line 1000 NEEDLE", &rr, &cc));
    keys(x, "N");
    assert_true(find(x, "line 3000 NEEDLE", &rr, &cc));
    /* Capitals: the case matters. */
    keys(x, "/Needle<Enter>");
    assert_non_null(strstr(screen(x), "\"Needle\" is not in the Output pane"));
    (void)r0;
    /* The Conversation is searched too; the Code pane likewise. */
    ev(x, LC_EV_TASK, 0, "find the haystack");
    keys(x, "<S-Tab><S-Tab>/haystack<Enter>");
    assert_null(strstr(screen(x), "is not in the Conversation pane"));
    assert_true(find(x, "haystack", &rr, &cc));
    assert_string_equal(lc_ui_role_at(x->app, rr, cc), "match");
}

/* C saves what Y copies (here the Code pane's code) to a file named in the
 * input line: the text as shown (an escape byte from the model is ^[), never
 * over an existing file. */
static void test_copy_to_file(void **state)
{
    v *x = *state;
    start(x, 24, 100);
    action(x, 1, "print('hi')\nx = '\033[2J'\n");
    char tmpl[] = "/tmp/lc-ui-copy-XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    char *path = lc_path_join(dir, "code.txt");
    lc_buf k = LC_BUF_INIT;
    lc_buf_printf(&k, "<Tab>C<C-u>%s<Enter>", path);
    keys(x, k.data);
    if (!strstr(screen(x), "saved "))
        fail_msg("no saved note:\n%s", screen(x));
    lc_buf got = LC_BUF_INIT;
    lc_err err = {0};
    assert_int_equal(lc_file_read(path, 1 << 20, &got, &err), LC_OK);
    assert_string_equal(got.data, "print('hi')\nx = '^[[2J'\n");
    keys(x, k.data + strlen("<Tab>")); /* again: the file exists */
    assert_non_null(strstr(screen(x), "exists: name another file"));
    keys(x, "<Esc>Y");
    assert_non_null(strstr(screen(x), "copied the code (2 lines) to the clipboard"));
    lc_buf_free(&k);
    lc_buf_free(&got);
    unlink(path);
    rmdir(dir);
    free(path);
}

/* The mouse: the wheel scrolls the pane under the pointer (the focus stays),
 * a click focuses; with ui.mouse false both do nothing. */
static void test_mouse_wheel_and_click(void **state)
{
    v *x = *state;
    start(x, 24, 100);
    lc_buf b = LC_BUF_INIT;
    for (int i = 1; i <= 200; i++)
        lc_buf_printf(&b, "line %d\n", i);
    out(x, LC_STREAM_STDOUT, b.data);
    int r, c;
    assert_true(find(x, "line 200", &r, &c));
    char k[64];
    snprintf(k, sizeof k, "<WheelUp:%d:%d><WheelUp:%d:%d>", r, c, r, c);
    keys(x, k);
    const char *s = screen(x);
    assert_null(strstr(s, "line 200"));
    assert_non_null(strstr(s, "line 194\n"));
    assert_non_null(strstr(s, "> Conversation")); /* the focus did not move */
    snprintf(k, sizeof k, "<WheelDown:%d:%d><WheelDown:%d:%d>", r, c, r, c);
    keys(x, k);
    assert_non_null(strstr(screen(x), "line 200"));
    snprintf(k, sizeof k, "<Click:%d:%d>", r, c);
    keys(x, k);
    assert_non_null(strstr(screen(x), "> Output"));
    lc_buf_free(&b);
    /* Mouse keys cannot be bound. */
    lc_err err = {0};
    lc_strv_push(&x->cfg.ui.key_bindings, "zoom=<Click:1:1>");
    assert_int_equal(lc_ui_keys_check(&x->cfg.ui.key_bindings, &err), LC_EINVAL);
}

static void test_mouse_off(void **state)
{
    v *x = *state;
    x->cfg.ui.mouse = false;
    start(x, 24, 100);
    out(x, LC_STREAM_STDOUT, "line 1\n");
    int r, c;
    assert_true(find(x, "line 1", &r, &c));
    char k[64];
    snprintf(k, sizeof k, "<Click:%d:%d>", r, c);
    keys(x, k);
    assert_non_null(strstr(screen(x), "> Conversation"));
}

/* A wrapped line keeps its indent on its continuation rows. */
static void test_wrapped_lines_keep_indent(void **state)
{
    v *x = *state;
    start(x, 24, 80);
    ev(x, LC_EV_INFO, 1, "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho");
    const char *s = screen(x);
    const char *rho = strstr(s, "rho");
    assert_non_null(rho);
    const char *bol = rho;
    while (bol > s && bol[-1] != '\n')
        bol--;
    /* The row with the end of the line starts with the line's two-space indent. */
    if (strncmp(bol, "  ", 2) != 0 || bol[2] == ' ' || strstr(bol, "alpha") == bol + 2)
        fail_msg("the continuation row is not indented like the line:\n%s", s);
}

/* One output line taller than the pane (minified JSON, say): following shows
 * its end; scrolling goes by rows, up to its start and back down. */
static void test_output_line_taller_than_pane(void **state)
{
    v *x = *state;
    start(x, 24, 80);
    lc_buf b = LC_BUF_INIT;
    lc_buf_puts(&b, "START");
    for (int i = 0; i < 200; i++)
        lc_buf_printf(&b, "{\"k%03d\":%d}", i, i);
    lc_buf_puts(&b, "FINISH\nafter\n");
    out(x, LC_STREAM_STDOUT, b.data);
    lc_buf_free(&b);
    const char *s = screen(x);
    assert_non_null(strstr(s, "FINISH"));
    assert_null(strstr(s, "START"));
    keys(x, "<Tab><Tab>k");
    s = screen(x);
    assert_non_null(strstr(s, "(scrolled: G follows)"));
    assert_null(strstr(s, "after")); /* one row up from the end */
    assert_non_null(strstr(s, "FINISH"));
    keys(x, "<PgUp><PgUp><PgUp><PgUp><PgUp><PgUp><PgUp><PgUp>");
    s = screen(x);
    assert_non_null(strstr(s, "START{\"k000\":0}"));
    assert_null(strstr(s, "FINISH"));
    keys(x, "j");
    assert_null(strstr(screen(x), "START")); /* by rows, inside the line */
    keys(x, "<PgDn><PgDn><PgDn><PgDn><PgDn><PgDn><PgDn><PgDn>");
    s = screen(x);
    assert_non_null(strstr(s, "after"));
    assert_null(strstr(s, "(scrolled: G follows)")); /* at the end it follows again */
}

static void test_long_code_never_cut(void **state)
{
    v *x = *state;
    start(x, 24, 80);
    lc_buf b = LC_BUF_INIT;
    for (int i = 1; i <= 40; i++)
        lc_buf_printf(&b, "x%d = %d\n", i, i);
    lc_buf_puts(&b, "print('a very long line that will not fit in the code pane so it wraps "
                    "onto the next row instead of being cut', x40)\n");
    action(x, 1, b.data);
    lc_buf_free(&b);
    const char *s = screen(x);
    assert_non_null(strstr(s, "lines 1-10 of 41"));
    assert_non_null(strstr(s, "  1 x1 = 1"));
    keys(x, "<Tab>G");
    s = screen(x);
    assert_non_null(strstr(s, " 41 print('a very long line"));
    assert_non_null(strstr(s, "instead of being cut', x40)"));
}

/* One line that wraps over more rows than the pane has: scrolling goes by
 * rows, so its end can be reached, and back. */
static void test_code_line_taller_than_pane(void **state)
{
    v *x = *state;
    start(x, 24, 80);
    lc_buf b = LC_BUF_INIT;
    lc_buf_puts(&b, "x = '");
    for (int i = 0; i < 100; i++)
        lc_buf_printf(&b, "w%03d-----", i);
    lc_buf_puts(&b, "THE-END'\nprint(len(x))\n");
    action(x, 1, b.data);
    lc_buf_free(&b);
    const char *s = screen(x);
    assert_non_null(strstr(s, "  1 x ="));
    assert_null(strstr(s, "THE-END"));
    keys(x, "<Tab>j");
    s = screen(x);
    assert_null(strstr(s, "  1 x =")); /* one row down: the line's first row is gone */
    assert_non_null(strstr(s, "'w000-----"));
    keys(x, "G");
    s = screen(x);
    assert_non_null(strstr(s, "THE-END'"));
    assert_non_null(strstr(s, "  2 print(len(x))"));
    keys(x, "jjj"); /* already at the end: stays */
    assert_non_null(strstr(screen(x), "  2 print(len(x))"));
    keys(x, "<PgUp><PgUp><PgUp><PgUp><PgUp><PgUp><PgUp><PgUp><PgUp><PgUp><PgUp><PgUp>");
    assert_non_null(strstr(screen(x), "  1 x ="));
    keys(x, "<PgDn>");
    s = screen(x);
    assert_null(strstr(s, "  1 x ="));
    assert_null(strstr(s, "'w000-----"));
    keys(x, "gk");
    assert_non_null(strstr(screen(x), "  1 x ="));
}

static void test_tool_call_shown(void **state)
{
    v *x = *state;
    start(x, 24, 80);
    lc_action a = {.kind = LC_ACTION_TOOL, .step = 2, .tool_name = "grep",
                   .tool_args = "{\"pattern\":\"TODO\",\"path\":\"src\"}"};
    lc_event e = {.kind = LC_EV_ACTION, .step = 2, .action = &a};
    x->obs.event(x->obs.ctx, &e);
    const char *s = screen(x);
    assert_non_null(strstr(s, "tool call: grep"));
    assert_non_null(strstr(s, "\"pattern\":\t\"TODO\"") ? "" : strstr(s, "\"pattern\":"));
    assert_non_null(strstr(s, "TODO"));
    assert_non_null(strstr(s, "> step 2 calls grep"));
}

static void test_loosened_network_highlighted(void **state)
{
    v *x = *state;
    x->cfg.container.network = true;
    start(x, 24, 100);
    int r, c;
    assert_true(find(x, "NETWORK ON", &r, &c));
    assert_int_equal(r, 22);
    assert_string_equal(lc_ui_role_at(x->app, r, c), "status_warn");
    assert_true(find(x, "step 0/20", &r, &c));
    assert_string_equal(lc_ui_role_at(x->app, r, c), "status");
}

static void test_streamed_reply_without_code(void **state)
{
    v *x = *state;
    start(x, 24, 100);
    ev(x, LC_EV_STEP_BEGIN, 1, NULL);
    ev(x, LC_EV_TOKEN, 1, "Hello wor");
    assert_non_null(strstr(screen(x), "Hello wor")); /* streams before the line ends */
    ev(x, LC_EV_TOKEN, 1, "ld.\n`");
    ev(x, LC_EV_TOKEN, 1, "``pyth");
    assert_null(strstr(screen(x), "`")); /* might open a fence: held back */
    ev(x, LC_EV_TOKEN, 1, "on\nsecret_code = 1\n");
    ev(x, LC_EV_TOKEN, 1, "```\nAfter the `code`.");
    ev(x, LC_EV_MODEL_REPLY, 1, "(whole reply)");
    const char *s = screen(x);
    const char *a = strstr(s, "\nHello world.  "), *b = strstr(s, "\n  [code: see the Code pane]  "),
               *c = strstr(s, "\nAfter the `code`.  ");
    assert_true(a && b && c && a < b && b < c);
    assert_null(strstr(s, "secret_code"));
    assert_null(strstr(s, "(whole reply)"));
    /* A provider that does not stream: the whole reply, filtered the same way. */
    ev(x, LC_EV_STEP_BEGIN, 2, NULL);
    ev(x, LC_EV_MODEL_REPLY, 2, "Non-streamed.\n```python\nhidden = 2\n```\n```json\n{\"shown\": 1}\n```");
    s = screen(x);
    assert_non_null(strstr(s, "Non-streamed."));
    assert_null(strstr(s, "hidden = 2"));
    assert_non_null(strstr(s, "{\"shown\": 1}"));
}

/* Issue 11: the Conversation hides exactly the blocks the agent runs (its
 * extractor decides), whatever the chunks the reply streams in. */
static void test_fence_as_the_agent_reads_it(void **state)
{
    v *x = *state;
    static const char reply[] = "Two blocks.\n"
                                "```\nbare_block_shown()\n```\n"
                                "Then:\n"
                                "```python3\npy3_runs = 1\n```python\npy3_still = 2\n```\n"
                                "Done talking.\n";
    lc_extracted xc;
    lc_extract_code(reply, &xc);
    assert_non_null(xc.code);
    assert_non_null(strstr(xc.code, "py3_runs"));
    assert_null(strstr(xc.code, "bare_block_shown"));
    for (size_t chunk = 1; chunk <= 7; chunk += 3) {
        start(x, 40, 120);
        ev(x, LC_EV_STEP_BEGIN, 1, NULL);
        for (size_t i = 0; i < sizeof reply - 1; i += chunk) {
            size_t n = sizeof reply - 1 - i < chunk ? sizeof reply - 1 - i : chunk;
            ev_text(x, LC_EV_TOKEN, 1, reply + i, n);
        }
        ev(x, LC_EV_MODEL_REPLY, 1, reply);
        action(x, 1, xc.code);
        const char *s = screen(x);
        const char *bare = strstr(s, "bare_block_shown()");
        const char *mark = strstr(s, "[code: see the Code pane]");
        const char *done = strstr(s, "Done talking.");
        assert_non_null(bare);
        assert_non_null(mark);
        assert_non_null(done);
        assert_true(bare < mark && mark < done);
        assert_null(strstr(mark + 1, "[code: see the Code pane]")); /* one block, one mark */
        /* The python3 block is in the Code pane (right), not the talk (left). */
        int r, c;
        assert_true(find(x, "py3_runs = 1", &r, &c));
        assert_true(c > 40);
        assert_true(find(x, "py3_still = 2", &r, &c));
        assert_true(c > 40);
        lc_ui_free(x->app);
        x->app = NULL;
    }
    lc_extracted_free(&xc);
}

/* Issue 11: <code>...</code>, the extractor's other form (inline, around a
 * fence, inside a fence it does not run), is hidden from the talk the same
 * way, never shown even for a moment while the reply streams, and what runs
 * is in the Code pane. */
static void test_code_tags_as_the_agent_reads_them(void **state)
{
    v *x = *state;
    static const char reply[] = "Let me run it: <code>tag_inline = 1</code> and more.\n"
                                "<code>\n```python\ntag_fenced = 2\n```\n</code>\n"
                                "After the tags, a < b.\n"
                                "```bash\necho <code>in_bash = 3</code> shown_echo\n```\n"
                                "<code>tag_open = 4\nnot_closed = 5\n";
    lc_extracted xc;
    lc_extract_code(reply, &xc);
    assert_non_null(xc.code);
    static const char *const runs[] = {"tag_inline", "tag_fenced", "in_bash", "tag_open", "not_closed"};
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++)
        assert_non_null(strstr(xc.code, runs[i]));
    for (size_t chunk = 1; chunk <= 7; chunk += 2) {
        start(x, 40, 120);
        ev(x, LC_EV_STEP_BEGIN, 1, NULL);
        for (size_t i = 0; i < sizeof reply - 1; i += chunk) {
            size_t n = sizeof reply - 1 - i < chunk ? sizeof reply - 1 - i : chunk;
            ev_text(x, LC_EV_TOKEN, 1, reply + i, n);
            const char *s = screen(x);
            for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++)
                if (strstr(s, runs[k]))
                    fail_msg("%s shown in the talk while streaming (chunk %zu, at %zu):\n%s", runs[k], chunk, i, s);
        }
        ev(x, LC_EV_MODEL_REPLY, 1, reply);
        action(x, 1, xc.code);
        const char *s = screen(x);
        const char *talk[] = {"Let me run it:", "[code: see the Code pane]", "and more.", "After the tags, a < b.",
                              "```bash", "echo", "shown_echo"};
        const char *prev = s;
        for (size_t k = 0; k < sizeof talk / sizeof talk[0]; k++) {
            const char *hit = strstr(prev, talk[k]);
            if (!hit)
                fail_msg("\"%s\" missing or out of order (chunk %zu):\n%s", talk[k], chunk, s);
            prev = hit;
        }
        assert_null(strstr(s, "<code>"));
        assert_null(strstr(s, "</code>"));
        /* What runs is on the right (the Code pane), once. */
        for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++) {
            int r, c;
            assert_true(find(x, runs[k], &r, &c));
            assert_true(c > 40);
            assert_null(strstr(strstr(s, runs[k]) + 1, runs[k]));
        }
        lc_ui_free(x->app);
        x->app = NULL;
    }
    lc_extracted_free(&xc);
}

static void test_step_result_notices(void **state)
{
    v *x = *state;
    start(x, 24, 100);
    out(x, LC_STREAM_STDOUT, "head of the output\n");
    lc_exec_result res = {.status = LC_STEP_ERROR, .duration_s = 1.5, .truncated = true, .dropped_bytes = 123456,
                          .state_lost = true, .notice = "the sandbox was restarted"};
    lc_event re = {.kind = LC_EV_STEP_RESULT, .step = 3, .text = "ValueError: bad", .len = 15, .result = &res};
    x->obs.event(x->obs.ctx, &re);
    const char *s = screen(x);
    assert_non_null(strstr(s, "[output truncated: 123456 bytes left out"));
    assert_non_null(strstr(s, "[the sandbox was restarted]"));
    assert_non_null(strstr(s, "== step 3: error in 1.50 s (sandbox"));
    int r, c;
    assert_true(find(x, "== step 3: error", &r, &c));
    assert_string_equal(lc_ui_role_at(x->app, r, c), "exit_fail");
}

/* The screen as it is now, without a turn of the loop. */
static const char *dump_now(v *x)
{
    lc_buf_reset(&x->screen);
    lc_ui_dump_screen(x->app, &x->screen);
    return lc_buf_cstr(&x->screen);
}

typedef struct asker {
    v *x;
    lc_decision d;
} asker;

static void *ask_step(void *arg)
{
    asker *a = arg;
    lc_action act = {.kind = LC_ACTION_CODE, .step = 2, .code = "print('step two')\n"};
    lc_event e = {.kind = LC_EV_ACTION, .step = 2, .action = &act};
    a->x->obs.event(a->x->obs.ctx, &e);
    a->d = a->x->obs.approve(a->x->obs.ctx, &act);
    return NULL;
}

/* Output queued faster than it is shown (megabytes at once, or a busy
 * machine) is applied a bounded part per turn of the loop: a key pressed
 * meanwhile is handled in the first turn, not after all of it. A question
 * still waits until everything before it is on screen. */
static void test_key_not_behind_queued_output(void **state)
{
    v *x = *state;
    start(x, 24, 80);
    lc_buf chunk = LC_BUF_INIT;
    while (chunk.len < 8192)
        lc_buf_printf(&chunk, "burst line %zu of output\n", chunk.len);
    for (int i = 0; i < 256; i++) /* 2 MB */
        out(x, LC_STREAM_STDOUT, chunk.data);
    lc_buf_free(&chunk);
    out(x, LC_STREAM_STDOUT, "the last line of the burst\n");
    assert_non_null(strstr(dump_now(x), "> Conversation"));
    lc_err err = {0};
    assert_int_equal(lc_ui_feed_keys(x->app, "<Tab>", &err), LC_OK);
    lc_ui_pump(x->app, 0);
    const char *s = dump_now(x);
    if (!strstr(s, "> Code") || !strstr(s, "burst line") || strstr(s, "the last line of the burst"))
        fail_msg("the key waited for the whole burst (or nothing was shown):\n%s", s);
    /* A question asked behind the rest of the burst shows only after it. */
    asker a = {.x = x};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, ask_step, &a), 0);
    lc_sleep_ms(50); /* the question is most likely asked by now: the loop must still hold it back */
    int turns = 0;
    for (int64_t end = lc_now_ms() + 10000; !strstr(dump_now(x), "Run step 2?") && lc_now_ms() < end; turns++)
        lc_ui_pump(x->app, 10);
    s = dump_now(x);
    if (!strstr(s, "Run step 2?") || !strstr(s, "the last line of the burst") || !strstr(s, "print('step two')"))
        fail_msg("the question came before what was queued ahead of it:\n%s", s);
    assert_true(turns > 1);
    keys(x, "y");
    if (!strstr(dump_now(x), "Run step 2?")) /* not answered: the thread would wait forever */
        pthread_join(th, NULL);
    else
        fail_msg("y did not answer the question");
    assert_int_equal(a.d.kind, LC_DECIDE_RUN);
}

static void test_key_script(void **state)
{
    v *x = *state;
    start(x, 24, 80);
    char dir[] = "/tmp/lc-uiscript-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *script = lc_xasprintf("%s/script", dir), *dump = lc_xasprintf("%s/screen.txt", dir);
    char *text = lc_xasprintf("# a comment\nwait Conversation\nkeys <Tab><Tab>z\nsleep 20\ndump %s\nquit\n", dump);
    lc_err err = {0};
    assert_int_equal(lc_file_write_atomic(script, text, strlen(text), 0644, &err), LC_OK);
    setenv("LITECODE_UI_SCRIPT", script, 1);
    assert_int_equal(lc_ui_run(x->app, NULL, NULL), 0);
    unsetenv("LITECODE_UI_SCRIPT");
    lc_buf b = LC_BUF_INIT;
    assert_int_equal(lc_file_read(dump, 1 << 20, &b, &err), LC_OK);
    assert_non_null(strstr(lc_buf_cstr(&b), "> Output"));
    assert_non_null(strstr(lc_buf_cstr(&b), "[zoomed: z]"));
    lc_buf_free(&b);
    lc_rm_rf(dir, &err);
    free(script);
    free(dump);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_layout_screen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resize_and_too_small, setup, teardown),
        cmocka_unit_test_setup_teardown(test_focus_zoom_and_splits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_help_from_keymap_and_rebinding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_bindings_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_guide_keys_match_keymap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_themes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wide_and_combining, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_output_scrolls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_scrollback_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_input_line_edits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_in_pane, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy_to_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrapped_lines_keep_indent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mouse_wheel_and_click, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mouse_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_line_taller_than_pane, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_code_never_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_code_line_taller_than_pane, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tool_call_shown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loosened_network_highlighted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streamed_reply_without_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fence_as_the_agent_reads_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_code_tags_as_the_agent_reads_them, setup, teardown),
        cmocka_unit_test_setup_teardown(test_step_result_notices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_script, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_not_behind_queued_output, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
