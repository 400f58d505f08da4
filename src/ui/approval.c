/* The approval question. A proposed step is shown in full in the code pane
 * and the bar offers run, edit ($EDITOR), decline with a typed reason,
 * approve the rest of the session, and stop. For a moment after it appears
 * its answering keys are dropped, and the screen says so (app_keys.c); the
 * bell rings and the window title says the session waits, so nobody
 * approves a step by typing ahead. Ctrl-C (twice within 3 s stops) lives
 * here too. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ui/ui_int.h"

static void set_title(lc_app *app, const char *title)
{
    /* OSC 2 only to a real terminal; the text is ours, never the model's. */
    if (app->opts.virtual_term || !isatty(fileno(app->out_fp)))
        return;
    fprintf(app->out_fp, "\033]2;%s\007", title);
    fflush(app->out_fp);
}

void ui_approval_show(lc_app *app)
{
    pthread_mutex_lock(&app->mu);
    ui_ask *q = &app->ask;
    q->shown = true;
    ui_ask_kind kind = q->kind;
    int step = q->step;
    char *code = q->code ? lc_xstrdup(q->code) : NULL;
    char *tool = q->tool_name ? lc_xstrdup(q->tool_name) : NULL;
    char *question = q->question ? lc_xstrdup(q->question) : NULL;
    pthread_mutex_unlock(&app->mu);

    /* Keys typed ahead are not flushed unseen: read after this, an answering
     * key within the guard is dropped and said so (app_keys.c), while q,
     * Ctrl-C, a paste and the pane keys keep their meaning. */
    app->guard_until = lc_now_ms() + app->opts.approval_guard_ms;
    /* An open input line stays (a message, the quit question): its keys
     * must not turn into answers. */
    bool typing = ui_input_mode(app) != UI_IN_NONE;
    if (kind == UI_ASK_APPROVE) {
        ui_set_code(app, step, tool ? LC_ACTION_TOOL : LC_ACTION_CODE, code ? code : "", tool);
        app->status.state = UI_ST_WAITING;
        set_title(app, "litecode-tui: waiting for your approval");
        if (typing && ui_input_mode(app) == UI_IN_QUIT)
            ui_flash(app, "step %d waits for your approval; answer the quit question first", step);
        else if (typing)
            ui_flash(app, "step %d waits for your approval: send the message (Enter) or Esc first", step);
    } else {
        ui_conv_addf(app, UI_R_PROMPT, "The agent asks you:");
        ui_conv_add(app, UI_R_PROMPT, question ? question : "", question ? strlen(question) : 0);
        if (typing) {
            ui_flash(app, "the agent asks you something: send the message (Enter) or Esc, then i answers");
        } else {
            ui_input_start(app, UI_IN_ANSWER, NULL);
        }
        set_title(app, "litecode-tui: the agent asks you a question");
    }
    ui_ctrlc_renew(app);
    if (!app->opts.virtual_term)
        beep();
    free(code);
    free(tool);
    free(question);
}

void ui_answer(lc_app *app, lc_decision_kind kind, char *text)
{
    pthread_mutex_lock(&app->mu);
    if (app->ask.kind == UI_ASK_APPROVE && !app->ask.answered) {
        app->ask.decision.kind = kind;
        app->ask.decision.text = text;
        app->ask.answered = true;
        text = NULL;
        pthread_cond_broadcast(&app->cv);
    }
    pthread_mutex_unlock(&app->mu);
    free(text);
    ui_input_set_mode(app, UI_IN_NONE);
    if (kind == LC_DECIDE_RUN || kind == LC_DECIDE_RUN_EDITED)
        app->status.state = UI_ST_RUNNING;
    set_title(app, "litecode-tui");
}

void ui_answer_user(lc_app *app, char *answer)
{
    pthread_mutex_lock(&app->mu);
    if (app->ask.kind == UI_ASK_USER && !app->ask.answered) {
        app->ask.answer = answer;
        app->ask.answered = true;
        answer = NULL;
        pthread_cond_broadcast(&app->cv);
    }
    pthread_mutex_unlock(&app->mu);
    free(answer);
    ui_input_set_mode(app, UI_IN_NONE);
    set_title(app, "litecode-tui");
}

