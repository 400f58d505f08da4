/* The approval policy in the agent (src/agent/approval.c) with a fake
 * executor whose static check is scripted: mode reads runs a step found
 * read-only without asking and says why; anything else asks; a step that ran
 * without asking but changed the shadow, or a step that defeated the check,
 * turns reads off for the rest of the session; a check that fails or answers
 * nonsense means "ask". Every decision says what made it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent/agent.h"
#include "fake_executor.h"
#include "fake_llm.h"

#define RO "{\"read_only\": true, \"opaque\": false, \"reasons\": [], \"bound\": []}"
#define RW "{\"read_only\": false, \"opaque\": false, \"reasons\": [{\"line\": 2, \"what\": \"calls os.remove\"}], " \
           "\"bound\": [\"os\"]}"
#define DARK "{\"read_only\": false, \"opaque\": true, \"reasons\": [{\"line\": 1, \"what\": \"uses getattr\"}]}"

typedef struct h {
    lc_config cfg;
    lc_llm *llm;
    lc_executor *ex;
    lc_agent *agent;
    lc_buf events;
    lc_strv asked; /* code of every step the user was asked about */
    lc_strv ask_rules; /* the ask_rule of each question ("-": none) */
    bool save_grant;   /* the grant is saved to the user's file too */
    const char *revoke_name; /* lc_agent_rule_revoke this one after revoke_after's decision */
    lc_strv decided; /* "step:by:why" of every decision */
    bool change_after_first_run; /* the workspace summary changes once a step ran */
    bool content_after_first_run; /* inventory.py is changed from the start; its content changes again once a
                                   * step ran, with the same line counts */
    lc_decision_kind answer;
    const char *edit;
    bool grant_first;   /* answer the first question with "allow steps like this" */
    int revoke_after;   /* revoke grants once this step's decision is seen (0: never) */
} h;

static void on_event(void *ctx, const lc_event *ev)
{
    h *t = ctx;
    if (ev->kind == LC_EV_TOKEN || ev->kind == LC_EV_OUTPUT)
        return;
    if (ev->kind == LC_EV_DECISION && t->revoke_after && ev->step == t->revoke_after) {
        if (t->revoke_name) {
            lc_err err = {0};
            assert_int_equal(lc_agent_rule_revoke(t->agent, t->revoke_name, &err), LC_OK);
            /* Twice is an error that says so; an unknown name too. */
            assert_int_equal(lc_agent_rule_revoke(t->agent, t->revoke_name, &err), LC_EINVAL);
            assert_int_equal(lc_agent_rule_revoke(t->agent, "nosuch", &err), LC_ENOTFOUND);
        } else {
            lc_agent_revoke_grants(t->agent);
        }
    }
    if (ev->kind == LC_EV_DECISION)
        lc_strv_pushf(&t->decided, "%d:%s:%s", ev->step, ev->decision->by ? ev->decision->by : "(none)",
                      ev->decision->why);
    lc_buf_printf(&t->events, "%s|%s\n", lc_event_kind_name(ev->kind), ev->text ? ev->text : "");
}

static lc_decision on_approve(void *ctx, const lc_action *act)
{
    h *t = ctx;
    lc_strv_push(&t->asked, act->code ? act->code : "");
    lc_strv_push(&t->ask_rules, act->ask_rule ? act->ask_rule : "-");
    lc_decision d = {.kind = t->answer, .grant = t->grant_first && t->asked.n == 1,
                     .save_grant = t->save_grant && t->asked.n == 1};
    if (t->edit && t->asked.n == 1) {
        d.kind = LC_DECIDE_RUN_EDITED;
        d.text = lc_xstrdup(t->edit);
    }
    return d;
}

static char *summary(void *ctx)
{
    h *t = ctx;
    if ((t->change_after_first_run && fake_executor_ran(t->ex)->n > 0) || t->content_after_first_run)
        return lc_xstrdup("M  inventory.py  +1 -1\n");
    return NULL;
}

static char *ids(void *ctx)
{
    h *t = ctx;
    if (!t->content_after_first_run)
        return NULL;
    return lc_xstrdup(fake_executor_ran(t->ex)->n > 0 ? "inventory.py\tbbbb\nnotes.txt\t1111\n"
                                                       : "inventory.py\taaaa\nnotes.txt\t1111\n");
}

