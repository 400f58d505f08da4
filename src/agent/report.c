/* --report FILE: a Markdown audit report of a session log: who asked what,
 * what the model proposed, what the user decided, what ran and what changed.
 * Every logged string is untrusted: control characters are made visible and
 * code fences are longer than any backtick run inside them. */
#include <limits.h>
#include <stdlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"

#define REPORT_TEXT_MAX 20000

static void put_safe(lc_buf *b, const char *s)
{
    if (!s)
        return;
    size_t n = strlen(s);
    if (n > REPORT_TEXT_MAX) {
        lc_buf cut = LC_BUF_INIT;
        lc_text_head_tail(s, n, REPORT_TEXT_MAX / 2, REPORT_TEXT_MAX / 2, &cut);
        lc_text_sanitize(cut.data, cut.len, LC_SAN_KEEP_NEWLINE | LC_SAN_KEEP_TAB, b);
        lc_buf_free(&cut);
        return;
    }
    lc_text_sanitize(s, n, LC_SAN_KEEP_NEWLINE | LC_SAN_KEEP_TAB, b);
}

/* One line of text for a list item: newlines become spaces. */
static void put_inline(lc_buf *b, const char *s, size_t max)
{
    lc_buf t = LC_BUF_INIT;
    put_safe(&t, s);
    while (max < t.len && max > 0 && ((unsigned char)t.data[max] & 0xC0) == 0x80)
        max--; /* cut between characters, not inside one */
    for (size_t i = 0; i < t.len && i < max; i++)
        lc_buf_putc(b, t.data[i] == '\n' ? ' ' : t.data[i]);
    if (t.len > max)
        lc_buf_puts(b, "...");
    lc_buf_free(&t);
}

static void put_fenced(lc_buf *b, const char *lang, const char *text)
{
    lc_buf safe = LC_BUF_INIT;
    put_safe(&safe, text ? text : "");
    size_t run = 0, longest = 0;
    for (size_t i = 0; i < safe.len; i++) {
        run = safe.data[i] == '`' ? run + 1 : 0;
        if (run > longest)
            longest = run;
    }
    size_t fence = longest >= 3 ? longest + 1 : 3;
    for (size_t i = 0; i < fence; i++)
        lc_buf_putc(b, '`');
    lc_buf_printf(b, "%s\n", lang ? lang : "");
    lc_buf_append(b, safe.data ? safe.data : "", safe.len);
    if (!safe.len || safe.data[safe.len - 1] != '\n')
        lc_buf_putc(b, '\n');
    for (size_t i = 0; i < fence; i++)
        lc_buf_putc(b, '`');
    lc_buf_puts(b, "\n\n");
    lc_buf_free(&safe);
}

static void put_quote(lc_buf *b, const char *text)
{
    lc_buf safe = LC_BUF_INIT;
    put_safe(&safe, text);
    lc_buf_puts(b, "> ");
    for (size_t i = 0; i < safe.len; i++) {
        lc_buf_putc(b, safe.data[i]);
        if (safe.data[i] == '\n' && i + 1 < safe.len)
            lc_buf_puts(b, "> ");
    }
    lc_buf_puts(b, "\n\n");
    lc_buf_free(&safe);
}

/* A call of an MCP tool, run on the host, rather than a step: its action
 * names the server (older logs: it has no code, which every step has). */
static bool host_call(const lc_action *act)
{
    return act && (act->mcp_server || !act->code);
}

/* Decisions about steps and about host tool calls are counted apart. */
typedef struct decided {
    int approved, edited, declined, automatic;
} decided;

static void count_decision(decided *d, const lc_event *ev, bool automatic)
{
    if (ev->decision && ev->decision->kind == LC_DECIDE_RUN)
        d->approved++;
    else if (ev->decision && ev->decision->kind == LC_DECIDE_RUN_EDITED)
        d->edited++;
    else if (ev->decision && ev->decision->kind == LC_DECIDE_DECLINE)
        d->declined++;
    if (automatic)
        d->automatic++;
}