static void edit(lc_app *app)
{
    pthread_mutex_lock(&app->mu);
    char *code = lc_xstrdup(app->ask.code ? app->ask.code : "");
    pthread_mutex_unlock(&app->mu);
    ui_term_paste_mode(app, false);
    def_prog_mode();
    endwin();
    char *edited = NULL; /* $EDITOR is run by core/proc, as headless mode runs it */
    lc_err err = {0};
    int rc = lc_edit_text(code, "step.py", 8 << 20, &edited, &err);
    reset_prog_mode();
    ui_term_paste_mode(app, true);
    clearok(curscr, TRUE);
    if (rc != LC_OK) {
        ui_flash(app, "%s; the step is unchanged", err.msg);
    } else if (strcmp(edited, code) == 0) {
        ui_flash(app, "no change: the step is as the model wrote it");
    } else {
        pthread_mutex_lock(&app->mu);
        free(app->ask.code);
        app->ask.code = edited;
        edited = NULL;
        app->ask.edited = true;
        char *now = lc_xstrdup(app->ask.code);
        int step = app->ask.step;
        pthread_mutex_unlock(&app->mu);
        ui_set_code(app, step, LC_ACTION_CODE, now, NULL);
        ui_code_edited(app);
        ui_conv_addf(app, UI_R_USER, "  you edited step %d: check it, then decide", step);
        ui_flash(app, "edited: the Code pane shows what will run");
        free(now);
    }
    /* The question is asked again: keys from the editor do not answer it. */
    app->guard_until = lc_now_ms() + app->opts.approval_guard_ms;
    free(edited);
    free(code);
}

/* Two Ctrl-C within CTRLC_WINDOW_MS stop the session, whatever happened in
 * between (the step ended, the next question came): the count is by time,
 * not by step, and the window starts again when the interrupted step ends
 * or a question appears, so the notice seen then holds for 3 s. The first
 * also turns auto-approve off, so what comes next waits for the user who
 * just asked for control back. */
#define CTRLC_WINDOW_MS 3000

static void interrupt(lc_app *app, bool asking)
{
    if (!app->th_started || atomic_load(&app->th_done)) {
        ui_flash(app, "no session is running; q quits");
        return;
    }
    int64_t now = lc_now_ms();
    if (app->ctrlc_ms && now - app->ctrlc_ms <= CTRLC_WINDOW_MS) {
        app->ctrlc_ms = 0;
        ui_flash(app, "stopping the session");
        if (asking)
            ui_answer(app, LC_DECIDE_STOP, NULL);
        atomic_store(&app->prepare_cancel, true);
        pthread_mutex_lock(&app->mu);
        pthread_cond_broadcast(&app->cv); /* a wait for the task ends too */
        pthread_mutex_unlock(&app->mu);
        lc_agent_stop(app->agent);
        return;
    }
    app->ctrlc_ms = now;
    bool was_auto = atomic_exchange(&app->auto_approve, false);
    const char *autotext = was_auto ? "; auto-approve is off" : "";
    if (app->status.state == UI_ST_RUNNING && app->opts.executor) {
        lc_executor_interrupt(app->opts.executor);
        ui_flash(app, "interrupting the step (C-c again within 3 s stops the session)%s", autotext);
    } else {
        ui_flash(app, "C-c again within 3 s stops the session%s", autotext);
    }
    app->flash_until = now + CTRLC_WINDOW_MS;
}

void ui_ctrlc_renew(lc_app *app)
{
    int64_t now = lc_now_ms();
    if (!app->ctrlc_ms || now - app->ctrlc_ms > CTRLC_WINDOW_MS)
        return;
    app->ctrlc_ms = now;
    if (now >= app->flash_until) /* a notice still up (the first Ctrl-C's) stays, for longer */
        ui_flash(app, "C-c again within 3 s stops the session");
    app->flash_until = now + CTRLC_WINDOW_MS;
}