static h *h_new(const char *mode)
{
    h *t = lc_xcalloc(1, sizeof *t);
    t->cfg.agent.max_steps = 6;
    t->cfg.container.timeout_s = 30;
    t->cfg.approval.mode = (char *)mode;
    lc_strv_push(&t->cfg.agent.tools, "search_files");
    t->llm = fake_llm_new();
    t->ex = fake_executor_new();
    t->answer = LC_DECIDE_RUN;
    return t;
}

static void h_run(h *t)
{
    lc_observer obs = {t, on_event, on_approve, NULL, NULL};
    lc_workspace_hooks ws = {t, summary, NULL, ids};
    lc_err err = {0};
    assert_int_equal(lc_agent_new(&t->cfg, t->llm, t->ex, &obs, &ws, NULL, &t->agent, &err), LC_OK);
    lc_agent_outcome outcome;
    char *answer = NULL;
    assert_int_equal(lc_agent_run(t->agent, "task", &outcome, &answer, &err), LC_OK);
    free(answer);
}

static void h_free(h *t)
{
    lc_agent_free(t->agent);
    lc_llm_destroy(t->llm);
    lc_executor_destroy(t->ex);
    lc_strv_free(&t->cfg.agent.tools);
    lc_buf_free(&t->events);
    lc_strv_free(&t->asked);
    lc_strv_free(&t->ask_rules);
    lc_strv_free(&t->decided);
    free(t);
}

static void three_steps(h *t, const char *a, const char *b)
{
    char *r1 = lc_xasprintf("```python\n%s\n```", a);
    char *r2 = lc_xasprintf("```python\n%s\n```", b);
    fake_llm_reply(t->llm, r1);
    fake_llm_reply(t->llm, r2);
    fake_llm_reply(t->llm, "```python\nfinal_answer(\"done\")\n```");
    free(r1);
    free(r2);
}

static void test_reads_runs_read_only_steps_and_asks_the_rest(void **state)
{
    (void)state;
    h *t = h_new("reads");
    fake_executor_analysis(t->ex, "listing", RO);
    fake_executor_analysis(t->ex, "os.remove", RW);
    fake_executor_analysis(t->ex, "final_answer", RO);
    three_steps(t, "print('listing')", "import os\nos.remove('x')");
    h_run(t);
    assert_int_equal(t->asked.n, 1);
    assert_non_null(strstr(t->asked.v[0], "os.remove"));
    assert_int_equal(t->decided.n, 3);
    assert_non_null(strstr(t->decided.v[0], "1:check:mode reads: the static check found that step 1 only reads"));
    assert_non_null(strstr(t->decided.v[1], "2:user:"));
    assert_non_null(strstr(t->decided.v[2], "3:check:"));
    /* The user sees why step 2 asks. */
    assert_non_null(strstr(lc_buf_cstr(&t->events), "may write, so it asks: line 2: calls os.remove"));
    assert_int_equal(fake_executor_ran(t->ex)->n, 3);
    h_free(t);
}

static void test_ask_asks_every_step_without_checking(void **state)
{
    (void)state;
    h *t = h_new(NULL); /* default: ask */
    fake_executor_analysis(t->ex, "", RO);
    three_steps(t, "print('listing')", "print(2)");
    h_run(t);
    assert_int_equal(t->asked.n, 3);
    for (size_t i = 0; i < t->decided.n; i++)
        assert_non_null(strstr(t->decided.v[i], ":user:"));
    h_free(t);
}

static void test_a_read_only_step_that_changed_the_shadow_turns_reads_off(void **state)
{
    (void)state;
    h *t = h_new("reads");
    t->change_after_first_run = true;
    fake_executor_analysis(t->ex, "", RO); /* the check is fooled: everything "reads" */
    three_steps(t, "print('listing')", "print('more')");
    h_run(t);
    const char *e = lc_buf_cstr(&t->events);
    assert_non_null(strstr(e, "error|APPROVAL: mode reads and allow rules are off for the rest of this session"));
    assert_non_null(strstr(e, "CHANGED THE SHADOW COPY"));
    assert_non_null(strstr(e, "M  inventory.py  +1 -1"));
    /* Step 1 ran without asking; steps 2 and 3 ask although the check says they only read. */
    assert_int_equal(t->asked.n, 2);
    assert_non_null(strstr(t->decided.v[0], "1:check:"));
    assert_non_null(strstr(t->decided.v[1], "2:user:"));
    h_free(t);
}