typedef struct tally {
    decided step, call;   /* steps; calls of host (MCP) tools */
    bool call_pending;    /* the last action was a host call */
    int syntax, steps;
    int by_check;         /* ran without asking because the static check found them read-only */
    double prompt, completion;
    char *outcome;        /* of the last run, NULL: no end after the last start */
    cJSON *header;        /* a copy of the header */
    int approval_first;   /* -1: not recorded, 0 ask, 1 auto, 2 reads */
    int approval_changes;
    int last_step;
    char *failed;         /* a log_failed message */
    lc_event_kind last_kind;
} tally;

static int count(void *ctx, const lc_event *ev, const cJSON *record, unsigned long line)
{
    (void)line;
    tally *t = ctx;
    int step = (int)lc_json_int(record, "step", 0, INT_MIN, INT_MAX);
    if (step > t->last_step)
        t->last_step = step;
    t->last_kind = ev->kind;
    switch (ev->kind) {
    case LC_EV_HEADER:
        if (!t->header)
            t->header = cJSON_Duplicate(record, true);
        break;
    case LC_EV_ACTION:
        t->call_pending = host_call(ev->action);
        break;
    case LC_EV_DECISION:
        /* "auto" as written, whatever the decision's word */
        count_decision(t->call_pending ? &t->call : &t->step, ev, lc_json_bool(record, "auto", false));
        if (!t->call_pending && lc_json_bool(record, "auto", false) && ev->decision && ev->decision->by &&
            !strcmp(ev->decision->by, "check"))
            t->by_check++;
        t->call_pending = false;
        break;
    case LC_EV_APPROVAL: {
        const char *m = ev->detail;
        int mode = m && !strcmp(m, "auto") ? 1 : m && !strcmp(m, "reads") ? 2 : 0;
        if (t->approval_first < 0)
            t->approval_first = mode;
        if (ev->changed)
            t->approval_changes++;
        break;
    }
    case LC_EV_OBSERVATION:
        if (ev->source == LC_OBS_SYNTAX)
            t->syntax++;
        break;
    case LC_EV_MODEL_REPLY:
        t->prompt += (double)ev->prompt_tokens;
        t->completion += (double)ev->completion_tokens;
        break;
    case LC_EV_DONE:
        free(t->outcome);
        t->outcome = lc_xstrdup(ev->text ? ev->text : "?");
        t->steps = (int)lc_json_int(record, "steps", 0, INT_MIN, INT_MAX);
        break;
    case LC_EV_RESUMED:
        free(t->outcome); /* a resumed session is unfinished until it ends again */
        t->outcome = NULL;
        break;
    case LC_EV_LOG_FAILED:
        if (!t->failed)
            t->failed = lc_xstrdup(ev->text ? ev->text : "?");
        break;
    default:
        break;
    }
    return LC_OK;
}

static void put_header(lc_buf *b, const cJSON *hd)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(hd, "model");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(hd, "agent");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(hd, "container");
    lc_buf_puts(b, "- Started: ");
    put_inline(b, lc_json_str(hd, "ts"), 40);
    lc_buf_puts(b, " by litecode ");
    put_inline(b, lc_json_str(hd, "litecode"), 20);
    lc_buf_puts(b, "\n- Directory: ");
    put_inline(b, lc_json_str(hd, "dir"), 300);
    lc_buf_puts(b, "\n- Model: ");
    put_inline(b, lc_json_str(m, "name"), 200);
    if (lc_json_str(m, "base_url")) {
        lc_buf_puts(b, " at ");
        put_inline(b, lc_json_str(m, "base_url"), 200);
    }
    lc_buf_puts(b, "\n- Agent: ");
    put_inline(b, lc_json_str(a, "type") ? lc_json_str(a, "type") : "?", 40);
    if (lc_json_str(a, "profile")) {
        lc_buf_puts(b, ", profile ");
        put_inline(b, lc_json_str(a, "profile"), 60);
    }
    lc_buf_printf(b, ", at most %d steps\n", (int)lc_json_int(a, "max_steps", 0, INT_MIN, INT_MAX));
    if (c) {
        char mem[32];
        lc_format_size(lc_json_int(c, "memory_bytes", 0, 0, INT64_MAX), mem, sizeof mem);
        lc_buf_puts(b, "- Sandbox: ");
        put_inline(b, lc_json_str(hd, "executor") ? lc_json_str(hd, "executor") : lc_json_str(c, "engine"), 200);
        lc_buf_puts(b, ", image ");
        put_inline(b, lc_json_str(c, "image"), 200);
        lc_buf_printf(b, ", memory %s, %g cpu, network %s, workspace %s, %d s per step\n", mem,
                      lc_json_num(c, "cpus", 0), lc_json_bool(c, "network", false) ? "ON" : "none",
                      lc_json_bool(c, "workspace_ro", false) ? "read-only" : "writable",
                      (int)lc_json_int(c, "timeout_s", 0, INT_MIN, INT_MAX));
    }
}

