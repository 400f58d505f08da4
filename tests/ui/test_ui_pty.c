/* The TUI on a real terminal: a pseudo-terminal instead of the virtual one,
 * so keys arrive as the bytes a terminal sends (escape sequences, Ctrl-C in
 * raw mode), a window size change arrives as SIGWINCH, and what the UI
 * writes to the terminal can be checked: the window title and the bell when
 * a step waits, and never a byte of a model's escape sequence. */
#include <pthread.h>
#include <pty.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_executor.h"
#include "fake_llm.h"
#include "ui/ui.h"

typedef struct pt {
    int master, slave;
    pthread_t reader;
    pthread_mutex_t mu;
    lc_buf written; /* everything the UI sent to the terminal */
    bool stop;
    lc_config cfg;
    lc_app *app;
    lc_buf screen;
} pt;

static void *reader_main(void *arg)
{
    pt *p = arg;
    char buf[4096];
    for (;;) {
        ssize_t n = read(p->master, buf, sizeof buf);
        if (n <= 0)
            break;
        pthread_mutex_lock(&p->mu);
        lc_buf_append(&p->written, buf, (size_t)n);
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

static int setup(void **state)
{
    pt *p = calloc(1, sizeof *p);
    struct winsize ws = {30, 100, 0, 0};
    assert_int_equal(openpty(&p->master, &p->slave, NULL, NULL, &ws), 0);
    pthread_mutex_init(&p->mu, NULL);
    pthread_create(&p->reader, NULL, reader_main, p);
    setenv("TERM", "xterm-256color", 1);
    unsetenv("LINES");
    unsetenv("COLUMNS");
    lc_config_defaults(&p->cfg);
    lc_ui_opts o = LC_UI_OPTS_INIT;
    o.cfg = &p->cfg;
    o.themes_dir = LC_SOURCE_DIR "/themes";
    o.in_fd = p->slave;
    o.out_fd = p->slave;
    o.approval_guard_ms = 50;
    lc_err err = {0};
    p->app = lc_ui_new(&o, &err);
    if (!p->app)
        fail_msg("lc_ui_new on a pty: %s", err.msg);
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    pt *p = *state;
    lc_ui_free(p->app);
    close(p->slave); /* the reader then sees EIO and ends */
    pthread_join(p->reader, NULL);
    close(p->master);
    lc_buf_free(&p->written);
    lc_buf_free(&p->screen);
    lc_config_free(&p->cfg);
    free(p);
    return 0;
}

static void type(pt *p, const char *bytes)
{
    assert_int_equal(write(p->master, bytes, strlen(bytes)), (ssize_t)strlen(bytes));
}

static void see(pt *p, const char *text)
{
    if (!lc_ui_wait_for(p->app, text, 10000)) {
        lc_buf_reset(&p->screen);
        lc_ui_dump_screen(p->app, &p->screen);
        fprintf(stderr, "---- screen ----\n%s----\n", lc_buf_cstr(&p->screen));
        fail_msg("the screen never showed \"%s\"", text);
    }
}

static bool wrote(pt *p, const char *bytes)
{
    for (int i = 0; i < 200; i++) {
        lc_ui_pump(p->app, 5);
        pthread_mutex_lock(&p->mu);
        bool found = p->written.len && memmem(p->written.data, p->written.len, bytes, strlen(bytes));
        pthread_mutex_unlock(&p->mu);
        if (found)
            return true;
    }
    return false;
}

static void test_keys_from_a_terminal(void **state)
{
    pt *p = *state;
    see(p, "> Conversation");
    type(p, "\t");
    see(p, "> Code");
    type(p, "\x1b[Z"); /* Shift-Tab as xterm sends it */
    see(p, "> Conversation");
    type(p, "?");
    see(p, "Keys (? or Esc closes");
    type(p, "\x1b");
    see(p, "Tab focus");
    type(p, "\x03"); /* Ctrl-C is a key in raw mode, not a signal */
    see(p, "no session is running; q quits");
    type(p, "q");
    for (int i = 0; i < 100 && lc_ui_pump(p->app, 10);)
        i++;
    assert_false(lc_ui_pump(p->app, 0));
}

static void test_window_size_change(void **state)
{
    pt *p = *state;
    see(p, "> Conversation");
    struct winsize ws = {20, 70, 0, 0};
    ioctl(p->master, TIOCSWINSZ, &ws);
    raise(SIGWINCH);
    see(p, "Terminal too small: 70x20.");
    ws = (struct winsize){40, 120, 0, 0};
    ioctl(p->master, TIOCSWINSZ, &ws);
    raise(SIGWINCH);
    see(p, "> Conversation");
}

static void test_waiting_step_sets_title_and_drops_typeahead(void **state)
{
    pt *p = *state;
    lc_llm *llm = fake_llm_new();
    lc_executor *ex = fake_executor_new();
    lc_err err = {0};
    assert_int_equal(lc_executor_start(ex, &err), LC_OK);
    fake_llm_reply(llm, "Look: \x1b]2;evil title\x07\n```python\nprint('hi \\x1b[2J')\n```");
    fake_llm_reply(llm, "```python\nfinal_answer(\"ok\")\n```");
    lc_observer obs = lc_ui_observer(p->app);
    lc_agent *agent = NULL;
    assert_int_equal(lc_agent_new(&p->cfg, llm, ex, &obs, NULL, NULL, &agent, &err), LC_OK);
    type(p, "yyyy"); /* typed ahead, before any question */
    assert_int_equal(lc_ui_start(p->app, agent, "hi"), LC_OK);
    see(p, "Run step 1?");
    assert_true(wrote(p, "\x1b]2;litecode-tui: waiting for your approval\x07"));
    lc_ui_pump(p->app, 100);
    assert_int_equal(fake_executor_ran(ex)->n, 0);
    /* The model's own title sequence never reached the terminal. */
    pthread_mutex_lock(&p->mu);
    assert_null(memmem(p->written.data, p->written.len, "evil title\x07", 11));
    pthread_mutex_unlock(&p->mu);
    see(p, "Look: ^[]2;evil title^G");
    lc_sleep_ms(60);
    type(p, "y");
    see(p, "Run step 2?");
    assert_int_equal(fake_executor_ran(ex)->n, 1);
    lc_sleep_ms(60);
    type(p, "\r");
    assert_true(lc_ui_wait_idle(p->app, 10000));
    assert_int_equal(lc_ui_join(p->app), 0);
    lc_agent_free(agent);
    lc_llm_destroy(llm);
    lc_executor_destroy(ex);
}

/* A process that must _exit while the UI runs (a second SIGTERM) can still
 * give the terminal back: modes, the normal screen, the cursor. */
static void test_emergency_restore(void **state)
{
    pt *p = *state;
    see(p, "> Conversation");
    struct termios t;
    assert_int_equal(tcgetattr(p->slave, &t), 0);
    assert_false(t.c_lflag & ICANON); /* curses' raw mode */
    lc_ui_restore_terminal(p->app);
    assert_int_equal(tcgetattr(p->slave, &t), 0);
    assert_true(t.c_lflag & ICANON);
    assert_true(t.c_lflag & ECHO);
    assert_true(t.c_lflag & ISIG);
    assert_true(wrote(p, "\x1b[?1049l")); /* xterm's rmcup: back to the normal screen */
    assert_true(wrote(p, "\x1b[?25h"));   /* the cursor shown again */
}

/* Bracketed paste through a real terminal (issue 17, item 1): the UI turns
 * it on, the markers arrive as the bytes a terminal sends, everything in
 * between is text for the input line, escape sequences and Ctrl-C included,
 * and no key of it answers the step's question. */
static void test_bracketed_paste(void **state)
{
    pt *p = *state;
    assert_true(wrote(p, "\x1b[?2004h"));
    lc_llm *llm = fake_llm_new();
    lc_executor *ex = fake_executor_new();
    lc_err err = {0};
    assert_int_equal(lc_executor_start(ex, &err), LC_OK);
    fake_llm_reply(llm, "```python\nprint('hi')\n```");
    lc_observer obs = lc_ui_observer(p->app);
    lc_agent *agent = NULL;
    assert_int_equal(lc_agent_new(&p->cfg, llm, ex, &obs, NULL, NULL, &agent, &err), LC_OK);
    assert_int_equal(lc_ui_start(p->app, agent, "hi"), LC_OK);
    see(p, "Run step 1?");
    lc_sleep_ms(60);
    type(p, "\x1b[200~see below\ryou can go ahead\x1b[201~");
    see(p, "Message (Enter sends, Esc cancels): see below\u23ceyou can go ahead");
    lc_sleep_ms(200);
    type(p, "\x1b"); /* Esc closes the line */
    see(p, "Run step 1? y/Enter run");
    lc_sleep_ms(100);
    type(p, "\x1b[200~y\x1b[A\x03" "e\x1b[201~");
    see(p, "Message (Enter sends, Esc cancels): y^[[A^Ce");
    lc_ui_pump(p->app, 50);
    assert_int_equal(fake_executor_ran(ex)->n, 0);
    lc_sleep_ms(200);
    type(p, "\x15\x1b"); /* C-u, Esc */
    see(p, "Run step 1? y/Enter run");
    lc_sleep_ms(100);
    type(p, "s");
    assert_true(lc_ui_wait_idle(p->app, 10000));
    assert_int_equal(lc_ui_join(p->app), 3);
    assert_int_equal(fake_executor_ran(ex)->n, 0);
    lc_agent_free(agent);
    lc_llm_destroy(llm);
    lc_executor_destroy(ex);
    /* Off again with the terminal given back, on every way out. */
    lc_ui_restore_terminal(p->app);
    assert_true(wrote(p, "\x1b[?2004l"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keys_from_a_terminal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_window_size_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_waiting_step_sets_title_and_drops_typeahead, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emergency_restore, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bracketed_paste, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