/* Trust but verify sees a change that keeps the summary (the same files, the
 * same line counts): the content ids of the changed files differ, and the
 * message names the file. */
static void test_a_change_with_the_same_counts_is_seen(void **state)
{
    (void)state;
    h *t = h_new("reads");
    t->content_after_first_run = true;
    fake_executor_analysis(t->ex, "", RO);
    three_steps(t, "print('listing')", "print('more')");
    h_run(t);
    const char *e = lc_buf_cstr(&t->events);
    assert_non_null(strstr(e, "CHANGED THE SHADOW COPY"));
    assert_non_null(strstr(e, "the same files and line counts as before, but new content in: inventory.py. "));
    assert_null(strstr(e, "new content in: inventory.py, notes.txt"));
    assert_int_equal(t->asked.n, 2);
    h_free(t);
}

static void test_a_step_that_defeats_the_check_turns_reads_off(void **state)
{
    (void)state;
    h *t = h_new("reads");
    fake_executor_analysis(t->ex, "getattr", DARK);
    fake_executor_analysis(t->ex, "", RO);
    three_steps(t, "getattr(os, 'listdir')", "print('listing')");
    h_run(t);
    /* Step 1 asks (and the user runs it); after it nothing runs without asking. */
    assert_int_equal(t->asked.n, 3);
    assert_non_null(strstr(lc_buf_cstr(&t->events), "no static check can follow (line 1: uses getattr)"));
    h_free(t);
}

static void test_a_check_that_fails_or_answers_nonsense_asks(void **state)
{
    (void)state;
    h *t = h_new("reads");
    /* read_only must be JSON true with no reasons, and opaque false: anything else asks,
     * and an answer without a clear verdict counts as one that defeats the check. */
    fake_executor_analysis(t->ex, "alpha", "{\"read_only\": \"yes\", \"reasons\": []}");
    fake_executor_analysis(t->ex, "", RO);
    three_steps(t, "print('alpha')", "print('beta')");
    h_run(t);
    assert_int_equal(t->asked.n, 3);
    assert_non_null(strstr(lc_buf_cstr(&t->events), "may write, so it asks: the check gave no clear verdict"));
    h_free(t);

    t = h_new("reads");
    fake_executor_analysis(t->ex, "beta", "{\"read_only\": true, \"opaque\": false, \"reasons\": [{\"line\": 1, \"what\": \"x\"}]}");
    /* No scripted answer for the other steps: the check fails, so they ask. */
    three_steps(t, "print('alpha')", "print('beta')");
    h_run(t);
    assert_int_equal(t->asked.n, 3);
    assert_non_null(strstr(lc_buf_cstr(&t->events), "may write, so it asks: the static check did not answer"));
    h_free(t);
}

static void test_a_user_edit_is_checked_for_what_it_defines(void **state)
{
    (void)state;
    h *t = h_new("reads");
    /* The user's edit (not the proposal) is what ran: its names come from its own check. */
    t->edit = "import os\nos.remove('y')";
    fake_executor_analysis(t->ex, "os.remove('y')", DARK);
    fake_executor_analysis(t->ex, "", RW);
    fake_llm_reply(t->llm, "```python\nprint('x')\n```");
    fake_llm_reply(t->llm, "```python\nfinal_answer(\"done\")\n```");
    h_run(t);
    assert_non_null(strstr(lc_buf_cstr(&t->events), "APPROVAL: mode reads and allow rules are off"));
    h_free(t);
}


/* ---- rules ------------------------------------------------------------------ */

#define SUBPROC "{\"read_only\": false, \"opaque\": false, \"calls\": [\"print\", \"subprocess.run\"], " \
    "\"imports\": [\"subprocess\"], \"reasons\": [{\"line\": 1, \"what\": \"imports subprocess\", \"fact\": " \
    "\"import subprocess\"}, {\"line\": 2, \"what\": \"calls subprocess.run\", \"fact\": \"call subprocess.run\"}]}"