static void put_approval(lc_buf *b, const tally *t)
{
    if (t->approval_first < 0) {
        /* An older log recorded the option, not what the front end did. */
        if (lc_json_bool(t->header, "auto_approve", false))
            lc_buf_puts(b, "- Approval: auto-approve was requested (--yes); this log is older than the record "
                           "of what was in force, so it does not say which steps ran without asking\n");
        return;
    }
    if (t->approval_first == 2)
        lc_buf_printf(b, "- Approval: mode reads at the start (steps the static check found read-only ran without "
                         "asking)%s\n",
                      t->approval_changes ? "; it fell back to asking during the session (marked at the step)" : "");
    else if (t->approval_changes)
        lc_buf_printf(b, "- Approval: %s at the start, changed %d time%s during the session (marked at each "
                         "step)\n",
                      t->approval_first ? "**auto-approved**" : "the user was asked", t->approval_changes,
                      t->approval_changes == 1 ? "" : "s");
    else if (t->approval_first)
        lc_buf_puts(b, "- Approval: **every step was auto-approved** (nobody was asked)\n");
    else
        lc_buf_puts(b, "- Approval: the user was asked for every step\n");
}

typedef struct render {
    lc_buf *b;
    int shown_step;
    bool running; /* a step was approved and has no result yet */
    int approval; /* the mode last shown: -1 none, 0 ask, 1 auto */
    bool host_action; /* the last action was a call run on the host (MCP), not a step */
} render;

static const char unknown_result[] =
    "**Result: ran, result unknown**: the step was approved, but the log has no result for it (litecode "
    "was stopped, killed or crashed while it ran)\n\n";