void lc_ui_interrupt(lc_app *app)
{
    atomic_store(&app->sigint, true);
    ui_wake(app);
}

unsigned ui_approval_key(lc_app *app, ui_action a, int key)
{
    (void)key;
    ui_asking q = ui_ask_current(app);
    bool asking = q.kind == UI_ASK_APPROVE;
    if (a == UI_A_INTERRUPT) {
        interrupt(app, asking);
        return UI_REDRAW;
    }
    if (!asking)
        return UI_IGNORED;
    pthread_mutex_lock(&app->mu);
    bool edited = app->ask.edited;
    char *code = edited ? lc_xstrdup(app->ask.code) : NULL;
    pthread_mutex_unlock(&app->mu);
    switch (a) {
    case UI_A_RUN:
        ui_answer(app, edited ? LC_DECIDE_RUN_EDITED : LC_DECIDE_RUN, code);
        return UI_REDRAW;
    case UI_A_APPROVE_ALL:
        atomic_store(&app->auto_approve, true);
        ui_flash(app, "auto-approve on: later steps run without asking (X turns it off)");
        ui_answer(app, edited ? LC_DECIDE_RUN_EDITED : LC_DECIDE_RUN, code);
        return UI_REDRAW;
    case UI_A_GRANT:
    case UI_A_GRANT_SAVE:
        pthread_mutex_lock(&app->mu);
        app->ask.decision.grant = true; /* the agent adds the rule and says which */
        app->ask.decision.save_grant = a == UI_A_GRANT_SAVE; /* and where it saved it */
        pthread_mutex_unlock(&app->mu);
        ui_answer(app, edited ? LC_DECIDE_RUN_EDITED : LC_DECIDE_RUN, code);
        return UI_REDRAW;
    case UI_A_EDIT:
        free(code);
        if (q.akind == LC_ACTION_TOOL) {
            ui_flash(app, "a tool call cannot be edited: run it or decline it with a reason");
            return UI_REDRAW;
        }
        edit(app);
        return UI_REDRAW;
    case UI_A_DECLINE:
        free(code);
        ui_input_start(app, UI_IN_REASON, NULL);
        return UI_REDRAW;
    case UI_A_STOP:
        free(code);
        ui_answer(app, LC_DECIDE_STOP, NULL);
        return UI_REDRAW;
    default:
        free(code);
        return UI_IGNORED;
    }
}

void ui_approval_draw(lc_app *app, int y)
{
    ui_asking q = ui_ask_current(app);
    attr_t at = app->theme.attr[UI_R_APPROVAL];
    ui_fill(app, y, 0, app->cols, at);
    char run[32], ed[32], no[32], all[32], stop[32], like[32], save[32];
    ui_keymap_keys_text(&app->keys, UI_A_RUN, run, sizeof run);
    ui_keymap_keys_text(&app->keys, UI_A_EDIT, ed, sizeof ed);
    ui_keymap_keys_text(&app->keys, UI_A_DECLINE, no, sizeof no);
    ui_keymap_keys_text(&app->keys, UI_A_APPROVE_ALL, all, sizeof all);
    ui_keymap_keys_text(&app->keys, UI_A_STOP, stop, sizeof stop);
    ui_keymap_keys_text(&app->keys, UI_A_GRANT, like, sizeof like);
    ui_keymap_keys_text(&app->keys, UI_A_GRANT_SAVE, save, sizeof save);
    if (q.host[0]) {
        /* Not a step in the sandbox: a tool that runs on the user's machine. */
        ui_draw_fmt(app, y, 0, app->cols, at,
                    "Call host tool %s (on your machine, outside the sandbox) in step %d%s? %s run  %s decline  "
                    "%s stop",
                    q.host, q.step, q.edited ? " (edited)" : "", run, no, stop);
        return;
    }
    ui_draw_fmt(app, y, 0, app->cols, at,
                "Run step %d%s? %s run  %s edit  %s decline  %s approve all  %s stop  %s allow steps like this  "
                "%s and save it",
                q.step, q.edited ? " (edited)" : "", run, ed, no, all, stop, like, save);
}