#define SUBPROC_RM "{\"read_only\": false, \"opaque\": false, \"calls\": [\"subprocess.run\", \"os.remove\"], " \
    "\"reasons\": [{\"line\": 2, \"what\": \"calls subprocess.run\", \"fact\": \"call subprocess.run\"}, " \
    "{\"line\": 3, \"what\": \"calls os.remove\", \"fact\": \"call os.remove\"}]}"
#define TOOL_RM "{\"read_only\": false, \"opaque\": false, \"calls\": [\"run_bash_command\"], \"tools\": " \
    "[{\"name\": \"run_bash_command\", \"args\": {\"command\": \"rm -rf build\"}}], \"reasons\": [{\"line\": 1, " \
    "\"what\": \"uses run_bash_command\", \"fact\": \"tool run_bash_command\"}]}"

static void rules(h *t, const char *const *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        lc_strv_push(&t->cfg.approval.rules, r[i]);
}

static void test_deny_rule_declines_and_tells_the_model(void **state)
{
    (void)state;
    h *t = h_new("all"); /* deny wins even when every step would run */
    const char *r[] = {"deny no-rm: tool run_bash_command command=rm *; call os.remove | must: tool run_bash_command "
                       "command=rm -rf x | must-not: tool run_bash_command command=ls | why: nothing is deleted here"};
    rules(t, r, 1);
    fake_executor_analysis(t->ex, "rm -rf", TOOL_RM);
    fake_executor_analysis(t->ex, "", RO);
    fake_llm_reply(t->llm, "```python\nrun_bash_command(command='rm -rf build')\n```");
    fake_llm_reply(t->llm, "```python\nfinal_answer(\"done\")\n```");
    h_run(t);
    /* It did not run; the model was told which rule and why. */
    assert_int_equal(fake_executor_ran(t->ex)->n, 1);
    assert_null(strstr(fake_executor_ran(t->ex)->v[0], "rm -rf"));
    const char *o = fake_llm_request_last(t->llm, 1);
    assert_non_null(strstr(o, "rule no-rm denies step 1: nothing is deleted here (the step does tool run_bash_command command=rm -rf build)"));
    assert_non_null(strstr(o, "approval rules forbid it"));
    assert_non_null(strstr(t->decided.v[0], "1:rule:rule no-rm denies step 1"));
    lc_strv_free(&t->cfg.approval.rules);
    h_free(t);
}

static void test_allow_rule_must_cover_everything_the_step_does(void **state)
{
    (void)state;
    h *t = h_new(NULL); /* ask */
    const char *r[] = {"allow procs: call subprocess.run; import subprocess | must: call subprocess.run | must-not: "
                       "call os.remove"};
    rules(t, r, 1);
    fake_executor_analysis(t->ex, "only", SUBPROC);
    fake_executor_analysis(t->ex, "also", SUBPROC_RM);
    fake_executor_analysis(t->ex, "", RO);
    three_steps(t, "# only\nsubprocess.run(['ls'])", "# also\nsubprocess.run(['ls'])\nos.remove('x')");
    h_run(t);
    /* Step 1 is covered; step 2 (a compound: subprocess and os.remove) and 3 (mode ask) ask. */
    assert_int_equal(t->asked.n, 2);
    assert_non_null(strstr(t->decided.v[0], "1:rule:rule procs allows what step 1 does"));
    assert_non_null(strstr(t->decided.v[1], "2:user:"));
    lc_strv_free(&t->cfg.approval.rules);
    h_free(t);
}

static void test_ask_rule_asks_under_reads(void **state)
{
    (void)state;
    h *t = h_new("reads");
    const char *r[] = {"ask listing: call os.listdir | must: call os.listdir | why: I want to see these"};
    rules(t, r, 1);
    fake_executor_analysis(t->ex, "listdir", "{\"read_only\": true, \"opaque\": false, \"reasons\": [], \"calls\": [\"os.listdir\"]}");
    fake_executor_analysis(t->ex, "", RO);
    three_steps(t, "os.listdir('.')", "print(1)");
    h_run(t);
    assert_int_equal(t->asked.n, 1);
    assert_non_null(strstr(t->asked.v[0], "listdir"));
    assert_non_null(strstr(lc_buf_cstr(&t->events), "rule listing asks about step 1: it does call os.listdir (I want to see these)"));
    lc_strv_free(&t->cfg.approval.rules);
    h_free(t);
}