static int put_event(void *ctx, const lc_event *ev, const cJSON *record, unsigned long line)
{
    (void)line;
    render *r = ctx;
    lc_buf *b = r->b;
    lc_event_kind k = ev->kind;
    int step = (int)lc_json_int(record, "step", 0, INT_MIN, INT_MAX);
    bool ends_step = k == LC_EV_STEP_BEGIN || k == LC_EV_RESUMED || k == LC_EV_DONE || k == LC_EV_TASK ||
                     k == LC_EV_LOG_FAILED || k == LC_EV_LOG_REPAIRED;
    if (r->running && ends_step) {
        lc_buf_puts(b, unknown_result);
        r->running = false;
    }
    if (step > r->shown_step && k != LC_EV_HUNK_APPLIED && k != LC_EV_HUNK_UNDONE && k != LC_EV_HUNK_NOT_APPLIED) {
        lc_buf_printf(b, "## Step %d\n\n", step);
        r->shown_step = step;
    }
    switch (k) {
    case LC_EV_TASK:
        lc_buf_puts(b, "## Task\n\n");
        put_quote(b, ev->text);
        break;
    case LC_EV_PLAN:
        lc_buf_puts(b, "**Plan**\n\n");
        put_quote(b, ev->text);
        break;
    case LC_EV_MODEL_REPLY:
        if (ev->purpose == LC_REQ_PLAN || ev->purpose == LC_REQ_FINAL)
            break; /* shown as the plan / the final answer */
        lc_buf_printf(b, "**Model%s**\n\n", ev->purpose == LC_REQ_SUBQUERY ? " (sub-query from a tool)" : "");
        put_fenced(b, "text", ev->text);
        break;
    case LC_EV_ACTION:
        lc_buf_puts(b, "**Proposed");
        if (ev->action->tool_name) {
            lc_buf_puts(b, " call to ");
            put_inline(b, ev->action->tool_name, 80);
        }
        lc_buf_puts(b, "**\n\n");
        r->host_action = host_call(ev->action);
        if (r->host_action)
            put_fenced(b, "json", ev->action->tool_args);
        else
            put_fenced(b, "python", ev->action->code);
        break;
    case LC_EV_DECISION: {
        const lc_decision *d = ev->decision;
        lc_buf_puts(b, "**Decision: ");
        put_inline(b, lc_json_str(record, "decision") ? lc_json_str(record, "decision") : "?", 40);
        lc_buf_printf(b, "**%s", lc_json_bool(record, "auto", false) ? " (auto-approved)" : "");
        if (!r->host_action) /* a host call's outcome is its tool_call line */
            r->running = d && (d->kind == LC_DECIDE_RUN || d->kind == LC_DECIDE_RUN_EDITED);
        if (d && d->kind == LC_DECIDE_DECLINE) {
            lc_buf_puts(b, " because: ");
            put_inline(b, d->text, 500);
        }
        /* What made it, where the mode alone does not say: the static check. */
        const char *by = lc_json_str(record, "by");
        if (by && !strcmp(by, "check")) {
            lc_buf_puts(b, ", by ");
            put_inline(b, lc_json_str(record, "by"), 20);
            if (lc_json_str(record, "why") && lc_json_bool(record, "auto", false)) {
                lc_buf_puts(b, ": ");
                put_inline(b, lc_json_str(record, "why"), 300);
            }
        }
        const cJSON *chk = cJSON_GetObjectItemCaseSensitive(record, "check");
        const cJSON *why;
        if (cJSON_IsObject(chk) && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(chk, "read_only"))) {
            lc_buf_puts(b, "; the static check: may write");
            int n = 0;
            cJSON_ArrayForEach(why, cJSON_GetObjectItemCaseSensitive(chk, "reasons"))
            {
                if (n++ == 3 || !lc_json_str(why, "what"))
                    break;
                lc_buf_puts(b, n == 1 ? " (" : "; ");
                put_inline(b, lc_json_str(why, "what"), 120);
            }
            if (n)
                lc_buf_puts(b, ")");
        }
        lc_buf_puts(b, "\n\n");
        if (d && d->kind == LC_DECIDE_RUN_EDITED)
            put_fenced(b, "diff", ev->detail);
        break;
    }
    case LC_EV_OBSERVATION:
        if (ev->source == LC_OBS_SYNTAX) {
            lc_buf_puts(b, "**Syntax error** (not run, the user was not asked): ");
            put_inline(b, ev->result->error_message, 300);
            lc_buf_printf(b, " at line %d\n\n", ev->result->error_line);
        } else if (ev->source == LC_OBS_RESULT) {
            const lc_exec_result *res = ev->result;
            r->running = false;
            lc_buf_puts(b, "**Result: ");
            put_inline(b, ev->detail ? ev->detail : "?", 40); /* the status as written */
            lc_buf_printf(b, "** in %.2f s\n\n", res->duration_s);
            if (res->output && *res->output)
                put_fenced(b, "text", res->output);
            if (cJSON_GetObjectItemCaseSensitive(record, "error")) {
                lc_buf_puts(b, "Error: ");
                put_inline(b, res->error_type, 100);
                lc_buf_puts(b, ": ");
                put_inline(b, res->error_message, 500);
                lc_buf_puts(b, "\n\n");
            }
            if (res->notice) {
                lc_buf_puts(b, "Sandbox: ");
                put_inline(b, res->notice, 500);
                lc_buf_puts(b, "\n\n");
            }
        }
        break;
    case LC_EV_TOOL_CALL:
        lc_buf_puts(b, "- Host tool ");
        put_inline(b, ev->text, 80);
        lc_buf_puts(b, "(");
        put_inline(b, ev->detail, 200);
        lc_buf_puts(b, ev->code == LC_OK ? ") answered" : ") failed");
        if (ev->mcp_server) { /* an MCP call: what the server said is part of the record */
            lc_buf_puts(b, ": ");
            put_inline(b, ev->answer, 500);
        }
        lc_buf_puts(b, "\n\n");
        break;
    case LC_EV_CHANGED_FILES:
        lc_buf_puts(b, "**Changed files**\n\n");
        put_fenced(b, "text", ev->text);
        break;
    case LC_EV_USER_MESSAGE:
        lc_buf_puts(b, "**The user said**\n\n");
        put_quote(b, ev->text);
        break;
    case LC_EV_HUNK_APPLIED:
    case LC_EV_HUNK_UNDONE:
        lc_buf_printf(b, "- %s hunk %d of ", k == LC_EV_HUNK_APPLIED ? "Applied" : "Undid", ev->hunk);
        put_inline(b, ev->text, 300);
        lc_buf_puts(b, " to the original\n\n");
        break;
    case LC_EV_HUNK_NOT_APPLIED:
        lc_buf_printf(b, "- Did not apply hunk %d of ", ev->hunk);
        put_inline(b, ev->text, 300);
        lc_buf_puts(b, " (");
        put_inline(b, ev->detail ? ev->detail : "?", 40);
        if (ev->answer) {
            lc_buf_puts(b, ": ");
            put_inline(b, ev->answer, 300);
        }
        lc_buf_puts(b, "); the original was left as it was\n\n");
        break;
    case LC_EV_FINAL_ANSWER:
        lc_buf_puts(b, ev->forced ? "## Best-effort answer (the step limit was reached)\n\n" : "## Final answer\n\n");
        put_quote(b, ev->text);
        break;
    case LC_EV_MODEL_ERROR:
        lc_buf_puts(b, "**Model error:** ");
        put_inline(b, ev->text, 500);
        lc_buf_puts(b, "\n\n");
        break;
    case LC_EV_RESUMED:
        lc_buf_puts(b, "*Session resumed from ");
        put_inline(b, ev->text, 300);
        lc_buf_puts(b, "*\n\n");
        break;
    case LC_EV_APPROVAL: {
        const char *m = ev->detail;
        int mode = m && !strcmp(m, "auto") ? 1 : m && !strcmp(m, "reads") ? 2 : 0;
        if (mode != r->approval && (r->approval >= 0 || mode))
            lc_buf_puts(b, mode == 1   ? "*Auto-approve is on: the steps below ran without asking*\n\n"
                           : mode == 2 ? "*Mode reads: steps below that the static check found read-only ran "
                                         "without asking; the rest asked the user*\n\n"
                                       : "*Auto-approve is off: every step below asked the user*\n\n");
        if (ev->text) {
            lc_buf_puts(b, "**Approval fell back to ask:** ");
            put_inline(b, ev->text, 600);
            lc_buf_puts(b, "\n\n");
        }
        r->approval = mode;
        break;
    }
    case LC_EV_GRANT:
        lc_buf_puts(b, "**Grant given from the question** (allow steps like this; a saved-N one was also saved to the "
                        "user's config): ");
        put_inline(b, ev->text, 600);
        lc_buf_puts(b, "\n\n");
        break;
    case LC_EV_GRANT_REVOKED:
        lc_buf_puts(b, "**Revoked for the rest of the session** (the grants panel): ");
        put_inline(b, ev->text, 300);
        lc_buf_puts(b, "\n\n");
        break;
    case LC_EV_LOG_REPAIRED:
        lc_buf_printf(b, "*The log was repaired here: a line cut while it was written (%.0f bytes) was "
                         "dropped before the session went on*\n\n",
                      lc_json_num(record, "dropped_bytes", 0));
        break;
    case LC_EV_LOG_FAILED:
        lc_buf_puts(b, "**The session log could not be written:** ");
        put_inline(b, ev->text, 500);
        lc_buf_puts(b, ". The agent stopped here.\n\n");
        break;
    default:
        break;
    }
    return LC_OK;
}

