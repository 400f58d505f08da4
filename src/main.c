/* litecode-tui: wiring only. Parses flags, makes and validates the config
 * (security rules first: nothing starts before validation passes), opens the
 * session and its front end (the TUI or headless mode), and hands both to
 * session.c, which runs every session alike. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "config/config.h"
#include "core/core.h"
#include "demo.h"
#include "diff/diff.h"
#include "front.h"
#include "session.h"
#include "startup.h"

static int fail(int status, const char *what, const lc_err *err)
{
    lc_text_fprintf(stderr, "litecode-tui: %s%s%s\n", what ? what : "", what ? ": " : "", err->msg);
    return lc_exit_code_for(status);
}

static int run_session(const lc_cli *cli, lc_config *cfg)
{
    const char *dir = cli->dir, *task = cli->task;
    lc_err err = {0};
    char *resumed_dir = NULL;
    int replies = 0;
    const char *resume = cli->review_path ? cli->review_path : cli->resume_path;
    if (resume) {
        if (lc_session_resume_info(resume, cfg, &resumed_dir, &replies, &err) != LC_OK)
            return fail(err.code, NULL, &err);
        if (!dir)
            dir = resumed_dir;
    }
    lc_demo demo = {0}; /* with no model configured: the bundled demo */
    if (!cfg->model.name && !resume) {
        if (lc_demo_setup(cfg, dir, task, &demo, &err) != LC_OK) {
            free(resumed_dir);
            return fail(err.code, NULL, &err);
        }
        dir = demo.dir;
        task = demo.task;
        lc_text_fprintf(stderr, "litecode-tui: no model is configured. %s\n", demo.notice);
    }
    int code;
    lc_session s;
    lc_session_opts so = {dir, resume, NULL, replies};
    lc_front fe;
    if (cli->review_path && cli->headless) {
        lc_text_fprintf(stderr, "litecode-tui: --review opens the terminal UI; without it, --report FILE prints the "
                                "session and --resume FILE --headless continues it\n");
        code = LC_EXIT_USAGE;
    } else if (cli->headless && !task && !resume) {
        lc_text_fprintf(stderr, "litecode-tui: --headless needs a task: litecode-tui --headless \"fix the failing test\"\n");
        code = LC_EXIT_USAGE;
    } else if (lc_session_open(&s, cfg, &so, &err) != LC_OK) {
        code = fail(err.code, NULL, &err);
    } else {
        for (size_t i = 0; i < s.notes.n; i++)
            lc_text_fprintf(stderr, "litecode-tui: %s\n", s.notes.v[i]);
        lc_text_fprintf(stderr, "litecode-tui: session %s (log: %s)\n", s.session_id, s.log_path);
        lc_front_opts fo = {cli->headless, demo.notice, !task && !s.resumed, cli->review_path != NULL};
        if (lc_front_open(&s, &fo, &fe, &err) != LC_OK) {
            code = fail(err.code, NULL, &err);
        } else {
            lc_session_run_opts ro = {task, cli->headless ? cli->patch_out_path : NULL, cli->headless && cli->apply,
                                      cli->review_path != NULL};
            code = lc_session_run(&s, &fe, &ro);
            lc_front_close(&fe); /* the terminal is back before the last words */
        }
        lc_text_fprintf(stderr, "litecode-tui: the shadow copy stays in %s; resume with --resume %s\n", s.shadow,
                        s.log_path);
        lc_session_close(&s);
    }
    free(resumed_dir);
    lc_demo_free(&demo);
    return code;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    lc_cli cli;
    lc_err err = {0};
    int rc = lc_cli_parse(argc, argv, &cli, &err);
    if (rc != LC_OK) {
        fail(rc, NULL, &err);
        lc_text_fprintf(stderr, "Try 'litecode-tui --help'.\n");
        return LC_EXIT_USAGE;
    }
    if (cli.help) {
        lc_buf b = LC_BUF_INIT;
        lc_cli_help(&b);
        lc_text_fputs(stdout, lc_buf_cstr(&b));
        lc_buf_free(&b);
        return LC_EXIT_OK;
    }
    if (cli.version) {
        lc_text_fprintf(stdout, "litecode-tui %s\n", LC_VERSION);
        return LC_EXIT_OK;
    }
    if (cli.review_path && (cli.resume_path || cli.report_path)) {
        lc_text_fprintf(stderr, "litecode-tui: --review cannot go with --resume or --report: give one of them\n");
        return LC_EXIT_USAGE;
    }
    /* "last": the latest session of --dir (or of the current directory). */
    char *last = NULL;
    const char **which = cli.resume_path && !strcmp(cli.resume_path, "last")   ? &cli.resume_path
                         : cli.report_path && !strcmp(cli.report_path, "last") ? &cli.report_path
                         : cli.review_path && !strcmp(cli.review_path, "last") ? &cli.review_path
                                                                               : NULL;
    if (which) {
        rc = lc_session_find_last(cli.dir, &last, &err);
        if (rc != LC_OK)
            return fail(rc, which == &cli.resume_path   ? "--resume last"
                            : which == &cli.review_path ? "--review last"
                                                        : "--report last",
                        &err);
        *which = last;
        if (which == &cli.resume_path)
            lc_text_fprintf(stderr, "litecode-tui: resuming %s\n", last);
    }
    if (cli.report_path) {
        int code = lc_startup_report(cli.report_path);
        free(last);
        return code;
    }
    /* The terminal UI needs a terminal: refuse before anything starts. */
    if (!cli.headless && !cli.check && !cli.print_config && !(isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))) {
        lc_text_fprintf(stderr, "litecode-tui: the terminal UI needs a terminal, but %s is not one; use --headless "
                        "\"TASK\" to run without it\n", !isatty(STDOUT_FILENO) ? "stdout" : "stdin");
        free(last);
        return LC_EXIT_USAGE;
    }
    lc_config cfg;
    rc = lc_startup_config(&cli, &cfg, &err);
    int code = rc != LC_OK ? fail(rc, NULL, &err) : cli.print_config ? lc_startup_print_config(&cfg) : -1;
    /* Before any thread: library globals, and signals routed to one thread. */
    if (code < 0 && (lc_diff_global_init(&err) != LC_OK || lc_llm_global_init(&err) != LC_OK))
        code = fail(err.code, NULL, &err);
    if (code < 0) {
        lc_session_signals_start();
        code = cli.check ? lc_startup_check(&cfg) : run_session(&cli, &cfg);
        lc_session_signals_end();
        lc_llm_global_cleanup();
        lc_diff_global_shutdown();
    }
    lc_config_free(&cfg);
    free(last);
    return code;
}