static void test_rule_examples_are_checked_before_anything_runs(void **state)
{
    (void)state;
    const char *bad[][2] = {
        {"deny no-rm: call os.remove | must: call shutil.rmtree", "does not match its must example 'call shutil.rmtree'"},
        {"allow py: call * | must: call print | must-not: call os.remove", "matches its must-not example 'call os.remove'"},
        {"allow t: tool run_tests | must: tool run_tests | must-not: tool run_tests command=x", "matches its must-not"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        h *t = h_new(NULL);
        lc_strv_push(&t->cfg.approval.rules, bad[i][0]);
        t->cfg.origin[LC_CFG_APPROVAL_RULES] = (lc_config_origin){LC_ORIGIN_FILE, lc_xstrdup("/home/u/config.yaml:12")};
        lc_observer obs = {t, on_event, on_approve, NULL, NULL};
        lc_err err = {0};
        assert_int_not_equal(lc_agent_new(&t->cfg, t->llm, t->ex, &obs, NULL, NULL, &t->agent, &err), LC_OK);
        assert_non_null(strstr(err.msg, "/home/u/config.yaml:12"));
        assert_non_null(strstr(err.msg, bad[i][1]));
        assert_non_null(strstr(err.msg, "rule "));
        free(t->cfg.origin[LC_CFG_APPROVAL_RULES].text);
        lc_strv_free(&t->cfg.approval.rules);
        h_free(t);
    }
}

static void test_rule_syntax_errors_say_what_is_wrong(void **state)
{
    (void)state;
    const char *bad[][2] = {
        {"permit x: call os.remove | must: call os.remove", "does not start with allow, ask or deny"},
        {"deny x: call os.remove", "has no example"},
        {"deny x: remove files | must: call os.remove", "is not a pattern"},
        {"deny bad name: call os.remove | must: call os.remove", "is not a rule name"},
        {"deny x: call os.remove | must: call os.remove | because: no", "is not must:, must-not: or why:"},
        {"deny x: tool run =rm | must: tool run", "KEY=GLOB"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lc_approval_rule r;
        lc_err err = {0};
        assert_int_equal(lc_approval_rule_parse(bad[i][0], &r, &err), LC_EINVAL);
        if (!strstr(err.msg, bad[i][1]))
            fail_msg("'%s': %s", bad[i][0], err.msg);
    }
    lc_approval_rule r;
    lc_err err = {0};
    assert_int_equal(lc_approval_rule_parse("deny no-rm: call os.remove; call shutil.* | must: call os.remove | "
                                            "must: import shutil; call shutil.rmtree | must-not: call os.listdir | "
                                            "why: keep files", &r, &err), LC_OK);
    assert_int_equal(r.action, LC_RULE_DENY);
    assert_string_equal(r.name, "no-rm");
    assert_string_equal(r.why, "keep files");
    assert_int_equal(r.pats.n, 2);
    assert_int_equal(r.must.n, 2);
    assert_int_equal(r.must_not.n, 1);
    lc_approval_rule_free(&r);
}

static void test_grant_allows_steps_like_this_until_revoked(void **state)
{
    (void)state;
    h *t = h_new(NULL); /* ask: only the grant lets steps through */
    t->grant_first = true;
    t->revoke_after = 2;
    fake_executor_analysis(t->ex, "final_answer", RO);
    fake_executor_analysis(t->ex, "odd", SUBPROC_RM);
    fake_executor_analysis(t->ex, "", SUBPROC);
    fake_llm_reply(t->llm, "```python\nsubprocess.run(['ls'])\n```");
    fake_llm_reply(t->llm, "```python\nsubprocess.run(['ls', '-l'])\n```");
    fake_llm_reply(t->llm, "```python\n# odd\nsubprocess.run(['ls'])\nos.remove('x')\n```");
    fake_llm_reply(t->llm, "```python\nsubprocess.run(['ls'])\n```");
    fake_llm_reply(t->llm, "```python\nfinal_answer(\"done\")\n```");
    h_run(t);
    const char *e = lc_buf_cstr(&t->events);
    /* The narrowest rule: exactly the step's facts, shown. */
    assert_non_null(strstr(e, "grant-1 added for this session (W lists the grants; each can be revoked there): allow grant-1: import subprocess; "
                              "call subprocess.run | must: import subprocess; call subprocess.run"));
    /* Step 2 (the same facts) runs by the grant; revoked after it, step 4 asks again; step 3 does
     * more than the grant covers and asks. */
    assert_non_null(strstr(t->decided.v[1], "2:grant:grant grant-1 allows what step 2 does"));
    assert_non_null(strstr(t->decided.v[2], "3:user:"));
    assert_non_null(strstr(e, "revoked for the rest of this session: grant-1"));
    assert_non_null(strstr(t->decided.v[3], "4:user:"));
    assert_int_equal(t->asked.n, 4); /* steps 1, 3, 4 and the final answer */
    h_free(t);
}

static void test_no_grant_for_what_the_check_cannot_name(void **state)
{
    (void)state;
    h *t = h_new(NULL);
    t->grant_first = true;
    fake_executor_analysis(t->ex, "getattr", DARK);
    fake_executor_analysis(t->ex, "", RO);
    three_steps(t, "getattr(os, 'x')", "getattr(os, 'y')");
    h_run(t);
    assert_non_null(strstr(lc_buf_cstr(&t->events), "no grant for step 1: it does something no static check can follow"));
    assert_int_equal(t->asked.n, 3);
    h_free(t);
}

/* An ask rule asks under mode all too (--yes): the front end is told which
 * rule, so it asks although it auto-approves; other steps carry no rule. */
static void test_ask_rule_reaches_the_front_end_under_all(void **state)
{
    (void)state;
    h *t = h_new("all");
    const char *r[] = {"ask subproc: call subprocess.* | must: call subprocess.run | why: I look at commands"};
    rules(t, r, 1);
    fake_executor_analysis(t->ex, "ls", SUBPROC);
    fake_executor_analysis(t->ex, "", RO);
    three_steps(t, "subprocess.run(['ls'])", "print(1)");
    h_run(t);
    assert_int_equal(t->asked.n, 3); /* this harness's front end is asked every step */
    assert_string_equal(t->ask_rules.v[0], "subproc");
    assert_string_equal(t->ask_rules.v[1], "-");
    assert_string_equal(t->ask_rules.v[2], "-");
    assert_non_null(strstr(lc_buf_cstr(&t->events), "rule subproc asks about step 1: it does call subprocess.run"));
    lc_strv_free(&t->cfg.approval.rules);
    h_free(t);
}

/* A rule's mistake names the rule's own line (approval.origins), not the
 * line of "rules:"; two rules with one name are refused with both places. */
static void test_rule_errors_name_the_rules_own_line(void **state)
{
    (void)state;
    h *t = h_new(NULL);
    const char *r[] = {"allow ok: call print | must: call print",
                       "deny no-rm: call os.remove | must: call shutil.rmtree"};
    rules(t, r, 2);
    lc_strv_push(&t->cfg.approval.origins, "/home/u/config.yaml:3");
    lc_strv_push(&t->cfg.approval.origins, "/home/u/config.yaml:4");
    t->cfg.origin[LC_CFG_APPROVAL_RULES] = (lc_config_origin){LC_ORIGIN_FILE, lc_xstrdup("/home/u/config.yaml:2")};
    lc_err err = {0};
    assert_int_equal(lc_agent_check_rules(&t->cfg, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "/home/u/config.yaml:4: approval.rules: rule no-rm (deny) does not match"));
    free(t->cfg.approval.rules.v[1]);
    t->cfg.approval.rules.v[1] = lc_xstrdup("deny ok: call os.remove | must: call os.remove");
    assert_int_equal(lc_agent_check_rules(&t->cfg, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "/home/u/config.yaml:4: approval.rules: a second rule named ok (the first is at "
                                    "/home/u/config.yaml:3)"));
    free(t->cfg.origin[LC_CFG_APPROVAL_RULES].text);
    lc_strv_free(&t->cfg.approval.rules);
    lc_strv_free(&t->cfg.approval.origins);
    h_free(t);
}

/* One rule of the user's file turned off from the panel: it is listed with
 * its place, steps it allowed ask again, and the log gets grant_revoked. */
static void test_one_rule_revoked_for_the_session(void **state)
{
    (void)state;
    h *t = h_new(NULL);
    const char *r[] = {"allow sub: call subprocess.run; import subprocess | must: call subprocess.run",
                       "allow other: call os.remove | must: call os.remove"};
    rules(t, r, 2);
    lc_strv_push(&t->cfg.approval.origins, "/home/u/config.yaml:3");
    lc_strv_push(&t->cfg.approval.origins, "/home/u/config.yaml:4");
    t->revoke_after = 1;
    t->revoke_name = "sub";
    fake_executor_analysis(t->ex, "ls", SUBPROC);
    fake_executor_analysis(t->ex, "", RO);
    three_steps(t, "subprocess.run(['ls'])", "subprocess.run(['ls'])");
    lc_observer obs = {t, on_event, on_approve, NULL, NULL};
    lc_err err = {0};
    char dir[] = "/tmp/lc-revoke-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *logpath = lc_xasprintf("%s/session.jsonl", dir);
    lc_log *log = NULL;
    assert_int_equal(lc_log_open(logpath, &log, &err), LC_OK);
    /* Without the log's receiver in the observer the agent refuses the log. */
    assert_int_equal(lc_agent_new(&t->cfg, t->llm, t->ex, &obs, NULL, log, &t->agent, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "lc_fanout_init"));
    lc_fanout fan;
    lc_observer fo = lc_fanout_init(&fan, log, &obs);
    assert_int_equal(lc_agent_new(&t->cfg, t->llm, t->ex, &fo, NULL, log, &t->agent, &err), LC_OK);
    lc_agent_rule_info *v = NULL;
    size_t n = lc_agent_rules(t->agent, &v);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].name, "sub");
    assert_string_equal(v[0].origin, "/home/u/config.yaml:3");
    assert_string_equal(v[1].origin, "/home/u/config.yaml:4");
    assert_false(v[0].off || v[0].grant);
    lc_agent_rules_free(v, n);
    lc_agent_outcome outcome;
    char *answer = NULL;
    assert_int_equal(lc_agent_run(t->agent, "task", &outcome, &answer, &err), LC_OK);
    free(answer);
    assert_non_null(strstr(t->decided.v[0], "1:rule:rule sub allows what step 1 does"));
    assert_non_null(strstr(t->decided.v[1], "2:user:"));
    const char *e = lc_buf_cstr(&t->events);
    assert_non_null(strstr(e, "revoked for the rest of this session: sub"));
    n = lc_agent_rules(t->agent, &v);
    assert_true(v[0].off);
    assert_false(v[1].off);
    lc_agent_rules_free(v, n);
    /* Turned off after the last step: recorded when the agent goes. */
    assert_int_equal(lc_agent_rule_revoke(t->agent, "other", &err), LC_OK);
    lc_agent_free(t->agent);
    t->agent = NULL;
    lc_log_close(log);
    lc_buf rec = LC_BUF_INIT;
    assert_int_equal(lc_file_read(logpath, 1 << 22, &rec, NULL), LC_OK);
    assert_non_null(strstr(lc_buf_cstr(&rec), "\"kind\":\"grant_revoked\""));
    assert_non_null(strstr(lc_buf_cstr(&rec), "\"grants\":\"sub\""));
    assert_non_null(strstr(lc_buf_cstr(&rec), "\"grants\":\"other\""));
    lc_buf_free(&rec);
    lc_rm_rf(dir, NULL);
    free(logpath);
    lc_strv_free(&t->cfg.approval.rules);
    lc_strv_free(&t->cfg.approval.origins);
    h_free(t);
}