/* Where and why the log ends, when it does not end with the run's end. */
static void put_end(lc_buf *b, const tally *t, const lc_log_info *info)
{
    bool ended = t->last_kind == LC_EV_DONE && !info->cut;
    if (ended && !info->joined && !t->failed && !info->bad)
        return;
    lc_buf_puts(b, "## End of the log\n\n");
    if (info->bad)
        lc_buf_printf(b, "- %lu %s skipped (the first: line %lu): the file was damaged or written to by "
                         "something else.\n",
                      info->bad,
                      info->bad == 1 ? "line of the log is not a session log event and was"
                                     : "lines of the log are not session log events and were",
                      info->bad_line);
    if (info->joined)
        lc_buf_printf(b, "- %lu line%s held an event cut while it was written with the next event joined to it "
                         "(written by an older litecode): the cut part%s skipped.\n",
                      info->joined, info->joined == 1 ? "" : "s", info->joined == 1 ? " was" : "s were");
    if (t->failed) {
        lc_buf_printf(b, "- The log ends at line %lu, in step %d, because writing it failed: ", info->lines,
                      t->last_step);
        put_inline(b, t->failed, 500);
        lc_buf_puts(b, ". The agent stopped there; nothing after it was recorded.\n");
    } else if (info->cut) {
        lc_buf_printf(b, "- The log ends at line %lu, in step %d, with a line cut while it was written (%llu "
                         "bytes, skipped): litecode was killed or crashed, or the disk filled up.\n",
                      info->cut_line, t->last_step, (unsigned long long)info->cut_bytes);
    } else if (!ended) {
        lc_buf_printf(b, "- The log ends at line %lu, in step %d, without an end record: litecode was killed "
                         "or crashed (or the machine stopped) before the session ended.\n",
                      info->lines, t->last_step);
    }
    lc_buf_puts(b, "\n");
}