/* "Allow steps like this" saved: the rule goes into the user's file (its
 * comments kept), with a name no rule there has, and the next session's
 * config has it back, with its line. */
static void test_grant_saved_to_the_user_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/lc-save-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = lc_xasprintf("%s/config.yaml", dir);
    const char *before = "# mine\nmodel:\n  name: openai/gpt-4o  # keep\napproval:\n  rules:\n"
                         "    - 'allow saved-1: call print | must: call print'\n";
    assert_int_equal(lc_file_write_atomic(path, before, strlen(before), 0640, NULL), LC_OK);
    h *t = h_new(NULL);
    t->cfg.user_file = path;
    t->grant_first = true;
    t->save_grant = true;
    fake_executor_analysis(t->ex, "ls", SUBPROC);
    fake_executor_analysis(t->ex, "", RO);
    three_steps(t, "subprocess.run(['ls'])", "subprocess.run(['ls'])");
    h_run(t);
    const char *e = lc_buf_cstr(&t->events);
    char *said = lc_xasprintf("saved-2 added and saved to %s:7 (W lists", path);
    assert_non_null(strstr(e, said));
    free(said);
    assert_non_null(strstr(t->decided.v[1], "2:grant:grant saved-2 allows what step 2 does"));
    lc_buf now = LC_BUF_INIT;
    assert_int_equal(lc_file_read(path, 1 << 20, &now, NULL), LC_OK);
    assert_memory_equal(now.data, before, strlen(before)); /* what was there stays, byte for byte */
    assert_string_equal(now.data + strlen(before),
                        "    - 'allow saved-2: import subprocess; call subprocess.run | must: import subprocess; "
                        "call subprocess.run | why: allowed from the question at step 1'\n");
    lc_buf_free(&now);
    lc_config c;
    lc_err err = {0};
    lc_config_defaults(&c);
    assert_int_equal(lc_config_load_file(&c, path, LC_LAYER_USER, &err), LC_OK);
    assert_int_equal(c.approval.rules.n, 2);
    char *line = lc_xasprintf("%s:7", path);
    assert_string_equal(c.approval.origins.v[1], line);
    free(line);
    assert_int_equal(lc_agent_check_rules(&c, &err), LC_OK);
    lc_config_free(&c);
    h_free(t);
    lc_rm_rf(dir, NULL);
    free(path);
}