int lc_report_render(const char *log_path, lc_buf *out, lc_err *err)
{
    /* Two passes over the file: the summary comes first but needs the whole
     * log, and the log may be too big to hold. */
    tally t = {.approval_first = -1, .last_kind = LC_EV_COUNT};
    lc_log_info info;
    int rc = lc_log_events(log_path, LC_LOG_SKIP_BAD, count, &t, &info, err);
    if (rc == LC_OK && !info.header)
        rc = info.events == 0 && !info.cut
                 ? lc_err_set(err, LC_EINVAL, "%s is empty: no session was recorded in it", log_path)
                 : lc_err_set(err, LC_EINVAL,
                              "%s has no header line: it is not a litecode session log, or its beginning "
                              "was lost",
                              log_path);
    if (rc != LC_OK) {
        cJSON_Delete(t.header);
        free(t.outcome);
        free(t.failed);
        return rc;
    }
    lc_buf_puts(out, "# litecode session report\n\n- Log: ");
    put_inline(out, log_path, 500);
    lc_buf_puts(out, "\n");
    put_header(out, t.header);
    put_approval(out, &t);
    lc_buf_puts(out, "- Outcome: ");
    put_inline(out, t.outcome ? t.outcome : "unfinished (no end recorded)", 100);
    lc_buf_printf(out, " after %d steps\n", t.outcome ? t.steps : t.last_step);
    lc_buf_printf(out, "- Steps approved: %d, edited: %d, declined: %d; syntax errors caught: %d\n",
                  t.step.approved, t.step.edited, t.step.declined, t.syntax);
    if (t.step.automatic)
        lc_buf_printf(out, "- Of the approved and edited steps, %d ran without asking anyone (auto-approved)\n",
                      t.step.automatic);
    if (t.by_check)
        lc_buf_printf(out, "- Of those, %d ran because the static check found them read-only (mode reads)\n",
                      t.by_check);
    if (t.call.approved + t.call.edited + t.call.declined) {
        lc_buf_printf(out, "- Host tool calls (MCP, run on the user's machine) approved: %d, edited: %d, declined: %d",
                      t.call.approved, t.call.edited, t.call.declined);
        if (t.call.automatic)
            lc_buf_printf(out, "; %d of the approved and edited ran without asking anyone (auto-approved)",
                          t.call.automatic);
        lc_buf_puts(out, "\n");
    }
    lc_buf_printf(out, "- Tokens: %.0f prompt, %.0f completion", t.prompt, t.completion);
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(t.header, "model");
    double in = lc_json_num(model, "input_price", -1), outp = lc_json_num(model, "output_price", -1);
    if (in >= 0 && outp >= 0 && isfinite(in) && isfinite(outp))
        lc_buf_printf(out, ", about $%.4f (at $%g and $%g per million tokens)", (t.prompt * in + t.completion * outp) / 1e6,
                      in, outp);
    lc_buf_puts(out, "\n\n");
    render r = {out, 0, false, -1, false};
    rc = lc_log_events(log_path, LC_LOG_SKIP_BAD, put_event, &r, &info, err);
    if (rc == LC_OK && r.running)
        lc_buf_puts(out, unknown_result);
    if (rc == LC_OK)
        put_end(out, &t, &info);
    cJSON_Delete(t.header);
    free(t.outcome);
    free(t.failed);
    return rc;
}