/* A fact whose text holds ';' or '|' (a path the model chose) would split
 * into wider patterns ("write a; call *" -> allow every call): no grant, and
 * a later step that calls anything still asks. */
static void test_no_grant_for_a_fact_a_rule_cannot_say(void **state)
{
    (void)state;
    h *t = h_new(NULL);
    t->grant_first = true;
    fake_executor_analysis(t->ex, "weird", "{\"read_only\": false, \"opaque\": false, \"writes\": [\"a; call *\"], "
                                           "\"reasons\": [{\"line\": 1, \"what\": \"writes a; call *\", \"fact\": "
                                           "\"write a; call *\"}]}");
    fake_executor_analysis(t->ex, "system", "{\"read_only\": false, \"opaque\": false, \"calls\": [\"os.system\"], "
                                            "\"reasons\": [{\"line\": 1, \"what\": \"calls os.system\", \"fact\": "
                                            "\"call os.system\"}]}");
    fake_executor_analysis(t->ex, "", RO);
    three_steps(t, "open('a; call *', 'w') # weird", "os.system('rm -rf x')");
    h_run(t);
    assert_non_null(strstr(lc_buf_cstr(&t->events), "no grant for step 1: what it does names a path or value with ';'"));
    assert_non_null(strstr(t->decided.v[1], "2:user:"));
    h_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_runs_read_only_steps_and_asks_the_rest),
        cmocka_unit_test(test_ask_asks_every_step_without_checking),
        cmocka_unit_test(test_a_read_only_step_that_changed_the_shadow_turns_reads_off),
        cmocka_unit_test(test_a_change_with_the_same_counts_is_seen),
        cmocka_unit_test(test_a_step_that_defeats_the_check_turns_reads_off),
        cmocka_unit_test(test_a_check_that_fails_or_answers_nonsense_asks),
        cmocka_unit_test(test_a_user_edit_is_checked_for_what_it_defines),
        cmocka_unit_test(test_deny_rule_declines_and_tells_the_model),
        cmocka_unit_test(test_allow_rule_must_cover_everything_the_step_does),
        cmocka_unit_test(test_ask_rule_asks_under_reads),
        cmocka_unit_test(test_rule_examples_are_checked_before_anything_runs),
        cmocka_unit_test(test_rule_syntax_errors_say_what_is_wrong),
        cmocka_unit_test(test_grant_allows_steps_like_this_until_revoked),
        cmocka_unit_test(test_no_grant_for_what_the_check_cannot_name),
        cmocka_unit_test(test_no_grant_for_a_fact_a_rule_cannot_say),
        cmocka_unit_test(test_ask_rule_reaches_the_front_end_under_all),
        cmocka_unit_test(test_rule_errors_name_the_rules_own_line),
        cmocka_unit_test(test_one_rule_revoked_for_the_session),
        cmocka_unit_test(test_grant_saved_to_the_user_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
